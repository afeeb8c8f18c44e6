"""The changelog of a release, computed from the history, never written: between the release
and the one before it, per table, the entries added, withdrawn (archived or unpublished) and
changed, with the fields that changed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.core.cache import cache
from django.db import models

from institute.datasets.models import Release
from institute.datasets.tables import TABLES, escape_formula
from institute.editorial.diffs import EMPTY, diff
from institute.editorial.history import published_changes
from institute.editorial.models import EntryVersion, editorial_models

HEADER = ["table", "slug", "change", "field", "old", "new", "note"]
SHORT = 120  # characters: a longer value is shown as "changed", not old → new


@dataclass(frozen=True)
class ChangelogRow:
    table: str
    slug: str
    change: str  # added, withdrawn, changed
    field: str = ""
    old: str = ""
    new: str = ""
    note: str = ""  # the publisher's public note on the change

    def cells(self) -> list[str]:
        return [self.table, self.slug, self.change, self.field, self.old, self.new, self.note]


def previous_release(release: Release) -> Release | None:
    earlier = Release.objects.filter(created_at__lt=release.created_at)
    return earlier.order_by("-created_at", "-pk").first()


def table_of(model: type[models.Model]) -> str:
    label = model._meta.label
    return next(t.name for t in TABLES.values() if t.model == label)


def release_changelog(release: Release) -> list[ChangelogRow]:
    """The release's changelog (kept in the cache: history never changes, so neither does it)."""
    before = previous_release(release)
    key = f"release-changelog:{release.pk}:{before.pk if before else 0}"
    found = cache.get(key)
    if found is None:
        found = changelog_between(
            since=before.created_at if before else None, until=release.created_at
        )
        cache.set(key, found, 24 * 3600)
    return found


def changelog_between(*, since, until) -> list[ChangelogRow]:
    changes = published_changes(since=since, until=until, models=editorial_models())
    wanted = {c.before for c in changes} | {c.after for c in changes}
    wanted.discard(None)
    data = {}
    ids = list(wanted)
    for start in range(0, len(ids), 2000):
        for pk, snapshot in EntryVersion.objects.filter(
            pk__in=ids[start : start + 2000]
        ).values_list("pk", "data"):
            data[pk] = snapshot
    rows = []
    for change in changes:
        table = table_of(change.model)
        old, new = data.get(change.before), data.get(change.after)
        slug = (new or old or {}).get("slug", "")
        if change.kind != "changed":
            rows.append(ChangelogRow(table, slug, change.kind, note=change.note))
            continue
        for field in diff(change.model, old, new):
            a, b = _text(field.old), _text(field.new)
            if len(a) > SHORT or len(b) > SHORT:
                a, b = "", "changed"
            rows.append(ChangelogRow(table, slug, "changed", field.name, a, b, change.note))
    return rows


def _text(value) -> str:
    if isinstance(value, list):
        return "; ".join(value)
    return "" if value == EMPTY else str(value)


def changelog_csv(rows: list[ChangelogRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([escape_formula(c) for c in row.cells()] for row in rows)
    return out.getvalue()
