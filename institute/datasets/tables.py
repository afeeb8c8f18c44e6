"""The published datasets: one definition of every table, its columns and what they mean.

This module is the CSV contract. The public exports, the data package and its
`datapackage.json`, the codebook on /data/, and the importers all read their columns from
TABLES, so a column cannot mean one thing in one place and another elsewhere. Columns may be
added at the end; never renamed or reordered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat
from django.urls import reverse

from institute.dates import PARTIAL_DATE_REGEX
from institute.sources.models import Citation, Source, SourceKind
from recommendations.models import Audience, Implementation, Recommendation, Response
from reforms.models import Area, Initiator, Reform, ReformStatus

MULTI_SEPARATOR = ";"
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
DATE_RULE = (
    "A date of reduced precision, as precise as the source and never more: a year (2019), a "
    "month (2019-12) or a day (2019-12-20). Empty when the source gives none."
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    type: str = "string"  # Table Schema type: string, integer
    required: bool = False
    vocabulary: list[tuple[str, str]] | None = None
    multi: bool = False  # several values joined by ";"
    pattern: str | None = None
    refers_to: tuple[str, str] | None = None  # (table, column) every value must exist in

    def schema(self) -> dict:
        """This column as a Frictionless Table Schema field descriptor."""
        out = {"name": self.name, "type": self.type, "description": self.description}
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.vocabulary and not self.multi:
            constraints["enum"] = [value for value, _ in self.vocabulary]
        if self.pattern and not self.multi:
            constraints["pattern"] = self.pattern.strip("^$")
        if self.type == "integer":
            constraints["minimum"] = 1
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: list[Column]
    primary_key: list[str]
    queryset: Callable[[], QuerySet] = field(repr=False)
    prepare: Callable[[QuerySet], QuerySet] = field(repr=False, default=lambda qs: qs)

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    def foreign_keys(self) -> list[dict]:
        return [
            {
                "fields": c.name,
                "reference": {"resource": c.refers_to[0], "fields": c.refers_to[1]},
            }
            for c in self.columns
            if c.refers_to and not c.multi
        ]


def join(values: Iterable[str]) -> str:
    return MULTI_SEPARATOR.join(values)


def split(cell: str) -> list[str]:
    return [v.strip() for v in (cell or "").split(MULTI_SEPARATOR) if v.strip()]


def escape_formula(value: str) -> str:
    """Make a cell inert in a spreadsheet; `unescape_formula` undoes exactly this.

    A leading apostrophe is escaped too, so that "'abc" and an escaped "abc" never meet.
    """
    if value and (value.startswith(FORMULA_TRIGGERS) or value.startswith("'")):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1:].startswith((*FORMULA_TRIGGERS, "'")):
        return value[1:]
    return value


def absolute(path: str, base_url: str) -> str:
    return base_url.rstrip("/") + path


# --- reforms ----------------------------------------------------------------------------------
def prepare_reforms(queryset: QuerySet, *, public: bool = True) -> QuerySet:
    """What a reform row reads, fetched in a fixed number of queries per chunk. Public rows
    link only to published sources and recommendations; editors' rows link to all."""
    citations = Citation.objects.select_related("source").order_by("position", "pk")
    responses = Response.objects.select_related("recommendation").order_by("recommendation__slug")
    if public:
        citations = citations.published()
        responses = responses.filter(recommendation__in=Recommendation.objects.published())
    return queryset.prefetch_related(
        "topics",
        Prefetch("citations", queryset=citations),
        Prefetch("responses", queryset=responses),
    )


def published_reforms() -> QuerySet:
    return prepare_reforms(Reform.objects.published()).order_by("slug")


def reform_row(reform: Reform, base_url: str) -> list:
    sources = sorted({c.source.slug for c in reform.citations.all()})
    return [
        reform.slug,
        reform.title,
        reform.summary,
        reform.area,
        join(sorted(t.slug for t in reform.topics.all())),
        reform.status,
        str(reform.announced_on),
        str(reform.adopted_on),
        str(reform.effective_on),
        reform.initiated_by,
        join(sources),
        join(r.recommendation.slug for r in reform.responses.all()),
        absolute(reverse("reforms:detail", kwargs={"slug": reform.slug}), base_url),
        reform.body,
        reform.initiated_by_detail,
    ]


