"""Dates read as people read them on every page that shows one: "September 2019", never the
stored `2019-09` (institute.dates.PartialDate.label)."""

from django.urls import reverse

from institute.dates import date_label
from tests.factories import (
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    TopicFactory,
)


def test_date_label_reads_every_precision_and_leaves_nonsense_alone():
    assert date_label("2019") == "2019"
    assert date_label("2019-09") == "September 2019"
    assert date_label("2021-09-15") == "15 September 2021"
    assert date_label("") == ""
    assert date_label(None) == ""
    assert date_label("not a date") == "not a date"


def test_recommendation_timeline_shows_reform_dates_as_words(client, db):
    recommendation = RecommendationFactory(published=True)
    ResponseFactory(
        recommendation=recommendation,
        reform=ReformFactory(published=True, announced_on="2019-09", adopted_on="2020"),
    )
    ResponseFactory(
        recommendation=recommendation,
        reform=ReformFactory(published=True, adopted_on="2021-09-15"),
    )
    html = client.get(recommendation.get_absolute_url()).content.decode()
    assert '<time datetime="2019-09">September 2019</time>' in html
    assert '<time datetime="2021-09-15">15 September 2021</time>' in html
    assert ">2019-09<" not in html


def test_related_reforms_show_their_dates_as_words(client, db):
    topic = TopicFactory()
    reform = ReformFactory(published=True, topics=[topic])
    ReformFactory(
        published=True, title="A month-dated neighbour", adopted_on="2021-09", topics=[topic]
    )
    html = client.get(reform.get_absolute_url()).content.decode()
    assert "A month-dated neighbour</a>" in html
    assert '(<time datetime="2021-09">September 2021</time>)' in html
    assert "(2021-09)" not in html


def test_admin_lists_show_dates_as_words(admin_client, db):
    ReformFactory(title="Dated by month", announced_on="2019-09", adopted_on="")
    SourceFactory(title="A report of a month", published_on="2021-09")
    reforms = admin_client.get(reverse("admin:reforms_reform_changelist")).content.decode()
    assert "September 2019" in reforms
    assert ">2019-09<" not in reforms
    sources = admin_client.get(reverse("admin:institute_source_changelist")).content.decode()
    assert "September 2021" in sources
    assert ">2021-09<" not in sources
    # Sorting by the date still sorts by the stored ISO text.
    ordered = admin_client.get(reverse("admin:reforms_reform_changelist"), {"o": "4"})
    assert ordered.status_code == 200
