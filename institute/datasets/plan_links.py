"""Planning the files of child tables: responses, and citations (of reforms, recommendations
and responses). Each row changes its owner's snapshot, reviewed with the owner."""

from __future__ import annotations

from institute.datasets.clean import Lookups
from institute.datasets.parse import ImportRefused, Problem
from institute.datasets.plan import NEW, Plan, owner_snapshot, preload_owners, record_update
from recommendations.models import Recommendation
from reforms.models import Reform


def plan_responses(plan: Plan, rows, lookups: Lookups) -> Plan:
    """A response is part of its reform's snapshot: each row adds or changes one there."""
    preload_owners(plan, Reform, [lookups.reforms[row["reform"]] for _, row in rows])
    for line, row in rows:
        reform, snap = owner_snapshot(plan, Reform, lookups.reforms[row["reform"]])
        rec_pk = lookups.recommendations[row["recommendation"]]
        new = {**snap, "responses": [dict(i) for i in snap.get("responses", [])]}
        item = next((i for i in new["responses"] if i["recommendation"] == rec_pk), None)
        note = row.get("note", item["note"] if item else "")
        if item is None:
            new["responses"].append({"recommendation": rec_pk, "note": note})
        else:
            item["note"] = note
        key = f"{row['recommendation']}/{row['reform']}"
        record_update(plan, reform, snap, new, line, key)
        if item is None:
            plan.outcomes[-1].action = NEW
    return plan


def plan_citations(plan: Plan, rows, lookups: Lookups) -> Plan:
    """Each row adds or changes one citation of a reform, a recommendation or a response."""
    for model, entry_type, table in (
        (Reform, "reform", lookups.reforms),
        (Recommendation, "recommendation", lookups.recommendations),
    ):
        preload_owners(
            plan, model, [table[r["entry"]] for _, r in rows if r["entry_type"] == entry_type]
        )
    # A response's evidence is part of its reform's snapshot: reviewed with the reform.
    preload_owners(
        plan,
        Reform,
        [
            lookups.reforms[r["entry"].partition("/")[2]]
            for _, r in rows
            if r["entry_type"] == "response"
        ],
    )
    for line, row in rows:
        source_pk = lookups.sources[row["source"]]
        locator = row.get("locator", "")
        values = {
            "quote": row.get("quote"),
            "supports": row.get("supports"),
        }
        key = f"{row['entry_type']}:{row['entry']}:{row['source']}:{locator}"
        if row["entry_type"] == "response":
            _plan_response_citation(plan, lookups, line, row, key, source_pk, locator, values)
            continue
        model = Reform if row["entry_type"] == "reform" else Recommendation
        table = lookups.reforms if model is Reform else lookups.recommendations
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
        record_update(plan, entry, snap, new, line, key)
        if created:
            plan.outcomes[-1].action = NEW
    return plan


def _plan_response_citation(plan: Plan, lookups, line, row, key, source_pk, locator, values):
    """Evidence for a response goes into its reform's working snapshot, never to the live row."""
    rec, _, reform = row["entry"].partition("/")
    rec_pk = lookups.recommendations[rec]
    entry, snap = owner_snapshot(plan, Reform, lookups.reforms[reform])
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
    record_update(plan, entry, snap, new, line, key)
    if created:
        plan.outcomes[-1].action = NEW
