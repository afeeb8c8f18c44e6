"""Inserting many new rows at once: by COPY on PostgreSQL, by `bulk_create` elsewhere. The
write path's batch form (institute.editorial.edits.create_entries) writes new entries, their
links, children and versions with it."""

from __future__ import annotations

from django.db import connection, connections
from django.utils import timezone


def assign_keys(model, objs: list) -> bool:
    """On PostgreSQL, give new instances of `model` their keys from the table's sequence before
    they are inserted (so rows that refer to them can be written first; the foreign keys are
    checked at commit); elsewhere False: the keys come with the insert."""
    if connection.vendor != "postgresql" or not objs:
        return False
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
    return True


def insert_rows(model, objs: list) -> list:
    """Insert new instances of `model` and give them their keys: on PostgreSQL by COPY, with
    keys taken from the table's sequence first (COPY returns none; `assign_keys` may have
    given them already); elsewhere by bulk_create. Triggers and constraints run either way."""
    if connection.vendor != "postgresql" or not objs:
        return model._default_manager.bulk_create(objs, batch_size=500)
    meta = model._meta
    if any(obj.pk is None for obj in objs):
        assign_keys(model, objs)
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
