"""A model's check constraints validated in one query, where Django asks one each.

Django validates each CheckConstraint by a query of its own, in a savepoint of its own when a
transaction is open (`Q.check`: SAVEPOINT, SELECT, RELEASE), after putting every field of the
row into that query. A reform has fifteen: every save through the write path
(`full_clean(validate_constraints=True)`) asked the database 45 times and built fifteen queries
of forty values each, about 30 ms a reform, most of an import's time for the reforms it updates
(benchmarks/README.md, section 1). Here every check of the row is one column of one query, and
each constraint fails as Django's would: the same message and code, in the model's order, a
constraint that reads a field left out (`exclude`) not checked, NULL passing where the database
lets a CHECK pass on NULL (as Django does where it can compare booleans), a database error
logged and counted as passing. Other constraints (unique ones) are Django's own, in their place.

The query is built once a model (and fields left out): the ORM compiles the checks over the
model's table, which the query then reads as a one-row table of the row's values under the same
name. Building it for every row (fifteen expressions over forty values) was most of its cost:
1,000 updated reforms imported took 19.3–20.3 s, now 16.8 s.
"""

from __future__ import annotations

import functools
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BooleanField, CheckConstraint, ExpressionWrapper, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query

logger = logging.getLogger(__name__)
_LENGTH = re.compile(r"\(\d+\)$")  # varchar(300) -> varchar


def validate_constraints(instance, exclude=None) -> None:
    """Model.validate_constraints(), its check constraints asked in one query."""
    using = router.db_for_write(type(instance), instance=instance)
    errors: dict = {}
    for model, constraints in instance.get_constraints():
        checks = [c for c in constraints if isinstance(c, CheckConstraint)]
        failed = _failed_checks(model, instance, checks, exclude=exclude, using=using)
        for constraint in constraints:
            try:
                if isinstance(constraint, CheckConstraint):
                    if constraint in failed:
                        raise ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                else:
                    constraint.validate(model, instance, exclude=exclude, using=using)
            except ValidationError as e:
                if getattr(e, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(e)
                else:
                    errors = e.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _failed_checks(model, instance, checks, *, exclude, using) -> list[CheckConstraint]:
    """The constraints of `checks` the row breaks, asked in one query."""
    if not checks:
        return []
    # Constraints are not hashable: the statement is kept by their names, which are unique.
    named = tuple(c.name for c in checks)
    statement = _statement(model, named, frozenset(exclude or ()), using)
    values = [getattr(instance, field.attname) for field in statement.fields] if statement else []
    if statement is None or any(hasattr(v, "resolve_expression") for v in values):
        return _failed_checks_built(model, instance, checks, exclude=exclude, using=using)
    if not statement.asked:
        return []
    connection = connections[using]
    params = [
        *statement.params,
        *(
            f.get_db_prep_value(v, connection)
            for f, v in zip(statement.fields, values, strict=True)
        ),
    ]
    row = _ask(connection, using, instance, statement.sql, params)
    return _broken(statement.asked, row)


@dataclass(frozen=True)
class _Statement:
    sql: str  # the checks, read from a one-row table of the row's values
    params: tuple  # the checks' own constants, before the row's values
    fields: tuple  # the fields the checks read, whose values the row's table holds, in order
    asked: tuple  # the constraints asked, in the order of the query's columns


@functools.cache
def _statement(model, named: tuple, exclude: frozenset, using: str) -> _Statement | None:
    """The query of `checks` for rows of `model`, built once: the ORM compiles each check over
    the model's table, and the table is replaced by a one-row table of the row's values under
    the same name, so that a row costs its values' conversion and not fifteen expressions'
    compilation (about 4 ms a reform). None where the row's values cannot stand as plain
    parameters (a generated field; a field with a placeholder of its own): asked as built."""
    connection = connections[using]
    by_name = {c.name: c for c in model._meta.constraints if isinstance(c, CheckConstraint)}
    checks = [by_name[name] for name in named]
    fields = [f for f in model._meta.local_concrete_fields if f.name not in exclude]
    if any(f.generated or hasattr(f, "get_placeholder") for f in fields):
        return None
    # A check that reads a field left out is not asked, as Django does: found by resolving it
    # against the fields kept (and their relations, which a row's values do not have).
    probe = Query(None)
    for field in fields:
        probe.add_annotation(Value(None, field), field.name, select=False)
    if "pk" not in exclude:
        probe.add_annotation(Value(None, model._meta.pk), "pk", select=False)
    asked, columns = [], {}
    for constraint in checks:
        try:
            probe.add_annotation(_holds(constraint, connection), f"_probe_{len(asked)}")
        except FieldError:
            continue
        columns[f"_check_{len(asked)}"] = _holds(constraint, connection)
        asked.append(constraint)
    if not asked:
        return _Statement("", (), (), ())
    # The row's table holds only what the checks read: a value no check reads is not sent.
    read = set().union(*(Q(c.condition).referenced_base_fields for c in asked))
    fields = [f for f in fields if f.name in read or (f.primary_key and "pk" in read)]
    query = model._base_manager.db_manager(using).order_by().annotate(**columns)
    sql, params = query.values_list(*columns).query.sql_with_params()
    quote = connection.ops.quote_name
    table = f" FROM {quote(model._meta.db_table)}"
    if not sql.endswith(table):
        return None
    row = ", ".join(f"{_placeholder(f, connection)} AS {quote(f.column)}" for f in fields)
    sql = f"{sql.removesuffix(table)} FROM (SELECT {row}) {quote(model._meta.db_table)}"
    return _Statement(sql, tuple(params), tuple(fields), tuple(asked))


def _placeholder(field, connection) -> str:
    """A value's parameter, typed as its column where the database types it (PostgreSQL: an
    untyped NULL would be text); a length left off, so that a value too long is compared as it
    is, never cut."""
    if connection.vendor != "postgresql":
        return "%s"
    return f"CAST(%s AS {_LENGTH.sub('', field.cast_db_type(connection))})"


def _holds(constraint: CheckConstraint, connection):
    holds = ExpressionWrapper(Q(constraint.condition), output_field=BooleanField())
    if connection.features.supports_comparing_boolean_expr:
        holds = Coalesce(holds, True, output_field=BooleanField())
    return holds


def _ask(connection, using, instance, sql, params):
    """The query's one row, or None (everything passes) on a database error, logged."""
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with savepoint, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    except DatabaseError as e:
        logger.warning("Got a database error checking the constraints of %r: %s", instance, e)
        return None


def _broken(asked, row) -> list[CheckConstraint]:
    if row is None:
        return []
    return [constraint for constraint, holds in zip(asked, row, strict=True) if not holds]


def _failed_checks_built(model, instance, checks, *, exclude, using) -> list[CheckConstraint]:
    """`_failed_checks` by a query built for the row: each field's value an expression of it."""
    connection = connections[using]
    query = Query(None)
    for name, value in instance._get_field_expression_map(
        meta=model._meta, exclude=exclude
    ).items():
        query.add_annotation(
            value if hasattr(value, "resolve_expression") else Value(value), name, select=False
        )
    asked = []
    for n, constraint in enumerate(checks):
        try:
            query.add_annotation(_holds(constraint, connection), f"_check_{n}")
        except FieldError:
            continue  # it reads a field left out: not checked, as Django does
        asked.append(constraint)
    if not asked:
        return []
    sql, params = query.get_compiler(using=using).as_sql()
    return _broken(asked, _ask(connection, using, instance, sql, params))
