"""/insights/ draws aggregates, never every reform: the timeline draws a recommendation's first
reforms and says how many more there are, so the page keeps its size whatever the number of
reforms; its CSV still lists every one, and a draft is in neither."""

import csv
import io
import re

import pytest
from django.urls import reverse

from institute.insights.definitions import MARKS_PER_PAGE, MARKS_PER_ROW, MIN_MARKS_PER_ROW
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory

pytestmark = pytest.mark.django_db

EXTRA = 7


@pytest.fixture
def crowded():
    recommendation = RecommendationFactory(published=True, title="Crowded recommendation")
    for i in range(MARKS_PER_ROW + EXTRA):
        reform = ReformFactory(
            published=True, title=f"Answer {i:03d}", adopted_on=f"{2000 + i % 20}-01"
        )
        ResponseFactory(recommendation=recommendation, reform=reform)
    draft = ReformFactory(draft=True, title="Planted draft answer", adopted_on="1999")
    ResponseFactory(recommendation=recommendation, reform=draft)
    return recommendation


def test_the_timeline_draws_the_first_reforms_and_counts_the_rest(client, crowded):
    page = client.get(reverse("insights"))
    timeline = next(c for c in page.context["charts"] if c["name"] == "answers-timeline")
    (row,) = timeline["chart"].rows
    assert len(row.marks) == MARKS_PER_ROW
    assert row.more == EXTRA
    # The earliest ones, in date order.
    dates = [m.date for m in row.marks]
    assert dates == sorted(dates) and dates[0] == "2000-01"
    html = page.content.decode()
    assert f">{EXTRA} more</a>" in html
    assert f"{EXTRA} more reforms are listed" in html
    assert "Planted draft answer" not in html
    svg = client.get(reverse("insights-chart", args=["answers-timeline", "svg"])).content.decode()
    # Each mark is drawn once, and its outline copied once in the layer of links over it.
    assert len(re.findall(r'<circle[^>]* class="mark ', svg)) == MARKS_PER_ROW
    assert len(re.findall(r"<a [^>]*><title>[^<]*</title><circle [^>]*/></a>", svg)) == (
        MARKS_PER_ROW
    )


def test_the_timeline_csv_lists_every_linked_reform(client, crowded):
    response = client.get(reverse("insights-chart", args=["answers-timeline", "csv"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == MARKS_PER_ROW + EXTRA
    assert "Planted draft answer" not in {r["reform_title"] for r in rows}


def test_many_recommendations_share_the_page_s_marks(client):
    """With many answered recommendations each row draws fewer reforms, so that the page holds
    about MARKS_PER_PAGE marks however many recommendations there are, and says how many more
    each row has."""
    rows = MARKS_PER_PAGE // MIN_MARKS_PER_ROW // 2  # each row gets twice the minimum
    per_row = MARKS_PER_PAGE // rows
    assert MIN_MARKS_PER_ROW < per_row < MARKS_PER_ROW
    reforms = [
        ReformFactory(published=True, title=f"Answer {i:03d}", adopted_on=f"{2000 + i}-01")
        for i in range(per_row + 2)
    ]
    for n in range(rows):
        recommendation = RecommendationFactory(published=True, title=f"Recommendation {n:02d}")
        for reform in reforms:
            ResponseFactory(recommendation=recommendation, reform=reform)
    page = client.get(reverse("insights"))
    timeline = next(c for c in page.context["charts"] if c["name"] == "answers-timeline")
    assert len(timeline["chart"].rows) == rows
    assert {len(row.marks) for row in timeline["chart"].rows} == {per_row}
    assert {row.more for row in timeline["chart"].rows} == {2}
    html = page.content.decode()
    assert html.count('class="mark ') == 2 * rows * per_row  # wide and narrow
    # Each linked: a link (wide and narrow) over each mark drawn.
    assert len(re.findall(r"<a [^>]*><title>[^<]*</title><circle ", html)) == 2 * rows * per_row
