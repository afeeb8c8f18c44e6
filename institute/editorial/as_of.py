"""What the public saw at a moment, read through the ordinary public paths.

`public_state_at(when)` opens a transaction that is always rolled back, and in it sets the rows
of every entry whose public state changed after `when` back to what the public saw then: the
version of its last publication before `when` applied to its rows, published; or, if it was not
public then (never yet published, or withdrawn), taken off the public rows. Entries nothing was
published of since keep their rows, which already hold what the public sees. Inside the block,
everything that starts from `published()` (the table writers, the API's records) reads the past
with the same code, and so the same bytes, as it reads the present: there is no second writer of
old rows. Nothing is kept: the rollback undoes it all, the listing generation's counter with it.

Drafts, working copies and entries never public are never made visible: only versions named
by a `Publication` are applied. What is not versioned (topics, themes) is read as it is now.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from institute.editorial.models import Publication, PublicationKind, editorial_models
from institute.editorial.states import ReviewState
from institute.editorial.versions import apply_snapshot, content_type_of


class BadMoment(ValueError):
    """An `as_of` value that names no moment we can answer for."""


def parse_moment(value: str, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment an `as_of` value names: a date (YYYY-MM-DD: the end of that day, in the
    site's time zone, so that day's publications count) or a timestamp (ISO 8601; without an
    offset, in the site's time zone). BadMoment, with a sentence saying why, otherwise. A moment
    after `now` answers for now: the history knows nothing later, and the response names the
    moment it answers for."""
    text = value.strip()
    now = now or timezone.now()
    try:
        day = parse_date(text)
        moment = parse_datetime(text) if day is None else None
    except ValueError:
        raise BadMoment(f"“{text[:40]}” is not a real date or time.") from None
    if day is not None:
        moment = datetime.datetime.combine(day, datetime.time.max)
    if moment is None:
        raise BadMoment(
            f"“{text[:40]}” is not a date (YYYY-MM-DD) or a timestamp "
            "(YYYY-MM-DDTHH:MM:SS, optionally with an offset such as +05:00)."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        moment = moment.astimezone(datetime.UTC)
    except OverflowError:  # an offset past the first or last representable moment
        return now if moment.year == datetime.MAXYEAR else EARLIEST
    return min(moment, now)


# Before anything was published: what an earlier moment, however early, answers for.
EARLIEST = datetime.datetime(1, 1, 2, tzinfo=datetime.UTC)


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Within the block every read sees the database as one moment left it, so that a publish
    committed meanwhile cannot reach half of what is read: a transaction, on PostgreSQL made
    REPEATABLE READ when the block is outside any transaction (SQLite's is a snapshot as it
    is)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@contextmanager
def public_state_at(when: datetime.datetime) -> Iterator[datetime.datetime]:
    """Within the block, the public rows are those of `when` (see the module). Everything in it
    is rolled back, whatever happens; so nothing read in it may leave it unread (stream into a
    file first). The block is `one_snapshot()`."""
    with one_snapshot():
        try:
            _replay(when)
            yield when
        finally:
            transaction.set_rollback(True)


def _replay(when: datetime.datetime) -> None:
    for model in editorial_models():
        kind = content_type_of(model)
        since = Publication.objects.filter(content_type=kind, created_at__gt=when)
        changed = set(since.values_list("object_id", flat=True))
        if not changed:
            continue
        then: dict[int, Publication] = {}
        before = (
            Publication.objects.filter(content_type=kind, object_id__in=changed)
            .filter(created_at__lte=when)
            .select_related("version")
            .order_by("object_id", "-created_at", "-pk")
        )
        for publication in before:
            then.setdefault(publication.object_id, publication)
        rows = model._default_manager
        for entry in rows.filter(pk__in=changed).order_by("pk"):
            last = then.get(entry.pk)
            # Direct updates, not the workflow: this replays history in a transaction that is
            # rolled back, it moves nothing.
            if last is None or last.kind == PublicationKind.WITHDRAWN:
                rows.filter(pk=entry.pk).update(review_state=ReviewState.ARCHIVED)
                continue
            apply_snapshot(entry, last.version.data, validate=False)
            rows.filter(pk=entry.pk).update(
                review_state=ReviewState.PUBLISHED, published_at=last.created_at
            )
