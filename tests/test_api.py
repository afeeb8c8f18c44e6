"""The read API under /api/v1/ (issue 15): the listings' rows and order, the CSV contract's
columns, published entries only, cursor pages of constant cost, `updated_since`, conditional
GET, the per-address throttle, CORS, the schema and its docs page, and schemathesis run against
that schema in-process (no network): no failure on any operation."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from institute.datasets.tables import TABLES
from reforms.models import Area, Initiator, ReformStatus
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
    TopicFactory,
)
from tests.test_csp import inline_code
from tests.test_production_settings import in_production, production_env, run

pytestmark = pytest.mark.django_db

API = "/api/v1/"
# A list page: the throttle's count in the database cache (read; then the cull count,
# savepoint, read, write, release), the content marker and when it was first seen (ETag,
# Last-Modified: a cache read), topic choices (the FilterSet's form), the rows, their topics,
# citations (+ sources), responses (+ recommendation), secondary areas.
API_LIST_QUERIES = 14
# A conditional GET answered 304: the throttle's 6, the content marker and its time.
API_NOT_MODIFIED_QUERIES = 8


def walk(client, path: str, params: dict | None = None, *, page_size: int = 7) -> list[dict]:
    """Every record of a list endpoint, following `next` from the first page to the last."""
    response = client.get(path, {**(params or {}), "page_size": page_size})
    assert response.status_code == 200, response.content
    records = []
    while True:
        body = response.json()
        assert len(body["results"]) <= page_size
        records += body["results"]
        if body["next"] is None:
            return records
        response = client.get(body["next"])
        assert response.status_code == 200, response.content


def listing_slugs(client, url: str, params: dict, name: str) -> list[str]:
    """Every row of an HTML listing, page after page, as its slugs."""
    slugs, number = [], 1
    while True:
        response = client.get(url, {**params, "page": number})
        assert response.status_code == 200
        slugs += [row.slug for row in response.context[name]]
        if not response.context["page"].has_next():
            return slugs
        number += 1


def csv_records(client, url: str, params: dict) -> list[dict]:
    response = client.get(url, params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def as_csv_cells(record: dict) -> dict:
    """An API record as the CSV file writes it: lists ';'-joined, numbers as text."""
    return {k: ";".join(v) if isinstance(v, list) else str(v) for k, v in record.items()}


@pytest.fixture
def world():
    """Published reforms over every area, status and initiator (some sharing a date), topics,
    recommendations answering them; drafts, archived entries and an unpublished source beside
    them, linked to the published ones, which nothing the API answers may show."""
    topics = [TopicFactory(slug=f"t{i}", name=f"Topic {i}") for i in range(4)]
    themes = [ThemeFactory(slug=f"th{i}", name=f"Theme {i}") for i in range(3)]
    report = SourceFactory(published=True, slug="the-report", title="The report")
    SourceFactory(published=True, slug="another-source", title="Another source")
    draft_source = SourceFactory(draft=True, slug="draft-source", title="Draft source")
    recs = [
        RecommendationFactory(
            published=True,
            report=report,
            slug=f"rec-{i}",
            title=f"Recommendation {i} {'police' if i % 2 else 'budget'}",
            audience=["government", "western"][i % 2],
            implementation=["not-assessed", "implemented", "partly-implemented"][i % 3],
            themes=themes[: 1 + i % 3],
            position=i + 1,
        )
        for i in range(9)
    ]
    draft_rec = RecommendationFactory(draft=True, report=report, slug="draft-rec", position=99)
    # Published, but from a report that is not: not public either.
    RecommendationFactory(published=True, report=draft_source, slug="rec-of-draft-report")
    areas, statuses, initiators = Area.values, ReformStatus.values, ["", *Initiator.values]
    for i in range(30):
        reform = ReformFactory(
            published=True,
            slug=f"reform-{i:02d}",
            title=f"Reform {i:02d} {'police' if i % 3 == 0 else 'budget'} court",
            area=areas[i % len(areas)],
            status=statuses[i % len(statuses)],
            initiated_by=initiators[i % len(initiators)],
            # Several share a date: the order's ties are broken as the listing breaks them.
            adopted_on=f"{2014 + i % 6}-0{1 + i % 3}" if i % 4 else "",
            announced_on="2013" if i % 4 == 0 else "",
            topics=topics[: i % 4] if i % 2 else topics[i % 4 :][:2],
        )
        if i % 5 == 0:
            ResponseFactory(reform=reform, recommendation=recs[i % 9], note=f"Answer {i}")
        if i % 7 == 0:
            ResponseFactory(reform=reform, recommendation=draft_rec, note="Draft answer")
        CitationFactory(reform=reform, source=report, locator=f"p. {i + 1}")
        if i % 6 == 0:
            CitationFactory(reform=reform, source=draft_source, locator="Draft locator")
    draft = ReformFactory(draft=True, slug="draft-reform", title="Draft police court")
    ResponseFactory(reform=draft, recommendation=recs[0], note="Answer by a draft")
    ReformFactory(archived=True, slug="archived-reform", title="Archived police court")
    return {"recs": recs, "report": report}


REFORM_STATES = [
    {},
    {"area": "economy"},
    {"area": ["economy", "human-rights"], "status": "adopted"},
    {"topic": ["t1", "t2"], "sort": "oldest"},
    {"has_response": "true", "sort": "title"},
    {"initiated_by": ["president", "parliament"], "sort": "status"},
    {"year_from": "2015", "year_to": "2017"},
    {"q": "police"},
    {"q": "police court", "sort": "relevance"},
]
RECOMMENDATION_STATES = [
    {},
    {"audience": "western"},
    {"theme": ["th1", "th2"], "sort": "implementation"},
    {"implementation": "implemented", "report": "the-report"},
    {"q": "police"},
]


def state_id(params: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items()) or "all"


@pytest.mark.parametrize("params", REFORM_STATES, ids=state_id)
def test_reforms_equal_the_listing_and_the_export(client, world, params):
    records = walk(client, f"{API}reforms/", params)
    assert records, "the state should hold rows"
    slugs = [r["slug"] for r in records]
    assert slugs == listing_slugs(client, reverse("reforms:list"), params, "reforms")
    exported = csv_records(client, reverse("reforms:export", args=["csv"]), params)
    assert [as_csv_cells(r) for r in records] == exported
    assert list(records[0]) == TABLES["reforms"].header


@pytest.mark.parametrize("params", RECOMMENDATION_STATES, ids=state_id)
def test_recommendations_equal_the_listing_and_the_export(client, world, params):
    records = walk(client, f"{API}recommendations/", params, page_size=4)
    assert records
    slugs = [r["slug"] for r in records]
    url = reverse("recommendations:list")
    assert slugs == listing_slugs(client, url, params, "recommendations")
    exported = csv_records(client, reverse("recommendations:export", args=["csv"]), params)
    assert [as_csv_cells(r) for r in records] == exported
    assert list(records[0]) == TABLES["recommendations"].header


@pytest.mark.parametrize("table", list(TABLES))
def test_whole_tables_equal_the_data_files(client, world, table):
    """Every table's rows, all of them; in the file's order, except reforms and
    recommendations, which are in their listing's (tested above)."""
    records = walk(client, f"{API}{table}/", page_size=6)
    exported = csv_records(client, f"/data/{table}.csv", {})
    json_file = json.loads(b"".join(client.get(f"/data/{table}.json").streaming_content))
    if table in ("reforms", "recommendations"):
        records = sorted(records, key=lambda r: r["slug"])
        exported = sorted(exported, key=lambda r: r["slug"])
        json_file = sorted(json_file, key=lambda r: r["slug"])
    assert [as_csv_cells(r) for r in records] == exported
    assert records == json_file


