"""Full-text search: PostgreSQL's text search where we have it, a plain fallback on SQLite.

On PostgreSQL a reform's `search_vector` is kept up to date by database triggers (see the
migration reforms/0002), so every write path, from the admin to bulk imports, keeps it current.
Results are ranked with `SearchRank` (only when sorted by relevance) and the rows shown get
`SearchHeadline` snippets. On SQLite each word of the query must begin a word of one of the
searched fields (case-insensitive): "edited" finds "edited" (and "editedness"), never
"credited".

On both, a hyphen or dash inside a word separates words: "Nurly-Zhol" finds what "Nurly Zhol"
finds (PostgreSQL's parser would otherwise look for the compound, which "Nurly Zhol" lacks).

On both, a word or phrase of the synonyms list (institute.listings.synonyms) stands for its
group: "ombudsman" finds "Commissioner for Human Rights". A query written in the web-search
syntax (quotes, `or`, a leading `-`) is taken as written. And a listing may pass `names`: the
names of what a row is filed under (a reform's topics and area, a recommendation's themes); a
row whose name holds the whole query matches too ("human rights" finds what a theme of that
name holds).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorExact,
)
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from institute.listings.synonyms import expand

SEARCH_CONFIG = "english"
# The text-search configuration of each language's text (the stored vector's too: migration
# reforms 0018); PostgreSQL has no Kazakh stemmer, so Kazakh is matched word for word.
CONFIGS = {"": SEARCH_CONFIG, "ru": "russian", "kk": "simple"}
# Control characters cannot occur in our text, so they mark highlights safely before escaping.
_START, _STOP = "\x02", "\x03"
MAX_QUERY_LENGTH = 200


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# A hyphen or dash between two letters or digits ("Nurly-Zhol", "2020–2025").
_JOINER = re.compile(r"(?<=\w)[-\u2010-\u2015](?=\w)")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def normalise(query: str) -> str:
    """The query as searched: cut to length, and words joined by a hyphen made separate."""
    return _JOINER.sub(" ", query.strip()[:MAX_QUERY_LENGTH]).strip()


def words(query: str) -> list[str]:
    """The query's words; a lone dash or other punctuation is none (PostgreSQL ignores it)."""
    return [w for w in re.split(r"[\s\"']+", normalise(query)) if re.search(r"\w", w)]


def language_notice(query: str) -> str:
    """What to tell someone searching in Russian or Kazakh: only what is translated is found."""
    if query and _CYRILLIC.search(query):
        return _(
            "Not every entry is translated into Russian and Kazakh yet: a search in Cyrillic "
            "finds the entries that are. For the others, try English words or Latin spellings "
            "of names (for example “Nurly Zhol”, “Astana”)."
        )
    return ""


def terms(query: str) -> list[tuple[str, ...]]:
    """The query's terms, each with its synonyms (a one-word term without any is `(word,)`)."""
    return expand(words(query))


def match_words(query: str) -> list[str]:
    """Every word a match may show: the query's, and its synonyms'."""
    out: list[str] = []
    for term in terms(query):
        for alternative in term:
            out += [w for w in alternative.split() if w not in out]
    return out


_WEB_SYNTAX = re.compile(r"[\"]|(^|\s)-\w|\bor\b", re.I)


def _word_pattern(word: str) -> str:
    """A regular expression for `word` at the start of a word (Python's syntax, which Django
    gives SQLite's REGEXP)."""
    escaped = re.escape(word)
    return rf"\b{escaped}" if re.match(r"\w", word) else escaped


def word_condition(field: str, word: str) -> Q:
    """`field` has a word that begins with `word` (case-insensitive): "edited" matches "edited"
    but not "credited". LIKE first, which SQLite answers cheaply; the pattern only confirms.
    SQLite's LIKE folds the case of ASCII letters only, so a Cyrillic word is the pattern's."""
    pattern = Q(**{f"{field}__iregex": _word_pattern(word)})
    return pattern if _CYRILLIC.search(word) else Q(**{f"{field}__icontains": word}) & pattern


def _websearch(text: str) -> SearchQuery:
    """The text read in each language's configuration, any of them matching: the English
    stemmed as English, Russian as Russian («полиция» finds «полиции»), Kazakh word for word."""
    either = None
    for config in CONFIGS.values():
        one = SearchQuery(text, search_type="websearch", config=config)
        either = one if either is None else either | one
    return either


def _query(query: str) -> SearchQuery:
    """The query as PostgreSQL reads it: every term, each term any of its synonyms (a phrase as
    a phrase)."""
    expanded = terms(query)
    if _WEB_SYNTAX.search(query) or all(len(term) == 1 for term in expanded):
        return _websearch(normalise(query))
    combined = None
    for term in expanded:
        either = None
        for alternative in term:
            one = _websearch(f'"{alternative}"' if " " in alternative else alternative)
            either = one if either is None else either | one
        combined = either if combined is None else combined & either
    return combined


def _any_word(query: str) -> SearchQuery:
    """Any of the query's words or their synonyms': what one field must hold to be where a row
    matched."""
    return _websearch(" or ".join(match_words(query)))


