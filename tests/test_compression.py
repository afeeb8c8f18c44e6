"""Text answers gzip-compressed for a client that accepts it (institute/compression.py), over a
real HTTP server: the same bytes once decompressed, a kept page compressed once, downloads that
stream left as they are, the validators and Vary right for a proxy."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.text import compress_string

from institute import answer_files, page_cache
from institute.compression import PRECOMPRESSED, SMALLEST, CompressionMiddleware
from institute.editorial.states import ReviewState
from tests.factories import entry_in_state
from tests.support import login

pytestmark = pytest.mark.django_db(transaction=True)

GZIP = "gzip, deflate, br"
TEXT_PAGES = [
    "/",
    "/reforms/",
    "/reforms/?q=tenge",
    "/ru/reforms/",
    "/reforms/tenge-float/",
    "/reforms/feed/",
    "/recommendations/",
    "/insights/",
    "/insights/status-by-area.svg",
    "/data/",
    "/api/v1/reforms/",
]


@pytest.fixture
def site(live_server, settings):
    settings.PAGE_CACHE = True
    entry_in_state(
        "reform", ReviewState.PUBLISHED, slug="tenge-float", title="The tenge floats freely"
    )
    return live_server.url


def fetch(url: str, **headers) -> tuple[int, dict, bytes]:
    """Status, headers (lower-cased names) and the body as sent, not decompressed."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def vary(headers: dict) -> set[str]:
    return {v.strip().lower() for v in headers.get("vary", "").split(",")}


@pytest.mark.parametrize("page_cache", [True, False], ids=["page cache", "no page cache"])
def test_a_text_answer_is_sent_compressed_and_is_the_same_page(site, settings, page_cache):
    settings.PAGE_CACHE = page_cache
    for path in TEXT_PAGES:
        status, plain_headers, plain = fetch(site + path, **{"Accept-Encoding": "identity"})
        assert status == 200, path
        status, headers, body = fetch(site + path, **{"Accept-Encoding": GZIP})
        assert status == 200, path
        assert "content-encoding" not in plain_headers, path
        assert headers.get("content-encoding") == "gzip", (path, headers)
        assert int(headers["content-length"]) == len(body) < len(plain), path
        assert gzip.decompress(body) == plain, path
        assert headers["content-type"] == plain_headers["content-type"], path
        assert "accept-encoding" in vary(headers) and "accept-encoding" in vary(plain_headers)


def test_a_kept_page_is_compressed_once_and_sent_as_kept(site, settings):
    sent = []
    for _ in range(3):
        _, headers, body = fetch(site + "/insights/", **{"Accept-Encoding": GZIP})
        sent.append((headers["x-page-cache"], body))
    assert [state for state, _ in sent] == ["miss", "hit", "hit"]
    # One compression: every answer the same bytes. Compressed per answer they would differ,
    # as they do without the page cache (Django's random padding, below).
    assert sent[0][1] == sent[1][1] == sent[2][1]
    settings.PAGE_CACHE = False
    # Django pads each compression with 0 to 99 bytes at random: two answers are the same
    # bytes one time in a hundred, four of them one time in a million.
    uncached = [fetch(site + "/insights/", **{"Accept-Encoding": GZIP})[2] for _ in range(4)]
    assert len(set(uncached)) > 1
    assert len({gzip.decompress(body) for body in uncached}) == 1


def test_a_page_kept_compressed_alone_is_given_whole_to_a_client_without_gzip(site, settings):
    """An entry keeps the compressed body only: a client that does not accept gzip, asking
    after one that does, is given the page decompressed from it, as it was computed."""
    settings.PAGE_CACHE = False
    computed = {path: fetch(site + path, **{"Accept-Encoding": "identity"}) for path in TEXT_PAGES}
    settings.PAGE_CACHE = True
    for path in [*TEXT_PAGES, "/reforms/export.csv"]:
        _, kept_headers, _ = fetch(site + path, **{"Accept-Encoding": GZIP})
        assert kept_headers["x-page-cache"] == "miss", path
        _, headers, body = fetch(site + path, **{"Accept-Encoding": "identity"})
        assert headers["x-page-cache"] == "hit" and "content-encoding" not in headers, path
        assert int(headers["content-length"]) == len(body) > 0, path
        if path in computed:
            assert body == computed[path][2], path
            assert headers["content-type"] == computed[path][1]["content-type"], path
        _, again, compressed = fetch(site + path, **{"Accept-Encoding": GZIP})
        assert again["content-encoding"] == "gzip" and gzip.decompress(compressed) == body, path
        # What the shared cache holds for the address: the compressed body, and no other.
        request = RequestFactory().get(path, HTTP_HOST=site.removeprefix("http://"))
        entry = cache.get(page_cache.address_key(request))
        assert entry.content == b"" and entry.gzipped == compressed, path


def test_a_precompressed_body_shorter_than_the_threshold_is_sent_as_what_it_is(rf):
    """A page just long enough to be compressed may compress below the length the middleware
    compresses from: given from the entry, it still says it is gzip."""
    body = compress_string(b"a" * 300)
    assert len(body) < SMALLEST
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    setattr(response, PRECOMPRESSED, body)
    answer = CompressionMiddleware(lambda request: response)(
        rf.get("/", HTTP_ACCEPT_ENCODING="gzip")
    )
    assert answer["Content-Encoding"] == "gzip" and answer.content == body
    assert gzip.decompress(answer.content) == b"a" * 300
    assert "Accept-Encoding" in answer["Vary"]


