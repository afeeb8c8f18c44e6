"""What a reform search shows of each result: where it matched (title, summary, body, a
citation of a published source) and the passage, computed in the shown rows' own query.

The matching itself is institute.listings.search's: the stored search vector on PostgreSQL,
words on SQLite, whose citation part is `in_published_citations`.
"""

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils.translation import pgettext_lazy

from institute.listings.search import (
    excerpt,
    field_matches,
    headline_of,
    highlight,
    word_condition,
)
from institute.sources.models import Citation

# Where a search may match a reform, in the order its snippet is taken from: the title is shown
# highlighted anyway, so a title-only match shows the summary.
MATCH_PLACES = (
    ("summary", pgettext_lazy("where a search matched", "summary")),
    ("body", pgettext_lazy("where a search matched", "body")),
    ("citation", pgettext_lazy("where a search matched", "a citation")),
)
TITLE_PLACE = pgettext_lazy("where a search matched", "title")
# What the search vector's citation part holds (migration 0006).
CITATION_FIELDS = ["source__title", "source__authors", "source__publisher", "locator", "quote"]


def in_published_citations(word: str) -> Q:
    """Reforms with `word` in a citation of a published source (the SQLite fallback's part of
    what the PostgreSQL trigger puts in the search vector)."""
    any_field = Q()
    for field in CITATION_FIELDS:
        any_field |= word_condition(field, word)
    matching = Citation.objects.published().filter(any_field)
    return Q(pk__in=matching.filter(reform__isnull=False).values("reform_id"))


def _matching_citations(query: str):
    """A reform's published citations that hold a word of `query`, first in the reform's order."""
    return (
        Citation.objects.published()
        .filter(reform=OuterRef("pk"))
        .filter(field_matches("quote", query, fields=CITATION_FIELDS))
        .order_by("position", "pk")
    )


def _citation_text():
    """A citation as a result's snippet shows it: source (authors) — locator: quote."""
    authors = Case(
        When(source__authors="", then=Value("")),
        default=Concat(Value(" ("), "source__authors", Value(")")),
        output_field=TextField(),
    )
    return Concat(
        "source__title",
        authors,
        Value(" — "),
        "locator",
        Value(": "),
        "quote",
        output_field=TextField(),
    )


def with_matches(rows, query: str):
    """Where each reform matched and a snippet of the first place but the title: all in the rows'
    query (a few rows of a page, not every match)."""
    cited = Subquery(
        _matching_citations(query).annotate(text=_citation_text()).values("text")[:1],
        output_field=TextField(),
    )
    rows = rows.annotate(
        in_title=field_matches("title", query),
        in_summary=field_matches("summary", query),
        in_body=field_matches("body", query),
        cited=cited,
        # The first matching citation's text is never NULL when there is one (Concat): no
        # second subquery to ask whether one exists.
        in_citation=ExpressionWrapper(Q(cited__isnull=False), output_field=BooleanField()),
    )
    return rows.annotate(
        title_headline=headline_of("title", query, whole=True),
        headline=Case(
            When(in_summary=True, then=headline_of("summary", query)),
            When(in_body=True, then=headline_of("body", query)),
            When(in_citation=True, then=headline_of(cited, query)),
            default=headline_of("summary", query),
            output_field=TextField(),
        ),
    )


def describe_match(row, query: str) -> None:
    """Set `matched_in` (labels of where it matched), `snippet` and `title_snippet` (safe HTML,
    the words marked) on a row that `with_matches` annotated."""
    places = [(TITLE_PLACE, row.in_title)] + [
        (label, getattr(row, f"in_{name}")) for name, label in MATCH_PLACES
    ]
    row.matched_in = [str(label) for label, found in places if found]
    source = next((name for name, _ in MATCH_PLACES if getattr(row, f"in_{name}")), "")
    full = row.cited if source == "citation" else getattr(row, source or "summary")
    row.snippet = highlight(excerpt(row.headline or "", query), query, full or "")
    row.title_snippet = highlight(row.title_headline or row.title, query)
