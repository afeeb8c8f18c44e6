"""The curated content in fixtures/content loads whole, once, identically, and holds together."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from institute.models import Citation, EntryVersion, ReviewEvent, Source
from recommendations.models import Recommendation, Response
from reforms.models import Reform, Topic

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parent.parent / "fixtures" / "content"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture
def loaded(db):
    call_command("load_content", str(CONTENT))


def history_rows() -> int:
    return EntryVersion.objects.count() + ReviewEvent.objects.count()


def test_loading_twice_changes_nothing(loaded, capsys):
    before = (
        list(Reform.objects.values().order_by("pk")),
        list(Citation.objects.values().order_by("pk")),
        history_rows(),
    )
    capsys.readouterr()
    call_command("load_content", str(CONTENT))
    out = capsys.readouterr().out
    assert " 0 new, 0 updated" in out
    assert " new, 0 updated" in out
    after = (
        list(Reform.objects.values().order_by("pk")),
        list(Citation.objects.values().order_by("pk")),
        history_rows(),
    )
    assert after == before


def test_every_reform_is_complete(loaded):
    reforms = Reform.objects.prefetch_related("citations", "topics")
    assert reforms.count() > 50
    for reform in reforms:
        assert reform.area and reform.status, reform.slug
        assert reform.citations.all(), f"{reform.slug} has no citation"
        assert reform.first_date, f"{reform.slug} has no date"
        assert reform.topics.all(), f"{reform.slug} has no topic"
        assert 20 < len(reform.summary) < 1500, reform.slug
        assert reform.is_published


def test_every_recommendation_is_placed(loaded):
    counts = {
        audience: Recommendation.objects.filter(audience=audience).count()
        for audience in ("western", "government")
    }
    assert counts == {"western": 4, "government": 14}
    positions = sorted(Recommendation.objects.values_list("position", flat=True))
    assert positions == list(range(1, 19))
    assert not Recommendation.objects.filter(citations__isnull=True).exists()


def test_every_response_links_two_published_entries(loaded):
    for response in Response.objects.select_related("reform", "recommendation"):
        assert response.reform.is_published and response.recommendation.is_published
        assert response.note


def test_slugs_are_url_safe(loaded):
    for model in (Reform, Recommendation, Source, Topic):
        for slug in model.objects.values_list("slug", flat=True):
            assert SLUG.match(slug) and len(slug) <= 80, f"{model.__name__} {slug!r}"


def test_topics_belong_to_the_area_of_their_reforms(loaded):
    mismatched = [
        (r.slug, t.slug)
        for r in Reform.objects.prefetch_related("topics")
        for t in r.topics.all()
        if t.area != r.area
    ]
    # A background measure may carry a topic of the chapter that describes it; few do.
    assert len(mismatched) <= 2, mismatched


def test_a_bad_file_loads_nothing_and_says_where(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "topics:\n  - {slug: farming, name: Farming, area: economy}\n"
        "reforms:\n"
        "  - slug: good-one\n    title: Good\n    summary: Fine. Really.\n    area: economy\n"
        "    topics: [farming]\n    status: adopted\n    adopted_on: '2020'\n"
        "  - slug: bad-one\n    title: Bad\n    summary: Not fine.\n    area: economy\n"
        "    topics: [farming]\n    status: finished\n    adopted_on: '2020-02-30'\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("load_content", str(tmp_path))
    message = str(excinfo.value)
    assert "a.yaml reform bad-one" in message
    assert "status" in message and "announced_on" not in message
    assert "no day 30" in message
    assert not Topic.objects.exists()
    assert not Reform.objects.exists()
