"""Complete snapshots of editorial entries: what a version, a working copy and a diff are made of.

A snapshot is a flat JSON-able dict of one entry: its editable fields (foreign keys as ids), its
many-to-many ids, and its children (citations; the responses linking reforms and
recommendations), in order. The same shape is stored in `EntryVersion.data` (history) and
`PendingRevision.data` (the working copy of a published entry), so history, review diffs, revert
and publish all compare and apply one thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

from institute.dates import PartialDateField
from institute.models import Editorial, EntryVersion, PendingRevision, VersionKind


@dataclass(frozen=True)
class Children:
    """A list of child rows owned by an entry and edited with it (an admin inline)."""

    name: str  # key in the snapshot
    label: str
    model: str  # "app_label.ModelName"
    owner_field: str  # the child's foreign key to the entry
    fields: tuple[str, ...]  # what the snapshot keeps of each child, in order
    key: tuple[str, ...]  # what identifies a child to keep (rather than replace) on apply
    # Rows each child owns in turn, kept in the child's dict under their name (a response's
    # evidence): reviewed, versioned and applied with the entry like the child itself.
    children: tuple[Children, ...] = ()

    def get_model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model)


CITATION_FIELDS = ("source", "locator", "quote", "supports", "position")

# A response's evidence travels with the reform's snapshot (the reform is what answers, and its
# review is where the evidence is judged); the recommendation's snapshot lists its responses
# without it, and applying that snapshot leaves the evidence of kept responses alone.
RESPONSE_EVIDENCE = Children(
    "citations", "Evidence", "institute.Citation", "response", CITATION_FIELDS, ()
)

CHILDREN: dict[str, tuple[Children, ...]] = {
    "reforms.reform": (
        Children("citations", "Citations", "institute.Citation", "reform", CITATION_FIELDS, ()),
        Children(
            "responses",
            "Recommendations it answers",
            "recommendations.Response",
            "reform",
            ("recommendation", "note"),
            ("recommendation",),
            children=(RESPONSE_EVIDENCE,),
        ),
    ),
    "recommendations.recommendation": (
        Children(
            "citations", "Citations", "institute.Citation", "recommendation", CITATION_FIELDS, ()
        ),
        Children(
            "responses",
            "Reforms that answer it",
            "recommendations.Response",
            "recommendation",
            ("reform", "note"),
            ("reform",),
        ),
    ),
    "institute.source": (),
}


def children_of(model: type[models.Model]) -> tuple[Children, ...]:
    return CHILDREN.get(model._meta.label_lower, ())


def child_for(parent: type[models.Model], child_model: type[models.Model]) -> Children | None:
    """The children spec an admin inline of `child_model` edits on `parent`, if any."""
    return next((c for c in children_of(parent) if c.get_model() is child_model), None)


def scalar_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields an editor edits: concrete, editable, not the primary key."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and not f.auto_created
    ]


def m2m_fields(model: type[models.Model]) -> list[models.ManyToManyField]:
    """Plain many-to-many fields (those with a `through` model are children instead)."""
    return [
        f
        for f in model._meta.many_to_many
        if f.editable and f.remote_field.through._meta.auto_created
    ]


def _json(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str):
        return str(value)  # PartialDate and other str subclasses: plain strings in JSON
    return value


def snapshot(entry: Editorial) -> dict:
    """The entry as stored now: fields of the instance, many-to-many and children from the DB."""
    data = {f.name: _json(f.value_from_object(entry)) for f in scalar_fields(type(entry))}
    for f in m2m_fields(type(entry)):
        data[f.name] = sorted(getattr(entry, f.name).values_list("pk", flat=True))
    for child in children_of(type(entry)):
        rows = child.get_model()._default_manager.filter(**{child.owner_field: entry.pk})
        data[child.name] = _child_rows(child, list(rows.order_by(*row_order(child))))
    return data


def _child_rows(child: Children, rows: list[models.Model]) -> list[dict]:
    """Child rows as snapshot dicts, with their own children (in one query per kind)."""
    out = [
        {name: _json(getattr(row, _attname(row, name))) for name in child.fields} for row in rows
    ]
    for grandchild in child.children:
        by_owner: dict[int, list[dict]] = {row.pk: [] for row in rows}
        nested = grandchild.get_model()._default_manager.filter(
            **{f"{grandchild.owner_field}__in": list(by_owner)}
        )
        for row in nested.order_by(*row_order(grandchild)):
            by_owner[getattr(row, _attname(row, grandchild.owner_field))].append(
                {name: _json(getattr(row, _attname(row, name))) for name in grandchild.fields}
            )
        for values, row in zip(out, rows, strict=True):
            values[grandchild.name] = by_owner[row.pk]
    return out


def snapshots(entries: list[Editorial]) -> dict[int, dict]:
    """`snapshot()` of many entries of one model, in a fixed number of queries (bulk paths)."""
    if not entries:
        return {}
    model = type(entries[0])
    pks = [e.pk for e in entries]
    out = {
        e.pk: {f.name: _json(f.value_from_object(e)) for f in scalar_fields(model)} for e in entries
    }
    for f in m2m_fields(model):
        through = f.remote_field.through
        own, other = f"{f.m2m_field_name()}_id", f"{f.m2m_reverse_field_name()}_id"
        for data in out.values():
            data[f.name] = []
        for owner, target in through.objects.filter(**{f"{own}__in": pks}).values_list(own, other):
            out[owner][f.name].append(target)
        for data in out.values():
            data[f.name].sort()
    for child in children_of(model):
        for data in out.values():
            data[child.name] = []
        rows = list(
            child.get_model()
            ._default_manager.filter(**{f"{child.owner_field}__in": pks})
            .order_by(*row_order(child))
        )
        for row, values in zip(rows, _child_rows(child, rows), strict=True):
            out[getattr(row, _attname(row, child.owner_field))][child.name].append(values)
    return out


def _attname(row: models.Model, name: str) -> str:
    return row._meta.get_field(name).attname


def row_order(child: Children) -> list[str]:
    return ["position", "pk"] if "position" in child.fields else [*child.key, "pk"]


def snapshot_from_forms(entry: Editorial, form, formsets, *, previous: dict) -> dict:
    """The snapshot an admin form would save: the form's instance and cleaned data, and each
    inline formset's surviving rows. Parts the request did not carry keep their `previous` value.
    """
    data = dict(previous)
    data.update({f.name: _json(f.value_from_object(entry)) for f in scalar_fields(type(entry))})
    for f in m2m_fields(type(entry)):
        if f.name in form.cleaned_data:
            data[f.name] = sorted(_json(o) for o in form.cleaned_data[f.name])
    for child in children_of(type(entry)):
        formset = next(
            (
                fs
                for fs in formsets
                if fs.model is child.get_model() and fs.fk.name == child.owner_field
            ),
            None,
        )
        if formset is None:
            continue
        rows = [
            {name: _json(f.cleaned_data.get(name)) for name in child.fields}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if "position" in child.fields:
            rows.sort(key=lambda r: r.get("position") or 0)
        if child.children:
            # The inline edits the child's own fields; what it owns in turn is kept as it was.
            before = {tuple(r.get(k) for k in child.key): r for r in previous.get(child.name) or []}
            for row in rows:
                kept = before.get(tuple(row.get(k) for k in child.key), {})
                for grandchild in child.children:
                    row[grandchild.name] = list(kept.get(grandchild.name) or [])
        data[child.name] = rows
    return data


def apply_scalars(entry: Editorial, data: dict) -> None:
    """Set the entry's fields from a snapshot, in memory."""
    for f in scalar_fields(type(entry)):
        if f.name in data:
            setattr(entry, f.attname, f.to_python(data[f.name]))