REFORMS = Table(
    name="reforms",
    title="Reforms",
    description="Laws, programmes, strategies, institutional changes, policies and reversals.",
    primary_key=["slug"],
    queryset=published_reforms,
    prepare=prepare_reforms,
    columns=[
        Column("slug", "Permanent identifier of the reform.", required=True, pattern=SLUG_PATTERN),
        Column("title", "A specific, neutral title.", required=True),
        Column("summary", "Two to four sentences in the institute's words.", required=True),
        Column("area", "Policy area.", required=True, vocabulary=Area.choices),
        Column(
            "topics",
            "Topics (slugs, ';'-separated); see the topic list in the codebook.",
            multi=True,
        ),
        Column(
            "status",
            "What happened in the world, as the sources describe it.",
            required=True,
            vocabulary=ReformStatus.choices,
        ),
        Column("announced_on", f"When it was announced. {DATE_RULE}", pattern=PARTIAL_DATE_REGEX),
        Column("adopted_on", f"When it was adopted. {DATE_RULE}", pattern=PARTIAL_DATE_REGEX),
        Column("effective_on", f"When it took effect. {DATE_RULE}", pattern=PARTIAL_DATE_REGEX),
        Column("initiated_by", "Who started it.", vocabulary=Initiator.choices),
        Column(
            "sources",
            "Sources cited for it (slugs in the sources table, ';'-separated).",
            multi=True,
            refers_to=("sources", "slug"),
        ),
        Column(
            "responds_to",
            "Recommendations it answers (slugs in the recommendations table, ';'-separated).",
            multi=True,
            refers_to=("recommendations", "slug"),
        ),
        Column("url", "Its public page. Ignored on import."),
        Column("body", "Longer text, optional."),
        Column("initiated_by_detail", "Who exactly started it, where the vocabulary is coarse."),
    ],
)


# --- recommendations --------------------------------------------------------------------------
def prepare_recommendations(queryset: QuerySet, *, public: bool = True) -> QuerySet:
    responses = Response.objects.select_related("reform").order_by("reform__slug")
    if public:
        responses = responses.filter(reform__in=Reform.objects.published())
    return queryset.select_related("report").prefetch_related(
        "themes", Prefetch("responses", queryset=responses)
    )


def published_recommendations() -> QuerySet:
    return prepare_recommendations(Recommendation.objects.published()).order_by(
        "report__slug", "position"
    )


def recommendation_row(rec: Recommendation, base_url: str) -> list:
    return [
        rec.slug,
        rec.title,
        rec.text,
        rec.audience,
        join(sorted(t.slug for t in rec.themes.all())),
        rec.report.slug,
        rec.position,
        rec.implementation,
        rec.implementation_note,
        str(rec.assessed_on),
        join(r.reform.slug for r in rec.responses.all()),
        absolute(reverse("recommendations:detail", kwargs={"slug": rec.slug}), base_url),
    ]


RECOMMENDATIONS = Table(
    name="recommendations",
    title="Recommendations",
    description="Recommendations made in reports, with the institute's implementation assessment.",
    primary_key=["slug"],
    queryset=published_recommendations,
    prepare=prepare_recommendations,
    columns=[
        Column("slug", "Permanent identifier.", required=True, pattern=SLUG_PATTERN),
        Column("title", "A short title.", required=True),
        Column("text", "The recommendation in full, in the institute's words.", required=True),
        Column("audience", "To whom it is addressed.", required=True, vocabulary=Audience.choices),
        Column("themes", "Themes (slugs, ';'-separated).", multi=True),
        Column(
            "report",
            "The report it comes from (a slug in the sources table).",
            required=True,
            refers_to=("sources", "slug"),
        ),
        Column("position", "Its order in that report, from 1.", type="integer", required=True),
        Column(
            "implementation",
            "How far it has been implemented, in the institute's assessment.",
            required=True,
            vocabulary=Implementation.choices,
        ),
        Column("implementation_note", "The reasons for the assessment."),
        Column(
            "assessed_on",
            f"The 'as of' date of the assessment. {DATE_RULE}",
            pattern=PARTIAL_DATE_REGEX,
        ),
        Column(
            "related_reforms",
            "Reforms that answer it (slugs in the reforms table, ';'-separated).",
            multi=True,
            refers_to=("reforms", "slug"),
        ),
        Column("url", "Its public page. Ignored on import."),
    ],
)


# --- sources ----------------------------------------------------------------------------------
def published_sources() -> QuerySet:
    return Source.objects.published().order_by("slug")


def source_row(source: Source, base_url: str) -> list:
    return [
        source.slug,
        source.title,
        source.authors,
        source.publisher,
        str(source.published_on),
        source.kind,
        source.url,
    ]


