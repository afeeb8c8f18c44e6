"""An entry's history, append-only: every version saved (`EntryVersion`) and every change of
what the public sees (`Publication`); and what is read from it (who wrote the work in review,
what the public saw at a moment)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Min, OuterRef, QuerySet, Subquery

from institute.editorial.models import (
    EntryVersion,
    Publication,
    PublicationKind,
    ReviewAction,
    ReviewEvent,
    VersionKind,
)
from institute.editorial.rights import recorded_user
from institute.editorial.versions import content_type_of, snapshot

if TYPE_CHECKING:
    from datetime import datetime

    from institute.editorial.models import Editorial


def record_version(
    entry: Editorial,
    *,
    by,
    kind: str,
    data: dict | None = None,
    working_copy: bool = False,
    comment: str = "",
) -> EntryVersion:
    """Store version `entry.version` of the entry: its snapshot now, or `data` when given."""
    return EntryVersion.objects.create(
        content_type=content_type_of(entry),
        object_id=entry.pk,
        number=entry.version,
        kind=kind,
        working_copy=working_copy,
        data=snapshot(entry) if data is None else data,
        comment=comment[:300],
        created_by=recorded_user(by),
    )


def ensure_baseline(entry: Editorial) -> EntryVersion:
    """The entry's current version as recorded. An entry that predates versioning, or was built
    without the write path (the shell, a data migration), gets what it is now recorded as its
    current version first, so that history starts complete."""
    found = EntryVersion.objects.for_entry(entry).filter(number=entry.version).first()
    if found is not None:
        return found
    fresh = type(entry)._default_manager.get(pk=entry.pk)
    return record_version(fresh, by=None, kind=VersionKind.BASELINE)


def bump_version(entry: Editorial) -> None:
    """Count one more saved version without saving the row (a working-copy save): the lock
    counter moves so stale forms are refused, and the public fields stay as they are."""
    type(entry)._default_manager.filter(pk=entry.pk).update(version=models.F("version") + 1)
    entry.version = type(entry)._default_manager.values_list("version", flat=True).get(pk=entry.pk)


def record_publication(entry: Editorial, *, by, comment: str = "") -> Publication:
    """The entry's current version has just gone live (the row now holds it): say so, with who
    and when."""
    return Publication.objects.create(
        content_type=content_type_of(entry),
        object_id=entry.pk,
        kind=PublicationKind.PUBLISHED,
        version=ensure_baseline(entry),
        created_by=recorded_user(by),
        comment=comment,
    )


def record_withdrawal(entry: Editorial, *, by, comment: str = "") -> Publication:
    """The entry has just been taken off the public site."""
    return Publication.objects.create(
        content_type=content_type_of(entry),
        object_id=entry.pk,
        kind=PublicationKind.WITHDRAWN,
        created_by=recorded_user(by),
        comment=comment,
    )


def ever_published(entry: Editorial) -> bool:
    """Whether the public ever saw the entry."""
    return Publication.objects.for_entry(entry).exists()


def public_version_at(entry: Editorial, when: datetime) -> EntryVersion | None:
    """What the public saw of the entry at `when`, read from the history alone (None: nothing)."""
    last = (
        Publication.objects.for_entry(entry)
        .filter(created_at__lte=when)
        .select_related("version")
        .first()
    )
    return last.version if last is not None else None


def public_dates(entry: Editorial) -> tuple[datetime | None, datetime | None]:
    """When the public first saw the entry and when what it sees last changed (its latest
    publication), read from the history alone: what "Cite this", BibTeX and RIS give as the
    entry's dates. (None, None) for an entry never published."""
    dates = list(
        Publication.objects.for_entry(entry)
        .filter(kind=PublicationKind.PUBLISHED)
        .values_list("created_at", flat=True)
    )
    return (min(dates), max(dates)) if dates else (None, None)


def with_last_published(qs: QuerySet) -> QuerySet:
    """`qs` annotated with `last_published`, the time of each entry's latest publication (one
    subquery, not one query a row): a sitemap's `lastmod`."""
    latest = Publication.objects.filter(
        content_type=content_type_of(qs.model),
        object_id=OuterRef("pk"),
        kind=PublicationKind.PUBLISHED,
    ).order_by("-created_at", "-pk")
    return qs.annotate(last_published=Subquery(latest.values("created_at")[:1]))


def last_published_number(entry: Editorial) -> int:
    """The number of the version last made live (0 if none ever was)."""
    numbers = Publication.objects.for_entry(entry).filter(kind=PublicationKind.PUBLISHED)
    return numbers.values_list("version__number", flat=True).first() or 0


def authors_of(entry: Editorial) -> set[int]:
    """Everyone who wrote any of the work in review, and so may not approve it: whoever saved a
    version of the entry, or submitted it, since the version last published (since its creation
    if it never was). Roles combine, so a reviewer who wrote a line of it is its author."""
    since = last_published_number(entry)
    versions = EntryVersion.objects.for_entry(entry).filter(number__gt=since)
    saved = set(versions.exclude(created_by=None).values_list("created_by", flat=True))
    submits = ReviewEvent.objects.for_entry(entry).filter(
        action=ReviewAction.SUBMIT, version__gt=since
    )
    submitted = set(submits.exclude(actor=None).values_list("actor", flat=True))
    current = {pk for pk in (entry.submitted_by_id,) if pk is not None}
    return saved | submitted | current


def with_first_publication(queryset: QuerySet) -> QuerySet:
    """The entries annotated with `first_published_at`: when the public first saw each, read from
    the history. The row's `published_at` moves on with every publication of a new version; a
    feed that dated an entry by it would show an edited entry as new."""
    first = (
        Publication.objects.filter(
            content_type=content_type_of(queryset.model),
            object_id=OuterRef("pk"),
            kind=PublicationKind.PUBLISHED,
        )
        .order_by()
        .values("object_id")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    return queryset.annotate(first_published_at=Subquery(first))


def published_changes(since: datetime, until: datetime, *, model=None) -> QuerySet[Publication]:
    """The changes the public saw in (since, until]: every version made live (a new entry or a
    new version of one) and every withdrawal, oldest first; of one model's entries if given.
    Drafts and working copies never appear: only publications are read."""
    changes = Publication.objects.filter(created_at__gt=since, created_at__lte=until)
    if model is not None:
        changes = changes.filter(content_type=content_type_of(model))
    return changes.select_related("version").order_by("created_at", "pk")
