"""The one write path of editorial content: every change to what an entry says goes through
here, from every surface, validated the same way, and records exactly one version.

- `create_entry`: a new entry from the admin's add form.
- `create_entries`: many new entries at once (CSV imports, the YAML content loader), written by
  COPY where the database allows (institute.editorial.bulk_insert): the same validation.
- `save_edit`: a new version of an existing entry (the admin's change form, CSV imports, the
  loader's `--update`, a revert). A published entry keeps its public row: the edit becomes its
  working copy, to be reviewed and published.
- `discard_working_copy`: a published entry's working copy dropped (a revert to the published
  version), recorded as a version all the same.
- `make_live`: the reviewed snapshot applied to the row of an entry going public (a publish of a
  working copy); no new version, the one approved is the one that goes live.

Each takes the entry's complete snapshot (institute.editorial.versions), checks it with
`clean_snapshot` (the model's rules across its parts, `Editorial.normalized_snapshot`, then each
field and each child row), and writes under the entry's row lock.
"""

from __future__ import annotations

import copy
import functools
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from institute.control_characters import control_character_errors
from institute.editorial.bulk_insert import assign_keys, insert_rows, insert_values
from institute.editorial.history import bump_version, ensure_baseline, record_version
from institute.editorial.models import EntryVersion, PendingRevision, VersionKind
from institute.editorial.rights import recorded_user
from institute.editorial.states import PUBLISHED
from institute.editorial.versions import (
    Children,
    apply_scalars,
    apply_snapshot,
    children_of,
    content_type_of,
    m2m_fields,
    pending_revision,
    snapshot,
)

if TYPE_CHECKING:
    from institute.editorial.models import Editorial
    from institute.editorial.rights import Actor

STALE_MESSAGE = _(
    "Someone else saved this entry (now version %(current)s) after you opened it (version "
    "%(expected)s). Nothing was saved. Your changes are still in this form: copy what you need, "
    "reload the page to see the latest version, and apply them again."
)


class StaleEdit(ValidationError):
    """The edit was made against an older version than the one saved now: refused, never
    merged, and nothing written."""

    def __init__(self, *, current: int, expected: int):
        super().__init__(
            STALE_MESSAGE, code="stale", params={"current": current, "expected": expected}
        )
        self.current, self.expected = current, expected


class BatchInvalid(ValidationError):
    """Entries of a batch that do not validate: `errors` holds, per entry (its index in the
    batch), each field's messages. Nothing of the batch is written."""

    def __init__(self, errors: list[tuple[int, dict[str, list[str]]]]):
        super().__init__(
            [f"entry {n + 1}: {f}: {'; '.join(m)}" for n, e in errors for f, m in e.items()]
        )
        self.errors = errors


def check_version(current: int, expected: int | None) -> None:
    """StaleEdit unless the entry's version `current` is `expected` (None: not checked)."""
    if expected is not None and current != expected:
        raise StaleEdit(current=current, expected=expected)


# --- validation --------------------------------------------------------------------------------


def clean_snapshot(
    model: type[Editorial], data: dict, *, instance=None, before: dict | None = None
) -> dict:
    """The snapshot as it will be stored, checked in memory: the model's rules across its parts
    applied first (`normalized_snapshot`: what must hold between the entry and its children,
    stated once; `before` is the snapshot the edit started from), then each field validated on
    a copy of `instance` (or a new instance) and each child row's own fields. Uniqueness and
    references are left to the database's constraints, which every write meets.
    ValidationError names each field or child list that is wrong."""
    return _checked(model, data, instance, before)[0]


def _checked(model: type[Editorial], data: dict, instance, before: dict | None) -> tuple:
    """(the snapshot as it will be stored, the instance its fields were validated on):
    `clean_snapshot`'s work, the instance kept for a caller that writes a new row from it."""
    data = model.normalized_snapshot(dict(data), before)
    candidate = model() if instance is None else copy.copy(instance)
    apply_scalars(candidate, data)
    errors: dict[str, list[str]] = {}
    try:
        candidate.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for name, messages in control_character_errors(model, data).items():
        errors.setdefault(name, []).extend(messages)
    for child in children_of(model):
        for problem in _child_problems(child, data.get(child.name) or []):
            errors.setdefault(child.name, []).append(problem)
    if errors:
        raise ValidationError(errors)
    return data, candidate


def _child_problems(child: Children, rows: list[dict]) -> list[str]:
    """Each child row's fields checked as the child model's `clean_fields` checks them (a
    blank value where the field may be blank is not checked), without building an instance a
    row: a bulk import checks tens of thousands of them."""
    # Keyed by plain strings: a Children's hash would translate its label every row.
    checked = _checked_fields(child.model, child.fields)
    problems = []
    for n, values in enumerate(rows, start=1):
        for name, field in checked:
            if name not in values:
                continue
            value = values[name]
            if field.blank and value in field.empty_values:
                continue
            try:
                field.clean(value, None)
            except ValidationError as exc:
                problems.append(f"row {n}, {name}: {'; '.join(exc.messages)}")
        for field, messages in control_character_errors(
            child.get_model(), {name: values[name] for name in child.fields if name in values}
        ).items():
            problems.append(f"row {n}, {field}: {'; '.join(messages)}")
        for grandchild in child.children:
            problems += [
                f"row {n}, {grandchild.name}: {p}"
                for p in _child_problems(grandchild, values.get(grandchild.name) or [])
            ]
    return problems


