"""Writing a plan: new entries in bulk statements (rows, many-to-many, children, versions),
changed ones one by one through the edit service. Inside the importer's transaction."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from institute.datasets.parse import ImportRefused, Problem
from institute.datasets.plan import Plan
from institute.editorial.edits import StaleEdit, save_edit
from institute.editorial.models import EntryVersion, VersionKind
from institute.editorial.rights import recorded_user
from institute.editorial.versions import apply_scalars, children_of, m2m_fields


def insert_rows(model, objs: list) -> list:
    """Insert new instances of `model` and give them their keys: on PostgreSQL by COPY, with
    keys taken from the table's sequence first (COPY returns none); elsewhere by bulk_create.
    Triggers and constraints run either way."""
    if connection.vendor != "postgresql" or not objs:
        return model._default_manager.bulk_create(objs, batch_size=500)
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
    fields = list(meta.concrete_fields)
    _copy(model, fields, ([f.pre_save(obj, True) for f in fields] for obj in objs))
    return objs


def insert_values(model, rows: list[dict]) -> None:
    """Insert new rows of `model` given as {attname: value} (the others take their defaults):
    the links and children of new entries, and their versions, which need no instances."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**row) for row in rows], batch_size=1000)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    defaults = {
        f.attname: now
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
        else f.get_default()
        for f in fields
    }
    names = [f.attname for f in fields]
    _copy(model, fields, ([row.get(n, defaults[n]) for n in names] for row in rows))


def _copy(model, fields: list, values) -> None:
    """COPY rows of `values` (one list a row, in the order of `fields`) into `model`'s table."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # The connection itself, not its per-thread proxy, which costs a lookup on every use.
    db = connections[connection.alias]
    # Only the fields whose database value differs from the Python one are converted.
    convert = [
        i for i, f in enumerate(fields) if f.get_internal_type() in ("JSONField", "DateTimeField")
    ]
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    # psycopg's own cursor: Django's debug wrapper of copy() takes no parameters.
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in values:
            for i in convert:
                row[i] = fields[i].get_db_prep_save(row[i], db)
            copy.write_row(row)


def _create_in_bulk(plan: Plan, *, by, comment: str, kind: str, progress=None) -> list:
    """New entries in bulk statements: rows, many-to-many, children, versions."""
    model = plan.table.get_model()
    user = recorded_user(by)
    objs, problems = [], []
    for line, snap in plan.creates:
        obj = model()
        apply_scalars(obj, snap)
        obj.created_by = obj.updated_by = user
        if hasattr(obj, "refresh_first_date"):
            obj.refresh_first_date()
        try:
            obj.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                problems.append(
                    Problem(" ".join(messages), line, column, str(snap.get(column, "")))
                )
        objs.append(obj)
    if problems:
        raise ImportRefused(problems)
    created = insert_rows(model, objs)
    if progress:
        progress("written", len(created), len(created))
    snaps = [snap for _, snap in plan.creates]
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
                {owner: obj.pk, **{attname: values.get(name) for name, attname in attnames}}
                for obj, snap in zip(created, snaps, strict=True)
                for values in snap.get(child.name, [])
            ],
        )
        for grandchild_model, grandchildren in _nested_rows(child, created, snaps).items():
            insert_values(grandchild_model, grandchildren)
    content_type = ContentType.objects.get_for_model(model)
    insert_values(
        EntryVersion,
        [
            {
                "content_type_id": content_type.pk,
                "object_id": obj.pk,
                "number": obj.version,
                "kind": kind,
                "data": snap,
                "comment": comment[:300],
                "created_by_id": user.pk if user else None,
            }
            for obj, snap in zip(created, snaps, strict=True)
        ],
    )
    return created


def _nested_rows(child, owners: list, snaps: list[dict]) -> dict:
    """The rows the new children own in turn (a response's evidence), as values, by model."""
    if not child.children:
        return {}
    wanted = {
        (owner.pk, *(values.get(k) for k in child.key)): values
        for owner, snap in zip(owners, snaps, strict=True)
        for values in snap.get(child.name, [])
    }
    saved = child.get_model()._default_manager.filter(
        **{f"{child.owner_field}__in": [o.pk for o in owners]}
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
                    nested[model._meta.get_field(name).attname] = item.get(name)
                out.setdefault(model, []).append(nested)
    return out


def _update(entry, new: dict, *, by, comment: str, kind: str | None):
    """One changed entry, through the edit service: a working copy when it is published, else
    the row itself. Planned against the version read then: a save since refuses the file."""
    try:
        return save_edit(
            entry,
            new,
            by=recorded_user(by),
            kind=kind,
            comment=comment,
            expected_version=entry.version,
        )
    except StaleEdit as exc:
        raise ImportRefused(
            [Problem(f"“{entry}” was changed by someone else during the import; import again.")]
        ) from exc


def apply_plan(
    plan: Plan, *, by, comment: str, kind: str | None = None, progress=None
) -> tuple[list, list]:
    """Write the plan; returns the entries created and those changed, as saved. `kind` is what
    their versions record (by default "created" for new entries, and the edit service's own for
    changed ones)."""
    created = []
    if plan.creates:
        created = _create_in_bulk(
            plan, by=by, comment=comment, kind=kind or VersionKind.CREATED, progress=progress
        )
    changed = [(p.entry, p.new) for p in plan.updates.values() if p.new != p.old]
    updated = []
    for n, (entry, new) in enumerate(changed, start=1):
        updated.append(_update(entry, new, by=by, comment=comment, kind=kind))
        if progress and (n % 100 == 0 or n == len(changed)):
            progress("written", n, len(changed))
    return created, updated