def apply_snapshot(entry: Editorial, data: dict) -> None:
    """Write a snapshot to the entry's row and its many-to-many and children, validated.

    The caller holds the row lock and has set the audit fields (version, updated_by).
    Children are matched by their key where they have one, so a kept response keeps its
    own citations; citations are replaced as a list when they differ.
    """
    apply_scalars(entry, data)
    entry.full_clean(validate_constraints=True)
    entry.save()
    for f in m2m_fields(type(entry)):
        if f.name in data:
            wanted = set(data[f.name])
            found = set(
                f.related_model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True)
            )
            if wanted - found:
                missing = ", ".join(f"#{pk}" for pk in sorted(wanted - found))
                raise ValidationError(
                    f"{f.verbose_name}: {missing} no longer exist(s); restore or edit by hand."
                )
            getattr(entry, f.name).set(wanted)
    for child in children_of(type(entry)):
        if child.name in data:
            _apply_children(entry, child, data[child.name])


def _apply_children(entry: Editorial, child: Children, wanted: list[dict]) -> None:
    model = child.get_model()
    manager = model._default_manager
    current = manager.filter(**{child.owner_field: entry.pk}).order_by(*row_order(child))

    def build(values: dict, row=None):
        row = row or model(**{child.owner_field: entry})
        for name in child.fields:
            setattr(row, _attname(row, name), values.get(name))
        row.full_clean(validate_constraints=True)
        row.save()
        return row

    def apply_nested(row, values: dict) -> None:
        for grandchild in child.children:
            if grandchild.name in values:  # versions older than nesting do not carry it
                _apply_children(row, grandchild, values[grandchild.name])

    if not child.key:
        existing = [{n: _json(getattr(r, _attname(r, n))) for n in child.fields} for r in current]
        if existing == wanted:
            return
        current.delete()
        for values in wanted:
            build(values)
        return
    by_key = {tuple(getattr(r, _attname(r, k)) for k in child.key): r for r in current}
    keep = set()
    for values in wanted:
        key = tuple(values.get(k) for k in child.key)
        keep.add(key)
        row = by_key.get(key)
        if row is None or any(
            _json(getattr(row, _attname(row, n))) != values.get(n) for n in child.fields
        ):
            row = build(values, row)
        apply_nested(row, values)
    for key, row in by_key.items():
        if key not in keep:
            row.delete()


# --- diffs -------------------------------------------------------------------------------------


