"""A response (relation, note, evidence) has one owner, its reform: no move on a recommendation
writes it. Issue 22, finding 2: reverting a recommendation to a version recorded before a reform
answered it deleted the response and its evidence, with nothing in the reform's history."""

import csv
import io

import pytest
from django.core.management import call_command

from institute.datasets.tables import TABLES
from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.history import ensure_baseline
from institute.editorial.models import EntryVersion
from institute.editorial.states import ReviewState
from institute.editorial.versions import apply_snapshot, snapshot
from institute.sources.models import Citation
from reforms.models import Response
from tests.factories import SourceFactory, entry_in_state

pytestmark = pytest.mark.django_db


def publish_edit(entry, data, *, contributor, reviewer, publisher):
    save_edit(entry, data, by=contributor)
    workflow.submit_for_review(entry, by=contributor)
    workflow.approve(entry, by=reviewer)
    workflow.publish(entry, by=publisher)
    entry.refresh_from_db()


def test_reverting_a_recommendation_keeps_the_reforms_responses(contributor, reviewer, publisher):
    recommendation = entry_in_state("recommendation", ReviewState.PUBLISHED, title="First title")
    ensure_baseline(recommendation)  # its version 1, before any reform answers it
    roles = {"contributor": contributor, "reviewer": reviewer, "publisher": publisher}
    publish_edit(recommendation, {**snapshot(recommendation), "title": "Second title"}, **roles)
    assert recommendation.version == 2

    reform = entry_in_state("reform", ReviewState.PUBLISHED)
    source = SourceFactory(published=True)
    evidence = {"source": source.pk, "locator": "p. 4", "quote": "", "supports": "", "position": 0}
    answer = {
        "recommendation": recommendation.pk,
        "relation": "answers",
        "note": "It answers it.",
        "citations": [evidence],
    }
    publish_edit(reform, {**snapshot(reform), "responses": [answer]}, **roles)
    response = Response.objects.get(reform=reform, recommendation=recommendation)
    assert Citation.objects.filter(response=response).count() == 1
    reform_versions = EntryVersion.objects.for_entry(reform).count()

    workflow.revert(recommendation, by=publisher, number=1)
    workflow.approve(recommendation, by=reviewer)
    workflow.publish(recommendation, by=publisher)

    recommendation.refresh_from_db()
    assert recommendation.title == "First title"
    assert Response.objects.filter(pk=response.pk).exists()
    assert Citation.objects.filter(response=response).count() == 1
    reform.refresh_from_db()
    assert snapshot(reform)["responses"][0]["citations"][0]["locator"] == "p. 4"
    assert EntryVersion.objects.for_entry(reform).count() == reform_versions


def test_a_recommendations_snapshot_does_not_carry_responses(contributor):
    reform = entry_in_state("reform", ReviewState.DRAFT)
    recommendation = entry_in_state("recommendation", ReviewState.DRAFT)
    Response.objects.create(reform=reform, recommendation=recommendation, note="Kept.")
    assert "responses" not in snapshot(recommendation)


def test_an_old_recommendation_version_listing_responses_leaves_them_alone(contributor):
    """Versions recorded while the recommendation's snapshot still listed its responses hold a
    "responses" key: applying one ignores it."""
    reform = entry_in_state("reform", ReviewState.DRAFT)
    recommendation = entry_in_state("recommendation", ReviewState.DRAFT)
    kept = Response.objects.create(reform=reform, recommendation=recommendation, note="Kept.")
    old = {**snapshot(recommendation), "title": "Restored", "responses": []}
    apply_snapshot(recommendation, old)
    recommendation.refresh_from_db()
    assert recommendation.title == "Restored"
    assert Response.objects.filter(pk=kept.pk).exists()


def test_a_recommendations_file_does_not_write_responses(tmp_path):
    """Its related_reforms column is written on export and ignored on import: the links are the
    reforms' (the reforms and responses tables import them)."""
    reform = entry_in_state("reform", ReviewState.DRAFT, slug="kept-law")
    recommendation = entry_in_state("recommendation", ReviewState.DRAFT, slug="kept-rec")
    Response.objects.create(reform=reform, recommendation=recommendation, note="Kept.")
    other = entry_in_state("reform", ReviewState.DRAFT, slug="other-law")
    row = {
        **dict(zip(TABLES["recommendations"].header, [""] * 99, strict=False)),
        "slug": "kept-rec",
        "title": "Renamed",
        "text": recommendation.text,
        "audience": recommendation.audience,
        "report": recommendation.report.slug,
        "position": str(recommendation.position),
        "implementation": recommendation.implementation,
        "related_reforms": other.slug,
    }
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=TABLES["recommendations"].header).writerows([row])
    path = tmp_path / "recommendations.csv"
    path.write_text(",".join(TABLES["recommendations"].header) + "\n" + out.getvalue())
    call_command("import_recommendations", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    recommendation.refresh_from_db()
    assert recommendation.title == "Renamed"
    assert list(recommendation.responses.values_list("reform__slug", flat=True)) == ["kept-law"]
