"""When the public content last changed: the ETag and Last-Modified of every data response,
and `?updated_since=` for incremental sync.

The ETag is the marker the data package is keyed by (institute.listings.generation.content_marker):
the listing generation, which every write to a public table moves on, with the newest version
and review event, read in one query.
Last-Modified is when this API first saw the content in its present state (see first_seen).

An entry's public row changes when it is published (a new entry, or its working copy applied):
`published_at` is that time. Its row also shows links to other entries, which change when
those are published: `updated_since` takes them in too (a reform whose source was published
since is returned again), following the links the table's columns and model declare.
"""

from __future__ import annotations

import datetime
import hashlib

from django.core.cache import cache
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from institute.datasets.columns import Links
from institute.datasets.tables import TABLES, Table

SEEN_TTL = 30 * 24 * 3600


class BadTimestamp(ValueError):
    pass


def first_seen(marker: str) -> datetime.datetime:
    """When this API first saw the content in the state `marker` names, in one query (the
    cache).

    Not the time of the newest review event: topics, themes and writes outside the workflow
    change the content without one, and a Last-Modified before such a change would answer a
    client's If-Modified-Since with a stale 304. The time the marker was first seen is never
    before the change; should the cache lose it, it is seen again later, which costs a client
    a full answer, never a stale one.
    """
    key = "api:seen:" + hashlib.sha256(marker.encode()).hexdigest()[:32]
    # Whole seconds: what an HTTP date holds, so that the client's copy compares equal.
    return cache.get_or_set(key, lambda: timezone.now().replace(microsecond=0), SEEN_TTL)


def etag(request, marker: str) -> str:
    """Per content and per representation: the address (the records hold absolute URLs)."""
    text = f"{marker}|{request.build_absolute_uri()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def parse_since(value: str) -> datetime.datetime:
    """An ISO 8601 date or date-time (naive: UTC), or BadTimestamp in plain words."""
    value = value.strip()
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        moment = None
    if moment is None:
        raise BadTimestamp(
            _(
                "“%(value)s” is not an ISO 8601 date or date-time (2025-03-01 or "
                "2025-03-01T12:00:00Z)"
            )
            % {"value": value[:40]}
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # an offset past the first or last representable moment
        edge = datetime.datetime.max if moment.year == datetime.MAXYEAR else datetime.datetime.min
        return edge.replace(tzinfo=datetime.UTC)


def published_since(
    model: type[Model], since: datetime.datetime, path: str = "", seen: frozenset = frozenset()
) -> Q:
    """The rows of `model` (reached by the lookup `path`) showing an entry published since
    `since`: their own entry, and any row of the tables a foreign key of theirs leads to (a
    recommendation's report; a response's reform and recommendation), and so on from there (a
    response's recommendation is public only with its report).

    A model with neither has no condition: all its rows, as no change to them can be ruled out."""
    changed = Q()
    if any(f.name == "published_at" for f in model._meta.concrete_fields):
        changed |= Q(**{f"{path}published_at__gte": since})
    rows = {table.get_model() for table in TABLES.values()} - seen - {model}
    for field in model._meta.concrete_fields:
        # Only forward keys: they point at one row each, so the join repeats no row.
        if field.many_to_one and field.related_model in rows:
            changed |= published_since(
                field.related_model, since, f"{path}{field.name}__", seen | {model}
            )
    return changed


def updated_since(table: Table, since: datetime.datetime) -> Q:
    """The rows of `table` whose public content may have changed since `since`: published
    since, or showing an entry published since, through a foreign key (published_since) or
    through the child rows of a `Links` column (a reform's citations of sources, its responses
    to recommendations).

    It may name a row that did not change (one linked to an entry published and withdrawn
    since), never miss one that did: a client merges what it gets."""
    model = table.get_model()
    changed = published_since(model, since)
    for column in table.columns:
        if isinstance(column.cell, Links):
            children = model._meta.get_field(column.cell.child)
            target = children.related_model._meta.get_field(column.cell.key)
            linking = children.related_model.objects.filter(
                published_since(target.related_model, since, f"{target.name}__")
            )
            # A subquery, not a join: a row with many such children is listed once.
            changed |= Q(pk__in=linking.values(children.field.attname))
    return changed


class UpdatedSince(BaseFilterBackend):
    """`?updated_since=`: only the rows of the view's table that may have changed since."""

    query_param = "updated_since"

    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get(self.query_param)
        if value is None:
            return queryset
        try:
            since = parse_since(value)
        except BadTimestamp as error:
            raise ValidationError({self.query_param: str(error)}) from None
        return queryset.filter(updated_since(TABLES[view.table_name], since))

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.query_param,
                "in": "query",
                "required": False,
                "description": (
                    "Only rows whose public content may have changed since this moment (ISO "
                    "8601; a date, or a date-time, UTC when it has no offset): entries published "
                    "since, and rows linking to entries published since. Withdrawn entries are "
                    "not listed: compare slugs with a full read to find them."
                ),
                "schema": {"type": "string", "format": "date-time"},
            }
        ]
