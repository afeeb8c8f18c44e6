"""Hostile addresses, parameters and query strings are never a 500: every URL pattern with a
parameter, as anyone and as a superuser, and every public address under hostile query strings.

Each value here once reached the database unchecked somewhere (PostgreSQL refuses a NUL in text;
an integer past 64 bits overflows a lookup): the 400s and 404s they get instead say so, from
institute/address_guard.py, the views' forms and the admin's guards."""

import re

import pytest
from django.core.cache import cache

from institute.editorial.states import ReviewState
from tests.factories import entry_in_state
from tests.support import enumerate_routes, login

# Committed as they go: on PostgreSQL one refused statement in a test's transaction would make
# every request after it fail too, and the list of failures would say nothing.
pytestmark = pytest.mark.django_db(transaction=True)

# What a path parameter is given: a NUL, an overlong encoding of one, a number past 64 bits.
PATH_VALUES = ["a%00b", "%C0%80", "9" * 30]
PARAMETER = re.compile(r"<[^>]+>")


def server_errors(client, requests) -> list[str]:
    """Each (method, address, headers) asked through `client`; those answered 5xx, a streamed
    answer read to its end (a failure while it streams is one too)."""
    client.raise_request_exception = False  # every failure listed, not the first raised
    failures = []
    for method, address, headers in requests:
        response = getattr(client, method)(address, headers=headers)
        if response.streaming:
            b"".join(response.streaming_content)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {address} {headers or ''} → {response.status_code}")
    return failures


def parameterized_routes() -> list[str]:
    """Every route with a parameter (`<…>`), but the admin's three regular expressions."""
    return [r for r in enumerate_routes() if PARAMETER.search(r) and "(?P" not in r]


def test_the_sweep_covers_the_routes_it_means_to():
    routes = parameterized_routes()
    assert len(routes) > 80
    assert "data/releases/<str:label>/" in routes and "api/v1/reforms/<path:slug>/" in routes


@pytest.mark.parametrize("as_superuser", [False, True], ids=["anyone", "superuser"])
def test_no_parameter_of_any_address_is_a_500(client, superuser, as_superuser):
    entry_in_state("reform", ReviewState.PUBLISHED, slug="tenge", title="The tenge floats")
    if as_superuser:
        login(client, superuser)
    requests = [
        (method, "/" + PARAMETER.sub(value, route), {})
        for route in parameterized_routes()
        for value in PATH_VALUES
        for method in ("get", "post")
    ]
    assert not (failures := server_errors(client, requests)), "\n".join(failures)


PUBLIC = [
    "/",
    "/changes/",
    "/changes/feed.atom",
    "/insights/",
    "/reforms/",
    "/reforms/feed/",
    "/reforms/export.csv",
    "/reforms/tenge/",
    "/reforms/tenge/history/",
    "/recommendations/",
    "/data/",
    "/data/reforms.csv",
    "/data/releases/",
    "/api/v1/reforms/",
    "/api/v1/reforms/tenge/",
    "/alerts/reforms/",
    "/ru/reforms/",
]
QUERIES = [
    "q=%00",
    "%00=1",
    "area=%00",
    "topic=%00&topic=",
    "theme=%00",
    "status=%00",
    "as_of=%00",
    "as_of=2020-13-45",
    "as_of=99999-01-01",
    "since=%00",
    "since=2020-02-30",
    "page=%00",
    "page=99999999999999999999",
    "page=%C2%B2",
    "year_from=%00",
    "year_to=1e9",
    "sort=%00",
    "lang=%00",
    "cursor=%00",
    "limit=-1",
    "updated_since=2020-01-01T99:99",
    "x=%FF%FE",
    "q=" + "a" * 5000,
]


def test_no_hostile_query_string_on_a_public_address_is_a_500(client):
    entry_in_state("reform", ReviewState.PUBLISHED, slug="tenge", title="The tenge floats")
    requests = [("get", f"{address}?{query}", {}) for address in PUBLIC for query in QUERIES]
    assert not (failures := server_errors(client, requests)), "\n".join(failures)


DOWNLOADS = [
    "/",
    "/reforms/",
    "/reforms/export.csv",
    "/reforms/feed/",
    "/insights/",
    "/data/reforms.csv",
    "/data/reforms.json",
    "/data/package.zip",
    "/api/v1/reforms/",
]
HEADERS = [
    {"Range": "bytes=abc"},
    {"Range": "bytes=-0"},
    {"Range": "bytes=99999999999999999999-"},
    {"Range": "bytes=0-1,2-3,4-5"},
    {"Range": "bytes=5-1"},
    {"Range": "items=0-1"},
    {"Range": "bytes=²-"},
    {"If-None-Match": "\x00"},
    {"If-None-Match": 'W/"' + '"' * 500},
    {"If-Modified-Since": "garbage"},
    {"If-Modified-Since": "Sun, 06 Nov 9999 08:49:37 GMT"},
    {"If-Range": "garbage", "Range": "bytes=0-10"},
    {"Accept-Language": "\x00"},
    {"Accept-Language": "ru;q=abc,kk;q=2"},
    {"Accept-Encoding": "gzip;q=abc, br"},
    {"Cookie": "sessionid=\x00"},
    {"Cookie": "django_language=zz; tracker_editor=1"},
    {"X-Forwarded-For": "\x00, 1.2.3.4"},
    {"X-Forwarded-Proto": "gopher"},
]


def test_no_hostile_header_on_a_page_or_download_is_a_500(client, settings, request):
    """With the page cache on, as the site runs: its conditional answers and byte ranges read
    these headers before any view does."""
    settings.PAGE_CACHE = True
    # The cache's table outlives a test whose writes are committed, and a content marker of
    # this test's may be another's: none of their answers here, and none of these after.
    cache.clear()
    request.addfinalizer(cache.clear)
    entry_in_state("reform", ReviewState.PUBLISHED, slug="tenge", title="The tenge floats")
    requests = [
        (method, address, headers)
        for address in DOWNLOADS
        for headers in HEADERS
        for method in ("get", "head")
    ]
    assert not (failures := server_errors(client, requests)), "\n".join(failures)
