"""The responses of published reforms, in the timeline's order, read from the ledger that
triggers keep (migration reforms/0023) instead of from every response joined to its reform: a
recommendation's first reforms are a range of an index, whatever the number of reforms.

A ledger row is a response whose reform is published, with the reform's earliest date and
title; the recommendation's own state is the caller's to filter (the timeline takes the
recommendations its listing shows).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

REFORM = ("slug", "title", "title_ru", "title_kk")


@dataclass(frozen=True)
class Linked:
    """How many published reforms respond to each recommendation: dated (by recommendation)
    and undated (all of them together)."""

    dated: dict[int, int]
    undated: int


@dataclass(frozen=True)
class Mark:
    """A published reform responding to a recommendation: what the timeline draws of it."""

    recommendation_id: int
    first_date: str
    relation: str
    # The reform's slug and title, with its translations (institute.translations reads them).
    reform: dict


def linked(recommendation_ids: list[int]) -> Linked:
    if not recommendation_ids:
        return Linked({}, 0)
    dated: dict[int, int] = {}
    undated = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT recommendation_id, first_date = '', count(*) FROM reforms_response_ledger "
            f"WHERE recommendation_id IN ({_marks(recommendation_ids)}) GROUP BY 1, 2",
            recommendation_ids,
        )
        for recommendation_id, is_undated, n in cursor.fetchall():
            if is_undated:
                undated += n
            else:
                dated[recommendation_id] = n
    return Linked(dated, undated)


def first_marks(recommendation_ids: list[int], per_row: int | None) -> list[Mark]:
    """Each recommendation's first `per_row` dated reforms (all of them when None), by the
    reform's earliest date, then title; in that order across recommendations too."""
    if not recommendation_ids:
        return []
    order = "first_date, title, reform_id"
    columns = "recommendation_id, reform_id, first_date, title, relation"
    params: list = list(recommendation_ids)
    if per_row is None:
        sql = (
            f"SELECT {columns} FROM reforms_response_ledger WHERE first_date <> '' "
            f"AND recommendation_id IN ({_marks(recommendation_ids)})"
        )
    elif connection.vendor == "postgresql":
        # One range of the index a recommendation, however many reforms respond to it.
        sql = (
            f"SELECT {', '.join('l.' + c for c in columns.split(', '))} "
            f"FROM unnest(ARRAY[{_marks(recommendation_ids)}]::bigint[]) m(id) "
            "CROSS JOIN LATERAL (SELECT * FROM reforms_response_ledger l "
            "WHERE l.recommendation_id = m.id AND l.first_date <> '' "
            f"ORDER BY {order} LIMIT %s) l"
        )
        params.append(per_row)
    else:
        sql = (
            f"SELECT {columns} FROM (SELECT *, row_number() OVER (PARTITION BY "
            f"recommendation_id ORDER BY {order}) AS rank FROM reforms_response_ledger "
            f"WHERE first_date <> '' AND recommendation_id IN ({_marks(recommendation_ids)})) "
            "WHERE rank <= %s"
        )
        params.append(per_row)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT x.recommendation_id, x.first_date, x.relation, r.slug, r.title, r.title_ru, "
            f"r.title_kk FROM ({sql}) x JOIN reforms_reform r ON r.id = x.reform_id "
            f"ORDER BY {', '.join('x.' + c for c in order.split(', '))}, x.recommendation_id",
            params,
        )
        return [
            Mark(rec, first_date, relation, dict(zip(REFORM, reform, strict=True)))
            for rec, first_date, relation, *reform in cursor.fetchall()
        ]


def _marks(values: list) -> str:
    return ", ".join(["%s"] * len(values))