@functools.cache
def _checked_fields(label: str, names: tuple[str, ...]) -> tuple:
    """The fields `names` of model `label` that child rows are checked on, in the model's order
    (as `clean_fields` reports them). References (a citation's source, a response's
    recommendation) are the database's to check: a query per row here would cost a bulk
    import its speed."""
    return tuple(
        (f.name, f)
        for f in apps.get_model(label)._meta.concrete_fields
        if f.name in names and not f.is_relation and not f.generated
    )


# --- new entries -------------------------------------------------------------------------------


def create_entry(
    entry: Editorial, data: dict, *, by: Actor, kind: str = VersionKind.CREATED, comment: str = ""
) -> Editorial:
    """Write a new entry (`entry`, unsaved) as `data` says, as a draft, with its first version."""
    data = clean_snapshot(type(entry), data)
    with transaction.atomic():
        entry.created_by = entry.updated_by = recorded_user(by)
        apply_snapshot(entry, data)
        record_version(entry, by=by, kind=kind, comment=comment)
    return entry


def create_entries(
    model: type[Editorial],
    snapshots: list[dict],
    *,
    by: Actor,
    kind: str = VersionKind.CREATED,
    comment: str = "",
    progress=None,
) -> list[Editorial]:
    """Write many new entries as drafts, each with its first version, in bulk statements (rows,
    many-to-many, children, versions). Every snapshot is checked first (`clean_snapshot`, as
    for one entry); `BatchInvalid` lists every entry that fails, and nothing is written. The
    caller holds a transaction."""
    user = recorded_user(by)
    checked = _check_all(model, snapshots)
    cleaned = [data for data, _obj in checked]
    # The instances the fields were validated on: each already holds its snapshot's fields.
    objs = []
    for _data, obj in checked:
        obj.created_by = obj.updated_by = user
        if hasattr(obj, "refresh_first_date"):
            obj.refresh_first_date()
        objs.append(obj)
    if assign_keys(model, objs):
        # Links and children first, then the rows: a row's own trigger then indexes it with
        # its citations for search once, where the citations' trigger would index every new
        # row a second time (PostgreSQL; the keys come from the sequence beforehand).
        _insert_links(model, objs, cleaned)
        created = insert_rows(model, objs)
    else:
        created = insert_rows(model, objs)
        _insert_links(model, created, cleaned)
    if progress:
        progress("written", len(created), len(created))
    insert_values(
        EntryVersion,
        [
            {
                "content_type_id": content_type_of(model).pk,
                "object_id": obj.pk,
                "number": obj.version,
                "kind": kind,
                "data": data,
                "comment": comment[:300],
                "created_by_id": user.pk if user else None,
            }
            for obj, data in zip(created, cleaned, strict=True)
        ],
    )
    return created


def check_entries(model: type[Editorial], snapshots: list[dict]) -> list[dict]:
    """Each new entry's snapshot as it will be stored (`clean_snapshot`), or `BatchInvalid`
    listing every one that fails (by its index). Writes nothing."""
    return [data for data, _obj in _check_all(model, snapshots)]


def _check_all(model: type[Editorial], snapshots: list[dict]) -> list[tuple]:
    """`check_entries`, each snapshot with the new instance it was validated on."""
    checked, errors = [], []
    for n, data in enumerate(snapshots):
        try:
            checked.append(_checked(model, data, None, None))
        except ValidationError as exc:
            errors.append((n, exc.message_dict))
    if errors:
        raise BatchInvalid(errors)
    return checked


def _insert_links(model, created: list, snaps: list[dict]) -> None:
    """The many-to-many links and the children (and theirs) of new entries."""
    for f in m2m_fields(model):
        through = f.remote_field.through
        a, b = f.m2m_field_name(), f.m2m_reverse_field_name()
        insert_values(
            through,
            [
                {f"{a}_id": obj.pk, f"{b}_id": pk}
                for obj, snap in zip(created, snaps, strict=True)
                for pk in snap.get(f.name, [])
            ],
        )
    for child in children_of(model):
        child_model = child.get_model()
        owner = child_model._meta.get_field(child.owner_field).attname
        attnames = [(name, child_model._meta.get_field(name).attname) for name in child.fields]
        insert_values(
            child_model,
            [
                {
                    owner: obj.pk,
                    # A field the snapshot lacks (older than the field) takes its default.
                    **{attname: values[name] for name, attname in attnames if name in values},
                }
                for obj, snap in zip(created, snaps, strict=True)
                for values in snap.get(child.name, [])
            ],
        )
        for grandchild_model, grandchildren in _nested_rows(child, created, snaps).items():
            insert_values(grandchild_model, grandchildren)


