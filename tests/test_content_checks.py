"""What the curated content says holds together: every entry complete, placed, linked and
filed. Read from the session's load of it (conftest.demo_fixture, written by `load_content`);
tests/test_content.py tests the loading itself."""

import re

import pytest

from institute.sources.models import Source
from recommendations.models import Recommendation
from reforms.models import Reform, Response, Topic

pytestmark = pytest.mark.django_db

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


UNDATED_SAYS_SO = re.compile(r"\bundated\b|\bno date\b|\bdoes not date\b")


def test_every_reform_is_complete(demo_module):
    reforms = Reform.objects.prefetch_related("citations", "topics")
    assert reforms.count() > 50
    for reform in reforms:
        assert reform.area and reform.status, reform.slug
        assert reform.citations.all(), f"{reform.slug} has no citation"
        # An entry may be undated only where the report is, and its text says so.
        assert reform.first_date or UNDATED_SAYS_SO.search(f"{reform.summary} {reform.body}"), (
            f"{reform.slug} has no date and does not say that the report gives none"
        )
        assert reform.topics.all(), f"{reform.slug} has no topic"
        assert 20 < len(reform.summary) < 1500, reform.slug
        assert reform.is_published


def test_every_recommendation_is_placed(demo_module):
    counts = {
        audience: Recommendation.objects.filter(audience=audience).count()
        for audience in ("western", "government")
    }
    assert counts == {"western": 4, "government": 14}
    positions = sorted(Recommendation.objects.values_list("position", flat=True))
    assert positions == list(range(1, 19))
    assert not Recommendation.objects.filter(citations__isnull=True).exists()


def test_every_response_links_two_published_entries(demo_module):
    for response in Response.objects.select_related("reform", "recommendation"):
        assert response.reform.is_published and response.recommendation.is_published
        assert response.note


def test_slugs_are_url_safe(demo_module):
    for model in (Reform, Recommendation, Source, Topic):
        for slug in model.objects.values_list("slug", flat=True):
            assert SLUG.match(slug) and len(slug) <= 80, f"{model.__name__} {slug!r}"


def test_topics_belong_to_the_area_of_their_reforms(demo_module):
    """To its own area or to one it is also filed under: a police reform filed under human
    rights and also under judicial reform carries the one police topic (merged from one in each
    area, issue 28)."""
    mismatched = [
        (r.slug, t.slug)
        for r in Reform.objects.prefetch_related("topics", "secondary_areas")
        for t in r.topics.all()
        if t.area != r.area and t.area not in {s.area for s in r.secondary_areas.all()}
    ]
    # A background measure may carry a topic of the chapter that describes it; few do.
    assert len(mismatched) <= 2, mismatched


def test_both_core_reports_give_their_public_address(demo_module):
    urls = dict(
        Source.objects.filter(
            slug__in=["cornell-starr-barro-2021", "chatham-house-2019"]
        ).values_list("slug", "url")
    )
    assert set(urls) == {"cornell-starr-barro-2021", "chatham-house-2019"}
    assert all(url.startswith("https://") for url in urls.values()), urls
