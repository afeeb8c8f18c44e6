""" "Did you mean": a search that finds nothing is offered the query with each word it does not
know replaced by the most similar word of the published content itself (its titles, texts and
the names of its topics or themes): "corupsion" → "corruption".

Similarity is pg_trgm's (the share of three-letter groups two words have in common) on
PostgreSQL where the extension is installed (institute's migration 0015 creates it where the
database user may); elsewhere, on SQLite or without the extension, the same measure computed
in Python (`trigram_similarity`), over the same words. The words are read from `published()`
rows only, so a draft's words are never offered.
"""

from __future__ import annotations

import hashlib
import re

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from institute.listings.generation import generation
from institute.listings.search import words as query_words

# pg_trgm's default `similarity_threshold`: below it, two words are not offered for each other.
THRESHOLD = 0.3
MIN_LENGTH = 4  # shorter words are too often someone's abbreviation to correct
SUGGESTION_TTL = 3600
_WORD = re.compile(r"[^\W\d_]+")  # letters only, as the database's split: '[^[:alpha:]]+'


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: lowercased, two spaces before and one after."""
    padded = f"  {word.lower()} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity()` of two words: shared trigrams over all of both."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def has_pg_trgm() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def _closest_in_database(word: str, sources: list[tuple[QuerySet, list[str]]]) -> str:
    """The content word most similar to `word`, by pg_trgm, over the sources' fields."""
    parts, params = [], []
    for queryset, fields in sources:
        sql, source_params = queryset.values(*fields).query.sql_with_params()
        text = " || ' ' || ".join(
            f"coalesce(src.{connection.ops.quote_name(f)}, '')" for f in fields
        )
        parts.append(
            f"SELECT lower(w) AS w FROM ({sql}) AS src, "
            f"regexp_split_to_table({text}, '[^[:alpha:]]+') AS w"
        )
        params += list(source_params)
    union = " UNION ".join(parts)
    sql = (
        f"SELECT w FROM ({union}) AS content_words "
        "WHERE length(w) >= %s AND similarity(w, %s) >= %s "
        "ORDER BY similarity(w, %s) DESC, w LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MIN_LENGTH, word, THRESHOLD, word])
        row = cursor.fetchone()
    return row[0] if row else ""


def content_words(sources: list[tuple[QuerySet, list[str]]]) -> set[str]:
    """Every word of the sources' fields, lowercased (the Python path's vocabulary)."""
    found: set[str] = set()
    for queryset, fields in sources:
        for values in queryset.values_list(*fields).iterator(chunk_size=2000):
            for value in values:
                found.update(w.lower() for w in _WORD.findall(value or ""))
    return {w for w in found if len(w) >= MIN_LENGTH}


def _closest_in_python(word: str, vocabulary: set[str]) -> str:
    best, score = "", THRESHOLD
    for candidate in sorted(vocabulary):
        similarity = trigram_similarity(word, candidate)
        if similarity > score or (similarity == score and not best):
            best, score = candidate, similarity
    return best


def suggest(query: str, sources: list[tuple[QuerySet, list[str]]], *, key: str) -> str:
    """The query with its unknown words replaced by their closest content words, or "" when
    no word changes. Kept per content generation (`key` names the listing)."""
    asked = query_words(query)
    if not asked:
        return ""
    digest = hashlib.sha256(" ".join(asked).lower().encode()).hexdigest()
    cache_key = f"suggest:{key}:{generation()}:{digest}"
    found = cache.get(cache_key)
    if found is not None:
        return found
    use_database = has_pg_trgm()
    vocabulary = set() if use_database else content_words(sources)
    out, changed = [], False
    for word in asked:
        lower = word.lower()
        if len(lower) < MIN_LENGTH or not _WORD.fullmatch(lower):
            out.append(word)
            continue
        if use_database:
            closest = _closest_in_database(lower, sources)
        else:
            closest = lower if lower in vocabulary else _closest_in_python(lower, vocabulary)
        if closest and closest != lower:
            out.append(closest)
            changed = True
        else:
            out.append(word)
    suggestion = " ".join(out) if changed else ""
    cache.set(cache_key, suggestion, SUGGESTION_TTL)
    return suggestion
