"""A cut download resumed (institute/byte_ranges.py): a part of an answer sent from a file, through
the HTTP client and a real server; the whole file where the part cannot be trusted; pages and
streams left as they are."""

from __future__ import annotations

import gzip
import urllib.request

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils.http import http_date

from institute import answer_files
from institute.datasets import finished_files
from institute.editorial.states import ReviewState
from tests.factories import entry_in_state

pytestmark = pytest.mark.django_db


SERVED = {
    # The page cache off: every answer the view's, a finished file sent from its file.
    "no page cache": {"PAGE_CACHE": False},
    # A small download kept whole in the shared cache, given from there after its first answer.
    "kept whole": {"PAGE_CACHE": True},
    # A finished file larger than the shared cache keeps: from its file every time.
    "from its file": {"PAGE_CACHE": True, "PAGE_CACHE_MAX_BYTES": 100},
}


def publish_two(settings, site="http://testserver"):
    for slug, title in (("tenge-float", "The tenge floats freely"), ("courts", "Courts reopen")):
        entry_in_state("reform", ReviewState.PUBLISHED, slug=slug, title=title)
    settings.SITE_URL = site
    assert finished_files.prebuild()  # the worker's pass: every finished file, and their twins


@pytest.fixture(params=list(SERVED))
def served(request, settings):
    for name, value in SERVED[request.param].items():
        setattr(settings, name, value)
    publish_two(settings)
    return request.param


@pytest.fixture
def published(settings):
    settings.PAGE_CACHE = True
    publish_two(settings)


def get(path: str, **headers):
    return Client().get(path, headers=headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def whole(path: str, **headers) -> tuple[object, bytes]:
    """The whole answer as a visitor after the first is given it."""
    body(get(path, **headers))  # the first: kept by the page cache, if it keeps it
    response = get(path, **headers)
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes", path
    content = body(response)
    assert response.get("Content-Length", str(len(content))) == str(len(content)) > "0"
    return response, content


@pytest.mark.parametrize("path", ["/data/package.zip", "/data/reforms.csv", "/data/reforms.json"])
def test_a_cut_download_is_resumed_where_it_stopped(served, path):
    _, content = whole(path)
    size = len(content)
    for asked, first, last in (
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, size - 1),
        ("bytes=-50", size - 50, size - 1),
        ("bytes=10-10", 10, 10),
        ("BYTES = 7 - 100000000", 7, size - 1),  # the end past the file: to its end
    ):
        part = get(path, Range=asked)
        assert part.status_code == 206, (path, asked)
        assert body(part) == content[first : last + 1], (path, asked)
        assert part["Content-Range"] == f"bytes {first}-{last}/{size}", (path, asked)
        assert part["Content-Length"] == str(last - first + 1), (path, asked)
        assert part["Content-Type"] == get(path)["Content-Type"], (path, asked)
    cut = size // 2
    resumed = body(get(path, Range=f"bytes=0-{cut - 1}")) + body(get(path, Range=f"bytes={cut}-"))
    assert resumed == content


def test_a_finished_file_past_the_shared_cache_is_sent_from_itself_from_the_first_request(
    published, settings
):
    settings.PAGE_CACHE_MAX_BYTES = 100
    for path in ("/data/package.zip", "/data/reforms.csv"):
        first = get(path, Range="bytes=0-1")
        assert first.status_code == 206, path
        assert body(first) == (b"PK" if path.endswith(".zip") else b"sl"), path
    # Not copied into the page cache's own files: they are finished files already.
    assert not list(settings.PAGE_CACHE_DIR.iterdir())


def test_a_computed_file_larger_than_anything_kept_is_sent_as_a_file(published, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100
    settings.PAGE_CACHE_DISK_BYTES = 0  # no room on disk: never kept, so never wrapped to be
    for _ in range(2):
        workbook = get("/reforms/export.xlsx", Range="bytes=0-1")
        assert (workbook.status_code, body(workbook)) == (206, b"PK")
        assert workbook["X-Page-Cache"] == "miss"


def test_csv_for_excel_is_the_mark_then_the_finished_file_and_is_resumed_across_the_mark(
    served,
):
    _, plain = whole("/data/reforms.csv")
    _, excel = whole("/data/reforms.csv-excel")
    assert excel == "\ufeff".encode() + plain
    for first, last in ((0, 1), (1, 5), (2, 2), (3, 40), (3, len(excel) - 1)):
        part = get("/data/reforms.csv-excel", Range=f"bytes={first}-{last}")
        assert part.status_code == 206 and body(part) == excel[first : last + 1], (first, last)
    cut = 2  # within the mark
    resumed = get("/data/reforms.csv-excel", Range=f"bytes=0-{cut - 1}")
    rest = get("/data/reforms.csv-excel", Range=f"bytes={cut}-")
    assert body(resumed) + body(rest) == excel


def test_the_compressed_twin_is_resumed_in_its_own_bytes(served):
    _, plain = whole("/data/reforms.csv")
    _, sent = whole("/data/reforms.csv", Accept_Encoding="gzip")
    first = get("/data/reforms.csv", Accept_Encoding="gzip", Range="bytes=0-63")
    rest = get("/data/reforms.csv", Accept_Encoding="gzip", Range="bytes=64-")
    assert (first.status_code, first["Content-Encoding"]) == (206, "gzip")
    assert gzip.decompress(body(first) + body(rest)) == plain
    assert rest["Content-Range"] == f"bytes 64-{len(sent) - 1}/{len(sent)}"


@pytest.mark.parametrize(
    "asked",
    [
        "bytes=0-1,5-6",  # several ranges
        "bytes=5-2",  # last before first: not a range
        "bytes=x-",
        "bytes=-",
        "items=0-1",
        "bytes 0-1",
    ],
)
def test_what_is_not_one_range_is_answered_with_the_whole_file(served, asked):
    _, content = whole("/data/reforms.csv")
    response = get("/data/reforms.csv", Range=asked)
    assert response.status_code == 200 and "Content-Range" not in response
    assert body(response) == content


@pytest.mark.parametrize("asked", ["bytes=100000000-", "bytes=-0"])
def test_a_range_outside_the_file_is_a_416_that_says_its_length(served, asked):
    _, content = whole("/data/reforms.csv")
    response = get("/data/reforms.csv", Range=asked)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(content)}"
    assert str(len(content)) in response.content.decode()