def test_records_by_slug_equal_the_list_rows(client, world):
    for table in ("reforms", "recommendations", "sources"):
        for record in walk(client, f"{API}{table}/", page_size=50):
            response = client.get(f"{API}{table}/{record['slug']}/")
            assert response.status_code == 200
            assert response.json() == record


def test_drafts_and_unpublished_sources_never_appear(client, world):
    everything = json.dumps(
        {t: walk(client, f"{API}{t}/", page_size=50) for t in TABLES}, ensure_ascii=False
    )
    assert "reform-00" in everything  # the published rows are there
    for hidden in (
        "draft-reform",
        "archived-reform",
        "draft-rec",
        "draft-source",
        "rec-of-draft-report",
    ):
        assert hidden not in everything
    for hidden in ("Draft answer", "Answer by a draft", "Draft locator", "Archived police"):
        assert hidden not in everything
    for path in (
        "reforms/draft-reform/",
        "reforms/archived-reform/",
        "recommendations/draft-rec/",
        "recommendations/rec-of-draft-report/",
        "sources/draft-source/",
    ):
        response = client.get(f"{API}{path}")
        assert response.status_code == 404
        assert response.json()["detail"].startswith("No published")
    # A filter naming a draft's vocabulary value finds nothing more than the listing does.
    assert walk(client, f"{API}reforms/", {"q": "Draft"}) == []


