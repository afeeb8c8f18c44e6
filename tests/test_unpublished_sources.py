"""A draft or archived source never reaches the public, even through a published entry that
cites it: not on detail pages, not in search, not in exports, the data package or counts."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse

from institute.editorial.states import ReviewState
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

HIDDEN_STATES = [ReviewState.DRAFT, ReviewState.IN_REVIEW, ReviewState.ARCHIVED]


@pytest.fixture(params=HIDDEN_STATES)
def cited(request):
    """A published reform and a published recommendation (answered by the reform), each citing
    one published source and one source in a state the public must not see."""
    state = request.param
    shown = SourceFactory(
        published=True,
        slug="shown-source",
        title="Openly published monograph",
        url="https://example.org/shown",
    )
    hidden = SourceFactory(
        slug="hidden-source",
        title="Unreleased zeppelin memorandum",
        authors="Quillfeather, Ottoline",
        url="https://example.org/secret-draft",
        review_state=state,
    )
    report = SourceFactory(published=True, slug="the-report", title="The published report")
    reform = ReformFactory(published=True, slug="cited-reform", title="A cited reform")
    recommendation = RecommendationFactory(
        published=True, slug="cited-rec", title="A cited recommendation", report=report
    )
    for owner in ({"reform": reform}, {"recommendation": recommendation}):
        CitationFactory(source=shown, locator="Chapter 1", quote="Plainly public words", **owner)
        CitationFactory(source=hidden, locator="Secret annex 7", quote="Hushed phrase", **owner)
    response = ResponseFactory(reform=reform, recommendation=recommendation)
    CitationFactory(response=response, source=shown, locator="Evidence p. 3")
    CitationFactory(response=response, source=hidden, locator="Backroom p. 9")
    return {"reform": reform, "recommendation": recommendation, "shown": shown, "hidden": hidden}


HIDDEN_TEXT = (
    "Unreleased zeppelin memorandum",
    "Quillfeather",
    "example.org/secret-draft",
    "Secret annex 7",
    "Hushed phrase",
    "Backroom p. 9",
    "hidden-source",
)


def assert_hidden(text: str) -> None:
    leaked = [t for t in HIDDEN_TEXT if t in text]
    assert not leaked, f"unpublished source text is public: {leaked}"


def test_reform_page_cites_published_sources_only(client, cited):
    page = client.get(cited["reform"].get_absolute_url()).content.decode()
    assert "Openly published monograph" in page
    assert "Plainly public words" in page
    assert_hidden(page)


def test_recommendation_page_cites_and_evidences_published_sources_only(client, cited):
    page = client.get(cited["recommendation"].get_absolute_url()).content.decode()
    assert "Openly published monograph" in page
    assert "Evidence p. 3" in page
    assert_hidden(page)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zeppelin memorandum", False),
        ("Quillfeather", False),
        ("Hushed phrase", False),
        ("Openly published monograph", True),
        ("Plainly public words", True),
    ],
)
def test_search_reads_citations_of_published_sources_only(client, cited, query, found):
    response = client.get(reverse("reforms:list"), {"q": query})
    slugs = [r.slug for r in response.context["reforms"]]
    assert (slugs == ["cited-reform"]) is found, slugs


def test_search_forgets_a_source_once_it_is_archived(client, cited, publisher):
    from institute.editorial import workflow

    shown = cited["shown"]
    assert client.get(reverse("reforms:list"), {"q": "monograph"}).context["reforms"]
    workflow.archive(shown, by=publisher)
    assert not client.get(reverse("reforms:list"), {"q": "monograph"}).context["reforms"]


@pytest.mark.parametrize(
    "url",
    [
        "/reforms/export.csv",
        "/reforms/export.json",
        "/recommendations/export.csv",
        "/data/reforms.csv",
        "/data/recommendations.csv",
        "/data/sources.csv",
        "/data/citations.csv",
        "/data/citations.json",
        "/data/responses.csv",
        "/reforms/feed/",
    ],
)
def test_downloads_hold_published_sources_only(client, cited, url):
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    text = body.decode()
    assert_hidden(text)
    if "citations" in url:
        assert "shown-source" in text


def test_data_package_holds_published_sources_only(client, cited):
    response = client.get(reverse("data-package"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    for name in archive.namelist():
        assert_hidden(archive.read(name).decode())
    rows = list(csv.DictReader(io.StringIO(archive.read("citations.csv").decode())))
    assert {r["source"] for r in rows} == {"shown-source"}


def test_a_recommendation_of_an_unpublished_report_is_not_public(client):
    report = SourceFactory(slug="draft-report", title="Draft report title")
    rec = RecommendationFactory(published=True, title="Orphaned recommendation", report=report)
    assert client.get(rec.get_absolute_url()).status_code == 404
    for url in ("/recommendations/", "/recommendations/tracker/", "/data/recommendations.csv"):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert "Orphaned recommendation" not in body.decode(), url
        assert "Draft report title" not in body.decode(), url
    assert client.get("/").context["recommendation_total"] == 0


def test_factories_build_drafts_unless_told():
    assert ReformFactory().review_state == ReviewState.DRAFT
    assert SourceFactory().review_state == ReviewState.DRAFT
    assert RecommendationFactory().review_state == ReviewState.DRAFT
