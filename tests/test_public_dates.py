"""Dates on the public listing: reforms the source gives no date for, the choice of which date a
year range reads, and status filters that say what they mean."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from institute.editorial import workflow
from reforms.models import STATUS_EXPLANATIONS, Reform, ReformStatus
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory
from tests.support import NO_REFORM_INLINE_ROWS, admin_url, login

pytestmark = pytest.mark.django_db

REFORMS = reverse("reforms:list")
UNDATED = "Undated in the source"


@pytest.fixture
def reforms():
    """Three dated reforms whose dates differ by kind, and two the source gives no date for."""
    ReformFactory(
        published=True,
        title="Announced early, adopted late",
        announced_on="2017-03",
        adopted_on="2019-06",
        effective_on="2020",
    )
    ReformFactory(
        published=True, title="Adopted early", announced_on="", adopted_on="2015", effective_on=""
    )
    ReformFactory(
        published=True,
        title="In effect late",
        announced_on="2018",
        adopted_on="2018-12",
        effective_on="2021-01-01",
    )
    ReformFactory(published=True, title="Agency created", adopted_on="")
    ReformFactory(published=True, title="Zero tolerance laws", adopted_on="")


def titles(response) -> list[str]:
    return [r.title for r in response.context["page"].object_list]


def facet(response, name: str) -> dict[str, int]:
    found = next(f for f in response.context["facets"] if f.name == name)
    return {v.value: v.count for v in found.values}


# --- undated reforms ---------------------------------------------------------------------------


def test_an_undated_reform_says_so_on_the_listing_and_its_page(client, reforms):
    page = client.get(REFORMS).content.decode()
    assert page.count(UNDATED) == 2
    undated = Reform.objects.get(title="Agency created")
    detail = client.get(undated.get_absolute_url()).content.decode()
    assert UNDATED in detail
    dated = Reform.objects.get(title="Adopted early")
    assert UNDATED not in client.get(dated.get_absolute_url()).content.decode()


@pytest.mark.parametrize("sort", ["newest", "oldest", ""])
def test_undated_reforms_come_last_in_both_date_orders(client, reforms, sort):
    shown = titles(client.get(REFORMS, {"sort": sort} if sort else {}))
    assert shown[-2:] == ["Agency created", "Zero tolerance laws"]
    dated = shown[:-2]
    expected = ["Adopted early", "Announced early, adopted late", "In effect late"]
    assert dated == (expected if sort == "oldest" else expected[::-1])


@pytest.mark.parametrize(
    "params",
    [
        {"year_from": "1900"},
        {"year_to": "2100"},
        {"year_from": "1900", "year_to": "2100"},
        {"year_from": "1900", "date_field": "adopted"},
        {"year_to": "2100", "date_field": "effective"},
    ],
)
def test_any_year_filter_leaves_undated_reforms_out(client, reforms, params):
    shown = titles(client.get(REFORMS, params))
    assert "Agency created" not in shown and "Zero tolerance laws" not in shown
    assert facet(client.get(REFORMS, params), "undated").get("true", 0) == 0


def test_the_no_date_facet_counts_what_its_filter_shows(client, reforms):
    response = client.get(REFORMS)
    counts = facet(response, "undated")
    assert counts == {"true": 2, "false": 3}
    assert "No date" in response.content.decode()
    only = client.get(REFORMS, {"undated": "true"})
    assert sorted(titles(only)) == ["Agency created", "Zero tolerance laws"]
    assert only.context["page"].paginator.count == counts["true"]
    assert client.get(REFORMS, {"undated": "false"}).context["page"].paginator.count == 3
    # The facet narrows with the others: no undated reform is announced.
    assert facet(client.get(REFORMS, {"status": "announced"}), "undated") == {
        "true": 0,
        "false": 0,
    }


def test_the_content_loader_accepts_a_reform_with_no_date(tmp_path, client):
    (tmp_path / "a.yaml").write_text(
        "topics:\n  - {slug: policing, name: Policing, area: human-rights}\n"
        "reforms:\n"
        "  - slug: interior-ministry-downsizing\n    title: Interior Ministry downsizing\n"
        "    summary: The ministry was cut. The report gives no date.\n"
        "    area: human-rights\n    topics: [policing]\n    status: implemented\n"
        '    announced_on: ""\n    adopted_on: ""\n    effective_on: ""\n',
        encoding="utf-8",
    )
    call_command("load_content", str(tmp_path), stdout=StringIO())
    reform = Reform.objects.get(slug="interior-ministry-downsizing")
    assert reform.is_published and reform.first_date == ""
    assert UNDATED in client.get(reform.get_absolute_url()).content.decode()
    assert titles(client.get(REFORMS, {"undated": "true"})) == ["Interior Ministry downsizing"]


def test_an_editor_saves_and_publishes_a_reform_with_no_date(
    client, contributor, reviewer, publisher
):
    login(client, contributor)
    response = client.post(
        reverse("admin:reforms_reform_add"),
        {
            "title": "No date given",
            "slug": "no-date-given",
            "summary": "Two sentences. Here.",
            "area": "economy",
            "status": "adopted",
            "announced_on": "",
            "adopted_on": "",
            "effective_on": "",
            **NO_REFORM_INLINE_ROWS,
        },
    )
    assert response.status_code == 302
    reform = Reform.objects.get(slug="no-date-given")
    client.post(admin_url(reform, "review", "submit"))
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    assert titles(client.get(REFORMS, {"undated": "true"})) == ["No date given"]


def test_undated_reforms_end_a_recommendations_timeline(client):
    recommendation = RecommendationFactory(published=True)
    for title, date in (("Undated one", ""), ("Later", "2021"), ("Earlier", "2019-02")):
        reform = ReformFactory(published=True, title=title, adopted_on=date)
        ResponseFactory(reform=reform, recommendation=recommendation)
    page = client.get(recommendation.get_absolute_url()).content.decode()
    assert page.index("Earlier") < page.index("Later") < page.index("Undated one")


# --- which date a year range reads -----------------------------------------------------------


def test_adopted_since_a_year_reads_the_adoption_date(client, reforms):
    earliest = titles(client.get(REFORMS, {"year_from": "2019"}))
    assert earliest == []  # by the earliest date (the default), none starts in 2019 or later
    adopted = titles(client.get(REFORMS, {"year_from": "2019", "date_field": "adopted"}))
    assert adopted == ["Announced early, adopted late"]
    assert titles(client.get(REFORMS, {"year_from": "2019", "date_field": "first"})) == []


def test_each_date_kind_bounds_its_own_date(client, reforms):
    def shown(kind, **years):
        return sorted(titles(client.get(REFORMS, {"date_field": kind, **years})))

    assert shown("announced", year_from="2017", year_to="2017") == ["Announced early, adopted late"]
    # A reform with no announcement date is out of any announced range.
    assert "Adopted early" not in shown("announced", year_to="2100")
    assert shown("effective", year_from="2021") == ["In effect late"]
    assert shown("adopted", year_to="2015") == ["Adopted early"]
    response = client.get(REFORMS, {"date_field": "adopted", "year_from": "2019"})
    assert "From year (adoption date): 2019" in response.content.decode()


def test_a_bad_date_field_is_ignored_with_a_message(client, reforms):
    response = client.get(REFORMS, {"date_field": "signed", "year_from": "2019"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ignored years apply to “signed”" in page
    assert titles(response) == []  # the range still applies, to the earliest date


def test_the_csv_export_follows_the_date_choice(client, reforms):
    def slugs(params):
        response = client.get(reverse("reforms:export", kwargs={"fmt": "csv"}), params)
        text = b"".join(response.streaming_content).decode()
        return [row["title"] for row in csv.DictReader(io.StringIO(text, newline=""))]

    assert slugs({"year_from": "2019", "date_field": "adopted"}) == [
        "Announced early, adopted late"
    ]
    assert slugs({"year_from": "2019"}) == []
    assert len(slugs({"undated": "true"})) == 2
    assert (
        client.get(
            reverse("reforms:export", kwargs={"fmt": "csv"}), {"date_field": "signed"}
        ).status_code
        == 200
    )


# --- statuses ----------------------------------------------------------------------------------


def test_status_filters_say_what_each_status_means(client, reforms):
    ReformFactory(published=True, status=ReformStatus.STALLED)
    page = client.get(REFORMS).content.decode()
    assert str(STATUS_EXPLANATIONS[ReformStatus.STALLED]) in page
    assert str(STATUS_EXPLANATIONS[ReformStatus.ADOPTED]) in page
    assert "as the sources describe it" in page
