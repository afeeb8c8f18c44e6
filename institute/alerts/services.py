"""Subscribing and unsubscribing: the writes of `Subscription`.

Double opt-in without storing an unconfirmed address: the request is sent to the address as a
signed, dated link, and only following it (and pressing Confirm) writes the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from institute import translations
from institute.alerts.models import Subscription, new_token
from institute.alerts.targets import TARGETS, describe_search
from institute.listings.filters import quoted
from institute.mail import absolute_url, send_message

CONFIRM_SALT = "institute.alerts.confirm"
CONFIRM_MAX_AGE = timedelta(days=3)


@dataclass(frozen=True)
class Request:
    """What a visitor asked to follow, before and after the confirmation link."""

    email: str
    listing: str
    query: str = ""
    entry_id: int | None = None
    # The language the visitor asked in: the messages are written in it, their links lead to
    # its pages (institute.languages).
    language: str = settings.LANGUAGE_CODE

    @property
    def target(self):
        return TARGETS[self.listing]

    def describe(self) -> str:
        if self.entry_id is not None:
            entry = self.target.published_entry(pk=self.entry_id)
            if entry is None:
                return _("an entry no longer published")
            return quoted(translations.translated(entry, "title").value)
        return describe_search(self.target, self.query)

    def page_url(self) -> str:
        if self.entry_id is not None:
            entry = self.target.published_entry(pk=self.entry_id)
            return entry.get_absolute_url() if entry else self.target.list_url()
        return self.target.list_url(self.query)


def clean_email(raw: str) -> str:
    email = BaseUserManager.normalize_email((raw or "").strip())
    if len(email) > 254:
        raise ValidationError(_("That address is too long (at most 254 characters)."))
    validate_email(email)
    return email


def subscription_request(*, request: Request) -> None:
    """Send the confirmation link. Nothing is stored: the link holds the request, signed."""
    token = signing.dumps(
        {
            "e": request.email,
            "l": request.listing,
            "q": request.query,
            "i": request.entry_id,
            "g": request.language,
        },
        salt=CONFIRM_SALT,
        compress=True,
    )
    context = {
        "what": request.describe(),
        "page_url": absolute_url(request.page_url()),
        "confirm_url": absolute_url(reverse("alerts:confirm", kwargs={"token": token})),
        "days": CONFIRM_MAX_AGE.days,
    }
    send_message(
        to=request.email,
        subject=_("Confirm your alert: %(what)s") % {"what": context["what"]},
        body=render_to_string("alerts/email/confirm.txt", context),
    )


def request_from_token(token: str) -> Request:
    """The request a confirmation link carries; `signing.BadSignature` (or its subclass
    `SignatureExpired`) if it was altered or is too old."""
    data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    return Request(
        email=data["e"],
        listing=data["l"],
        query=data["q"],
        entry_id=data["i"],
        # A link sent before the language was kept is in the default language.
        language=data.get("g") or settings.LANGUAGE_CODE,
    )


def subscription_confirm(*, request: Request) -> Subscription:
    """Store the consent: the subscription starts now (earlier changes are not sent). A second
    confirmation of the same request keeps the first subscription."""
    now = timezone.now()
    same = Subscription.objects.filter(
        email=request.email, listing=request.listing, query=request.query, entry_id=request.entry_id
    )
    found = same.first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                email=request.email,
                listing=request.listing,
                query=request.query,
                entry_id=request.entry_id,
                language=request.language,
                token=new_token(),
                confirmed_at=now,
                sent_until=now,
            )
    except IntegrityError:  # the same link confirmed twice at once: the other one won
        return same.get()


def subscription_cancel(*, token: str) -> bool:
    """Unsubscribe: the row, and with it the address, is deleted. False if there was none."""
    deleted, _by_model = Subscription.objects.filter(token=token).delete()
    return deleted > 0


def unsubscribe_url(subscription: Subscription) -> str:
    return absolute_url(reverse("alerts:unsubscribe", kwargs={"token": subscription.token}))