SOURCES = Table(
    name="sources",
    title="Sources",
    description="Publications the entries rest on.",
    primary_key=["slug"],
    queryset=published_sources,
    columns=[
        Column("slug", "Permanent identifier.", required=True, pattern=SLUG_PATTERN),
        Column("title", "Title as published.", required=True),
        Column("authors", "Authors as printed, '; '-separated."),
        Column("publisher", "Publisher or site."),
        Column("published_on", f"Publication date. {DATE_RULE}", pattern=PARTIAL_DATE_REGEX),
        Column("kind", "Kind of source.", required=True, vocabulary=SourceKind.choices),
        Column("url", "Where it can be read, if online. Not the tracker's page."),
    ],
)


# --- citations and responses ------------------------------------------------------------------
ENTRY_TYPES = [
    ("reform", "A reform (entry is its slug)"),
    ("recommendation", "A recommendation (entry is its slug)"),
    ("response", "A response (entry is 'recommendation-slug/reform-slug')"),
]


def published_citations() -> QuerySet:
    """Citations of published sources for published entries (both ends of a response)."""
    reforms, recs = Reform.objects.published(), Recommendation.objects.published()
    return (
        Citation.objects.published()
        .filter(
            Q(reform__in=reforms)
            | Q(recommendation__in=recs)
            | Q(response__reform__in=reforms, response__recommendation__in=recs)
        )
        .select_related(
            "source", "reform", "recommendation", "response__reform", "response__recommendation"
        )
        # The natural key, spelled the same on every database (NULLs sort differently).
        .annotate(
            entry_rank=Case(
                When(reform__isnull=False, then=Value(0)),
                When(recommendation__isnull=False, then=Value(1)),
                default=Value(2),
            ),
            entry_key=Coalesce(
                "reform__slug",
                "recommendation__slug",
                Concat(
                    "response__recommendation__slug",
                    Value("/"),
                    "response__reform__slug",
                    output_field=CharField(),
                ),
            ),
        )
        .order_by("entry_rank", "entry_key", "source__slug", "locator", "pk")
    )


def citation_row(citation: Citation, base_url: str) -> list:
    if citation.reform_id:
        entry_type, entry = "reform", citation.reform.slug
    elif citation.recommendation_id:
        entry_type, entry = "recommendation", citation.recommendation.slug
    else:
        response = citation.response
        entry_type = "response"
        entry = f"{response.recommendation.slug}/{response.reform.slug}"
    return [
        entry_type,
        entry,
        citation.source.slug,
        citation.locator,
        citation.quote,
        citation.supports,
    ]


CITATIONS = Table(
    name="citations",
    title="Citations",
    description="Which source supports which entry, and where in the source.",
    primary_key=["entry_type", "entry", "source", "locator"],
    queryset=published_citations,
    columns=[
        Column("entry_type", "What is cited for.", required=True, vocabulary=ENTRY_TYPES),
        Column(
            "entry", "The entry's slug (for a response, 'recommendation/reform').", required=True
        ),
        Column(
            "source",
            "The source (a slug in the sources table).",
            required=True,
            refers_to=("sources", "slug"),
        ),
        Column("locator", "Where in the source: chapter, section, page or footnote."),
        Column("quote", "A short verbatim quote, if any."),
        Column("supports", "What the citation supports in the entry."),
    ],
)


def published_responses() -> QuerySet:
    return (
        Response.objects.filter(
            reform__in=Reform.objects.published(),
            recommendation__in=Recommendation.objects.published(),
        )
        .select_related("reform", "recommendation")
        .order_by("recommendation__slug", "reform__slug")
    )


def response_row(response: Response, base_url: str) -> list:
    return [response.recommendation.slug, response.reform.slug, response.note]


RESPONSES = Table(
    name="responses",
    title="Responses",
    description="Which reform answers which recommendation, and how.",
    primary_key=["recommendation", "reform"],
    queryset=published_responses,
    columns=[
        Column(
            "recommendation",
            "The recommendation (a slug in the recommendations table).",
            required=True,
            refers_to=("recommendations", "slug"),
        ),
        Column(
            "reform",
            "The reform that answers it (a slug in the reforms table).",
            required=True,
            refers_to=("reforms", "slug"),
        ),
        Column("note", "How the reform answers the recommendation."),
    ],
)

ROW_FUNCTIONS = {
    "reforms": reform_row,
    "recommendations": recommendation_row,
    "sources": source_row,
    "citations": citation_row,
    "responses": response_row,
}
TABLES = {t.name: t for t in (REFORMS, RECOMMENDATIONS, SOURCES, CITATIONS, RESPONSES)}


def table_rows(table: Table, queryset: QuerySet, *, base_url: str) -> Iterator[list]:
    """Every row of `queryset` as the table's cells, read in chunks from a server-side cursor."""
    row = ROW_FUNCTIONS[table.name]
    for obj in queryset.iterator(chunk_size=500):
        yield row(obj, base_url)
