"""Search on the public reform listing, on whichever database runs the tests (PostgreSQL's text
search, or SQLite's fallback; run this module with DATABASE_URL unset for the second): words
match words, hyphenated names match spaced ones, every result says where it matched and shows
that text, and a query in Cyrillic is told that only translated entries are found in it."""

import pytest
from django.urls import reverse

from institute.editorial import workflow
from institute.listings.search import is_postgres
from reforms.models import Reform
from tests.factories import CitationFactory, ReformFactory, SourceFactory
from tests.support import REFORM_SEARCH_QUERIES, REFORM_SEARCH_QUERIES_WARM

pytestmark = pytest.mark.django_db

REFORMS = reverse("reforms:list")
FILLER = "The measure is described at length here, with nothing of note in it. " * 12


def titles(response) -> list[str]:
    return sorted(r.title for r in response.context["page"].object_list)


def rows(response) -> dict:
    return {r.title: r for r in response.context["page"].object_list}


def test_a_word_matches_whole_words_not_parts_of_them(client):
    ReformFactory(published=True, title="Loans", summary="Banks credited the farmers' accounts.")
    ReformFactory(published=True, title="Press law", summary="Newspapers edited by the state.")
    assert titles(client.get(REFORMS, {"q": "EDITED"})) == ["Press law"]
    assert titles(client.get(REFORMS, {"q": "credited"})) == ["Loans"]
    page = client.get(REFORMS, {"q": "edited"}).content.decode()
    assert "<mark>edited</mark>" in page


@pytest.mark.parametrize("query", ["Nurly-Zhol", "Nurly Zhol", "nurly‑zhol", "Nurly – Zhol"])
def test_a_hyphenated_name_finds_what_the_spaced_one_finds(client, query):
    ReformFactory(published=True, title="Nurly Zhol programme", summary="Roads. Two sentences.")
    ReformFactory(published=True, title="Second phase", summary="Nurly-Zhol roads to 2025.")
    ReformFactory(published=True, title="Other", summary="Zhol alone, and Nurly elsewhere.")
    found = titles(client.get(REFORMS, {"q": query}))
    assert {"Nurly Zhol programme", "Second phase"} <= set(found)
    assert found == titles(client.get(REFORMS, {"q": "Nurly Zhol"}))


@pytest.fixture
def matches():
    """One reform per place a search for "cassation" can match it."""
    ReformFactory(
        published=True, title="Cassation courts", summary="A new court tier. Two sentences."
    )
    ReformFactory(
        published=True,
        title="Appeals",
        summary="Appeals are reorganised. Two sentences.",
        body=FILLER + "The cassation instance hears appeals directly. " + FILLER,
    )
    cited = ReformFactory(
        published=True, title="Three-tier system", summary="Courts change. Two sentences."
    )
    report = SourceFactory(title="Reforms under Tokayev", published=True)
    CitationFactory(
        reform=cited, source=report, locator="Judicial Reforms › Cassation, p. 31", quote=""
    )
    hidden = ReformFactory(published=True, title="Hidden", summary="Nothing. Two sentences.")
    draft = SourceFactory(title="Draft memo", draft=True)
    CitationFactory(reform=hidden, source=draft, locator="Cassation notes", quote="cassation")


def test_each_result_says_where_it_matched_and_shows_that_text(client, matches):
    response = client.get(REFORMS, {"q": "cassation"})
    found = rows(response)
    # A citation of an unpublished source matches nothing and shows nothing.
    assert sorted(found) == ["Appeals", "Cassation courts", "Three-tier system"]
    assert found["Cassation courts"].matched_in == ["title"]
    assert found["Appeals"].matched_in == ["body"]
    assert found["Three-tier system"].matched_in == ["a citation"]
    # The body's snippet is the passage around the word, not the whole body.
    body_snippet = str(found["Appeals"].snippet)
    assert "<mark>cassation</mark> instance" in body_snippet
    assert len(body_snippet) < 600
    assert "…" in body_snippet
    cited = str(found["Three-tier system"].snippet)
    assert "Reforms under Tokayev" in cited and "<mark>Cassation</mark>" in cited
    # A title-only match shows the summary.
    assert "A new court tier" in str(found["Cassation courts"].snippet)
    page = response.content.decode()
    assert "Matches in a citation" in page and "Matches in body" in page
    assert "Draft memo" not in page and "Cassation notes" not in page


def test_a_match_in_several_places_lists_them_all(client, matches):
    ReformFactory(
        published=True,
        title="Cassation reform",
        summary="Cassation is reformed. Two sentences.",
        body="Cassation, again.",
    )
    found = rows(client.get(REFORMS, {"q": "cassation"}))
    assert found["Cassation reform"].matched_in == ["title", "summary", "body"]
    assert "<mark>Cassation</mark> is reformed" in str(found["Cassation reform"].snippet)


@pytest.mark.parametrize("name", ["reforms:list", "recommendations:list"])
def test_a_query_in_cyrillic_is_told_only_translated_entries_are_found(client, name):
    ReformFactory(published=True, title="Courts")
    page = client.get(reverse(name), {"q": "судебная реформа"}).content.decode()
    assert "Not every entry is translated into Russian and Kazakh yet" in page
    english = client.get(reverse(name), {"q": "courts"}).content.decode()
    assert "Not every entry is translated" not in english


def test_snippets_and_places_cost_no_query_of_their_own(client, matches, django_assert_num_queries):
    with django_assert_num_queries(REFORM_SEARCH_QUERIES):
        client.get(REFORMS, {"q": "cassation"})
    with django_assert_num_queries(REFORM_SEARCH_QUERIES_WARM):
        response = client.get(REFORMS, {"q": "cassation"})
    assert len(rows(response)) == 3


def test_a_title_marks_the_words_the_search_matched(client):
    ReformFactory(published=True, title="Cassation courts", summary="Two sentences. Here.")
    page = client.get(REFORMS, {"q": "cassation"}).content.decode()
    assert "<mark>Cassation</mark> courts</a>" in page


def test_a_reform_is_searchable_from_its_publication_until_it_is_archived(
    client, contributor, reviewer, publisher
):
    """Only published rows keep a search vector (reforms/0024): the workflow's publish, which
    writes the review state alone, must give the row one, and archiving must take it away."""
    reform = ReformFactory(title="Children's ombudsman", summary="An office. Two sentences.")
    vectors = Reform.objects.filter(pk=reform.pk).values_list("search_vector", flat=True)
    assert titles(client.get(REFORMS, {"q": "ombudsman"})) == []
    if is_postgres():
        assert list(vectors) == [None]

    workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    assert titles(client.get(REFORMS, {"q": "ombudsman"})) == ["Children's ombudsman"]
    assert titles(client.get(REFORMS, {"q": "office"})) == ["Children's ombudsman"]

    workflow.archive(reform, by=publisher)
    assert titles(client.get(REFORMS, {"q": "ombudsman"})) == []
    if is_postgres():
        assert list(vectors) == [None]
