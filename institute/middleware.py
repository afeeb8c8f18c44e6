"""A database that cannot be reached answers a friendly 503 page, not a bare 500."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30

# If even the template cannot be rendered, this is the page: in the request's language, or in
# English should the translations fail too.
FALLBACK_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8">'
    "<title>Temporarily unavailable</title>"
    "<h1>The tracker is temporarily unavailable</h1>"
    "<p>Please try again shortly.</p></html>"
)


def fallback_page() -> str:
    try:
        return _translated_fallback_page()
    except Exception:
        return FALLBACK_PAGE


def _translated_fallback_page() -> str:
    return format_html(
        '<!doctype html><html lang="{}"><meta charset="utf-8">'
        "<title>{}</title>"
        "<h1>{}</h1>"
        "<p>{}</p></html>",
        (get_language() or "en")[:2],
        _("Temporarily unavailable"),
        _("The tracker is temporarily unavailable"),
        _("Please try again shortly."),
    )


def database_unavailable_response() -> HttpResponse:
    """templates/503.html, rendered without the request: no context processor (user, messages)
    may touch the database that is down."""
    try:
        content = render_to_string("503.html")
    except Exception:
        logger.exception("The 503 page could not be rendered; sending the fallback page")
        content = fallback_page()
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)  # no proxy may keep serving the outage page
    return response


class DatabaseUnavailableMiddleware:
    """Turns a connection failure (OperationalError, InterfaceError) raised by a view or while
    rendering its response into templates/503.html with Retry-After. The error is logged with its
    traceback; the visitor sees none of it. Other errors go on to Django's 500 handling."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error(
            "Database unavailable while serving %s %s",
            request.method,
            request.path,
            exc_info=exception,
        )
        return database_unavailable_response()
