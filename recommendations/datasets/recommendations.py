"""The recommendations table."""

from django.db.models import F, Prefetch, QuerySet
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from institute.datasets.clean import Lookups
from institute.datasets.columns import (
    DATE_RULE,
    Backlinks,
    Choice,
    Column,
    NotImported,
    PartialDate,
    PositiveInteger,
    Ref,
    Refs,
    Slug,
    translation_columns,
)
from institute.datasets.parse import Problem
from institute.datasets.tables import (
    Table,
    absolute,
    page_url_sql,
    ref_slug_sql,
    slugs_sql,
)
from institute.editorial.states import PUBLISHED
from recommendations.models import Audience, Implementation, Recommendation

# The reforms' responses to a recommendation, reached by the reverse relation: this app reads
# them and does not import the reforms app, which builds on it.
Response = Recommendation.responses.rel.related_model
REFORM = Response._meta.get_field("reform").related_model._meta.label  # "reforms.Reform"


def prepare_recommendations(queryset: QuerySet, *, public: bool = True) -> QuerySet:
    # A response is read for its reform's slug alone (`related_reforms`), as a value: at 1M
    # reforms a page of the API's 50 recommendations reads 160,000 of them, and each reform's
    # whole row (texts in three languages), made an instance, took the page half a minute.
    responses = (
        Response.objects.annotate(reform_slug=F("reform__slug"))
        .only("recommendation")
        .order_by("reform__slug")
    )
    if public:
        responses = responses.filter(reform__review_state=PUBLISHED)
    return queryset.select_related("report").prefetch_related(
        "themes", Prefetch("responses", queryset=responses)
    )


def published_recommendations() -> QuerySet:
    return Recommendation.objects.published().order_by("report__slug", "position")


def check_positions(rows: list[tuple[int, dict]], lookups: Lookups) -> list[Problem]:
    """A recommendation's position is unique within its report: in the file and in the data."""
    taken = {
        (report_id, position): slug
        for report_id, position, slug in Recommendation.objects.values_list(
            "report_id", "position", "slug"
        )
    }
    in_file = {row.get("slug") for _, row in rows}
    taken = {k: v for k, v in taken.items() if v not in in_file}
    sources = lookups.keys("institute.Source")
    problems = []
    for line, row in rows:
        if "report" not in row or "position" not in row:
            continue
        key = (sources[row["report"]], row["position"])
        if key in taken:
            problems.append(
                Problem(
                    f"position {row['position']} in report {row['report']} is already taken by "
                    f"{taken[key]}",
                    line,
                    "position",
                    str(row["position"]),
                )
            )
        taken[key] = row["slug"]
    return problems


RECOMMENDATIONS = Table(
    name="recommendations",
    title=gettext_lazy("Recommendations"),
    description=gettext_lazy(
        "Recommendations made in reports, with the institute's implementation assessment."
    ),
    model="recommendations.Recommendation",
    primary_key=["slug"],
    queryset=published_recommendations,
    prepare=prepare_recommendations,
    position=20,
    import_permission="recommendations.import_recommendation",
    check_rows=check_positions,
    columns=[
        Column("slug", gettext_lazy("Permanent identifier."), Slug(), required=True),
        Column("title", gettext_lazy("A short title."), required=True),
        Column(
            "text",
            gettext_lazy("The recommendation in full, in the institute's words."),
            required=True,
        ),
        Column(
            "audience",
            gettext_lazy("To whom it is addressed."),
            Choice(Audience.choices),
            required=True,
        ),
        Column(
            "themes",
            gettext_lazy("Themes (slugs, ';'-separated)."),
            Refs(target="recommendations.Theme", noun="theme(s)"),
            get=lambda rec, _: sorted(t.slug for t in rec.themes.all()),
            sql=slugs_sql(Recommendation.themes.through, "recommendation", "theme"),
        ),
        Column(
            "report",
            gettext_lazy("The report it comes from (a slug in the sources table)."),
            Ref(target="institute.Source", table="sources", noun="source"),
            required=True,
            get=lambda rec, _: rec.report.slug,
            sql=ref_slug_sql("recommendations.Recommendation", "report"),
        ),
        Column(
            "position",
            gettext_lazy("Its order in that report, from 1."),
            PositiveInteger(),
            required=True,
        ),
        Column(
            "implementation",
            gettext_lazy("How far it has been implemented, in the institute's assessment."),
            Choice(Implementation.choices),
            required=True,
        ),
        Column("implementation_note", gettext_lazy("The reasons for the assessment.")),
        Column(
            "assessed_on",
            format_lazy("{} {}", gettext_lazy("The 'as of' date of the assessment."), DATE_RULE),
            PartialDate(),
        ),
        Column(
            "related_reforms",
            gettext_lazy(
                "Reforms that answer it, anticipate it or bear on it (slugs in the reforms table, "
                "';'-separated; which of the three, in the responses table's relation). Ignored "
                "on import: a link is the reform's, imported with the reforms or responses table."
            ),
            Backlinks(target=REFORM, table="reforms", noun="reform(s)"),
            get=lambda rec, _: [r.reform_slug for r in rec.responses.all()],
            sql=slugs_sql(
                Response, "recommendation", "reform", published=True, code_point_order=False
            ),
        ),
        Column(
            "url",
            gettext_lazy("Its public page. Ignored on import."),
            NotImported(),
            get=lambda rec, base_url: absolute(
                reverse("recommendations:detail", kwargs={"slug": rec.slug}), base_url
            ),
            sql=page_url_sql("recommendations:detail"),
        ),
        *translation_columns(
            {
                "title": gettext_lazy("The title"),
                "text": gettext_lazy("The recommendation in full"),
            }
        ),
    ],
)