def _terms_condition(fields: list[str], query: str, related: Callable[[str], Q] | None = None) -> Q:
    """The fallback's match (SQLite): every term in one of `fields` (or `related`), a term by any
    of its alternatives, an alternative of several words by all of them."""
    condition = Q()
    for term in terms(query):
        either = Q()
        for alternative in term:
            every = Q()
            for word in alternative.split():
                any_field = Q()
                for field in fields:
                    any_field |= word_condition(field, word)
                if related is not None:
                    any_field |= related(word)
                every &= any_field
            either |= every
        condition &= either
    return condition


def names_matching(names: QuerySet, field: str, query: str) -> QuerySet:
    """The rows of `names` whose `field` holds the whole query, matched as a row's own text
    is: what a listing's `names` builds on (a topic's or theme's name)."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if is_postgres():
        vector = SearchVector(field, config=SEARCH_CONFIG)
        return names.alias(_name_vector=vector).filter(_name_vector=_query(query))
    return names.filter(_terms_condition([field], query))


def with_translations(model, fields: list[str]) -> dict[str, list[str]]:
    """`fields` and their translation columns (institute.translations), by language ("" the
    original)."""
    names = {f.name for f in model._meta.get_fields()}
    return {
        language: [
            f"{field}_{language}" if language else field
            for field in fields
            if not language or f"{field}_{language}" in names
        ]
        for language in CONFIGS
    }


def _document(model, fields: list[str]):
    document = None
    for language, columns in with_translations(model, fields).items():
        if columns:
            one = SearchVector(*columns, config=CONFIGS[language])
            document = one if document is None else document + one
    return document


def search(
    qs: QuerySet,
    query: str,
    *,
    vector: str | None,
    fields: list[str],
    related: Callable[[str], Q] | None = None,
    names: Callable[[str], Q] | None = None,
) -> QuerySet:
    """Filter `qs` to rows matching `query`: nothing computed per row but the match.

    `vector` names a stored SearchVectorField (PostgreSQL), or None to build one from `fields`.
    `related(word)` is the fallback's match of a word in related rows (SQLite), which must apply
    the same `published()` rules as the stored vector does. `names(query)` is a condition on
    the rows whose names (topics, themes) hold the whole query, on both databases.
    """
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query:
        return qs
    if is_postgres():
        # Match with @@ (every word must be there); ts_rank alone also scores partial matches.
        if vector:
            condition = Q(**{vector: _query(query)})
        else:
            qs = qs.alias(_document=_document(qs.model, fields))
            condition = Q(_document=_query(query))
    else:
        every = [c for columns in with_translations(qs.model, fields).values() for c in columns]
        condition = _terms_condition(every, query, related)
    if names is not None:
        condition |= names(query)
    # Every part is a column of the row or a subquery: no join repeats a row, no DISTINCT needed.
    return qs.filter(condition)


def with_rank(qs: QuerySet, query: str, *, vector: str | None, fields: list[str]) -> QuerySet:
    """`qs` annotated with `rank`, for ordering by relevance (1.0 for every row on SQLite)."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if is_postgres() and query:
        document = F(vector) if vector else _document(qs.model, fields)
        return qs.annotate(rank=SearchRank(document, _query(query)))
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


def field_matches(expression, query: str, *, fields: list[str] | None = None):
    """Per row, whether any word of `query` is in `expression` (a field's name): where a row
    matched. With `fields`, in any of them (a related row's, as in a subquery)."""
    fields = fields or [expression]
    if is_postgres():
        return SearchVectorExact(SearchVector(*fields, config=SEARCH_CONFIG), _any_word(query))
    condition = Q()
    for word in match_words(query):
        for field in fields:
            condition |= word_condition(field, word)
    return ExpressionWrapper(condition, output_field=BooleanField())


def headline_of(expression, query: str, *, whole: bool = False):
    """The snippet of `expression` around the query's words, marked: SearchHeadline on
    PostgreSQL, the whole text on SQLite (`excerpt` cuts it). `whole`: all of a short text
    (a title), its words marked as the search matched them (stems: "police" in "policing")."""
    if not is_postgres():
        return expression if not isinstance(expression, str) else F(expression)
    options = {"highlight_all": True} if whole else {"max_words": 40, "min_words": 15}
    return SearchHeadline(
        expression,
        _any_word(query),
        config=SEARCH_CONFIG,
        start_sel=_START,
        stop_sel=_STOP,
        **options,
    )


def excerpt(text: str, query: str, *, width: int = 240) -> str:
    """About `width` characters of `text` around its first match of a query word, the matches
    marked as SearchHeadline marks them (a snippet already marked is returned as it is)."""
    if not text or _START in text:
        return text or ""
    marked = sorted({w for w in match_words(query) if len(w) > 1}, key=len, reverse=True)
    pattern = re.compile("|".join(_word_pattern(t) for t in marked), re.IGNORECASE)
    first = pattern.search(text) if marked else None
    if first is None:  # matched by a stem or elsewhere: the text's start
        return text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + " …"
    start = 0 if first.start() < width // 3 else first.start() - width // 3
    if start:
        start = text.find(" ", start) + 1 or start  # a whole word first
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    return pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", text[start:end])


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
    marked = sorted({escape(w) for w in match_words(query) if len(w) > 1}, key=len, reverse=True)
    if not marked:
        return mark_safe(escaped)
    pattern = re.compile("|".join(_word_pattern(t) for t in marked), re.IGNORECASE)
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))
