"""Writing a plan through the write path (institute.editorial.edits): new entries in its batch
form, changed ones one by one. Inside the importer's transaction."""

from __future__ import annotations

from institute.datasets.parse import ImportRefused, Problem
from institute.datasets.plan import Plan
from institute.editorial.edits import (
    BatchInvalid,
    StaleEdit,
    check_entries,
    create_entries,
    save_edit,
)
from institute.editorial.models import VersionKind
from institute.editorial.rights import recorded_user

CREATE_CHUNK = 2000  # new entries checked and written at a time: what a batch holds in memory


def _create(plan: Plan, *, by, comment: str, kind: str, write: bool, progress=None) -> list:
    """New entries, through the write path's batch form, a chunk at a time (so that its model
    instances and checked snapshots are never held for the whole file); a row it refuses is
    named by its line. Every chunk is checked even after one is refused, so that the refusal
    names every such row; what was written is undone by the caller's transaction. Not `write`:
    only checked (an earlier part of the file was refused)."""
    model = plan.table.get_model()
    created, problems = [], []
    total = len(plan.creates)
    for start in range(0, total, CREATE_CHUNK):
        chunk = [snap for _, snap in plan.creates[start : start + CREATE_CHUNK]]
        try:
            if problems or not write:  # nothing more is written: only checked, the same way
                check_entries(model, chunk)
            else:
                created += create_entries(model, chunk, by=by, kind=kind, comment=comment)
        except BatchInvalid as exc:
            problems += [
                Problem(" ".join(messages), *_where(plan, start + n, column))
                for n, errors in exc.errors
                for column, messages in errors.items()
            ]
        if progress:
            progress("written", min(start + CREATE_CHUNK, total), total)
    if problems:
        raise ImportRefused(problems)
    return created


def _where(plan: Plan, n: int, column: str) -> tuple[int, str, str]:
    return plan.creates[n][0], column, _cell(plan, n, column)


def _cell(plan: Plan, n: int, column: str) -> str:
    value = plan.creates[n][1].get(column, "")
    return value if isinstance(value, str) else ""


def _update(entry, old: dict, new: dict, *, by, comment: str, kind: str | None):
    """One changed entry, through the edit service: a working copy when it is published, else
    the row itself. Planned against the version read then (`old`, its snapshot): a save since
    refuses the file."""
    try:
        return save_edit(
            entry,
            new,
            by=recorded_user(by),
            kind=kind,
            comment=comment,
            expected_version=entry.version,
            before=old,
        )
    except StaleEdit as exc:
        raise ImportRefused(
            [Problem(f"“{entry}” was changed by someone else during the import; import again.")]
        ) from exc


def apply_plan(
    plan: Plan, *, by, comment: str, kind: str | None = None, write: bool = True, progress=None
) -> tuple[list, list]:
    """Write the plan; returns the entries created and those changed, as saved. `kind` is what
    their versions record (by default "created" for new entries, and the edit service's own for
    changed ones). Not `write`: the new entries are only checked, so that a refusal names every
    row the write path refuses (an earlier part of the file was refused already)."""
    created = []
    if plan.creates:
        created = _create(
            plan,
            by=by,
            comment=comment,
            kind=kind or VersionKind.CREATED,
            write=write,
            progress=progress,
        )
    if not write:
        return [], []
    changed = [p for p in plan.updates.values() if p.new != p.old]
    updated = []
    for n, p in enumerate(changed, start=1):
        updated.append(_update(p.entry, p.old, p.new, by=by, comment=comment, kind=kind))
        if progress and (n % 100 == 0 or n == len(changed)):
            progress("written", n, len(changed))
    return created, updated
