"""The search's synonyms: groups of words and phrases that mean the same to a visitor
(fixtures/content/search/synonyms.yaml), and a query's terms expanded by them.

A query is read as a list of terms; a term is a word, or a phrase of the synonyms list found in
the query, and each term stands for its alternatives (itself and its group's other members).
A row matches when, for every term, it holds one of the term's alternatives (a phrase as a
phrase on PostgreSQL, its words on SQLite).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings


class SynonymsError(ValueError):
    pass


def read_groups(path: Path) -> list[tuple[str, ...]]:
    """The groups of the file, each a tuple of lowercase terms; a malformed file is refused with
    what is wrong and where (a list of lists of two or more strings)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise SynonymsError(f"{path.name}: expected a list of groups.")
    groups = []
    for n, group in enumerate(data, start=1):
        if not (
            isinstance(group, list)
            and len(group) >= 2
            and all(isinstance(t, str) and t.strip() for t in group)
        ):
            raise SynonymsError(f"{path.name}, group {n}: expected two or more words or phrases.")
        groups.append(tuple(" ".join(t.lower().split()) for t in group))
    return groups


@cache
def groups() -> list[tuple[str, ...]]:
    return read_groups(Path(settings.SEARCH_SYNONYMS_FILE))


@cache
def _alternatives() -> dict[str, tuple[str, ...]]:
    """Each term of the list → every member of its groups (itself first)."""
    out: dict[str, list[str]] = {}
    for group in groups():
        for term in group:
            known = out.setdefault(term, [term])
            known += [t for t in group if t not in known]
    return {term: tuple(alts) for term, alts in out.items()}


@cache
def _pattern() -> re.Pattern | None:
    terms = sorted(_alternatives(), key=len, reverse=True)  # the longest phrase first
    if not terms:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.I)


def expand(words: list[str]) -> list[tuple[str, ...]]:
    """The query's words as terms, each with its alternatives: ["ombudsman", "powers"] →
    [("ombudsman", "ombudsperson", "commissioner for human rights", …), ("powers",)]."""
    text = " ".join(words)
    pattern = _pattern()
    if pattern is None:
        return [(w,) for w in words]
    out: list[tuple[str, ...]] = []
    position = 0
    for found in pattern.finditer(text):
        out += [(w,) for w in text[position : found.start()].split()]
        out.append(_alternatives()[found.group(1).lower()])
        position = found.end()
    out += [(w,) for w in text[position:].split()]
    return out


def has_synonyms(words: list[str]) -> bool:
    return any(len(term) > 1 for term in expand(words))
