"""The public page cache (institute/page_cache.py): anonymous answers kept until the public
content changes, through the HTTP client and a real threaded server; nothing unpublished in
any kept answer; the signed-in, the admin and POSTs never kept; the API's throttle still counts."""

from __future__ import annotations

import gzip
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.test import Client
from psycopg import pq

from institute import answer_files, revalidation
from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.models import PendingRevision
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from tests.factories import ReformFactory, entry_in_state

pytestmark = pytest.mark.django_db

STATE = "X-Page-Cache"
PUBLIC_PAGES = [
    "/",
    "/reforms/",
    "/reforms/?area=economy",
    "/reforms/?q=tenge",
    "/reforms/feed/",
    "/reforms/export.csv",
    "/reforms/export.json",
    "/data/",
    "/data/reforms.csv",
    "/recommendations/",
    "/insights/",
    "/api/v1/reforms/",
]


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE = True
    return settings


@pytest.fixture
def tenge(page_cache):
    return entry_in_state(
        "reform", ReviewState.PUBLISHED, slug="tenge-float", title="The tenge floats freely"
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def get(path: str, client: Client | None = None, **headers):
    return (client or Client()).get(path, headers=headers)


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",")}


def test_a_second_anonymous_request_is_answered_from_the_cache_with_the_same_bytes(tenge):
    for path in PUBLIC_PAGES:
        first = get(path)
        first_body = body(first)  # a download is kept once its last byte has left
        second = get(path)
        assert first.status_code == second.status_code == 200, path
        assert (first[STATE], second[STATE]) == ("miss", "hit"), path
        assert first_body == body(second), path
        assert first["Content-Type"] == second["Content-Type"], path


def test_the_cached_answer_equals_the_uncached_one(tenge, settings):
    cached = {path: body(get(path)) for path in PUBLIC_PAGES for _ in (1, 2)}
    settings.PAGE_CACHE = False
    for path in PUBLIC_PAGES:
        response = get(path)
        assert STATE not in response
        assert body(response) == cached[path], path


def test_proxies_are_told_how_long_to_keep_a_page_and_how_to_revalidate_it(tenge, settings):
    settings.PAGE_CACHE_MAX_AGE, settings.PAGE_CACHE_STALE_WHILE_REVALIDATE = 45, 20
    first = get("/reforms/")
    for response in (first, get("/reforms/")):
        control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert control == {"public", "max-age=45", "stale-while-revalidate=20"}
        assert "Cookie" in response["Vary"]
        assert response["ETag"].startswith('W/"')
        assert response["Last-Modified"]
    again = get("/reforms/", If_None_Match=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    since = get("/reforms/", If_Modified_Since=first["Last-Modified"])
    assert since.status_code == 304


def test_a_publish_shows_on_the_next_request_and_old_validators_no_longer_match(tenge, superuser):
    before = get("/reforms/")
    assert get("/reforms/")[STATE] == "hit"
    news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, title="Courts reopen")
    assert "Courts reopen" not in get("/reforms/").content.decode()
    workflow.publish(news, by=superuser)
    after = get("/reforms/", If_None_Match=before["ETag"])
    assert after.status_code == 200
    assert after[STATE] == "miss"
    assert "Courts reopen" in after.content.decode()
    assert after["ETag"] != before["ETag"]
    # Within the same second as the answer before it, too: a client's copy is not current.
    since = get("/reforms/", If_Modified_Since=before["Last-Modified"])
    assert since.status_code == 200 and "Courts reopen" in since.content.decode()
    assert "Courts reopen" in get("/api/v1/reforms/").content.decode()
    assert "Courts reopen" in body(get("/data/reforms.csv")).decode()


def test_a_planted_draft_or_working_copy_reaches_no_cached_answer(tenge):
    ReformFactory(slug="planted-draft", title="Planted draft reform zebra")
    save_edit(tenge, {**snapshot(tenge), "title": "Unpublished working copy zebra"}, by=None)
    assert PendingRevision.objects.for_entry(tenge).exists()
    paths = [*PUBLIC_PAGES, "/reforms/?q=zebra", "/reforms/tenge-float/", "/reforms/planted-draft/"]
    pages = ["/", "/reforms/", "/reforms/?q=zebra", "/reforms/tenge-float/", "/reforms/feed/"]
    translated = [f"/{language}{page}" for language in ("ru", "kk") for page in pages]
    for path in paths + translated:
        for expected in ("miss", "hit"):
            response = get(path)
            text = body(response).decode()
            assert "Planted draft" not in text and "Unpublished working" not in text, path
            assert response.status_code == 200 or path not in translated, path
            if response.status_code == 200:
                assert response[STATE] == expected, path
    # The draft's own address is a 404, never kept: publishing it later shows it at once.
    assert get("/reforms/planted-draft/").status_code == 404
    assert STATE not in get("/reforms/planted-draft/")


