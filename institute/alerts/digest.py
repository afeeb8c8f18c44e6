"""The daily digest: to each subscription, the published changes to what it follows since its
last message. Run by `manage.py send_alerts` (cron or a systemd timer, once a day)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import ngettext

from institute import translations
from institute.alerts.models import Subscription
from institute.alerts.services import unsubscribe_url
from institute.alerts.targets import TARGETS, describe_search
from institute.editorial.history import publications_between, with_first_publication
from institute.editorial.models import PublicationKind
from institute.listings.filters import quoted
from institute.mail import absolute_url, send_message

logger = logging.getLogger(__name__)


@dataclass
class Change:
    title: str
    url: str
    new: bool  # first published in the window; otherwise a new version of it went live


@dataclass
class Outcome:
    sent: int = 0
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)


def _changes(target, since, until, ids_in_scope) -> list[Change]:
    """The entries of `ids_in_scope` (a queryset of published rows) that had a version made live
    in (since, until], each once, in title order. A change later withdrawn is not sent: what the
    public no longer sees is no news to follow."""
    window = publications_between(since, until, model=target.model).filter(
        kind=PublicationKind.PUBLISHED
    )
    changed = set(window.values_list("object_id", flat=True))
    if not changed:
        return []
    rows = with_first_publication(ids_in_scope.filter(pk__in=changed)).order_by("title", "pk")
    return [
        Change(
            title=translations.translated(row, "title").value,
            url=absolute_url(row.get_absolute_url()),
            new=row.first_published_at > since,
        )
        for row in rows
    ]


def subscription_changes(subscription: Subscription, until) -> list[Change]:
    target = TARGETS[subscription.listing]
    if subscription.entry_id is not None:
        scope = target.model.objects.published().filter(pk=subscription.entry_id)
    else:
        filterset = target.filterset(subscription.query)
        if filterset.problems():
            # A value the search was made with no longer holds (its recommendation archived,
            # its topic gone): the listing would drop that filter and follow more than was
            # asked for. Nothing is sent for it until the value holds again.
            return []
        scope = filterset.qs
    return _changes(target, subscription.sent_until, until, scope)


def send_digests(*, until=None) -> Outcome:
    """One message per subscription with changes; `sent_until` moves on only once its message
    has left, so a failed one is sent again, whole, on the next run."""
    until = until or timezone.now()
    outcome = Outcome()
    for subscription in Subscription.objects.filter(sent_until__lt=until).iterator():
        # In the subscriber's language: the words, the titles and the links' pages.
        with translation.override(subscription.language):
            changes = subscription_changes(subscription, until)
        if changes:
            try:
                with translation.override(subscription.language):
                    _send(subscription, changes)
            except Exception as error:  # the mail server refused or is down: the next run retries
                logger.warning("digest to subscription %s not sent: %s", subscription.pk, error)
                outcome.failed.append(f"subscription {subscription.pk}: {error}")
                continue
            outcome.sent += 1
        else:
            outcome.unchanged += 1
        Subscription.objects.filter(pk=subscription.pk).update(sent_until=until)
    return outcome


def _send(subscription: Subscription, changes: list[Change]) -> None:
    target = TARGETS[subscription.listing]
    if subscription.entry_id is not None:
        what = quoted(changes[0].title)
        page = changes[0].url
    else:
        what = describe_search(target, subscription.query)
        page = absolute_url(target.list_url(subscription.query))
    link = unsubscribe_url(subscription)
    n = len(changes)
    send_message(
        to=subscription.email,
        subject=ngettext("%(count)s change to %(what)s", "%(count)s changes to %(what)s", n)
        % {"count": n, "what": what},
        body=render_to_string(
            "alerts/email/digest.txt",
            {"what": what, "page_url": page, "changes": changes, "unsubscribe_url": link},
        ),
        unsubscribe_url=link,
    )
