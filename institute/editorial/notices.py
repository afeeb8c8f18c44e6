"""Reviewers' email notices: an entry entered the review queue, or was assigned to you. Off
unless the reviewer chose them (`ReviewNotices`, the admin's "Email notices" page). Sent through
the one mail path (`institute.mail`) once the move is committed: a move rolled back sends
nothing, and a mail server that refuses costs the move nothing (it is logged; the queue shows
the entry either way)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext

from institute.editorial.models import ReviewAction, ReviewEvent, ReviewNotices
from institute.editorial.rights import has_verb
from institute.mail import absolute_url, send_message

logger = logging.getLogger(__name__)


def after_move(event: ReviewEvent, entry) -> None:
    """Queue the notices a logged move calls for, to be sent after its transaction commits."""
    if event.action == ReviewAction.SUBMIT:
        transaction.on_commit(lambda: _in_site_language(_send_submitted, event, entry))
    elif event.action == ReviewAction.ASSIGN and entry.assigned_reviewer_id:
        transaction.on_commit(lambda: _in_site_language(_send_assigned, event, entry))


def _in_site_language(send, event: ReviewEvent, entry) -> None:
    """In the site's language, whatever the language of the admin the move was made in: the
    reviewers it goes to chose no language (and its links lead to the admin at /admin/)."""
    with translation.override(settings.LANGUAGE_CODE):
        send(event, entry)


def _admin_url(entry) -> str:
    try:
        path = reverse(
            f"admin:{entry._meta.app_label}_{entry._meta.model_name}_change", args=[entry.pk]
        )
    except NoReverseMatch:
        path = reverse("admin:index")
    return absolute_url(path)


def _recipients(*, field: str, users=None):
    chosen = ReviewNotices.objects.filter(**{field: True}).values("user_id")
    rows = get_user_model()._default_manager.filter(pk__in=chosen, is_active=True)
    if users is not None:
        rows = rows.filter(pk__in=users)
    return rows.exclude(Q(email="") | Q(email__isnull=True))


def _send(user, *, subject: str, body: str) -> None:
    try:
        send_message(to=user.email, subject=subject, body=body)
    except OSError as error:
        logger.warning("review notice to user %s not sent: %s", user.pk, error)


def _send_submitted(event: ReviewEvent, entry) -> None:
    kind = entry._meta.verbose_name
    url = _admin_url(entry)
    for user in _recipients(field="on_submitted"):
        # Only to those who may review it, and never about one's own submission.
        if user.pk == event.actor_id or not has_verb(user, entry, "review"):
            continue
        values = {"kind": kind, "entry": entry, "actor": event.actor_label, "url": url}
        _send(
            user,
            subject=gettext("In review: the %(kind)s “%(entry)s”") % values,
            body=gettext(
                "The %(kind)s “%(entry)s” was submitted for review by %(actor)s.\n"
                "\n"
                "Review it: %(url)s\n"
                "\n"
                "You get this because you chose it on the admin's Email notices page; "
                "change that there.\n"
            )
            % values,
        )


def _send_assigned(event: ReviewEvent, entry) -> None:
    kind = entry._meta.verbose_name
    for user in _recipients(field="on_assigned", users=[entry.assigned_reviewer_id]):
        if user.pk == event.actor_id:  # "Assign to me" needs no email
            continue
        values = {
            "kind": kind,
            "entry": entry,
            "actor": event.actor_label,
            "url": _admin_url(entry),
        }
        _send(
            user,
            subject=gettext("Assigned to you: the %(kind)s “%(entry)s”") % values,
            body=gettext(
                "%(actor)s assigned the %(kind)s “%(entry)s” to you for review.\n"
                "\n"
                "Review it: %(url)s\n"
                "\n"
                "You get this because you chose it on the admin's Email notices page; "
                "change that there.\n"
            )
            % values,
        )
