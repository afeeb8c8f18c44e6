"""The responses table: which reform answers (anticipates, or bears on) which recommendation. A
response is part of its reform's snapshot, so a file of them changes reforms (working copies of
published ones)."""

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from institute.datasets.clean import Lookups
from institute.datasets.columns import Choice, Column, Ref, translation_columns
from institute.datasets.plan import Plan, owner_snapshot, preload_owners, record_update
from institute.datasets.tables import Table, ref_slug_sql
from recommendations.models import RELATION_EXPLANATIONS, Recommendation, ResponseRelation
from reforms.models import Reform, Response

# The codebook's meaning of each value.
RELATIONS = [
    (v.value, format_lazy("{}: {}", v.label, RELATION_EXPLANATIONS[v])) for v in ResponseRelation
]


def published_responses() -> QuerySet:
    return (
        Response.objects.filter(
            reform__in=Reform.objects.published(),
            recommendation__in=Recommendation.objects.published(),
        )
        .select_related("reform", "recommendation")
        .order_by("recommendation__slug", "reform__slug")
    )


def plan_responses(plan: Plan, rows, lookups: Lookups) -> Plan:
    """Each row adds a response to its reform's snapshot, or changes the relation and note of
    one there. A file without the `relation` column, or an empty cell, keeps a response's
    relation; a new response then answers the recommendation."""
    reforms = lookups.keys("reforms.Reform")
    recommendations = lookups.keys("recommendations.Recommendation")
    preload_owners(plan, Reform, [reforms[row["reform"]] for _, row in rows])
    for line, row in rows:
        reform, snap = owner_snapshot(plan, Reform, reforms[row["reform"]])
        rec_pk = recommendations[row["recommendation"]]
        new = {**snap, "responses": [dict(i) for i in snap.get("responses", [])]}
        item = next((i for i in new["responses"] if i["recommendation"] == rec_pk), None)
        note = row.get("note", item["note"] if item else "")
        relation = row.get("relation") or (item or {}).get("relation") or ResponseRelation.ANSWERS
        if item is None:
            new["responses"].append(
                {"recommendation": rec_pk, "relation": str(relation), "note": note}
            )
        else:
            item["note"] = note
            item["relation"] = str(relation)
        key = f"{row['recommendation']}/{row['reform']}"
        record_update(plan, reform, snap, new, line, key, adds=item is None)
    return plan


RESPONSES = Table(
    name="responses",
    title=gettext_lazy("Responses"),
    description=gettext_lazy(
        "Which reform answers which recommendation (or anticipates it, or bears on it), and how."
    ),
    model="reforms.Response",
    primary_key=["recommendation", "reform"],
    queryset=published_responses,
    position=50,
    # Responses belong to reforms: importing them takes the reforms' right.
    import_permission="reforms.import_reform",
    plan=plan_responses,
    columns=[
        Column(
            "recommendation",
            gettext_lazy("The recommendation (a slug in the recommendations table)."),
            Ref(
                target="recommendations.Recommendation",
                table="recommendations",
                noun="recommendation",
            ),
            required=True,
            get=lambda response, _: response.recommendation.slug,
            sql=ref_slug_sql("reforms.Response", "recommendation"),
        ),
        Column(
            "reform",
            gettext_lazy("The reform that answers it (a slug in the reforms table)."),
            Ref(target="reforms.Reform", table="reforms", noun="reform"),
            required=True,
            get=lambda response, _: response.reform.slug,
            sql=ref_slug_sql("reforms.Response", "reform"),
        ),
        Column("note", gettext_lazy("How the reform answers the recommendation.")),
        Column(
            "relation",
            gettext_lazy(
                "How the reform stands to the recommendation: answers (it came after the "
                "recommendation and answers it), anticipates (it came before, but goes the way "
                "the recommendation asks) or related (it bears on it without answering it). "
                "Optional: empty, or a file without the column, keeps a response's relation, and "
                "a new response answers."
            ),
            Choice(RELATIONS),
        ),
        *translation_columns({"note": gettext_lazy("How the reform answers the recommendation")}),
    ],
)
