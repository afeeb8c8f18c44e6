"""Full-text search: PostgreSQL's text search where we have it, a plain fallback on SQLite.

On PostgreSQL a reform's `search_vector` is kept up to date by database triggers (see the
migration reforms/0002), so every write path, from the admin to bulk imports, keeps it current.
Results are ranked with `SearchRank` (only when sorted by relevance) and the rows shown get
`SearchHeadline` snippets. On SQLite each word of the query must appear in one of the searched
fields (case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SEARCH_CONFIG = "english"
# Control characters cannot occur in our text, so they mark highlights safely before escaping.
_START, _STOP = "\x02", "\x03"
MAX_QUERY_LENGTH = 200


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def words(query: str) -> list[str]:
    return [w for w in re.split(r"[\s\"']+", query[:MAX_QUERY_LENGTH]) if w]


def _query(query: str) -> SearchQuery:
    return SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)


def _document(vector: str | None, fields: list[str]):
    from django.contrib.postgres.search import SearchVector

    return F(vector) if vector else SearchVector(*fields, config=SEARCH_CONFIG)


def search(
    qs: QuerySet,
    query: str,
    *,
    vector: str | None,
    fields: list[str],
    related: Callable[[str], Q] | None = None,
) -> QuerySet:
    """Filter `qs` to rows matching `query`: nothing computed per row but the match.

    `vector` names a stored SearchVectorField (PostgreSQL), or None to build one from `fields`.
    `related(word)` is the fallback's match of a word in related rows (SQLite), which must apply
    the same `published()` rules as the stored vector does.
    """
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query:
        return qs
    if is_postgres():
        # Match with @@ (every word must be there); ts_rank alone also scores partial matches.
        if vector:
            return qs.filter(**{vector: _query(query)})
        return qs.alias(_document=_document(None, fields)).filter(_document=_query(query))
    condition = Q()
    for word in words(query):
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        if related is not None:
            any_field |= related(word)
        condition &= any_field
    # Every part is a column of the row or a subquery: no join repeats a row, no DISTINCT needed.
    return qs.filter(condition)


def with_rank(qs: QuerySet, query: str, *, vector: str | None, fields: list[str]) -> QuerySet:
    """`qs` annotated with `rank`, for ordering by relevance (1.0 for every row on SQLite)."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if is_postgres() and query:
        return qs.annotate(rank=SearchRank(_document(vector, fields), _query(query)))
    return qs.annotate(rank=Value(1.0))


def with_headline(qs: QuerySet, query: str, *, field: str) -> QuerySet:
    """`qs` annotated with `headline`, the raw snippet of `field` around the query's words: the
    costliest part of a search, so made for the rows of the page shown, not for every match. On
    SQLite the snippet is the whole field (highlight() marks the words)."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not (is_postgres() and query):
        return qs.annotate(headline=F(field))
    return qs.annotate(
        headline=SearchHeadline(
            field,
            _query(query),
            config=SEARCH_CONFIG,
            start_sel=_START,
            stop_sel=_STOP,
            max_words=40,
            min_words=15,
        )
    )


def highlight(text: str, query: str, full: str = "") -> SafeString:
    """Escape a snippet and mark the query's words in it, whichever database made it.

    With `full`, the text the snippet was cut from, an ellipsis shows where text was left out.
    """
    if _START in text:
        plain = text.replace(_START, "").replace(_STOP, "")
        escaped = escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
        if full and plain.strip() and not full.startswith(plain.strip()[:20]):
            escaped = "… " + escaped
        if full and plain.strip() and not full.rstrip().endswith(plain.strip()[-20:]):
            escaped = escaped + " …"
        return mark_safe(escaped)
    escaped = escape(text)
    terms = sorted({escape(w) for w in words(query) if len(w) > 1}, key=len, reverse=True)
    if not terms:
        return mark_safe(escaped)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))