def test_a_compressed_answer_is_revalidated_by_its_etag(site):
    for path in ("/reforms/", "/api/v1/reforms/"):
        _, headers, _ = fetch(site + path, **{"Accept-Encoding": GZIP})
        # Weak: the same page in another coding is not the same bytes (RFC 9110, 8.8.1).
        assert headers["etag"].startswith('W/"'), path
        status, again, body = fetch(
            site + path, **{"Accept-Encoding": GZIP, "If-None-Match": headers["etag"]}
        )
        assert (status, body) == (304, b""), path
        assert "content-encoding" not in again, path
        # The identity form answers to the same validator: a proxy may hold either.
        status, _, _ = fetch(
            site + path, **{"Accept-Encoding": "identity", "If-None-Match": headers["etag"]}
        )
        assert status == 304, path
    _, headers, _ = fetch(site + "/reforms/", **{"Accept-Encoding": GZIP})
    _, again, _ = fetch(
        site + "/reforms/", **{"Accept-Encoding": GZIP, "If-None-Match": headers["etag"]}
    )
    assert "accept-encoding" in vary(again)


@pytest.mark.parametrize(
    "path", ["/reforms/export.csv", "/reforms/export.json", "/data/reforms.csv"]
)
def test_a_download_streams_as_it_is_and_is_sent_compressed_once_kept(site, settings, path):
    settings.PAGE_CACHE = False
    _, _, plain = fetch(site + path, **{"Accept-Encoding": "identity"})
    _, headers, body = fetch(site + path, **{"Accept-Encoding": GZIP})
    assert "content-encoding" not in headers and body == plain
    settings.PAGE_CACHE = True
    _, first_headers, first = fetch(site + path, **{"Accept-Encoding": GZIP})
    _, kept_headers, kept = fetch(site + path, **{"Accept-Encoding": GZIP})
    # The first visitor's answer streams as the export writes it; once kept whole, it is
    # compressed with the entry, once.
    assert first_headers["x-page-cache"] == "miss" and "content-encoding" not in first_headers
    assert first == plain
    assert kept_headers["x-page-cache"] == "hit" and kept_headers["content-encoding"] == "gzip"
    assert gzip.decompress(kept) == plain
    assert fetch(site + path, **{"Accept-Encoding": GZIP})[2] == kept
    assert "accept-encoding" in vary(kept_headers)


def test_a_download_kept_as_a_file_is_sent_compressed_once_its_twin_is_made(site, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100  # past what the shared cache holds: kept as a file
    path = "/reforms/export.csv?area=economy"
    _, first_headers, plain = fetch(site + path, **{"Accept-Encoding": GZIP})
    assert first_headers["x-page-cache"] == "miss" and "content-encoding" not in first_headers
    answer_files.wait_for_twins()
    _, headers, sent = fetch(site + path, **{"Accept-Encoding": GZIP})
    assert headers["x-page-cache"] == "hit" and headers["content-encoding"] == "gzip"
    assert int(headers["content-length"]) == len(sent) and gzip.decompress(sent) == plain
    assert "accept-encoding" in vary(headers)
    _, as_is_headers, as_is = fetch(site + path, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in as_is_headers and as_is == plain


@pytest.mark.parametrize("path", ["/insights/status-by-area.png", "/static/css/site.css"])
def test_an_image_or_a_static_file_is_not_compressed_again(site, path):
    _, _, plain = fetch(site + path, **{"Accept-Encoding": "identity"})
    for _ in range(2):  # computed, then from the page cache
        status, headers, body = fetch(site + path, **{"Accept-Encoding": GZIP})
        assert status == 200
        if path.endswith(".png"):
            assert "content-encoding" not in headers and body == plain
        else:
            # WhiteNoise sends a compressed copy of a collected static file itself; either way
            # once, not twice.
            sent = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
            assert sent == plain


@pytest.mark.parametrize(
    "accept, compressed",
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("deflate, x-gzip", True),
        ("*", True),
        ("br, *;q=0.1", True),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),
        ("*;q=0", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=nonsense", False),
        ("", False),
    ],
)
def test_accept_encoding_is_read_with_its_weights(site, accept, compressed):
    status, headers, body = fetch(site + "/reforms/", **{"Accept-Encoding": accept})
    assert status == 200
    assert (headers.get("content-encoding") == "gzip") is compressed
    assert b"tenge floats freely" in (gzip.decompress(body) if compressed else body)


def test_a_signed_in_editor_s_page_is_compressed_anew_each_time(site, client, superuser):
    login(client, superuser)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    sent = []
    for _ in range(2):
        status, headers, body = fetch(
            site + "/admin/", **{"Accept-Encoding": GZIP, "Cookie": cookie}
        )
        assert status == 200 and headers["content-encoding"] == "gzip"
        sent.append(body)
    # A page with a CSRF token: Django's random padding makes each compressed form differ.
    assert sent[0] != sent[1]
    assert b"csrfmiddlewaretoken" in gzip.decompress(sent[0])