def _nested_rows(child: Children, owners: list, snaps: list[dict]) -> dict:
    """The rows the new children own in turn (a response's evidence), as values, by model."""
    if not child.children:
        return {}
    wanted = {
        (owner.pk, *(values.get(k) for k in child.key)): values
        for owner, snap in zip(owners, snaps, strict=True)
        for values in snap.get(child.name, [])
    }
    # Unordered: a child's default ordering may join its owner, whose row may not be written
    # yet (create_entries writes the children first on PostgreSQL).
    saved = (
        child.get_model()
        ._default_manager.filter(**{f"{child.owner_field}__in": [o.pk for o in owners]})
        .order_by()
    )
    out: dict = {}
    for row in saved:
        key = (
            getattr(row, row._meta.get_field(child.owner_field).attname),
            *(getattr(row, row._meta.get_field(k).attname) for k in child.key),
        )
        values = wanted.get(key, {})
        for grandchild in child.children:
            model = grandchild.get_model()
            owner = model._meta.get_field(grandchild.owner_field).attname
            for item in values.get(grandchild.name) or []:
                nested = {owner: row.pk}
                for name in grandchild.fields:
                    if name in item:
                        nested[model._meta.get_field(name).attname] = item[name]
                out.setdefault(model, []).append(nested)
    return out


# --- new versions of existing entries ----------------------------------------------------------


def save_edit(
    entry: Editorial,
    data: dict,
    *,
    by: Actor,
    kind: str | None = None,
    comment: str = "",
    expected_version: int | None = None,
    copy_state: str | None = None,
    before: dict | None = None,
) -> Editorial:
    """Write `data` (the entry's complete snapshot) as its next version, under its row lock.

    A published entry keeps its public row: the edit becomes its working copy (in `copy_state`
    when given), to be reviewed and published. Any other entry gets the edit on its row, its
    many-to-many and its children. Either way the version counter moves on (so forms opened
    before are stale) and the version is recorded, with who and how (`kind`; by default
    "edited", or "working copy" for a published entry).

    `expected_version` is the version the edit was made against: if another was saved since,
    `StaleEdit` is raised and nothing is written. `before`, with it, is the entry's working
    snapshot the caller read at that version (an import's plan holds it): not read again.
    Returns the entry as saved (locked).
    """
    with transaction.atomic():
        locked = type(entry)._default_manager.select_for_update().get(pk=entry.pk)
        check_version(locked.version, expected_version)
        revision = pending_revision(locked)
        if before is None or expected_version is None:
            before = revision.data if revision is not None else snapshot(locked)
        data = clean_snapshot(type(locked), data, instance=locked, before=before)
        ensure_baseline(locked)
        if locked.review_state == PUBLISHED:
            _save_working_copy(
                locked,
                by=by,
                data=data,
                kind=kind or VersionKind.WORKING_COPY,
                state=copy_state,
                comment=comment,
            )
        else:
            locked.version += 1
            locked.updated_by = recorded_user(by)
            # With no working copy, what the edit started from is what the row holds: the
            # links and children it leaves as they were are not read and written again.
            apply_snapshot(locked, data, stored=before if revision is None else None)
            record_version(locked, by=by, kind=kind or VersionKind.EDITED, comment=comment)
    return locked


def _save_working_copy(
    entry: Editorial, *, by, data: dict, kind: str, state: str | None, comment: str
) -> PendingRevision:
    """Store `data` as the working copy of a published entry (locked by the caller): the row the
    public reads is not touched."""
    revision = pending_revision(entry, for_update=True)
    if revision is None:
        revision = PendingRevision(
            content_type=content_type_of(entry),
            object_id=entry.pk,
            base_version=entry.version,
            created_by=recorded_user(by),
        )
    revision.data = data
    revision.updated_by = recorded_user(by)
    if state is not None:
        revision.state = state
    revision.save()
    bump_version(entry)
    record_version(entry, by=by, kind=kind, data=data, working_copy=True, comment=comment)
    return revision


def discard_working_copy(
    entry: Editorial, revision: PendingRevision | None, *, by: Actor, comment: str
) -> None:
    """Drop the working copy of a published entry (locked by the caller), back to what the
    public sees. A version all the same, so that history says what happened and forms opened on
    the working copy are stale."""
    if revision is not None:
        revision.delete()
    ensure_baseline(entry)
    bump_version(entry)
    record_version(entry, by=by, kind=VersionKind.REVERTED, comment=comment)


def make_live(entry: Editorial, data: dict, *, by: Actor) -> None:
    """Apply a reviewed snapshot (a working copy) to the row of an entry (locked by the caller)
    as it goes public. The version was recorded when it was saved; none is added."""
    entry.updated_by = recorded_user(by) or entry.updated_by
    before = snapshot(entry)
    apply_snapshot(
        entry, clean_snapshot(type(entry), data, instance=entry, before=before), stored=before
    )
