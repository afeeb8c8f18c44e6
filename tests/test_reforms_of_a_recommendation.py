"""One recommendation's reforms: the reform listing's `responds_to` (its rows, counts, chip and
files, and the API's), and the recommendation's page, which shows each relation's first
reforms and links to the listing for the rest."""

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from recommendations.models import ResponseRelation
from recommendations.selectors import RESPONSES_SHOWN
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory

pytestmark = pytest.mark.django_db

REFORMS = reverse("reforms:list")


@pytest.fixture
def linked():
    """A published recommendation linked to three published reforms, one in each relation, and
    to a draft; another recommendation linked to one of the three and to a fourth reform."""
    rec = RecommendationFactory(slug="open-courts", title="Open the courts", published=True)
    other = RecommendationFactory(slug="free-press", title="Free the press", published=True)
    reforms = {
        relation: ReformFactory(
            slug=f"reform-{relation}", title=f"Reform {relation}", published=True
        )
        for relation in ResponseRelation.values
    }
    for relation, reform in reforms.items():
        ResponseFactory(recommendation=rec, reform=reform, relation=relation)
    ResponseFactory(recommendation=rec, reform=ReformFactory(slug="draft-reform", title="Draft"))
    ResponseFactory(recommendation=other, reform=reforms[ResponseRelation.ANSWERS])
    ResponseFactory(
        recommendation=other,
        reform=ReformFactory(slug="press-law", title="Press law", published=True),
    )
    return rec


def slugs(response) -> list[str]:
    return sorted(r.slug for r in response.context["reforms"])


def export_rows(client, params) -> list[dict]:
    response = client.get(reverse("reforms:export", kwargs={"fmt": "csv"}), params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_listing_keeps_the_published_reforms_linked_to_the_recommendation(client, linked):
    response = client.get(REFORMS, {"responds_to": "open-courts"})
    assert slugs(response) == ["reform-answers", "reform-anticipates", "reform-related"]
    assert response.context["page"].paginator.count == 3
    html = response.content.decode()
    assert "linked to the recommendation “Open the courts”" in html
    # Its chip removes it, and the form keeps it as the other filters change.
    chip = next(c for c in response.context["chips"] if "Open the courts" in c.label)
    assert "responds_to" not in chip.remove_url
    assert '<input type="hidden" name="responds_to" value="open-courts">' in html
    # Counted with the other filters: the area facet over these three rows alone.
    areas = next(f for f in response.context["facets"] if f.name == "area")
    assert sum(v.count for v in areas.values) == 3


def test_the_filter_is_the_files_responds_to_column(client, linked):
    """Its rows are those whose `responds_to` cell names the recommendation: the filter and the
    column say the same thing."""
    everything = export_rows(client, {})
    named = sorted(r["slug"] for r in everything if "open-courts" in r["responds_to"].split(";"))
    filtered = export_rows(client, {"responds_to": "open-courts"})
    assert sorted(r["slug"] for r in filtered) == named
    assert named == ["reform-answers", "reform-anticipates", "reform-related"]


@pytest.mark.parametrize(
    "slug", ["no-such-recommendation", "draft-recommendation", "x\x00", "a" * 500]
)
def test_a_slug_of_no_published_recommendation_is_refused_and_said(client, linked, slug):
    RecommendationFactory(slug="draft-recommendation", title="Secret draft")
    page = client.get(REFORMS, {"responds_to": slug})
    assert page.status_code == 200
    assert "no published recommendation has this slug." in page.content.decode()
    assert "Secret draft" not in page.content.decode()
    api = client.get("/api/v1/reforms/", {"responds_to": slug})
    assert api.status_code == 400
    assert api.json()["parameters"]["responds_to"]


def test_the_api_lists_the_same_reforms(client, linked):
    response = client.get("/api/v1/reforms/", {"responds_to": "open-courts"})
    assert response.status_code == 200
    assert sorted(r["slug"] for r in response.json()["results"]) == [
        "reform-answers",
        "reform-anticipates",
        "reform-related",
    ]


def test_the_recommendations_page_links_to_its_reforms_in_the_listing(client, linked):
    page = client.get(linked.get_absolute_url()).content.decode()
    link = re.search(r'<a href="([^"]+)" id="responses-listing">', page).group(1)
    assert link == f"{REFORMS}?responds_to=open-courts"
    assert slugs(Client().get(link)) == ["reform-answers", "reform-anticipates", "reform-related"]
    assert "responses-more" not in page


def test_the_recommendations_page_shows_each_relations_first_reforms(client, linked):
    """A recommendation many reforms answer keeps a page of a reader's size: each relation's
    first reforms in date order, how many there are, and the listing for the rest."""
    for n in range(RESPONSES_SHOWN + 2):
        reform = ReformFactory(
            slug=f"answer-{n:02d}",
            title=f"Answer {n:02d}",
            announced_on=f"{2000 + n}",
            published=True,
        )
        ResponseFactory(recommendation=linked, reform=reform, relation=ResponseRelation.ANSWERS)
    response = client.get(linked.get_absolute_url())
    html = response.content.decode()
    answers = html[html.index('id="responses-heading"') : html.index("responses-anticipates")]
    shown = re.findall(r"Answer (\d\d)|Reform (answers)", answers)
    # Dated ones first, in date order; the undated reform of the fixture would come last.
    assert [a for a, _ in shown] == [f"{n:02d}" for n in range(RESPONSES_SHOWN)]
    assert f"The first {RESPONSES_SHOWN} of {RESPONSES_SHOWN + 3}." in answers
    # The other relations, whole, are not cut.
    assert "Reform anticipates" in html and "Reform related" in html
    listing = Client().get(REFORMS, {"responds_to": "open-courts"})
    assert listing.context["page"].paginator.count == RESPONSES_SHOWN + 5