def test_signed_in_visitors_the_admin_and_posts_are_never_kept_or_marked_public(
    tenge, admin_client
):
    assert get("/reforms/")[STATE] == "miss"
    signed_in = admin_client.get("/reforms/")
    assert STATE not in signed_in
    assert "private" in signed_in["Cache-Control"] and "public" not in signed_in["Cache-Control"]
    assert "Cookie" in signed_in["Vary"]
    admin = admin_client.get("/admin/")
    assert STATE not in admin and "private" in admin["Cache-Control"]
    login = get("/admin/login/")
    assert STATE not in login and "public" not in login.get("Cache-Control", "")
    posted = Client().post("/reforms/", {"q": "x"})
    assert STATE not in posted and "public" not in posted.get("Cache-Control", "")
    assert STATE not in get("/healthz")


def test_a_download_larger_than_the_limit_with_no_room_on_disk_streams_through(tenge, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100
    settings.PAGE_CACHE_DISK_BYTES = 0
    first = get("/reforms/export.csv")
    first_body = body(first)
    second = get("/reforms/export.csv")
    assert (first[STATE], second[STATE]) == ("miss", "miss")
    assert first_body == body(second) and len(first_body) > 100
    assert not list(settings.PAGE_CACHE_DIR.iterdir())


def test_a_download_larger_than_the_shared_cache_holds_is_sent_from_a_file_until_a_publish(
    tenge, settings, superuser
):
    settings.PAGE_CACHE_MAX_BYTES = 100
    for path in ("/reforms/export.csv", "/reforms/export.json?area=economy"):
        first = get(path)
        assert "Content-Length" not in first  # streamed as it is read
        first_body = body(first)
        second = get(path)
        assert (first[STATE], second[STATE]) == ("miss", "hit"), path
        assert body(second) == first_body and len(first_body) > 100, path
        assert second["Content-Length"] == str(len(first_body)), path
        for header in ("Content-Type", "Content-Disposition", "ETag", "Cache-Control"):
            assert second[header] == first[header], (path, header)
        assert get(path, If_None_Match=first["ETag"]).status_code == 304

    news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, slug="courts-reopen")
    workflow.publish(news, by=superuser)
    after = get("/reforms/export.csv")
    assert after[STATE] == "miss"
    assert b"courts-reopen" in body(after)
    assert get("/reforms/export.csv")[STATE] == "hit"


def test_a_text_download_kept_as_a_file_is_sent_from_its_compressed_twin_once_made(
    tenge, settings, superuser
):
    settings.PAGE_CACHE_MAX_BYTES = 100
    for path in ("/reforms/export.csv", "/reforms/export.json?area=economy"):
        first = get(path, Accept_Encoding="gzip")
        # The first visitor's download is not held while it is compressed.
        assert "Content-Encoding" not in first
        plain = body(first)
        answer_files.wait_for_twins()
        kept = get(path, Accept_Encoding="gzip, deflate, br")
        assert (kept[STATE], kept["Content-Encoding"]) == ("hit", "gzip"), path
        sent = body(kept)
        assert kept["Content-Length"] == str(len(sent)), path
        assert gzip.decompress(sent) == plain, path
        for header in ("Content-Type", "Content-Disposition", "ETag", "Cache-Control"):
            assert kept[header] == first[header], (path, header)
        assert {"accept-encoding", "cookie"} <= vary(kept), path
        assert body(get(path, Accept_Encoding="gzip")) == sent  # the same bytes, made once
        for refused in ("identity", "gzip;q=0", ""):
            as_is = get(path, Accept_Encoding=refused)
            assert "Content-Encoding" not in as_is and body(as_is) == plain, (path, refused)
            assert "accept-encoding" in vary(as_is), path
        assert get(path, Accept_Encoding="gzip", If_None_Match=first["ETag"]).status_code == 304

    news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, slug="courts-reopen")
    workflow.publish(news, by=superuser)
    after = get("/reforms/export.csv", Accept_Encoding="gzip")
    assert after[STATE] == "miss" and "Content-Encoding" not in after
    assert b"courts-reopen" in body(after)
    answer_files.wait_for_twins()
    again = get("/reforms/export.csv", Accept_Encoding="gzip")
    assert again[STATE] == "hit" and b"courts-reopen" in gzip.decompress(body(again))


