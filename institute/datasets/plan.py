"""Planning an import: per row, create, update or nothing, against what editors work on now
(the working copy of a published entry, else the row). Planning reads only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType

from institute.datasets.clean import Lookups
from institute.datasets.tables import Table
from institute.editorial.diffs import diff
from institute.editorial.models import Editorial, PendingRevision
from institute.editorial.versions import children_of, m2m_fields, scalar_fields, snapshots

PLAN_CHUNK = 500  # entries whose current state is read in one go
# Rows that change something whose field-by-field changes are worked out for a preview (the
# preview lists that many: institute.datasets.admin_import); unchanged rows do not count.
PREVIEW_LIMIT = 500
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass
class Outcome:
    """What one row does: create, update or nothing, and (for a preview) what changes."""

    line: int
    key: str
    action: str
    changes: list = field(default_factory=list)


def no_rows() -> Counter:
    """The counts of a file of which no row is planned yet."""
    return Counter({NEW: 0, UPDATED: 0, UNCHANGED: 0})


@dataclass
class ImportReport:
    table: str
    # Each row's outcome, when the run kept them (`Plan.detail`); the counts always.
    outcomes: list[Outcome]
    notices: list[str]
    dry_run: bool
    # What the plan was made against: the version of each existing entry it read ("label:pk"),
    # and the keys it creates. A confirmation passes it back (run_import's `planned_against`).
    basis: dict = field(default_factory=dict)
    counts: Counter = field(default_factory=no_rows)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        c = self.counts
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.table}: {c[NEW]} new, {c[UPDATED]} updated, {c[UNCHANGED]} unchanged "
            f"({'dry run: nothing ' + verb + ' written' if self.dry_run else 'written'}), 0 errors."
        )


@dataclass
class Planned:
    """An existing entry the file changes: as editors left it, and as the file's rows so far
    leave it (several rows of a child table may change one entry)."""

    entry: Editorial
    old: dict
    new: dict


@dataclass
class Plan:
    """Every change of the rows planned so far, decided before they are written. An import
    plans and writes a file a part at a time (institute.datasets.importer): `written()` then
    forgets the part's changes and keeps only what the report needs."""

    table: Table
    creates: list[tuple[int, dict]] = field(default_factory=list)  # (line, snapshot)
    updates: dict[tuple[str, int], Planned] = field(default_factory=dict)  # by (model, pk)
    outcomes: list[Outcome] = field(default_factory=list)
    preview: bool = False  # work out field-by-field changes for a person to read
    # Keep each row's outcome and the basis (a person reads them: the admin's preview and
    # report); without, only the counts, so that a file of a million rows is not held.
    detail: bool = True
    counts: Counter = field(default_factory=no_rows)
    versions: dict[str, int] = field(default_factory=dict)  # the basis of parts written

    def record(self, outcome: Outcome) -> None:
        self.counts[outcome.action] += 1
        if self.detail:
            self.outcomes.append(outcome)

    def vouched_unchanged(self, line: int, key: str, pk: int, version: int) -> None:
        """A row the database found to be what the public file writes for its entry
        (institute.datasets.unchanged): unchanged, planned against the entry at `version`."""
        self.record(Outcome(line, key, UNCHANGED))
        if self.detail:
            self.versions[f"{self.table.get_model()._meta.label}:{pk}"] = version

    def wants_changes(self) -> bool:
        changed = self.counts[NEW] + self.counts[UPDATED]
        return self.preview and self.detail and changed < PREVIEW_LIMIT

    def written(self) -> None:
        """The planned changes are written: keep their basis (when kept), forget them."""
        if self.detail:
            self.versions.update(self._versions())
        self.creates, self.updates = [], {}

    def _versions(self) -> dict[str, int]:
        return {f"{lb}:{pk}": p.entry.version for (lb, pk), p in self.updates.items()}

    def basis(self) -> dict:
        return {
            "versions": {**self.versions, **self._versions()},
            "new": sorted(o.key for o in self.outcomes if o.action == NEW),
        }


def working_snapshot(entry) -> dict:
    """What an editor works on: the pending working copy of a published entry, else the row."""
    return working_snapshots([entry])[entry.pk]


