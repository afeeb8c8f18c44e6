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
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BooleanField, CheckConstraint, ExpressionWrapper, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

logger = logging.getLogger(__name__)


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
        holds = ExpressionWrapper(Q(constraint.condition), output_field=BooleanField())
        if connection.features.supports_comparing_boolean_expr:
            holds = Coalesce(holds, True, output_field=BooleanField())
        try:
            query.add_annotation(holds, f"_check_{n}")
        except FieldError:
            continue  # it reads a field left out: not checked, as Django does
        asked.append(constraint)
    if not asked:
        return []
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with savepoint:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError as e:
        logger.warning("Got a database error checking the constraints of %r: %s", instance, e)
        return []
    return [constraint for constraint, holds in zip(asked, row, strict=True) if not holds]