def test_a_kept_file_is_sent_as_it_is_until_its_twin_is_made_or_when_it_is_gone(tenge, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100
    plain = body(get("/reforms/export.csv"))
    answer_files.wait_for_twins()
    twins = list(settings.PAGE_CACHE_DIR.glob("*.gz"))
    assert len(twins) == 1
    twins[0].unlink()  # removed to make room, or not made yet
    again = get("/reforms/export.csv", Accept_Encoding="gzip")
    assert again[STATE] == "hit" and "Content-Encoding" not in again
    assert body(again) == plain


def test_a_download_that_is_not_text_gets_no_twin(tenge, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100
    first = body(get("/reforms/export.xlsx"))
    answer_files.wait_for_twins()
    kept = get("/reforms/export.xlsx", Accept_Encoding="gzip")
    assert kept[STATE] == "hit" and "Content-Encoding" not in kept
    assert body(kept) == first and first.startswith(b"PK")  # a zip already
    assert len(list(settings.PAGE_CACHE_DIR.iterdir())) == 1
    assert not list(settings.PAGE_CACHE_DIR.glob("*.gz"))


def test_a_kept_file_that_is_gone_is_computed_again_not_an_error(tenge, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100
    expected = body(get("/reforms/export.csv"))
    answer_files.wait_for_twins()
    for kept in settings.PAGE_CACHE_DIR.iterdir():
        kept.unlink()  # made room for another, or kept by a server whose disk this one lacks
    again = get("/reforms/export.csv")
    assert again.status_code == 200 and again[STATE] == "miss"
    assert body(again) == expected
    assert get("/reforms/export.csv")[STATE] == "hit"


def test_files_are_kept_within_their_room(tenge, settings):
    settings.PAGE_CACHE_MAX_BYTES = 100
    size = len(body(get("/reforms/export.csv")))
    settings.PAGE_CACHE_DISK_BYTES = 4 * size + 3  # one answer fits (at most a quarter)...
    for path in ("/reforms/export.csv?sort=title", "/reforms/export.csv?sort=oldest"):
        body(get(path))
    answer_files.wait_for_twins()  # twins count
    files = list(settings.PAGE_CACHE_DIR.iterdir())
    assert sum(f.stat().st_size for f in files) <= settings.PAGE_CACHE_DISK_BYTES
    settings.PAGE_CACHE_DISK_BYTES = 4 * size - 4  # ...and one larger than a quarter is not
    body(get("/reforms/export.csv?sort=status"))
    assert get("/reforms/export.csv?sort=status")[STATE] == "miss"
    answer_files.wait_for_twins()
    assert not list(settings.PAGE_CACHE_DIR.glob("*.part"))


def test_the_api_throttle_counts_answers_from_the_cache(tenge, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    states = [get("/api/v1/reforms/")[STATE] for _ in range(3)]
    assert states == ["miss", "hit", "hit"]
    refused = get("/api/v1/reforms/")
    assert refused.status_code == 429
    assert STATE not in refused


def test_the_api_keeps_its_own_validators_and_cache_control(tenge):
    first, second = get("/api/v1/reforms/"), get("/api/v1/reforms/")
    assert second[STATE] == "hit"
    assert first["ETag"] == second["ETag"] and not first["ETag"].startswith("W/")
    assert second["Cache-Control"] == "public, no-cache"
    assert get("/api/v1/reforms/", If_None_Match=first["ETag"]).status_code == 304


# --- the first visitors after a publish, on a real threaded server --------------------------


def fetch(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.headers[STATE], response.read()


@pytest.mark.django_db(transaction=True)
def test_concurrent_cold_requests_share_one_computation(live_server, settings):
    settings.PAGE_CACHE = True
    entry_in_state("reform", ReviewState.PUBLISHED, title="Shared once")
    url = live_server.url + "/reforms/?area=economy&sort=title"
    start = threading.Barrier(8)

    def cold() -> tuple[str, bytes]:
        start.wait()
        return fetch(url)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: cold(), range(8)))
    states = [state for state, _ in answers]
    assert states.count("miss") == 1, states
    assert set(states) <= {"miss", "hit"}
    assert len({content for _, content in answers}) == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_publish_one_request_recomputes_and_the_others_get_the_previous_answer(
    live_server, settings, superuser
):
    settings.PAGE_CACHE = True
    entry_in_state("reform", ReviewState.PUBLISHED, title="Already public")
    url = live_server.url + "/reforms/"
    old = fetch(url)[1]
    assert fetch(url)[0] == "hit"
    news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, title="Brand new law")
    workflow.publish(news, by=superuser)
    start = threading.Barrier(8)

    def after_publish() -> tuple[str, bytes]:
        start.wait()
        return fetch(url)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: after_publish(), range(8)))
    states = [state for state, _ in answers]
    assert states.count("miss") == 1, states
    for state, content in answers:
        assert (b"Brand new law" in content) == (state != "stale"), state
        if state == "stale":
            assert content == old
    assert fetch(url)[0] == "hit" and b"Brand new law" in fetch(url)[1]


