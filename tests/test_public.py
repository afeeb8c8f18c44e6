"""The public skeleton: published entries only, on every page."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from reforms.models import Reform, SecondaryArea
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    TopicFactory,
)
from tests.support import RECOMMENDATION_LISTING_QUERIES, REFORM_LISTING_QUERIES

pytestmark = pytest.mark.django_db


def test_reform_listing_shows_published_reforms_only(client):
    ReformFactory.create_batch(3, published=True)
    ReformFactory(title="Unreleased draft reform", draft=True)
    response = client.get(reverse("reforms:list"))
    assert response.status_code == 200
    assert len(response.context["reforms"]) == 3
    assert "Unreleased draft reform" not in response.content.decode()


def test_reform_listing_filters_by_area(client):
    ReformFactory(title="Economic one", area="economy", published=True)
    ReformFactory(title="Rights one", area="human-rights", published=True)
    response = client.get(reverse("reforms:list"), {"area": "human-rights"})
    assert [r.title for r in response.context["reforms"]] == ["Rights one"]


def test_draft_reform_detail_is_not_found(client):
    reform = ReformFactory(draft=True)
    assert client.get(reform.get_absolute_url()).status_code == 404


def test_reform_detail_shows_dates_at_their_precision_and_citations(client):
    source = SourceFactory(
        title="Political and Economic Reforms", url="https://example.org/r", published=True
    )
    reform = ReformFactory(
        announced_on="2019-12", adopted_on="2020", effective_on="2020-06-01", published=True
    )
    CitationFactory(reform=reform, source=source, locator="Economic Reforms › Agriculture")
    page = client.get(reform.get_absolute_url()).content.decode()
    assert "December 2019" in page
    assert "1 December 2019" not in page
    assert "1 June 2020" in page
    assert "Economic Reforms › Agriculture" in page
    assert 'href="https://example.org/r"' in page


def test_reform_detail_names_who_initiated_it_without_nested_brackets(client):
    reform = ReformFactory(
        initiated_by="president",
        initiated_by_detail="President Tokayev (instruction to humanise the article)",
        published=True,
    )
    page = client.get(reform.get_absolute_url()).content.decode()
    assert "The president: President Tokayev (instruction to humanise the article)" in page


def test_reform_detail_links_published_recommendations_only(client):
    reform = ReformFactory(published=True)
    shown = ResponseFactory(
        reform=reform, recommendation=RecommendationFactory(title="Visible rec", published=True)
    )
    ResponseFactory(
        reform=reform, recommendation=RecommendationFactory(title="Hidden rec", draft=True)
    )
    page = client.get(reform.get_absolute_url()).content.decode()
    assert shown.recommendation.get_absolute_url() in page
    assert "Hidden rec" not in page


def test_recommendation_detail_lists_published_reforms_in_date_order(client):
    recommendation = RecommendationFactory(published=True)
    ResponseFactory(
        recommendation=recommendation,
        reform=ReformFactory(title="Later", adopted_on="2021", published=True),
    )
    ResponseFactory(
        recommendation=recommendation,
        reform=ReformFactory(title="Earlier", adopted_on="2019-03", published=True),
    )
    ResponseFactory(recommendation=recommendation, reform=ReformFactory(title="Secret", draft=True))
    response = client.get(recommendation.get_absolute_url())
    assert [r.reform.title for r in response.context["responses"]] == ["Earlier", "Later"]
    assert "Secret" not in response.content.decode()


def test_recommendation_listing_and_detail_hide_drafts(client):
    RecommendationFactory(title="Public rec", published=True)
    draft = RecommendationFactory(title="Draft rec", draft=True)
    listing = client.get(reverse("recommendations:list")).content.decode()
    assert "Public rec" in listing
    assert "Draft rec" not in listing
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_home_counts_published_entries_per_area(client):
    ReformFactory.create_batch(2, area="economy", published=True)
    ReformFactory(area="economy", draft=True)
    ReformFactory(area="human-rights", published=True)
    response = client.get(reverse("home"))
    counts = {value: n for value, _, n in response.context["areas"]}
    assert counts == {
        "economy": 2,
        "human-rights": 1,
        "political-participation": 0,
        "justice-anti-corruption": 0,
    }
    assert response.context["reform_total"] == 3
    assert "add up to more than" not in response.content.decode()
    SecondaryArea.objects.create(
        reform=Reform.objects.get(area="human-rights"), area="justice-anti-corruption"
    )
    page = client.get(reverse("home")).content.decode()
    assert (
        "A reform filed under two areas counts in both, so the areas add up to more than 3" in page
    )


@pytest.mark.parametrize("name", ["reforms:list", "recommendations:list"])
def test_listing_queries_do_not_grow_with_rows(client, name, django_assert_num_queries):
    topic = TopicFactory()
    for _ in range(3):
        ReformFactory(topics=[topic], published=True)
        RecommendationFactory(published=True)
    budget = REFORM_LISTING_QUERIES if name == "reforms:list" else RECOMMENDATION_LISTING_QUERIES
    with django_assert_num_queries(budget):
        client.get(reverse(name))
    for _ in range(10):
        ReformFactory(topics=[topic], published=True)
        RecommendationFactory(published=True)
    with django_assert_num_queries(budget):
        client.get(reverse(name))


def test_a_bad_filter_value_does_not_500(client):
    ReformFactory(published=True)
    response = client.get(reverse("reforms:list"), {"area": "astrology", "page": "999999"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_healthz_answers_when_the_database_does(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_down():
    # A real unreachable database (nothing listens on port 9), in a process of its own.
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, r.json()['status'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "institute.settings.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nothing",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["503", "unavailable"], result.stderr[-2000:]