def test_if_range_gives_the_part_only_of_the_same_file(published, superuser):
    from institute.editorial import workflow

    response, content = whole("/data/reforms.csv")
    modified = response["Last-Modified"]
    assert response["ETag"].startswith('W/"')  # the page cache's: weak
    same = get("/data/reforms.csv", Range="bytes=0-9", If_Range=modified)
    assert same.status_code == 206 and body(same) == content[:10]
    for other in (http_date(0), response["ETag"], '"not-this-one"', "yesterday"):
        changed = get("/data/reforms.csv", Range="bytes=0-9", If_Range=other)
        assert changed.status_code == 200 and body(changed) == content, other

    # After a publish the file is another: the client holding part of the old one is sent the
    # whole new one, never the new one's bytes after the old one's.
    news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, slug="news")
    workflow.publish(news, by=superuser)
    assert finished_files.prebuild()
    _, newer = whole("/data/reforms.csv")
    assert b"news" in newer
    resumed = get("/data/reforms.csv", Range="bytes=10-", If_Range=modified)
    assert resumed.status_code == 200 and body(resumed) == newer


def test_a_release_file_resumes_on_its_checksum(published, settings):
    settings.REVIEW_REQUIRES_APPROVAL = False
    call_command("release", "create", "2026.12", "--notes", "Ranges.", "--base-url", "http://t/")
    path = "/data/releases/2026.12/reforms.csv"
    response = get(path)
    content = body(response)
    etag = response["ETag"]
    assert etag.startswith('"') and response["Accept-Ranges"] == "bytes"
    part = get(path, Range="bytes=5-", If_Range=etag)
    assert part.status_code == 206 and body(part) == content[5:]
    assert part["ETag"] == etag and part["Cache-Control"] == response["Cache-Control"]
    assert get(path, Range="bytes=5-", If_Range='"another"').status_code == 200


def test_a_download_the_page_cache_kept_as_a_file_is_resumed(published, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100
    path = "/reforms/export.csv?sort=title"
    first = get(path, Range="bytes=0-9")
    # The first visitor's answer streams as the export writes it: no length to cut within.
    assert first.status_code == 200 and "Accept-Ranges" not in first
    content = body(first)
    answer_files.wait_for_twins()
    kept = get(path, Range="bytes=10-")
    assert (kept.status_code, kept["X-Page-Cache"]) == (206, "hit")
    assert body(kept) == content[10:]
    assert kept["Content-Range"] == f"bytes 10-{len(content) - 1}/{len(content)}"


@pytest.mark.parametrize("path", ["/", "/reforms/", "/api/v1/reforms/", "/reforms/feed/"])
def test_a_page_is_sent_whole_and_offers_no_ranges(published, path):
    expected = body(get(path))
    response = get(path, Range="bytes=0-9")
    assert response.status_code == 200 and "Accept-Ranges" not in response
    assert body(response) == expected


def test_a_download_computed_as_it_streams_is_sent_whole(published, settings):
    settings.PAGE_CACHE = False
    response = get("/reforms/export.csv", Range="bytes=0-9")
    assert response.status_code == 200 and "Accept-Ranges" not in response
    assert b"tenge-float" in body(response)


def test_head_says_ranges_are_offered_and_other_methods_are_not_cut(served):
    whole("/data/reforms.csv")
    head = Client().head("/data/reforms.csv", headers={"Range": "bytes=0-9"})
    assert head.status_code == 200 and head["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in head


@pytest.mark.django_db(transaction=True)
def test_a_real_server_sends_the_part_it_was_asked_for(live_server, settings):
    settings.PAGE_CACHE = True
    settings.PAGE_CACHE_MAX_BYTES = 100  # sent from its file, through the server's file wrapper
    publish_two(settings, site=live_server.url)

    def fetch(path="/data/reforms.csv", **headers) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(live_server.url + path, headers=headers)
        with urllib.request.urlopen(request) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()

    status, headers, content = fetch()
    assert status == 200 and headers["accept-ranges"] == "bytes"
    assert int(headers["content-length"]) == len(content)
    status, headers, part = fetch(Range="bytes=3-")
    assert status == 206 and part == content[3:]
    assert headers["content-length"] == str(len(content) - 3)
    assert headers["content-range"] == f"bytes 3-{len(content) - 1}/{len(content)}"
    status, headers, excel = fetch("/data/reforms.csv-excel")
    assert status == 200 and excel == "\ufeff".encode() + content
    assert int(headers["content-length"]) == len(excel)
    assert fetch("/data/reforms.csv-excel", Range="bytes=1-")[2] == excel[1:]
