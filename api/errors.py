"""Every refusal in one shape (the schema's Problem): a sentence in `detail`; for bad
parameters also `problems`, one line each, and `parameters`, the messages by parameter."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


def messages(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [m for item in value for m in messages(item)]
    if isinstance(value, dict):
        return [m for item in value.values() for m in messages(item)]
    return [str(value)]


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Throttled):
        rate = settings.API_THROTTLE_RATE
        if exc.wait is not None:
            # The English says "second(s)" in both forms, as it always has.
            detail = ngettext(
                "Too many requests from this address: the limit is %(rate)s. Try again in "
                "%(wait)s second(s) (see Retry-After).",
                "Too many requests from this address: the limit is %(rate)s. Try again in "
                "%(wait)s second(s) (see Retry-After).",
                exc.wait,
            ) % {"rate": rate, "wait": exc.wait}
        else:
            detail = _(
                "Too many requests from this address: the limit is %(rate)s. Try again later "
                "(see Retry-After)."
            ) % {"rate": rate}
        response.data = {"detail": detail}
    elif isinstance(exc, ValidationError):
        data = response.data if isinstance(response.data, dict) else {"": response.data}
        parameters = {name: messages(value) for name, value in data.items()}
        response.data = {
            "detail": _("The request's parameters were refused; nothing was listed."),
            "problems": [
                f"{name}: {message}" if name else message
                for name, found in parameters.items()
                for message in found
            ],
            "parameters": parameters,
        }
    return response
