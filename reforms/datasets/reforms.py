"""The reforms table."""

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from institute.datasets.columns import (
    DATE_RULE,
    ChildChoices,
    Choice,
    Column,
    Links,
    NotImported,
    PartialDate,
    Qualifier,
    Refs,
    Slug,
    interpolate_lazy,
    translation_columns,
)
from institute.datasets.tables import Table, absolute, kept_sql, page_url_sql
from institute.dates import DateQualifier
from institute.sources.models import Citation
from recommendations.models import Recommendation, ResponseRelation
from reforms.models import Actor, Area, Initiator, Reform, ReformStatus, Response


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
        "secondary_areas",
        Prefetch("citations", queryset=citations),
        Prefetch("responses", queryset=responses),
    )


def published_reforms() -> QuerySet:
    return Reform.objects.published().order_by("slug")


REFORMS = Table(
    name="reforms",
    title=gettext_lazy("Reforms"),
    description=gettext_lazy(
        "Laws, programmes, strategies, institutional changes, policies and reversals."
    ),
    model="reforms.Reform",
    primary_key=["slug"],
    queryset=published_reforms,
    prepare=prepare_reforms,
    position=10,
    import_permission="reforms.import_reform",
    columns=[
        Column("slug", gettext_lazy("Permanent identifier of the reform."), Slug(), required=True),
        Column("title", gettext_lazy("A specific, neutral title."), required=True),
        Column(
            "summary",
            gettext_lazy("Two to four sentences in the institute's words."),
            required=True,
        ),
        Column("area", gettext_lazy("Policy area."), Choice(Area.choices), required=True),
        Column(
            "topics",
            gettext_lazy("Topics (slugs, ';'-separated); see the topic list in the codebook."),
            Refs(target="reforms.Topic", noun="topic(s)"),
            get=lambda reform, _: sorted(t.slug for t in reform.topics.all()),
            sql=kept_sql("export_topics"),
        ),
        Column(
            "status",
            gettext_lazy("What happened in the world, as the sources describe it."),
            Choice(ReformStatus.choices),
            required=True,
        ),
        Column(
            "announced_on",
            format_lazy("{} {}", gettext_lazy("When it was announced."), DATE_RULE),
            PartialDate(),
        ),
        Column(
            "adopted_on",
            format_lazy("{} {}", gettext_lazy("When it was adopted."), DATE_RULE),
            PartialDate(),
        ),
        Column(
            "effective_on",
            format_lazy("{} {}", gettext_lazy("When it took effect."), DATE_RULE),
            PartialDate(),
        ),
        Column("initiated_by", gettext_lazy("Who started it."), Choice(Initiator.choices)),
        Column(
            "sources",
            gettext_lazy("Sources cited for it (slugs in the sources table, ';'-separated)."),
            Links(
                target="institute.Source",
                table="sources",
                noun="source(s)",
                child="citations",
                key="source",
                blank=(("locator", ""), ("quote", ""), ("supports", ""), ("position", 0)),
            ),
            get=lambda reform, _: sorted({c.source.slug for c in reform.citations.all()}),
            sql=kept_sql("export_sources"),
        ),
        Column(
            "responds_to",
            gettext_lazy(
                "Recommendations it answers, anticipates or bears on (slugs in the recommendations "
                "table, ';'-separated; which of the three, in the responses table's relation). A "
                "new link answers."
            ),
            Links(
                target="recommendations.Recommendation",
                table="recommendations",
                noun="recommendation(s)",
                child="responses",
                key="recommendation",
                blank=(("relation", ResponseRelation.ANSWERS.value), ("note", "")),
            ),
            get=lambda reform, _: [r.recommendation.slug for r in reform.responses.all()],
            sql=kept_sql("export_responds_to"),
        ),
        Column(
            "url",
            gettext_lazy("Its public page. Ignored on import."),
            NotImported(),
            get=lambda reform, base_url: absolute(
                reverse("reforms:detail", kwargs={"slug": reform.slug}), base_url
            ),
            sql=page_url_sql("reforms:detail"),
        ),
        Column("body", gettext_lazy("Longer text, optional.")),
        Column(
            "initiated_by_detail",
            gettext_lazy("Who exactly started it, where the vocabulary is coarse."),
        ),
        Column(
            "secondary_areas",
            gettext_lazy(
                "Other policy areas it is also filed under, besides `area` (';'-separated); the "
                "listing's area filter finds it under each."
            ),
            ChildChoices(vocabulary=Area.choices, child="secondary_areas", key="area"),
            get=lambda reform, _: sorted(s.area for s in reform.secondary_areas.all()),
            sql=kept_sql("export_secondary_areas"),
        ),
        *(
            Column(
                f"{kind}_qualifier",
                interpolate_lazy(
                    gettext_lazy(
                        "How the source bounds `%(column)s`: on (that date, at its precision), by "
                        "(no later than it), since (no earlier than it) or about (roughly). Empty "
                        "when the date is; an empty cell imports as on."
                    ),
                    {"column": f"{kind}_on"},
                ),
                Qualifier(DateQualifier.choices, date=f"{kind}_on"),
                get=lambda reform, _, kind=kind: (
                    getattr(reform, f"{kind}_qualifier") if getattr(reform, f"{kind}_on") else ""
                ),
                sql=lambda t, base_url, kind=kind: (
                    f"(CASE WHEN {t}.\"{kind}_on\" = '' THEN '' ELSE {t}.\"{kind}_qualifier\" END)",
                    [],
                ),
            )
            for kind in ("announced", "adopted", "effective")
        ),
        Column(
            "acted_by",
            gettext_lazy(
                "Who acted: the government of Kazakhstan (the default; an empty cell imports as "
                "it), or a named foreign government or international institution."
            ),
            Choice(Actor.choices, default=Actor.KAZAKHSTAN.value),
        ),
        *translation_columns(
            {
                "title": gettext_lazy("The title"),
                "summary": gettext_lazy("The summary"),
                "body": gettext_lazy("The longer text"),
            }
        ),
    ],
)
