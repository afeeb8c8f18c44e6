"""Answers without ambiguity (issue 28, items 1, 2 and 4): a new search sorted by relevance,
"adopted" named apart and the answer's scope in words, synonyms, "did you mean" and the names of
topics and themes in the searched text. Through the listing pages, on either database."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from institute.listings import suggestions
from institute.listings.synonyms import SynonymsError, groups, read_groups
from reforms.filters import ReformFilter
from tests.factories import RecommendationFactory, ReformFactory, ThemeFactory, TopicFactory

pytestmark = pytest.mark.django_db


def selected_sort(html: str) -> str:
    return re.search(r'<option value="([\w-]+)" selected>', html).group(1)


def titles(response) -> list[str]:
    key = "reforms" if "reforms" in response.context else "recommendations"
    return [row.title for row in response.context[key]]


def scope(html: str) -> str:
    return re.search(r'<p class="answer-scope" id="answer-scope">(.*?)</p>', html).group(1)


# --- 1. A new search is sorted by relevance -------------------------------------------------
def test_a_new_search_sorts_by_relevance_though_the_form_sent_another_sort(client):
    ReformFactory(published=True, title="Police reform", announced_on="2001")
    ReformFactory(
        published=True,
        title="Water tariffs",
        summary="Mentions the police once.",
        announced_on="2024",
    )
    url = reverse("reforms:list")
    # The form as it is sent after the visitor, with "Newest first" showing, typed a search.
    fresh = client.get(url, {"q": "police", "sort": "newest", "sort_for": ""})
    assert selected_sort(fresh.content.decode()) == "relevance"
    if connection.vendor == "postgresql":  # SQLite ranks every match alike
        assert titles(fresh) == ["Police reform", "Water tariffs"]
    # Sorted after searching: the sort box was chosen for this query, and wins.
    chosen = client.get(url, {"q": "police", "sort": "newest", "sort_for": "police"})
    assert selected_sort(chosen.content.decode()) == "newest"
    assert titles(chosen) == ["Water tariffs", "Police reform"]
    # A typed or shared address without `sort_for` keeps its sort.
    typed = client.get(url, {"q": "police", "sort": "newest"})
    assert titles(typed) == ["Water tariffs", "Police reform"]
    # The form carries the search the sort box now stands for.
    assert 'name="sort_for" value="police"' in chosen.content.decode()


def test_recommendations_too_sort_a_new_search_by_relevance(client):
    RecommendationFactory(published=True, title="Free the courts", text="Courts.")
    response = client.get(
        reverse("recommendations:list"), {"q": "courts", "sort": "position", "sort_for": "x"}
    )
    assert selected_sort(response.content.decode()) == "relevance"


# --- 2. "Adopted" named apart, and what the answer counts ----------------------------------
def test_adopted_as_a_status_is_named_apart_from_the_adoption_date(client):
    reform = ReformFactory(published=True, status="adopted", adopted_on="2020-05")
    listing = client.get(reverse("reforms:list")).content.decode()
    assert "Adopted (not yet shown working)" in listing
    assert "Adoption date May 2020" in listing
    detail = client.get(reform.get_absolute_url()).content.decode()
    text = re.sub(r"<[^>]+>", "", detail)
    assert "Adopted (not yet shown working)." in text
    assert "Adopted: Adopted" not in text
    assert "Adoption date" in text
    # The year range's date choice reads as a sentence.
    assert re.search(r"Reforms whose</label>\s*<select", listing)


def test_one_line_says_what_the_answer_counts(client):
    ReformFactory(published=True, area="human-rights", status="adopted", adopted_on="2021")
    ReformFactory(published=True, area="human-rights", status="implemented", adopted_on="2021")
    response = client.get(
        reverse("reforms:list"),
        {
            "area": "human-rights",
            "status": "adopted",
            "year_from": "2019",
            "year_to": "2026",
            "date_field": "adopted",
            "q": "reform",
        },
    )
    said = scope(response.content.decode())
    assert said == (
        "Counting published reforms filed under Human rights, whose status is Adopted (not yet "
        "shown working), whose adoption date is in 2019–2026, matching “reform”."
    )
    plain = client.get(reverse("reforms:list"), {"year_from": "2019"}).content.decode()
    assert scope(plain) == "Counting published reforms whose earliest date is in 2019 or later."
    everything = client.get(reverse("recommendations:list")).content.decode()
    assert scope(everything) == "Counting all published recommendations."


def test_download_line_speaks_of_one_reform_in_the_singular(client):
    ReformFactory(published=True, title="Lonely reform")
    html = client.get(reverse("reforms:list")).content.decode()
    assert "Download this reform:" in html
    assert "Download these 1" not in html


# --- 4. Synonyms, names of topics and themes, did you mean --------------------------------
def test_a_synonym_finds_what_the_content_calls_by_another_name(client):
    ReformFactory(
        published=True,
        title="Commissioner for Human Rights given new powers",
        summary="The office may now visit places of detention unannounced.",
    )
    ReformFactory(title="Ombudsman draft never published", summary="Unpublished.")
    found = client.get(reverse("reforms:list"), {"q": "ombudsman"})
    assert titles(found) == ["Commissioner for Human Rights given new powers"]
    # Two terms: the synonym and a plain word, both needed.
    assert titles(client.get(reverse("reforms:list"), {"q": "ombudsman detention"})) == [
        "Commissioner for Human Rights given new powers"
    ]
    assert titles(client.get(reverse("reforms:list"), {"q": "ombudsman tariffs"})) == []


def test_the_synonyms_file_is_well_formed_and_a_bad_one_is_refused(tmp_path):
    assert (
        "ombudsman",
        "ombudsperson",
        "commissioner for human rights",
        "human rights commissioner",
    ) in groups()
    bad = tmp_path / "synonyms.yaml"
    bad.write_text("- [alone]\n", encoding="utf-8")
    with pytest.raises(SynonymsError, match="group 1"):
        read_groups(bad)


def test_theme_and_topic_names_are_searched(client):
    theme = ThemeFactory(slug="civil-liberties", name="Civil liberties and human rights")
    RecommendationFactory(
        published=True, title="Release prisoners", text="Free them.", themes=[theme]
    )
    RecommendationFactory(title="Draft of the same theme", text="Free them.", themes=[theme])
    found = client.get(reverse("recommendations:list"), {"q": "human rights"})
    assert titles(found) == ["Release prisoners"]

    topic = TopicFactory(slug="law-enforcement", name="Law Enforcement and Police Reform")
    ReformFactory(published=True, title="Three-tier division of powers", topics=[topic])
    assert titles(client.get(reverse("reforms:list"), {"q": "law enforcement"})) == [
        "Three-tier division of powers"
    ]
    # An area's name too.
    ReformFactory(published=True, title="Tax code", area="economy", summary="Taxes.")
    assert "Tax code" in titles(client.get(reverse("reforms:list"), {"q": "economy"}))


def test_a_search_that_finds_nothing_is_offered_the_contents_own_word(client):
    ReformFactory(published=True, title="Anti-corruption agency set up", summary="Graft fought.")
    ReformFactory(title="Corrosion of pipelines", summary="A draft.")  # never offered
    response = client.get(reverse("reforms:list"), {"q": "corupsion agency"})
    html = response.content.decode()
    assert response.context["page"].paginator.count == 0
    assert response.context["suggestion"] == "corruption agency"
    link = re.search(r'href="([^"]+)" id="did-you-mean"', html).group(1)
    assert "q=corruption+agency" in link.replace("&amp;", "&")
    followed = client.get(reverse("reforms:list") + link.replace("&amp;", "&"))
    assert titles(followed) == ["Anti-corruption agency set up"]
    # Nothing like a draft's word: no suggestion from it.
    none = client.get(reverse("reforms:list"), {"q": "corrosoin"})
    assert none.context["suggestion"] in ("", "corruption")
    assert "Corrosion" not in none.content.decode()
    # A search that finds something is not second-guessed.
    assert client.get(reverse("reforms:list"), {"q": "agency"}).context["suggestion"] == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="compares pg_trgm with Python")
def test_the_python_similarity_is_pg_trgms(demo_content):
    """The fallback (SQLite, or no extension) and pg_trgm offer the same words on hostile
    input: misspellings, a doubled letter, mixed case, a word of no language."""
    assert suggestions.has_pg_trgm()
    sources = ReformFilter({}).suggestion_sources()
    vocabulary = suggestions.content_words(sources)
    for word in ("corupsion", "parlament", "assemblly", "tortture", "xqzvw", "POLICEE", "akimm"):
        lower = word.lower()
        from_database = suggestions._closest_in_database(lower, sources)
        from_python = suggestions._closest_in_python(lower, vocabulary)
        assert from_database == from_python, word
        with connection.cursor() as cursor:
            cursor.execute("SELECT similarity(%s, %s)", [lower, from_database or "zz"])
            expected = cursor.fetchone()[0]
        assert suggestions.trigram_similarity(lower, from_database or "zz") == pytest.approx(
            expected
        )