def working_snapshots(entries: list) -> dict:
    """`working_snapshot` of many entries of one model, in a fixed number of queries."""
    if not entries:
        return {}
    content_type = ContentType.objects.get_for_model(type(entries[0]))
    revisions = dict(
        PendingRevision.objects.filter(
            content_type=content_type, object_id__in=[e.pk for e in entries]
        ).values_list("object_id", "data")
    )
    out = snapshots([e for e in entries if e.pk not in revisions])
    out.update({pk: dict(data) for pk, data in revisions.items()})
    return out


def _blank_snapshot(model) -> dict:
    data = {}
    for f in scalar_fields(model):
        default = f.get_default()
        data[f.name] = "" if default is None and not f.null else default
    for f in m2m_fields(model):
        data[f.name] = []
    for child in children_of(model):
        data[child.name] = []
    return data


def merge_entry(table: Table, snap: dict, row: dict, lookups: Lookups) -> dict:
    """The entry's snapshot with the cleaned row's columns applied (absent columns untouched)."""
    new = {k: (list(v) if isinstance(v, list) else v) for k, v in snap.items()}
    for column in table.columns:
        if column.name in row:
            column.cell.merge(new, row[column.name], column, lookups)
    return new


def plan_entries(plan: Plan, rows: list[tuple[int, dict]], lookups: Lookups, progress=None):
    """Rows of an entry table (reforms, recommendations, sources), by slug, in chunks."""
    table = plan.table
    targets = [
        (line, row["slug"], lambda snap, row=row: merge_entry(table, snap, row, lookups))
        for line, row in rows
    ]
    return plan_targets(plan, targets, progress=progress)


def plan_targets(plan: Plan, targets: list[tuple[int, str, Callable[[dict], dict]]], progress=None):
    """Entries by slug, each with how it should be: `build(snapshot)` returns the new snapshot
    from the current one (a blank one for a new entry) without changing it. The CSV import
    builds it from a row; the content loader from a YAML entry."""
    model = plan.table.get_model()
    blank = _blank_snapshot(model)
    total = len(targets)
    for start in range(0, total, PLAN_CHUNK):
        chunk = targets[start : start + PLAN_CHUNK]
        existing = {
            e.slug: e for e in model._default_manager.filter(slug__in=[k for _, k, _ in chunk])
        }
        current = working_snapshots(list(existing.values()))
        for line, key, build in chunk:
            entry = existing.get(key)
            if entry is None:
                snap = build(blank)
                plan.creates.append((line, snap))
                changes = diff(model, None, snap) if plan.wants_changes() else []
                plan.record(Outcome(line, key, NEW, changes))
                continue
            old = current[entry.pk]
            record_update(plan, entry, old, build(old), line, key)
        if progress:
            progress("planned", min(start + PLAN_CHUNK, total), total)
    return plan


def record_update(
    plan: Plan, entry: Editorial, old: dict, new: dict, line: int, key: str, *, adds=False
):
    """A row leaves `entry` as `new` (from `old`, as the file's earlier rows left it); `adds`:
    the row is a new child row of the entry (a citation, a response), counted as new."""
    model = type(entry)
    planned = plan.updates.get((model._meta.label, entry.pk))
    if planned is None:
        planned = plan.updates[(model._meta.label, entry.pk)] = Planned(entry, old, old)
    before, planned.new = planned.new, new
    if before == new:
        plan.record(Outcome(line, key, UNCHANGED))
        return
    # Field-by-field changes are for the preview; past its length only the verdict counts.
    changes = diff(model, before, new) if plan.wants_changes() else []
    plan.record(Outcome(line, key, NEW if adds else UPDATED, changes))


def preload_owners(plan: Plan, model, pks) -> None:
    """Read the current state of every entry a child-table file touches, in bulk."""
    wanted = [pk for pk in set(pks) if (model._meta.label, pk) not in plan.updates]
    for start in range(0, len(wanted), PLAN_CHUNK):
        entries = list(model._default_manager.filter(pk__in=wanted[start : start + PLAN_CHUNK]))
        by_pk = {e.pk: e for e in entries}
        for pk, snap in working_snapshots(entries).items():
            plan.updates[(model._meta.label, pk)] = Planned(by_pk[pk], snap, snap)


def owner_snapshot(plan: Plan, model, pk) -> tuple[Editorial, dict]:
    """The entry a child row belongs to, and its snapshot as the file leaves it so far."""
    planned = plan.updates.get((model._meta.label, pk))
    if planned is not None:
        return planned.entry, planned.new
    entry = model._default_manager.get(pk=pk)
    return entry, working_snapshot(entry)