def fetch_full(url: str, **headers) -> tuple[int, str, bytes, dict[str, str]]:
    """Status, X-Page-Cache, body and headers, a 3xx or 4xx answer too."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers[STATE], response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers[STATE], error.read(), error.headers


def fetch_whole(url: str, **headers) -> tuple[int, str, bytes]:
    """Status, X-Page-Cache and body, a 4xx answer too."""
    return fetch_full(url, **headers)[:3]


# Recomputations a test holds back (`slow_pages`) until it lets them go: what makes a page "slow"
# whichever thread the machine runs first (a recomputation of a small page may otherwise end
# before its visitor's thread asks for it, and that visitor is rightly given the new answer).
_let_go = threading.Event()
_let_go.set()


def _held_back(sender, connection, **kwargs):
    # At the recomputation's first query: its thread's own connection (Django's are per thread).
    # Not where the visitor waits for it (a test's longer PAGE_CACHE_STALE_AFTER_SECONDS).
    if (
        threading.current_thread().name == "page-cache-revalidation"
        and django_settings.PAGE_CACHE_STALE_AFTER_SECONDS == 0
    ):
        assert _let_go.wait(timeout=30), "a held recomputation was never let go"


def recomputations_ended(timeout: float = 30) -> None:
    _let_go.set()
    deadline = time.monotonic() + timeout
    while revalidation.running():
        assert time.monotonic() < deadline, "a recomputation did not end"
        time.sleep(0.02)


@pytest.fixture
def slow_pages(live_server, settings, superuser):
    """A live server whose page cache gives the previous answer to the visitor who recomputes
    one at once (PAGE_CACHE_STALE_AFTER_SECONDS=0, and each recomputation held back at its first
    query until the test calls `recomputations_ended()`: every page is slower than that), with
    a published reform; yields a function that publishes another, titled as asked. Not held
    back where a test sets a longer PAGE_CACHE_STALE_AFTER_SECONDS, to wait for it."""
    settings.PAGE_CACHE = True
    settings.PAGE_CACHE_STALE_AFTER_SECONDS = 0
    _let_go.clear()
    connection_created.connect(_held_back)
    # The database's cache table outlives a test whose writes are committed, and a marker of
    # this test's may equal one of an earlier test's: none of their answers.
    cache.clear()
    entry_in_state("reform", ReviewState.PUBLISHED, title="Already public")

    def publish(title: str):
        news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, title=title)
        return workflow.publish(news, by=superuser)

    yield publish
    try:
        recomputations_ended()
    finally:
        connection_created.disconnect(_held_back)
        _let_go.set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/reforms/", "/ru/reforms/", "/reforms/export.csv"])
def test_after_a_publish_a_slow_answer_is_recomputed_while_its_visitor_gets_the_previous_one(
    slow_pages, live_server, path
):
    url = live_server.url + path
    old = fetch_whole(url)
    assert old[:2] == (200, "miss")
    assert fetch_whole(url)[:2] == (200, "hit")
    slow_pages("Brand new law")
    # The visitor who recomputes it is not kept waiting: the answer of a moment ago, as the
    # others get while it is computed.
    assert fetch_whole(url) == (200, "stale", old[2])
    recomputations_ended()
    status, state, content = fetch_whole(url)
    assert (status, state) == (200, "hit")
    assert b"Brand new law" in content and b"Already public" in content
    # Given compressed from the entry the other thread kept, as every hit is.
    zipped = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(zipped, timeout=30) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.read()) == content


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("stale_after", "threads"),
    [
        pytest.param(30, 2, id="ready in time"),
        pytest.param(0, 0, id="no thread free: computed by the visitor's own"),
    ],
)
def test_the_visitor_who_recomputes_gets_the_new_answer_when_it_is_there_to_give(
    slow_pages, live_server, settings, stale_after, threads
):
    settings.PAGE_CACHE_STALE_AFTER_SECONDS = stale_after
    settings.PAGE_CACHE_REVALIDATE_THREADS = threads
    url = live_server.url + "/reforms/"
    assert fetch_whole(url)[:2] == (200, "miss")
    slow_pages("Brand new law")
    status, state, content = fetch_whole(url)
    assert (status, state) == (200, "miss")
    assert b"Brand new law" in content
    assert fetch_whole(url) == (200, "hit", content)


@pytest.mark.django_db(transaction=True)
def test_an_answer_that_is_not_kept_is_given_from_the_recomputation(
    slow_pages, live_server, settings, superuser
):
    """A reform taken off the site: its page, kept before, is now a 404, computed on the other
    thread and given to the visitor who waited for it, never the page of a moment ago."""
    settings.PAGE_CACHE_STALE_AFTER_SECONDS = 30
    reform = slow_pages("To be withdrawn")
    url = live_server.url + reform.get_absolute_url()
    assert fetch_whole(url)[:2] == (200, "miss")
    assert fetch_whole(url)[:2] == (200, "hit")
    workflow.archive(reform, by=superuser)
    status, state, content = fetch_whole(url)
    assert status == 404 and state is None
    assert b"To be withdrawn" not in content
    assert fetch_whole(url)[0] == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/reforms/", "/reforms/export.csv"])
def test_a_previous_answer_is_not_given_to_proxies_as_fresh(slow_pages, live_server, path):
    url = live_server.url + path
    first = fetch_full(url)[3]
    assert first["Cache-Control"] == "public, max-age=60, stale-while-revalidate=30"
    slow_pages("Brand new law")
    status, state, _, stale = fetch_full(url)
    assert (status, state) == (200, "stale")
    # A proxy may keep it, but asks again before giving it to anyone.
    assert stale["Cache-Control"] == "public, no-cache"
    assert (stale["ETag"], stale["Last-Modified"]) == (first["ETag"], first["Last-Modified"])
    recomputations_ended()
    status, state, content, fresh = fetch_full(url, **{"If-None-Match": stale["ETag"]})
    assert (status, state) == (200, "hit") and b"Brand new law" in content
    assert fresh["Cache-Control"] == first["Cache-Control"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/api/v1/reforms/", "/api/v1/reforms/?lang=ru&area=economy"])
def test_after_a_publish_the_api_is_recomputed_while_its_client_gets_the_previous_answer(
    slow_pages, live_server, settings, path
):
    url = live_server.url + path
    status, state, old, first = fetch_full(url)
    assert (status, state) == (200, "miss")
    assert fetch_full(url)[:3] == (200, "hit", old)
    slow_pages("Brand new law")
    status, state, content, stale = fetch_full(url)
    assert (status, state, content) == (200, "stale", old)
    # The previous answer says which state it is of: a client holding it is never told, by a
    # conditional request, that it holds the current one.
    assert stale["ETag"] == first["ETag"] and stale["Last-Modified"] is None
    recomputations_ended()
    status, state, content, fresh = fetch_full(url, **{"If-None-Match": stale["ETag"]})
    assert (status, state) == (200, "hit")
    assert b"Brand new law" in content and fresh["ETag"] != stale["ETag"]
    assert fresh["Last-Modified"] and fresh["Content-Language"] == first["Content-Language"]
    assert fetch_full(url, **{"If-None-Match": fresh["ETag"]})[0] == 304
    # What the other thread kept is what the view answers on the visitor's own.
    settings.PAGE_CACHE = False
    assert fetch_full(url)[2] == content


@pytest.mark.django_db(transaction=True)
def test_api_clients_given_the_previous_answer_while_one_computes_hold_its_own_etag(
    live_server, settings, superuser
):
    """The others, while one client computes the API's answer on its own thread (the wait
    `off`): a client given the answer from before the publish, sending its ETag back, must
    get the new answer, not a 304 that keeps it on the old one until the next publish."""
    settings.PAGE_CACHE = True
    settings.PAGE_CACHE_STALE_AFTER_SECONDS = None
    cache.clear()
    entry_in_state("reform", ReviewState.PUBLISHED, title="Already public")
    url = live_server.url + "/api/v1/reforms/?sort=title"
    before = fetch_full(url)[3]["ETag"]
    news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, title="Brand new law")
    workflow.publish(news, by=superuser)
    start = threading.Barrier(8)

    def after_publish():
        start.wait()
        return fetch_full(url)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: after_publish(), range(8)))
    after = fetch_full(url)[3]["ETag"]
    assert after != before
    for status, state, content, headers in answers:
        assert status == 200
        assert headers["ETag"] == (before if state == "stale" else after), state
        assert (b"Brand new law" in content) == (state != "stale")
        if state == "stale":
            assert fetch_full(url, **{"If-None-Match": headers["ETag"]})[0] == 200


@pytest.mark.django_db(transaction=True)
def test_the_api_recomputation_on_another_thread_is_not_counted_by_the_throttle(
    slow_pages, live_server, settings
):
    settings.API_THROTTLE_RATE = "4/minute"
    url = live_server.url + "/api/v1/reforms/"
    assert [fetch_full(url)[1] for _ in range(2)] == ["miss", "hit"]
    slow_pages("Brand new law")
    assert fetch_full(url)[1] == "stale"
    recomputations_ended()
    status, state, content, _ = fetch_full(url)
    assert (status, state) == (200, "hit") and b"Brand new law" in content
    assert fetch_full(url)[0] == 429  # the client's fifth request; the recomputation was none


@pytest.mark.django_db(transaction=True)
def test_the_api_client_who_recomputes_gets_the_new_answer_when_it_is_there_to_give(
    slow_pages, live_server, settings
):
    settings.PAGE_CACHE_STALE_AFTER_SECONDS = 30
    url = live_server.url + "/api/v1/reforms/"
    assert fetch_full(url)[1] == "miss"
    slow_pages("Brand new law")
    status, state, content, headers = fetch_full(url)
    assert (status, state) == (200, "miss") and b"Brand new law" in content
    status, state, again, hit = fetch_full(url)
    assert (status, state, again) == (200, "hit", content)
    assert (headers["ETag"], headers["Last-Modified"]) == (hit["ETag"], hit["Last-Modified"])


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def kept_connection_server(transactional_db, settings, tmp_path):
    """The site served over HTTP by one thread of this process, which keeps its database
    connection from request to request as a web server worker's thread does (CONN_MAX_AGE; the
    live server opens one per request). Yields (base URL, statements): statements() gives the
    messages that thread's connections sent PostgreSQL since its last call, each as (kind,
    fields) from libpq's trace of the wire protocol ("Query", "Parse", "Bind", ...);
    .backends lists their server processes. The cache is the process's memory
    here, so that its reads are not statements too."""
    if connection.vendor != "postgresql":
        pytest.skip("the wire protocol traced is PostgreSQL's")
    settings.PAGE_CACHE = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_Quiet)
    trace = tmp_path / "wire.trace"
    trace.touch()
    files, backends = [], []

    def traced(sender, connection, **kwargs):
        if threading.current_thread() is not serving:
            return
        files.append(trace.open("a"))
        connection.connection.pgconn.trace(files[-1].fileno())
        connection.connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        backends.append(connection.connection.info.backend_pid)

    def serve():
        try:
            server.serve_forever(poll_interval=0.05)
        finally:
            connections.close_all()

    read = 0

    def statements() -> list[tuple[str, str]]:
        nonlocal read
        with trace.open() as lines:
            # libpq's lines: F (sent), the length, the message's kind, its fields.
            sent = [
                (*line.rstrip("\n").split("\t", 3)[2:], "")[:2]
                for line in lines
                if line.startswith("F\t")
            ]
        fresh, read = sent[read:], len(sent)
        return fresh

    statements.backends = backends
    serving = threading.Thread(target=serve, daemon=True)
    connection_created.connect(traced)
    serving.start()
    yield f"http://127.0.0.1:{server.server_port}", statements
    server.shutdown()
    serving.join(timeout=10)
    server.server_close()
    connection_created.disconnect(traced)
    for file in files:
        file.close()


def test_a_cached_answer_asks_the_database_one_query(kept_connection_server):
    base, statements = kept_connection_server
    entry_in_state("reform", ReviewState.PUBLISHED, title="Asked once")
    url = base + "/reforms/?area=economy"
    assert fetch(url)[0] == "miss"
    # The content marker is prepared once on the connection (planned once, not per answer).
    parsed = [text for kind, text in statements() if kind == "Parse"]
    (marker,) = [text for text in parsed if "listing_generation" in text]
    name = marker.split('"')[1]
    assert name, marker
    for _ in range(3):
        assert fetch(url)[0] == "hit"
        # The content marker, which is the kept connection's health check too: no `SELECT 1`
        # before it (CONN_HEALTH_CHECKS), nothing after it, sent by the name it was prepared
        # under.
        sent = statements()
        asked = [(kind, text) for kind, text in sent if kind in ("Query", "Parse", "Bind")]
        assert len(asked) == 1 and asked[0][0] == "Bind", sent
        assert f'"{name}"' in asked[0][1]
    assert len(statements.backends) == 1  # one connection, kept


def test_the_marker_is_sent_as_text_where_prepared_statements_are_off(
    kept_connection_server, monkeypatch
):
    """DATABASE_PREPARED_STATEMENTS=0, for a pooler that cannot hold them: nothing prepared."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    base, statements = kept_connection_server
    entry_in_state("reform", ReviewState.PUBLISHED, title="Asked as text")
    url = base + "/reforms/"
    assert fetch(url)[0] == "miss"
    for _ in range(2):
        assert fetch(url)[0] == "hit"
        sent = statements()
        named = [text for kind, text in sent if kind in ("Parse", "Bind") and '"_' in text]
        assert not named, sent
        assert any("listing_generation" in text for kind, text in sent), sent


