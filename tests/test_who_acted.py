"""Who acted: the government of Kazakhstan by default, or a named foreign government or
international institution; a filter and a facet of the listing, a parameter of the API and the
export, and never a way for a draft to show."""

import pytest
from django.urls import reverse

from tests.factories import ReformFactory

pytestmark = pytest.mark.django_db

REFORMS = reverse("reforms:list")


@pytest.fixture
def actors():
    ReformFactory(published=True, slug="home-law", title="Home law")
    ReformFactory(published=True, slug="undp-partnership", title="UNDP act", acted_by="undp")
    ReformFactory(published=True, slug="osce-pilot", title="OSCE act", acted_by="osce")
    ReformFactory(slug="draft-undp", title="Draft UNDP act", acted_by="undp")


def test_the_listing_filters_and_counts_by_who_acted(client, actors):
    response = client.get(REFORMS, {"acted_by": "undp"})
    assert [r.slug for r in response.context["reforms"]] == ["undp-partnership"]
    assert "Draft UNDP act" not in response.content.decode()
    both = client.get(REFORMS, {"acted_by": ["undp", "osce"]})
    assert sorted(r.slug for r in both.context["reforms"]) == ["osce-pilot", "undp-partnership"]
    page = client.get(REFORMS).content.decode()
    assert "Who acted" in page
    assert 'name="acted_by"' in page


def test_a_bad_value_is_named_not_a_500(client, actors):
    response = client.get(REFORMS, {"acted_by": "mars"})
    assert response.status_code == 200
    assert "mars" in response.content.decode()


def test_the_api_and_the_export_filter_the_same(client, actors):
    body = client.get("/api/v1/reforms/", {"acted_by": "undp"}).json()
    assert [r["slug"] for r in body["results"]] == ["undp-partnership"]
    assert body["results"][0]["acted_by"] == "undp"
    export = client.get(reverse("reforms:export", kwargs={"fmt": "csv"}), {"acted_by": "undp"})
    text = b"".join(export.streaming_content).decode()
    assert "undp-partnership" in text
    assert "home-law" not in text
    assert "draft-undp" not in text
    refused = client.get("/api/v1/reforms/", {"acted_by": "mars"})
    assert refused.status_code == 400


def test_the_page_names_the_actor(client, actors):
    page = client.get(reverse("reforms:detail", kwargs={"slug": "undp-partnership"}))
    assert "<dt>Who acted</dt><dd>UNDP</dd>" in page.content.decode()
