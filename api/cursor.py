"""Keyset ("cursor") pagination over any order a listing sorts by.

A listing's order (`-first_date, title`; a CASE over statuses; relevance) is not unique, so the
primary key is added as the last key. The cursor is the last row's values of every key, signed
(a client cannot forge one) and bound to the order it was made for. The next page is the rows
after those values in that order: each page reads only its own rows, however deep, and a row
published or withdrawn meanwhile never shifts the pages after it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Expression, F, FloatField, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

SALT = "api.cursor"


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Key:
    alias: str
    expression: Expression
    descending: bool


def _field_path_keys(model, path: str, descending: bool) -> list[tuple[str, bool]]:
    """A field path of `order_by`, as Django sorts by it: a relation sorts by its model's
    `Meta.ordering` (`report` is `report__title`), else by its primary key."""
    current, parts = model, path.split("__")
    for i, part in enumerate(parts):
        if part == "pk":
            return [(path, descending)]
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:  # an annotation (a rank, a CASE): a value of the row
            return [(path, descending)]
        if field.is_relation and i == len(parts) - 1:
            related = field.related_model
            ordering = related._meta.ordering or ["pk"]
            out = []
            for item in ordering:
                out += _field_path_keys(
                    related, item.lstrip("-"), descending != item.startswith("-")
                )
            return [(f"{path}__{name}", desc) for name, desc in out]
        if field.is_relation:
            current = field.related_model
    return [(path, descending)]


def order_keys(queryset: QuerySet) -> list[Key]:
    """The queryset's order as keys, the primary key last (unless it is there already)."""
    items = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    pairs: list[tuple[Expression, bool]] = []
    for item in items:
        if isinstance(item, str):
            for path, desc in _field_path_keys(
                queryset.model, item.lstrip("-"), item.startswith("-")
            ):
                pairs.append((F(path), desc))
        elif isinstance(item, OrderBy):
            pairs.append((item.expression, item.descending))
        else:
            pairs.append((item, False))
    if not any(isinstance(e, F) and e.name in ("pk", "id") for e, _ in pairs):
        pairs.append((F("pk"), False))
    return [
        # A float (a search rank) is read and compared as double precision, so that the value
        # sent back in a cursor equals the one the database holds.
        Key(f"_cursor_{i}", expression, desc)
        for i, (expression, desc) in enumerate(pairs)
    ]


def signature(keys: list[Key]) -> str:
    # A subquery's repr names its Query object's address, which differs from request to request.
    text = "|".join(f"{k.expression!r}:{k.descending}" for k in keys)
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def with_keys(queryset: QuerySet, keys: list[Key]) -> QuerySet:
    annotated = queryset.annotate(**{k.alias: k.expression for k in keys})
    # Now that the output types are known, floats are cast (see order_keys).
    casts = {
        k.alias: Cast(k.alias, FloatField())
        for k in keys
        if isinstance(annotated.query.annotations[k.alias].output_field, FloatField)
    }
    if casts:
        annotated = annotated.annotate(**{f"{a}_f": c for a, c in casts.items()})
    return annotated


def _alias(queryset: QuerySet, key: Key) -> str:
    return f"{key.alias}_f" if f"{key.alias}_f" in queryset.query.annotations else key.alias


def after(queryset: QuerySet, keys: list[Key], values: list) -> QuerySet:
    """The rows after `values` in the keys' order."""
    conditions = []
    for i, key in enumerate(keys):
        equal = {_alias(queryset, k): v for k, v in zip(keys[:i], values[:i], strict=True)}
        op = "lt" if key.descending else "gt"
        conditions.append(Q(**equal, **{f"{_alias(queryset, key)}__{op}": values[i]}))
    return queryset.filter(reduce(or_, conditions))


def row_values(row, queryset: QuerySet, keys: list[Key]) -> list:
    return [getattr(row, _alias(queryset, k)) for k in keys]


def encode(values: list, keys: list[Key]) -> str:
    # Dates and decimals as text, which the database compares with the column as it would them.
    payload = json.dumps(
        {"o": signature(keys), "v": values}, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    packed = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    return signing.Signer(salt=SALT).sign(packed)


def decode(cursor: str, keys: list[Key]) -> list:
    try:
        packed = signing.Signer(salt=SALT).unsign(cursor)
        payload = json.loads(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))
        order, values = payload["o"], payload["v"]
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        raise BadCursor(_("is not a cursor this API gave (copy `next` as it is)")) from None
    if order != signature(keys) or not isinstance(values, list) or len(values) != len(keys):
        raise BadCursor(_("was made for another order (another `sort`): start again without it"))
    return values