@dataclass
class Change:
    """One changed field between two snapshots, ready to show."""

    name: str
    label: str
    old: str | list[str]
    new: str | list[str]
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return isinstance(self.old, list)


def _display_scalar(f: models.Field, value) -> str:
    if value in (None, ""):
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f.is_relation:
        obj = f.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value} (deleted)"
    if isinstance(f, PartialDateField):
        try:
            return f.to_python(value).label
        except (ValueError, ValidationError):
            return str(value)
    return str(value)


def _names(model: type[models.Model], pks) -> dict:
    return {o.pk: str(o) for o in model._default_manager.filter(pk__in=list(pks))}


def _display_children(child: Children, rows: list[dict]) -> list[str]:
    model = child.get_model()
    related = {
        name: _names(
            model._meta.get_field(name).related_model, {r.get(name) for r in rows if r.get(name)}
        )
        for name in child.fields
        if model._meta.get_field(name).is_relation
    }
    lines = []
    for row in rows:
        parts = []
        for name in child.fields:
            value = row.get(name)
            if name == "position" or value in (None, ""):
                continue
            if name in related:
                value = related[name].get(value, f"#{value}")
            parts.append(str(value) if name in related else f"{name}: {value}")
        line = " — ".join(parts)
        lines.append(line)
        for grandchild in child.children:
            for nested in _display_children(grandchild, row.get(grandchild.name) or []):
                lines.append(f"{line} — {grandchild.label.lower()}: {nested}")
    return lines


def diff(model: type[models.Model], old: dict | None, new: dict) -> list[Change]:
    """Field by field, what differs between two snapshots of one entry (old may be None)."""
    old = old or {}
    changes = []
    for f in scalar_fields(model):
        a, b = old.get(f.name), new.get(f.name)
        if (a or "") != (b or "") and a != b:
            changes.append(
                Change(f.name, str(f.verbose_name), _display_scalar(f, a), _display_scalar(f, b))
            )
    for f in m2m_fields(model):
        a, b = old.get(f.name) or [], new.get(f.name) or []
        if sorted(a) != sorted(b):
            names = _names(f.related_model, {*a, *b})
            a_names = [names.get(pk, f"#{pk}") for pk in a]
            b_names = [names.get(pk, f"#{pk}") for pk in b]
            changes.append(
                Change(
                    f.name,
                    str(f.verbose_name),
                    a_names,
                    b_names,
                    removed=[n for n in a_names if n not in b_names],
                    added=[n for n in b_names if n not in a_names],
                )
            )
    for child in children_of(model):
        a, b = old.get(child.name) or [], new.get(child.name) or []
        if a != b:
            a_lines, b_lines = _display_children(child, a), _display_children(child, b)
            changes.append(
                Change(
                    child.name,
                    child.label,
                    a_lines,
                    b_lines,
                    removed=[line for line in a_lines if line not in b_lines],
                    added=[line for line in b_lines if line not in a_lines],
                )
            )
    return changes


# --- recording versions -------------------------------------------------------------------------


def content_type_of(entry_or_model) -> ContentType:
    model = entry_or_model if isinstance(entry_or_model, type) else type(entry_or_model)
    return ContentType.objects.get_for_model(model)


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
        created_by=by if getattr(by, "pk", None) else None,
    )


def ensure_baseline(entry: Editorial) -> None:
    """Before the first recorded change of an entry that predates versioning (or was built
    without it), keep what it is now as its current version, so history starts complete."""
    versions = EntryVersion.objects.for_entry(entry)
    if not versions.filter(number=entry.version).exists():
        fresh = type(entry)._default_manager.get(pk=entry.pk)
        record_version(fresh, by=None, kind=VersionKind.BASELINE)


def pending_revision(entry: Editorial, *, for_update: bool = False) -> PendingRevision | None:
    qs = PendingRevision.objects.for_entry(entry)
    if for_update:
        qs = qs.select_for_update()
    return qs.first()


def bump_version(entry: Editorial) -> None:
    """Count one more saved version without saving the row (a working-copy save): the lock
    counter moves so stale forms are refused, and the public fields stay as they are."""
    type(entry)._default_manager.filter(pk=entry.pk).update(version=models.F("version") + 1)
    entry.version = type(entry)._default_manager.values_list("version", flat=True).get(pk=entry.pk)


def save_working_copy(
    entry: Editorial,
    *,
    by,
    data: dict,
    kind: str = VersionKind.WORKING_COPY,
    state: str | None = None,
    comment: str = "",
) -> PendingRevision:
    """Store `data` as the working copy of a published entry (locked by the caller): the row the
    public reads is not touched. Records the version like any save."""
    ensure_baseline(entry)
    revision = pending_revision(entry, for_update=True)
    if revision is None:
        revision = PendingRevision(
            content_type=content_type_of(entry),
            object_id=entry.pk,
            base_version=entry.version,
            created_by=by,
        )
    revision.data = data
    revision.updated_by = by
    if state is not None:
        revision.state = state
    revision.save()
    bump_version(entry)
    record_version(entry, by=by, kind=kind, data=data, working_copy=True, comment=comment)
    return revision
