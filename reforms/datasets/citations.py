"""The citations table: which source supports which entry, and where in it. A citation is part
of its entry's snapshot (a response's, of its reform's), so a file of them changes entries
(working copies of published ones)."""

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat
from django.utils.translation import gettext_lazy

from institute import translations
from institute.datasets.clean import Lookups
from institute.datasets.columns import Column, Key, Ref, translation_columns
from institute.datasets.parse import ImportRefused, Problem
from institute.datasets.plan import Plan, owner_snapshot, preload_owners, record_update
from institute.datasets.tables import Table, ref_slug_sql
from institute.sources.models import Citation
from recommendations.models import Recommendation
from reforms.models import Reform, Response

ENTRY_TYPES = [
    ("reform", gettext_lazy("A reform (entry is its slug)")),
    ("recommendation", gettext_lazy("A recommendation (entry is its slug)")),
    ("response", gettext_lazy("A response (entry is 'recommendation-slug/reform-slug')")),
]


def published_citations() -> QuerySet:
    """Citations of published sources for published entries (both ends of a response).

    Each end is asked with EXISTS, which PostgreSQL answers with an index probe a row: `IN`
    under an OR is a subplan, hashed only while the published ids fit in `work_mem`, and
    past that (a million reforms) scanned again for every citation."""

    def public(queryset, ref: str) -> Exists:
        return Exists(queryset.published().filter(pk=OuterRef(ref)))

    return (
        Citation.objects.published()
        .filter(
            Q(public(Reform.objects, "reform_id"))
            | Q(public(Recommendation.objects, "recommendation_id"))
            | Q(
                public(Reform.objects, "response__reform_id"),
                public(Recommendation.objects, "response__recommendation_id"),
            )
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


def entry_type_of(citation: Citation) -> str:
    if citation.reform_id:
        return "reform"
    return "recommendation" if citation.recommendation_id else "response"


def entry_of(citation: Citation) -> str:
    if citation.reform_id:
        return citation.reform.slug
    if citation.recommendation_id:
        return citation.recommendation.slug
    response = citation.response
    return f"{response.recommendation.slug}/{response.reform.slug}"


def entry_type_sql(t: str, base_url: str) -> tuple[str, list]:
    """`entry_type_of` in SQL, for the files PostgreSQL writes (institute.datasets.export)."""
    return (
        f"CASE WHEN {t}.\"reform_id\" IS NOT NULL THEN 'reform' "
        f"WHEN {t}.\"recommendation_id\" IS NOT NULL THEN 'recommendation' ELSE 'response' END",
        [],
    )


def entry_sql(t: str, base_url: str) -> tuple[str, list]:
    """`entry_of` in SQL."""
    reforms, recs = Reform._meta.db_table, Recommendation._meta.db_table
    return (
        f'coalesce((SELECT x."slug" FROM {reforms} x WHERE x."id" = {t}."reform_id"), '
        f'(SELECT x."slug" FROM {recs} x WHERE x."id" = {t}."recommendation_id"), '
        f'(SELECT c."slug" || \'/\' || f."slug" FROM {Response._meta.db_table} r '
        f'JOIN {recs} c ON c."id" = r."recommendation_id" '
        f'JOIN {reforms} f ON f."id" = r."reform_id" WHERE r."id" = {t}."response_id"))',
        [],
    )


def check_entry(row: dict, line: int, lookups: Lookups) -> list[Problem]:
    """The entry a citation row names exists (a response: as a pair of slugs)."""
    entry_type, entry = row.get("entry_type", ""), row.get("entry", "")
    reforms = lookups.keys("reforms.Reform")
    recommendations = lookups.keys("recommendations.Recommendation")
    if entry_type not in ("reform", "recommendation", "response"):
        return [
            Problem(
                "must be one of reform, recommendation, response", line, "entry_type", entry_type
            )
        ]
    if entry_type == "response":
        rec, _, reform = entry.partition("/")
        pairs = lookups.memo(
            "responses", lambda: set(Response.objects.values_list("recommendation_id", "reform_id"))
        )
        if (recommendations.get(rec), reforms.get(reform)) not in pairs:
            return [
                Problem(
                    "must be 'recommendation-slug/reform-slug' of an existing response "
                    "(import the responses file first)",
                    line,
                    "entry",
                    entry,
                )
            ]
    elif entry not in (reforms if entry_type == "reform" else recommendations):
        return [Problem(f"unknown {entry_type}", line, "entry", entry)]
    return []


def plan_citations(plan: Plan, rows, lookups: Lookups) -> Plan:
    """Each row adds or changes one citation of a reform, a recommendation or a response."""
    reforms = lookups.keys("reforms.Reform")
    recommendations = lookups.keys("recommendations.Recommendation")
    sources = lookups.keys("institute.Source")
    for model, entry_type, table in (
        (Reform, "reform", reforms),
        (Recommendation, "recommendation", recommendations),
    ):
        preload_owners(
            plan, model, [table[r["entry"]] for _, r in rows if r["entry_type"] == entry_type]
        )
    # A response's evidence is part of its reform's snapshot: reviewed with the reform.
    preload_owners(
        plan,
        Reform,
        [reforms[r["entry"].partition("/")[2]] for _, r in rows if r["entry_type"] == "response"],
    )
    for line, row in rows:
        source_pk = sources[row["source"]]
        locator = row.get("locator", "")
        values = {
            name: row.get(name)
            for name in ("quote", "supports", *translations.all_columns(Citation))
        }
        key = f"{row['entry_type']}:{row['entry']}:{row['source']}:{locator}"
        if row["entry_type"] == "response":
            _plan_response_citation(plan, lookups, line, row, key, source_pk, locator, values)
            continue
        model = Reform if row["entry_type"] == "reform" else Recommendation
        table = reforms if model is Reform else recommendations
        entry, snap = owner_snapshot(plan, model, table[row["entry"]])
        new = {**snap, "citations": [dict(i) for i in snap.get("citations", [])]}
        item = next(
            (i for i in new["citations"] if i["source"] == source_pk and i["locator"] == locator),
            None,
        )
        if item is None:
            # A source listed in the entry's `sources` column gets a citation with no locator;
            # the first real citation of that source takes its place.
            placeholder = next(
                (
                    i
                    for i in new["citations"]
                    if i["source"] == source_pk
                    and not (i["locator"] or i["quote"] or i["supports"])
                ),
                None,
            )
            if placeholder is not None and locator:
                item = placeholder
                item["locator"] = locator
            else:
                item = {"source": source_pk, "locator": locator, "quote": "", "supports": ""}
                item["position"] = len(new["citations"])
                new["citations"].append(item)
            created = True
        else:
            created = False
        for k, v in values.items():
            if v is not None:
                item[k] = v
        record_update(plan, entry, snap, new, line, key, adds=created)
    return plan


def _plan_response_citation(plan: Plan, lookups, line, row, key, source_pk, locator, values):
    """Evidence for a response goes into its reform's working snapshot, never to the live row."""
    reforms = lookups.keys("reforms.Reform")
    recommendations = lookups.keys("recommendations.Recommendation")
    rec, _, reform = row["entry"].partition("/")
    rec_pk = recommendations[rec]
    entry, snap = owner_snapshot(plan, Reform, reforms[reform])
    new = {**snap, "responses": [dict(i) for i in snap.get("responses", [])]}
    response = next((i for i in new["responses"] if i["recommendation"] == rec_pk), None)
    if response is None:
        # Cleaning found the response; the reform's working copy has since dropped it.
        raise ImportRefused(
            [
                Problem(
                    "the working copy of the reform no longer answers this recommendation; "
                    "publish or discard that copy first",
                    line,
                    "entry",
                    row["entry"],
                )
            ]
        )
    response["citations"] = [dict(i) for i in response.get("citations", [])]
    item = next(
        (i for i in response["citations"] if i["source"] == source_pk and i["locator"] == locator),
        None,
    )
    created = item is None
    if created:
        item = {"source": source_pk, "locator": locator, "quote": "", "supports": ""}
        item["position"] = len(response["citations"])
        response["citations"].append(item)
    for k, v in values.items():
        if v is not None:
            item[k] = v
    record_update(plan, entry, snap, new, line, key, adds=created)


CITATIONS = Table(
    name="citations",
    title=gettext_lazy("Citations"),
    description=gettext_lazy("Which source supports which entry, and where in the source."),
    model="institute.Citation",
    primary_key=["entry_type", "entry", "source", "locator"],
    queryset=published_citations,
    position=40,
    # Citations belong to entries: importing them takes the entries' right.
    import_permission="reforms.import_reform",
    plan=plan_citations,
    check_row=check_entry,
    columns=[
        Column(
            "entry_type",
            gettext_lazy("What is cited for."),
            Key(vocabulary=ENTRY_TYPES),
            required=True,
            get=lambda citation, _: entry_type_of(citation),
            sql=entry_type_sql,
        ),
        Column(
            "entry",
            gettext_lazy("The entry's slug (for a response, 'recommendation/reform')."),
            Key(),
            required=True,
            get=lambda citation, _: entry_of(citation),
            sql=entry_sql,
        ),
        Column(
            "source",
            gettext_lazy("The source (a slug in the sources table)."),
            Ref(target="institute.Source", table="sources", noun="source"),
            required=True,
            get=lambda citation, _: citation.source.slug,
            sql=ref_slug_sql("institute.Citation", "source"),
        ),
        Column("locator", gettext_lazy("Where in the source: chapter, section, page or footnote.")),
        Column("quote", gettext_lazy("A short verbatim quote, if any.")),
        Column("supports", gettext_lazy("What the citation supports in the entry.")),
        # The quote is never translated: it stays in the source's language.
        *translation_columns({"supports": gettext_lazy("What the citation supports")}),
    ],
)