def test_query_counts_are_constant_per_page(client, world, django_assert_num_queries):
    client.get(f"{API}reforms/")  # the content marker and choices, as any request reads them
    first = client.get(f"{API}reforms/", {"page_size": 5, "area": "economy"}).json()
    assert first["next"]
    with django_assert_num_queries(API_LIST_QUERIES):
        client.get(f"{API}reforms/", {"page_size": 5, "area": "economy"})
    with django_assert_num_queries(API_LIST_QUERIES):
        second = client.get(first["next"]).json()
    with django_assert_num_queries(API_LIST_QUERIES):
        client.get(f"{API}reforms/", {"page_size": 50, "area": "economy"})
    assert second["results"]
    for i in range(20):
        ReformFactory(published=True, area="economy", topics=[TopicFactory(slug=f"x{i}")])
    client.get(f"{API}topics/")  # the content's new state first seen (its time cached)
    with django_assert_num_queries(API_LIST_QUERIES):
        client.get(f"{API}reforms/", {"page_size": 50, "area": "economy"})


@pytest.mark.parametrize(
    "path",
    [
        "reforms/?sort=status",
        "recommendations/?sort=implementation",
        "sources/",
        "citations/",
        "responses/",
        "topics/",
        "themes/",
    ],
)
def test_every_list_costs_the_same_on_any_page_and_at_any_size(client, world, path):
    def queries(url: str) -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response.json()

    joiner = "&" if "?" in path else "?"
    client.get(f"{API}{path}")  # the content's state first seen
    first, body = queries(f"{API}{path}{joiner}page_size=1")
    second, _ = queries(body["next"])
    whole, _ = queries(f"{API}{path}{joiner}page_size=500")
    assert first == second == whole


def test_a_page_answered_304_costs_the_throttle_and_the_marker(
    client, world, django_assert_num_queries
):
    url = f"{API}reforms/?area=economy"
    first = client.get(url)
    with django_assert_num_queries(API_NOT_MODIFIED_QUERIES):
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_conditional_get_answers_304_until_the_content_changes(client, world):
    url = f"{API}reforms/?area=economy"
    first = client.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, no-cache" or set(
        first["Cache-Control"].split(", ")
    ) == {"public", "no-cache"}
    tag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(f"{API}reforms/reform-00/", HTTP_IF_NONE_MATCH=tag).status_code == 200
    # Another representation (another page, parameter or host) has its own tag.
    other = client.get(f"{API}reforms/?area=human-rights")
    assert other["ETag"] != tag
    # Any write to public content, even outside the review workflow (a topic renamed), is new.
    TopicFactory(slug="t0").__class__.objects.filter(slug="t0").update(name="Renamed")
    changed = client.get(url, HTTP_IF_NONE_MATCH=tag, HTTP_IF_MODIFIED_SINCE=modified)
    assert changed.status_code == 200
    assert changed["ETag"] != tag
    assert client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 304


