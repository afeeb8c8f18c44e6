"""The subscription pages: ask for an alert, confirm it from the email, cancel it.

No view here trusts a session: the confirmation link (signed) and the unsubscribe link (a
secret token) are the authority, and a request without one only sends a confirmation to the
address given. So they are exempt from CSRF: a forged form post achieves nothing the visitor
could not do with the form, and a mail client's one-click unsubscribe (RFC 8058) carries no
token. None of them is cached."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from institute.alerts.models import Listing, Subscription
from institute.alerts.services import (
    Request,
    clean_email,
    request_from_token,
    subscription_cancel,
    subscription_confirm,
    subscription_request,
)
from institute.alerts.targets import TARGETS, search_query

logger = logging.getLogger(__name__)


def _target(listing: str):
    if listing not in Listing.values:
        raise Http404("No such listing.")
    return TARGETS[listing]


def _ask(http_request, *, alert: Request, title: str):
    """The form, and on POST the confirmation email sent; nothing is stored either way."""
    context = {"title": title, "alert": alert, "email": "", "error": ""}
    if http_request.method == "POST":
        raw = http_request.POST.get("email", "")
        context["email"] = raw[:300]
        try:
            alert = Request(
                email=clean_email(raw),
                listing=alert.listing,
                query=alert.query,
                entry_id=alert.entry_id,
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
            return render(http_request, "alerts/subscribe.html", context, status=400)
        try:
            subscription_request(request=alert)
        except OSError as error:  # smtplib's errors are OSErrors: the server is down or refused
            logger.warning("confirmation email not sent: %s", error)
            context["error"] = _(
                "The confirmation email could not be sent just now, so nothing was stored. "
                "Please try again later."
            )
            return render(http_request, "alerts/subscribe.html", context, status=503)
        return render(http_request, "alerts/check_inbox.html", {"email": alert.email})
    return render(http_request, "alerts/subscribe.html", context)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def subscribe_search(request, listing):
    """`/alerts/reforms/?area=economy`: an alert for the search those parameters make."""
    target = _target(listing)
    filterset = target.filterset_for(params=request.GET)
    problems = filterset.problems()
    if problems:
        return render(
            request, "alerts/bad_request.html", {"problems": problems, "target": target}, status=400
        )
    alert = Request(email="", listing=listing, query=search_query(filterset))
    return _ask(
        request, alert=alert, title=_("Email alerts for %(what)s") % {"what": alert.describe()}
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def subscribe_entry(request, listing, slug):
    """`/alerts/reforms/<slug>/`: an alert for one published entry."""
    target = _target(listing)
    entry = target.published_entry(slug=slug)
    if entry is None:
        raise Http404("No such published entry.")
    alert = Request(email="", listing=listing, entry_id=entry.pk)
    return _ask(
        request, alert=alert, title=_("Email alerts for %(what)s") % {"what": alert.describe()}
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The link of the confirmation email: a page with one button (a link scanner that opens
    every link in a message must not subscribe anyone), and on POST the consent stored."""
    try:
        alert = request_from_token(token)
    except signing.SignatureExpired:
        return render(request, "alerts/link_problem.html", {"expired": True}, status=400)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return render(request, "alerts/link_problem.html", {"expired": False}, status=400)
    if alert.listing not in Listing.values:
        return render(request, "alerts/link_problem.html", {"expired": False}, status=400)
    if request.method == "POST":
        subscription = subscription_confirm(request=alert)
        return render(
            request, "alerts/confirmed.html", {"alert": alert, "subscription": subscription}
        )
    return render(request, "alerts/confirm.html", {"alert": alert})


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The link in every message: a page with one button; its POST (also what a mail client's
    one-click unsubscribe sends) deletes the subscription and the address with it."""
    if request.method == "POST":
        if not subscription_cancel(token=token):
            return render(request, "alerts/unsubscribed.html", {"found": False}, status=404)
        return render(request, "alerts/unsubscribed.html", {"found": True})
    subscription = Subscription.objects.filter(token=token).first()
    if subscription is None:
        return render(request, "alerts/unsubscribed.html", {"found": False}, status=404)
    alert = Request(
        email=subscription.email,
        listing=subscription.listing,
        query=subscription.query,
        entry_id=subscription.entry_id,
    )
    return render(request, "alerts/unsubscribe.html", {"alert": alert})
