"""An entry's history, append-only: every version saved (`EntryVersion`) and every change of
what the public sees (`Publication`); and what is read from it (who wrote the work in review,
what the public saw at a moment)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from django.db import models
from django.db.models import Max, Min, OuterRef, QuerySet, Subquery

from institute.editorial.diffs import Change, public_diff
from institute.editorial.models import (
    EntryVersion,
    Publication,
    PublicationKind,
    ReviewAction,
    ReviewEvent,
    VersionKind,
    editorial_models,
)
from institute.editorial.rights import recorded_user
from institute.editorial.versions import content_type_of, snapshot

if TYPE_CHECKING:
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


def record_publication(
    entry: Editorial, *, by, comment: str = "", public_note: str = ""
) -> Publication:
    """The entry's current version has just gone live (the row now holds it): say so, with who
    and when, and the publisher's note to readers, if any."""
    return Publication.objects.create(
        content_type=content_type_of(entry),
        object_id=entry.pk,
        kind=PublicationKind.PUBLISHED,
        version=ensure_baseline(entry),
        created_by=recorded_user(by),
        comment=comment,
        public_note=public_note.strip()[:300],
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


class PublicDates(NamedTuple):
    first_published: datetime | None
    last_changed: datetime | None


def public_dates(entry: Editorial) -> PublicDates:
    """When the public first saw the entry and when what it sees last changed (its latest
    publication), read from the history alone: the dates "Cite this", BibTeX and RIS give and
    the page's "first published … last changed". (None, None) for an entry never published."""
    dates = (
        Publication.objects.for_entry(entry)
        .filter(kind=PublicationKind.PUBLISHED)
        .aggregate(first=Min("created_at"), last=Max("created_at"))
    )
    return PublicDates(dates["first"], dates["last"])


def with_last_published(qs: QuerySet) -> QuerySet:
    """`qs` annotated with `last_published`, the time of each entry's latest publication (one
    subquery, not one query a row): a sitemap's `lastmod`."""
    latest = Publication.objects.filter(
        content_type=content_type_of(qs.model),
        object_id=OuterRef("pk"),
        kind=PublicationKind.PUBLISHED,
    ).order_by("-created_at", "-pk")
    return qs.annotate(last_published=Subquery(latest.values("created_at")[:1]))


def latest_publication(qs: QuerySet):
    """The time of the latest publication of any entry in `qs` (None if none was ever
    published), in one query: a sitemap's `lastmod` for all its pages, as the index gives it."""
    return (
        Publication.objects.filter(
            content_type=content_type_of(qs.model),
            object_id__in=qs.values("pk"),
            kind=PublicationKind.PUBLISHED,
        )
        .aggregate(latest=Max("created_at"))
        .get("latest")
    )


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


def publications_between(since: datetime, until: datetime, *, model=None) -> QuerySet[Publication]:
    """The changes the public saw in (since, until]: every version made live (a new entry or a
    new version of one) and every withdrawal, oldest first; of one model's entries if given.
    Drafts and working copies never appear: only publications are read."""
    changes = Publication.objects.filter(created_at__gt=since, created_at__lte=until)
    if model is not None:
        changes = changes.filter(content_type=content_type_of(model))
    return changes.select_related("version").order_by("created_at", "pk")


@dataclass(frozen=True)
class PublishedChange:
    """How what the public saw of one entry changed between two moments: the version public
    at the first (`before`) and at the second (`after`), ids of `EntryVersion` (None: not
    public then); `at`, the last publication between them, and its public note."""

    model: type
    object_id: int
    before: int | None
    after: int | None
    at: datetime
    note: str

    @property
    def kind(self) -> str:
        if self.after is None:
            return "withdrawn"
        return "added" if self.before is None else "changed"


def _publications_touched(model, since, until):
    """The publications up to `until` of the entries of `model` with one after `since`, in
    order, as (object_id, version id or None, at, public note)."""
    kind = content_type_of(model)
    window = Publication.objects.filter(content_type=kind, created_at__lte=until)
    if since is not None:
        window = window.filter(created_at__gt=since)
    touched = set(window.values_list("object_id", flat=True))
    if not touched:
        return []
    rows = (
        Publication.objects.filter(content_type=kind, created_at__lte=until)
        .filter(object_id__in=touched)
        .order_by("created_at", "pk")
        .values_list("object_id", "kind", "version_id", "created_at", "public_note")
    )
    return [
        (oid, version if pkind == PublicationKind.PUBLISHED else None, at, note)
        for oid, pkind, version, at, note in rows
    ]


def publication_events(
    *, since: datetime | None, until: datetime, models: list[type] | None = None
) -> list[PublishedChange]:
    """Each publication and withdrawal between `since` and `until`, as the change it made to
    what the public saw of its entry (from the version public just before it), newest first:
    the site's recent changes."""
    out = []
    for model in models or editorial_models():
        live: dict[int, int | None] = {}
        for object_id, version, at, note in _publications_touched(model, since, until):
            if since is None or at > since:
                out.append(
                    PublishedChange(model, object_id, live.get(object_id), version, at, note)
                )
            live[object_id] = version
    out.sort(key=lambda c: (c.at, c.object_id), reverse=True)
    return out


def published_changes(
    *, since: datetime | None, until: datetime, models: list[type] | None = None
) -> list[PublishedChange]:
    """Every entry whose public version differs between `since` (None: before anything was
    published) and `until`, read from the publications alone: the changelog of a release and
    the record of recent changes. An entry published again at the version it had (withdrawn and
    restored) is no change. Ordered by model, then by the moment of the change."""
    out = []
    for model in models or editorial_models():
        state: dict[int, dict] = {}
        for object_id, live, at, note in _publications_touched(model, since, until):
            seen = state.setdefault(object_id, {"before": None})
            if since is not None and at <= since:
                seen["before"] = live
            else:
                seen.update(after=live, at=at, note=note)
        for object_id, seen in state.items():
            if seen["before"] != seen["after"]:
                out.append(
                    PublishedChange(
                        model, object_id, seen["before"], seen["after"], seen["at"], seen["note"]
                    )
                )
    order = {m: i for i, m in enumerate(models or editorial_models())}
    out.sort(key=lambda c: (order[c.model], c.at, c.object_id))
    return out


@dataclass(frozen=True)
class PublicEvent:
    """One change of what the public saw of an entry, for its public history: a version made
    live (its number, and its fields changed from the version public before it) or the entry
    withdrawn; with the publisher's public note. Never a draft, a working copy, a review comment
    or a reviewer's name."""

    at: datetime
    kind: str  # PublicationKind
    number: int | None
    changes: list[Change]
    first: bool  # the first time the public saw the entry
    note: str


def public_record(entry: Editorial) -> list[PublicEvent]:
    """Every change of what the public saw of the entry, newest first, in two queries (the
    publications with their versions, and the names of linked entries a diff shows)."""
    publications = (
        Publication.objects.for_entry(entry).select_related("version").order_by("created_at", "pk")
    )
    events, previous = [], None
    for publication in publications:
        data = publication.version.data if publication.version_id else None
        changes = []
        if data is not None and previous is not None:
            changes = public_diff(type(entry), previous, data)
        events.append(
            PublicEvent(
                at=publication.created_at,
                kind=publication.kind,
                number=publication.version.number if publication.version_id else None,
                changes=changes,
                first=data is not None and previous is None,
                note=publication.public_note,
            )
        )
        if data is not None:
            previous = data
    return events[::-1]