def test_updated_since_returns_what_changed_since(client):
    long_ago = timezone.now() - datetime.timedelta(days=400)
    old_source = SourceFactory(published=True, published_at=long_ago, slug="old-source")
    old = ReformFactory(published=True, published_at=long_ago, slug="old-reform")
    CitationFactory(reform=old, source=old_source)
    cites_new = ReformFactory(published=True, published_at=long_ago, slug="cites-new")
    CitationFactory(reform=cites_new, source=SourceFactory(published=True, slug="new-source"))
    ReformFactory(published=True, slug="new-reform")
    ReformFactory(draft=True, slug="new-draft")
    since = (timezone.now() - datetime.timedelta(days=30)).date().isoformat()
    slugs = sorted(r["slug"] for r in walk(client, f"{API}reforms/", {"updated_since": since}))
    assert slugs == ["cites-new", "new-reform"]  # its new source changes its `sources` column
    sources = walk(client, f"{API}sources/", {"updated_since": since})
    assert [s["slug"] for s in sources] == ["new-source"]
    everything = walk(client, f"{API}reforms/", {"updated_since": "2000-01-01T00:00:00Z"})
    assert len(everything) == 3
    assert walk(client, f"{API}reforms/", {"updated_since": "2999-01-01T00:00:00+05:00"}) == []


def test_updated_since_follows_every_link_the_tables_declare(client):
    """A report published since makes its recommendations public, and with them every row that
    shows one: the reforms answering them, their responses, and the citations of both
    (a response's through its recommendation's report too). Nothing names these links: they
    come from the tables' columns and the models' foreign keys."""
    long_ago = timezone.now() - datetime.timedelta(days=400)
    old_source = SourceFactory(published=True, published_at=long_ago, slug="old-source")
    new_report = SourceFactory(published=True, slug="new-report")
    in_new = RecommendationFactory(
        published=True, published_at=long_ago, report=new_report, slug="rec-of-new-report"
    )
    in_old = RecommendationFactory(
        published=True, published_at=long_ago, report=old_source, slug="rec-of-old-report"
    )
    answers = ReformFactory(published=True, published_at=long_ago, slug="answers-new")
    untouched = ReformFactory(published=True, published_at=long_ago, slug="untouched")
    response = ResponseFactory(reform=answers, recommendation=in_new)
    ResponseFactory(reform=untouched, recommendation=in_old)
    CitationFactory(recommendation=in_new, source=old_source, locator="of the recommendation")
    CitationFactory(response=response, source=old_source, locator="of the response")
    CitationFactory(recommendation=in_old, source=old_source, locator="old")
    CitationFactory(reform=untouched, source=old_source, locator="old too")
    since = {"updated_since": (timezone.now() - datetime.timedelta(days=30)).isoformat()}

    def changed(table: str) -> list[dict]:
        return walk(client, f"{API}{table}/", since)

    assert [r["slug"] for r in changed("sources")] == ["new-report"]
    assert [r["slug"] for r in changed("recommendations")] == ["rec-of-new-report"]
    assert [r["slug"] for r in changed("reforms")] == ["answers-new"]
    assert [(r["recommendation"], r["reform"]) for r in changed("responses")] == [
        ("rec-of-new-report", "answers-new")
    ]
    assert sorted(r["locator"] for r in changed("citations")) == [
        "of the recommendation",
        "of the response",
    ]
    # All of them, read whole, hold what the incremental reads gave.
    for table in TABLES:
        assert all(r in walk(client, f"{API}{table}/") for r in changed(table)), table


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2021-13-01",
        "2021-02-30",
        "",
        "2021-01-01T25:00",
        "0000-00-00",
        "x" * 500,
        "2021-01-01T00:00:00+99:00",
        "\x00",
    ],
)
def test_a_bad_updated_since_is_a_400_that_says_why(client, value):
    response = client.get(f"{API}reforms/", {"updated_since": value})
    assert response.status_code == 400
    body = response.json()
    assert "ISO 8601" in body["parameters"]["updated_since"][0]
    assert body["problems"][0].startswith("updated_since: ")


