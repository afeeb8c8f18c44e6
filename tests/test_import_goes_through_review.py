"""Every import path lands as a draft or a working copy: nothing an import writes is public
before it has been reviewed, approved and published (citations and responses included)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.models import PendingRevision
from institute.sources.models import Citation
from reforms.models import Response
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:reforms_reform_import")
CONFIRM_URL = reverse("admin:reforms_reform_process_import")
CITATIONS = "entry_type,entry,source,locator,quote,supports\r\n"
CITATIONS_RESOURCE = "1"  # the reform admin's resources: reforms, citations, responses


@pytest.fixture
def answered(db):
    """A published reform answering a published recommendation, with published evidence."""
    source = SourceFactory(published=True, slug="evidence-source", title="Evidence source")
    reform = ReformFactory(published=True, slug="the-reform", title="The reform")
    rec = RecommendationFactory(published=True, slug="the-rec", title="The recommendation")
    response = ResponseFactory(reform=reform, recommendation=rec, note="Answers it.")
    CitationFactory(response=response, source=source, locator="p. 1", quote="Reviewed evidence")
    return {"source": source, "reform": reform, "rec": rec, "response": response}


def admin_import(client, data: bytes, resource: str):
    preview = client.post(
        IMPORT_URL,
        {
            "resource": resource,
            "format": "0",
            "import_file": SimpleUploadedFile("file.csv", data, content_type="text/csv"),
        },
    )
    assert preview.status_code == 200, preview.content.decode()[:2000]
    confirm = preview.context["confirm_form"]
    response = client.post(CONFIRM_URL, confirm.initial)
    assert response.status_code == 302
    return preview


def public_text(client, answered) -> str:
    page = client.get(answered["rec"].get_absolute_url()).content.decode()
    data = b"".join(client.get("/data/citations.csv").streaming_content).decode()
    return page + data


UNREVIEWED = (
    CITATIONS + "response,the-rec/the-reform,evidence-source,p. 99,Unreviewed claim,Everything\r\n"
).encode()


def test_a_contributor_importing_response_evidence_changes_nothing_public(
    client, contributor, answered
):
    client.force_login(contributor)
    admin_import(client, UNREVIEWED, CITATIONS_RESOURCE)
    assert "Unreviewed claim" not in public_text(client, answered)
    assert "Reviewed evidence" in public_text(client, answered)
    assert not Citation.objects.filter(quote="Unreviewed claim").exists()
    # It waits in the reform's working copy, where a reviewer sees it in the diff.
    revision = PendingRevision.objects.for_entry(answered["reform"]).get()
    (response,) = revision.data["responses"]
    assert [c["quote"] for c in response["citations"]] == ["Reviewed evidence", "Unreviewed claim"]
    page = client.get(reverse("admin:reforms_reform_change", args=[answered["reform"].pk]))
    assert "Unreviewed claim" in page.content.decode()


def test_the_command_line_import_of_response_evidence_goes_through_review_too(
    tmp_path, answered, client, contributor, reviewer, publisher
):
    path = tmp_path / "citations.csv"
    path.write_bytes(UNREVIEWED)
    call_command("import_sources", str(path), "--table", "citations", stdout=io.StringIO())
    assert "Unreviewed claim" not in public_text(client, answered)
    reform = answered["reform"]
    reform = workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    # Published on purpose, after review: now, and only now, it is public.
    assert "Unreviewed claim" in public_text(client, answered)
    assert "Reviewed evidence" in public_text(client, answered)
    response = Response.objects.get(pk=answered["response"].pk)
    assert response.citations.count() == 2


def test_evidence_of_a_draft_reform_is_written_to_the_draft(tmp_path, answered):
    draft = ReformFactory(slug="draft-reform")
    ResponseFactory(reform=draft, recommendation=answered["rec"])
    path = tmp_path / "citations.csv"
    path.write_bytes(
        (
            CITATIONS + "response,the-rec/draft-reform,evidence-source,ch. 2,Draft words,\r\n"
        ).encode()
    )
    call_command("import_sources", str(path), "--table", "citations", stdout=io.StringIO())
    assert Citation.objects.filter(response__reform=draft, quote="Draft words").exists()
    assert not PendingRevision.objects.exists()


def test_an_imported_response_to_a_published_reform_waits_for_review(client, contributor, answered):
    other = RecommendationFactory(published=True, slug="other-rec", title="Other rec")
    client.force_login(contributor)
    admin_import(
        client, b"recommendation,reform,note\r\nother-rec,the-reform,Unreviewed link\r\n", "2"
    )
    assert not Response.objects.filter(recommendation=other).exists()
    page = client.get(other.get_absolute_url()).content.decode()
    assert "The reform" not in page
    data = b"".join(client.get("/data/responses.csv").streaming_content).decode()
    assert "Unreviewed link" not in data
    assert PendingRevision.objects.for_entry(answered["reform"]).exists()


def test_the_reviewer_diff_shows_response_evidence(answered):
    from institute.editorial.diffs import diff
    from institute.editorial.versions import snapshot

    reform = answered["reform"]
    before = snapshot(reform)
    after = {**before, "responses": [dict(r) for r in before["responses"]]}
    after["responses"][0]["citations"] = []
    (change,) = diff(type(reform), before, after)
    assert change.removed and "Reviewed evidence" in change.removed[0]
