"""The one mail path: every message the tracker sends (visitors' confirmations and digests,
reviewers' notices) is built here and goes through Django's email backend (EMAIL_* settings).
A module of its own, depending on nothing of ours, so the editorial core can send too."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage


def absolute_url(path: str) -> str:
    """`path` on the public site: a message is read far from any request, and a command that
    sends one has none to take the host from."""
    base = settings.SITE_URL.rstrip("/")
    if not base:
        raise ImproperlyConfigured(
            "SITE_URL is not set: messages need the site's address, e.g. https://tracker.example.org"
        )
    return base + path


def send_message(*, to: str, subject: str, body: str, unsubscribe_url: str | None = None) -> None:
    """Send one plain-text message to one address. A message about a subscription carries its
    one-click unsubscribe (RFC 2369 List-Unsubscribe, RFC 8058 List-Unsubscribe-Post: the mail
    client POSTs to the link and the subscription is deleted). Errors of the mail server are
    raised, never swallowed: the caller decides what was not sent."""
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # One subject line: a title with a line break would otherwise make Django refuse the header.
    subject = " ".join(subject.split())
    EmailMessage(subject=subject, body=body, to=[to], headers=headers).send(fail_silently=False)