def test_updated_since_at_the_edges_of_time(client):
    ReformFactory(published=True, slug="new-reform")
    everything = {"updated_since": "0001-01-01T00:00:00+14:00"}
    assert [r["slug"] for r in walk(client, f"{API}reforms/", everything)] == ["new-reform"]
    assert walk(client, f"{API}reforms/", {"updated_since": "9999-12-31T23:59:59-14:00"}) == []


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2021-06", "2021"]
)
def test_extreme_or_partial_updated_since_never_fails(client, value):
    response = client.get(f"{API}sources/", {"updated_since": value})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "query",
    [
        "area=nowhere",
        "year_from=abc",
        "year_from=1800",
        "page_size=0",
        "page_size=501",
        "page_size=x",
        "page_size=",
        "page_size=%D9%A3",
        "cursor=forged",
        "sort=sideways",
        "unknown=1",
        "has_response=maybe",
        "topic=%00",
    ],
)
def test_a_bad_parameter_is_a_400_in_json(client, world, query):
    response = client.get(f"{API}reforms/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    name = query.split("=")[0]
    assert response.json()["parameters"][name]


def test_a_cursor_of_another_order_is_refused(client, world):
    next_url = client.get(f"{API}reforms/", {"page_size": 2}).json()["next"]
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    response = client.get(f"{API}reforms/", {"sort": "title", "cursor": cursor})
    assert response.status_code == 400
    assert "another order" in response.json()["parameters"]["cursor"][0]


def test_anonymous_requests_are_throttled_per_address_with_a_clear_429(client, world, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    for _ in range(3):
        assert client.get(f"{API}topics/").status_code == 200
    refused = client.get(f"{API}reforms/", REMOTE_ADDR="127.0.0.1")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["detail"].startswith("Too many requests from this address")
    assert "3/minute" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert client.get(f"{API}schema/").status_code == 429
    # Another address has its own allowance; the site's pages are not the API's to throttle.
    assert client.get(f"{API}topics/", REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.get(reverse("reforms:list")).status_code == 200


def test_behind_the_proxy_each_client_has_its_own_allowance(client, settings):
    settings.API_THROTTLE_RATE = "2/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    url, proxy = f"{API}topics/", {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(2):
        assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 200
    # What a client writes itself stands left of what the proxy adds: it changes nothing.
    spoofed = client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5", **proxy)
    assert spoofed.status_code == 429
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200


@pytest.mark.parametrize("trusted", [[], ["127.0.0.1"]], ids=["no proxy trusted", "loopback"])
def test_a_client_reaching_the_web_server_directly_cannot_rotate_x_forwarded_for(
    client, settings, trusted
):
    # Production's API_NUM_PROXIES=1, with the web server bound beyond the loopback (BIND=0.0.0.0).
    settings.API_THROTTLE_RATE = "3/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.TRUSTED_PROXIES = trusted
    url, direct = f"{API}topics/", {"REMOTE_ADDR": "198.51.100.77"}
    statuses = [
        client.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}", **direct).status_code
        for n in range(1, 6)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    # Its neighbour is counted apart, header or not.
    assert client.get(url, REMOTE_ADDR="198.51.100.78").status_code == 200


def test_production_counts_the_client_its_proxy_names_and_refuses_a_bad_rate():
    assert in_production("result = settings.REST_FRAMEWORK['NUM_PROXIES']") == 1
    assert (
        in_production("result = settings.REST_FRAMEWORK['NUM_PROXIES']", API_NUM_PROXIES="0") == 0
    )
    bad = run("-c", "import django; django.setup()", env=production_env(API_THROTTLE_RATE="lots"))
    assert bad.returncode != 0
    assert "API_THROTTLE_RATE='lots' is not a rate" in bad.stderr


def test_the_throttle_is_turned_off_by_off_in_the_environment_or_the_env_file(tmp_path):
    rate = "result = settings.API_THROTTLE_RATE"
    assert in_production(rate) == "120/minute"
    assert in_production(rate, API_THROTTLE_RATE="off") is None
    assert in_production(rate, API_THROTTLE_RATE="") is None  # set, and empty, in the environment

    def from_file(text: str):
        """The rate a process reads with `text` as its .env, read as every entry point reads
        it (before the settings)."""
        env_file = tmp_path / "load.env"
        env_file.write_text(text)
        program = (
            "from institute.envfile import load_env_file\nload_env_file()\n"
            "import django\ndjango.setup()\nfrom django.conf import settings\n"
            "print(settings.API_THROTTLE_RATE)"
        )
        env = production_env(API_THROTTLE_RATE=None, ENV_FILE=str(env_file))
        completed = run("-c", program, env=env)
        assert completed.returncode == 0, completed.stderr
        return completed.stdout.strip().splitlines()[-1]

    assert from_file("API_THROTTLE_RATE=off\n") == "None"
    assert from_file("API_THROTTLE_RATE=30/minute\n") == "30/minute"
    # An empty value in the file counts as unset (institute/envfile.py): the default stands.
    assert from_file("API_THROTTLE_RATE=\n") == "120/minute"


def test_the_api_is_read_only(client, world):
    for path in ("reforms/", "reforms/reform-00/", "topics/", "schema/"):
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(f"{API}{path}")
            assert response.status_code == 405, (method, path)


def test_cors_allows_get_from_anywhere_on_the_api_only(client, world):
    got = client.get(f"{API}reforms/", HTTP_ORIGIN="https://notebook.example")
    assert got["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in got["Access-Control-Expose-Headers"]
    preflight = client.options(
        f"{API}reforms/",
        HTTP_ORIGIN="https://notebook.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight.status_code == 200
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    page = client.get(reverse("reforms:list"), HTTP_ORIGIN="https://notebook.example")
    assert "Access-Control-Allow-Origin" not in page


def test_the_schema_is_openapi_3_1_with_the_csv_columns(client, world):
    response = client.get(f"{API}schema/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"
    schema = json.loads(response.content)
    assert schema["openapi"] == "3.1.0"
    for path, operations in schema["paths"].items():
        assert path.startswith("/api/v1/")
        assert set(operations) <= {"get", "parameters"}, path
    components = schema["components"]["schemas"]

    def enum(field: dict) -> set:
        """The values a property allows, through its $refs (`oneOf` a blank too)."""
        if "$ref" in field:
            return enum(components[field["$ref"].rsplit("/", 1)[1]])
        found = set(field.get("enum", []))
        for part in field.get("allOf", []) + field.get("oneOf", []):
            found |= enum(part)
        return found

    for table in TABLES.values():
        name = table.get_model()._meta.object_name
        assert list(components[name]["properties"]) == table.header
        for column in table.columns:
            field = components[name]["properties"][column.name]
            if column.vocabulary and not column.multi:
                blank = set() if column.required else {""}
                expected = {v for v, _ in column.vocabulary} | blank
                assert enum(field) == expected, column.name
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/reforms/"]["get"]["parameters"]}
    assert set(parameters) >= {
        "area",
        "topic",
        "q",
        "sort",
        "year_from",
        "cursor",
        "updated_since",
        "page_size",
    }
    assert parameters["area"]["schema"]["items"]["enum"] == Area.values
    assert parameters["year_from"]["schema"] == {
        "anyOf": [
            {"type": "number", "minimum": 1900, "maximum": 2100},
            {"type": "string", "maxLength": 0},
        ]
    }


def test_the_schema_describes_the_records_each_endpoint_returns(client, world):
    """The schema's record fields are the keys every endpoint answers with, in their order and
    of their types: the serializer fields that write a record are what the schema reads."""
    schema = json.loads(client.get(f"{API}schema/").content)
    components = schema["components"]["schemas"]

    def types(field: dict) -> set[str]:
        """The JSON types a property allows, through its $refs and combinations."""
        if "$ref" in field:
            return types(components[field["$ref"].rsplit("/", 1)[1]])
        found = {field["type"]} if isinstance(field.get("type"), str) else set()
        for part in field.get("allOf", []) + field.get("oneOf", []):
            found |= types(part)
        return found

    json_types = {str: "string", int: "integer", list: "array"}
    endpoints = [(name, table.get_model()._meta.object_name) for name, table in TABLES.items()]
    endpoints += [("topics", "TopicRecord"), ("themes", "ThemeRecord")]
    for path, name in endpoints:
        page = client.get(f"{API}{path}/").json()
        assert list(components[f"Paginated{name}List"]["properties"]) == list(page)
        properties = components[name]["properties"]
        assert page["results"], path
        for record in page["results"]:
            assert list(record) == list(properties), path
            for key, value in record.items():
                assert json_types[type(value)] in types(properties[key]), (path, key)
        by_slug = f"/api/v1/{path}/{{slug}}/"
        if by_slug in schema["paths"]:
            answers = schema["paths"][by_slug]["get"]["responses"]["200"]
            assert answers["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{name}"
            }
            one = client.get(f"{API}{path}/{page['results'][0]['slug']}/").json()
            assert list(one) == list(properties), path


def test_the_schema_validates_against_openapi_without_a_warning(world, tmp_path):
    out = tmp_path / "s.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", out
    )
    assert json.loads(out.read_text())["openapi"] == "3.1.0"


def test_the_docs_page_uses_our_own_assets_under_the_csp(client):
    response = client.get(f"{API}docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code(html) == []
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assets = [a for a in html.split('"') if a.startswith("/static/")]
    assert len(assets) >= 4
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "http://" not in html
    assert "https://" not in html
    assert reverse("api:schema") in html


# --- schemathesis -----------------------------------------------------------------------------
# Per operation. Fixed draws, as in tests/test_fuzz.py: `make fuzz` (FUZZ_RANDOM=1, FUZZ_SCALE)
# explores new ones; what it finds becomes a fixed test.
SCHEMATHESIS_EXAMPLES = max(1, round(50 * float(os.environ.get("FUZZ_SCALE") or 1)))


def run_operation(operation) -> tuple[int, str | None]:
    """(cases drawn, the failure or None) of one operation: valid and invalid values alike."""
    drawn = []
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @hypothesis_settings(
        max_examples=SCHEMATHESIS_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=strategy)
    def run(case):
        drawn.append(case)
        negative = case._meta is not None and case._meta.generation.mode.is_negative
        if not negative and case.query:
            # A cursor is made by the API and signed: any other string is refused (400), valid
            # by the schema's type or not. Following `next` is tested above (walk()).
            case.query.pop("cursor", None)
        # In process, nothing undoes a Content-Encoding as an HTTP client does: ask for none
        # (the compressed answers are tested over HTTP, tests/test_compression.py).
        case.call_and_validate(headers={"Accept-Encoding": "identity"})

    try:
        run()
    except (Exception, BaseExceptionGroup) as error:  # every operation runs; failures listed
        return len(drawn), str(error)
    return len(drawn), None


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, as a server runs it, on the test's own connection: a
    request's end must not close it (Django's test client holds these signals off alike)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_failure(demo_content, wsgi_app, settings, capsys):
    """Every operation of the schema, cases drawn by schemathesis (positive and negative
    values, every parameter) and sent to the app in-process; each answer is checked against
    the schema (status codes, content types, bodies, headers) and must not be a 5xx."""
    settings.API_THROTTLE_RATE = None
    schema = schemathesis.openapi.from_wsgi(f"{API}schema/", wsgi_app)
    operations, cases, failures = 0, 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        drawn, failure = run_operation(operation)
        cases += drawn
        if failure:
            failures.append(f"{operation.label}: {failure}")
    with capsys.disabled():
        print(f"\nschemathesis: {operations} operations, {cases} cases, {len(failures)} failures")
    assert not failures, "\n\n".join(failures)
