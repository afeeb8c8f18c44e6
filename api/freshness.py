"""When the public content last changed: the ETag and Last-Modified of every data response,
and `?updated_since=` for incremental sync.

The ETag is the marker the data package is keyed by (institute.listings.generation.content_marker):
the listing generation, which every write to a public table moves on, with the newest version
and review event, read in one query.
Last-Modified is when this API first saw the content in its present state (see content_marker).

An entry's public row changes when it is published (a new entry, or its working copy applied):
`published_at` is that time. Its row also shows links to other entries, which change when
those are published: `updated_since` takes them in too (a reform whose source was published
since is returned again).
"""

from __future__ import annotations

import datetime
import hashlib

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from institute.listings.generation import content_marker as current_marker
from institute.sources.models import Citation, Source
from recommendations.models import Recommendation
from reforms.models import Response

SEEN_TTL = 30 * 24 * 3600


class BadTimestamp(ValueError):
    pass


def content_marker() -> tuple[str, datetime.datetime]:
    """(marker, the time this API first saw the content in that state), in two queries (the
    marker, institute.listings.generation.content_marker, and the cache).

    Not the time of the newest review event: topics, themes and writes outside the workflow
    change the content without one, and a Last-Modified before such a change would answer a
    client's If-Modified-Since with a stale 304. The time the marker was first seen is never
    before the change; should the cache lose it, it is seen again later, which costs a client
    a full answer, never a stale one.
    """
    marker = current_marker()
    key = "api:seen:" + hashlib.sha256(marker.encode()).hexdigest()[:32]
    # Whole seconds: what an HTTP date holds, so that the client's copy compares equal.
    seen = cache.get_or_set(key, lambda: timezone.now().replace(microsecond=0), SEEN_TTL)
    return marker, seen


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
            f"“{value[:40]}” is not an ISO 8601 date or date-time (2025-03-01 or "
            "2025-03-01T12:00:00Z)"
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # an offset past the first or last representable moment
        edge = datetime.datetime.max if moment.year == datetime.MAXYEAR else datetime.datetime.min
        return edge.replace(tzinfo=datetime.UTC)


def updated_since(table_name: str, since: datetime.datetime) -> Q:
    """The rows of `table_name` whose public content may have changed since `since`."""
    new_sources = Source.objects.published().filter(published_at__gte=since)
    new_recs = Recommendation.objects.published().filter(
        Q(published_at__gte=since) | Q(report__published_at__gte=since)
    )
    if table_name == "reforms":
        return (
            Q(published_at__gte=since)
            | Q(pk__in=Citation.objects.filter(source__in=new_sources).values("reform_id"))
            | Q(pk__in=Response.objects.filter(recommendation__in=new_recs).values("reform_id"))
        )
    if table_name == "recommendations":
        return (
            Q(published_at__gte=since)
            | Q(report__published_at__gte=since)
            | Q(
                pk__in=Response.objects.filter(reform__published_at__gte=since).values(
                    "recommendation_id"
                )
            )
        )
    if table_name == "sources":
        return Q(published_at__gte=since)
    if table_name == "responses":
        return Q(reform__published_at__gte=since) | Q(recommendation__published_at__gte=since)
    if table_name == "citations":
        return (
            Q(source__published_at__gte=since)
            | Q(reform__published_at__gte=since)
            | Q(recommendation__published_at__gte=since)
            | Q(recommendation__report__published_at__gte=since)
            | Q(response__reform__published_at__gte=since)
            | Q(response__recommendation__published_at__gte=since)
        )
    raise KeyError(table_name)