def test_a_kept_connection_the_database_dropped_is_replaced_not_an_error(kept_connection_server):
    base, statements = kept_connection_server
    entry_in_state("reform", ReviewState.PUBLISHED, title="Still answered")
    url = base + "/reforms/"
    fetch(url)
    assert fetch(url)[0] == "hit"
    (backend,) = statements.backends
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        assert cursor.fetchone() == (True,)
    try:
        state, content = fetch(url)
    except urllib.error.HTTPError as error:
        pytest.fail(f"{error.code} after the database dropped the kept connection")
    assert state == "hit" and b"Still answered" in content
    assert len(statements.backends) == 2  # a new connection, the marker asked again on it
    assert fetch(url)[0] == "hit" and len(statements.backends) == 2


def test_page_cache_off_answers_every_request_from_the_view(tenge, settings):
    settings.PAGE_CACHE = False
    assert all(STATE not in get("/reforms/") for _ in range(2))
    assert "public" not in get("/reforms/").get("Cache-Control", "")


@pytest.mark.django_db(transaction=True)
def test_a_recomputation_that_cannot_connect_is_made_by_its_visitor(
    page_cache, superuser, no_new_connections, caplog
):
    """After a publish, the thread that would recompute a page opens a connection of its own;
    refused one, the visitor who asked computes the page on its own connection: the new
    answer, not an error page, and kept."""
    page_cache.PAGE_CACHE_STALE_AFTER_SECONDS = 30
    cache.clear()
    entry_in_state("reform", ReviewState.PUBLISHED, title="Already public")
    assert get("/reforms/")[STATE] == "miss"
    news = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, title="Brand new law")
    workflow.publish(news, by=superuser)
    response = get("/reforms/")
    assert (response.status_code, response[STATE]) == (200, "miss")
    assert "Brand new law" in response.content.decode()
    assert get("/reforms/")[STATE] == "hit"
    assert "not currently accepting connections" in caplog.text
    recomputations_ended()
