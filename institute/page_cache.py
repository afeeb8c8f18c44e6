"""The public answers, kept in the shared cache until the public content changes.

An anonymous GET of a public page, a download or the API is computed once per state of the
public content and then answered from the cache. An entry is kept under the address alone (the
language, the host, the path and the query) and carries the content marker it was computed under
(`institute.listings.generation.content_marker`, which every write to a public table moves on
in the writer's own transaction). An entry whose marker is the current one is fresh; any other
is stale and is never served as an answer in its own right, so a publish shows on the next
request, on every server that shares the cache (on a page slower to compute than
PAGE_CACHE_STALE_AFTER_SECONDS, once it is computed: below).

The first visitors after a publish:

- Single flight: of the requests for one address under a new marker, one (the holder of a short
  lock in the cache, `cache.add`) computes the answer; the others do not compute it again.
- Stale while revalidating: while that one computes, the others are answered from the previous
  entry, if there is one: the answer that was right a moment ago, for at most as long as the
  computation takes (the lock expires after PAGE_CACHE_LOCK_SECONDS). With no previous entry
  they wait for the computation, up to PAGE_CACHE_WAIT_SECONDS, then compute it themselves.
- Not kept waiting by a slow page: with a previous entry, the one who computes a page runs the
  computation on a thread of its own (institute.revalidation) and waits for it at most
  PAGE_CACHE_STALE_AFTER_SECONDS; past that it is given the previous answer too, and the new
  one is kept when ready. An answer that is not kept (a page now a 404) is given to it if it
  comes in time. A recomputation that fails there (its thread's connection refused by a server
  at its `max_connections`) is made by the visitor's own thread instead, as without it. The
  API, which calls `serve()` from its view, has its view called again for the copy of the
  request the other thread answers (`view_detach`).

For proxies and browsers every answer kept here says `Cache-Control: public, max-age=…,
stale-while-revalidate=…`, `Vary: Cookie` (a signed-in visitor is never given the anonymous
copy; a page's language is its address's, and the key holds it as well; an English page at an
unprefixed address also varies on Accept-Language, institute.languages) and carries
validators: a weak ETag made of the marker and the address, and Last-Modified, when the entry
was computed; a matching conditional request is answered 304. The previous answer, given while
the current one is computed, says `public, no-cache` instead: a proxy keeps it, but asks again
before giving it. A text answer is compressed once, when it is kept, and given compressed to
every client that accepts gzip (institute.compression; `Vary: Accept-Encoding`); a text answer
kept as a file, once its compressed twin is made (institute.answer_files).

Never kept, and never marked public: a request with a session cookie (signed-in staff: marked
`private`), any method but GET and HEAD, the admin and the health check (PAGE_CACHE_SKIP), any
status but 200, and an answer that sets a cookie or already says how it may be cached (the
admin's `never_cache`, the 503 page). A download larger than PAGE_CACHE_MAX_BYTES is kept as a
file instead (institute.answer_files), or, with no room for it there, streamed through with its
ETag; one whose length is known to exceed what it could be kept as (a whole table's finished
file past PAGE_CACHE_MAX_BYTES, a file computed for the request past the disk's room) is sent
from its file as it is, with its ETag. The API keeps its own headers and calls `serve()` after
its throttle, so that every request counts (api.views). PAGE_CACHE=0 turns all of it off.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from gzip import decompress as gunzip

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from institute import answer_files, compression, languages, revalidation
from institute.listings.generation import content_marker

logger = logging.getLogger(__name__)

# How an answer came to be, for the logs and the tests (a header the public may see: it says
# nothing the ETag does not).
STATE_HEADER = "X-Page-Cache"
HIT, STALE, MISS = "hit", "stale", "miss"
_KEPT_UNDER = "page_cache_marker"
STALE_CACHE_CONTROL = "public, no-cache"
# Set on a streamed answer that is sent from a file kept elsewhere already (a whole table's
# finished file, institute.datasets.finished_files): not copied to a file of the cache's own.
ON_DISK_ALREADY = "page_cache_on_disk_already"
# Headers an entry never keeps: set per answer, or by the middleware outside this one.
PER_ANSWER_HEADERS = {"set-cookie", "date", STATE_HEADER.lower()}
# The keys' form. Its number changes with what an entry holds, so that servers of two forms
# sharing one cache (a rolling deploy) each read only their own. 2: a compressed body is kept
# without the plain one (which a server of form 1 would send empty), and the answer's
# Content-Security-Policy with it (form 1's entries hold none: their server set it per answer).
KEY_PREFIX = "page:2:"


@dataclass(frozen=True)
class Entry:
    """An answer as kept: plain values, so that any process reads it whatever its code."""

    marker: str
    etag: str
    stored_at: float
    status: int
    headers: tuple[tuple[str, str], ...]
    # The body as it is; b"" where it is kept compressed only (`gzipped`).
    content: bytes
    # The body's file (institute.answer_files) when it was too large for the shared cache.
    file: str = ""
    # The body gzip-compressed once, for every client that accepts it (institute.compression);
    # b"" where it is not compressed. Where it is, the plain body is not kept beside it: a
    # browser always accepts gzip, and a hit reads the entry whole from the shared cache (the
    # home page at 100,000 reforms: 442 KB plain, 62 KB compressed). The rare client that
    # does not accept gzip is given the body decompressed.
    gzipped: bytes = b""
    # The file is text, and has a compressed twin once answer_files has made it.
    file_twin: bool = False

    def response(self, state: str, *, gzip: bool = False) -> HttpResponseBase:
        """The answer (`gzip`: for a client that accepts it); FileNotFoundError if its file is
        gone (removed to make room, or kept by a server whose folder this one does not see)."""
        if self.file:
            handle = self._twin() if gzip and self.file_twin else None
            coding = "gzip" if handle else ""
            handle = handle or answer_files.open_answer(self.file)
            response = FileResponse(handle, status=self.status)
            # FileResponse names the file it sends; the answer's own headers say what it is.
            for name in ("Content-Type", "Content-Disposition"):
                if response.has_header(name):
                    del response[name]
        elif self.gzipped:
            coding = ""  # said by the compression middleware, which also weakens a strong ETag
            body = self.gzipped if gzip else gunzip(self.gzipped)
            response = HttpResponse(body, status=self.status)
            setattr(response, compression.PRECOMPRESSED, self.gzipped)
        else:
            coding = ""
            response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response[name] = value
        if not self.file:
            # The body's own length: a download kept whole streamed to its first visitor with
            # none, and a page's kept length is its plain body's.
            response["Content-Length"] = str(len(response.content))
        if coding:
            response["Content-Encoding"] = coding
        response[STATE_HEADER] = state
        setattr(response, _KEPT_UNDER, self.marker)
        return response

    def _twin(self):
        try:
            return answer_files.open_answer(self.file, gzipped=True)
        except FileNotFoundError:
            return None  # not made yet (the file as it is meanwhile), or removed to make room


def enabled() -> bool:
    return settings.PAGE_CACHE


def address_key(request: HttpRequest) -> str:
    """One key per address and language: HEAD shares GET's entry (the server drops the body)."""
    address = f"{languages.of_path(request.path_info)}|{request.build_absolute_uri()}"
    return KEY_PREFIX + hashlib.sha256(address.encode()).hexdigest()[:40]


def make_etag(marker: str, request: HttpRequest) -> str:
    # Weak: the same content state and address give the same page, though not necessarily the
    # same bytes (a date rendered relative to today).
    address = f"{marker}|{languages.of_path(request.path_info)}|{request.build_absolute_uri()}"
    return 'W/"' + hashlib.sha256(address.encode()).hexdigest()[:32] + '"'


def public_headers(response: HttpResponseBase) -> None:
    patch_cache_control(
        response,
        public=True,
        max_age=settings.PAGE_CACHE_MAX_AGE,
        stale_while_revalidate=settings.PAGE_CACHE_STALE_WHILE_REVALIDATE,
    )
    patch_vary_headers(response, ["Cookie"])


def keepable(response: HttpResponseBase) -> bool:
    """An answer anyone may be given: a 200 that sets no cookie and has not said already how it
    may be cached."""
    return (
        response.status_code == 200
        and not response.cookies
        and not response.has_header("Cache-Control")
    )


def serve(
    request: HttpRequest,
    compute: Callable[[], HttpResponseBase],
    *,
    marker: str | None = None,
    validators: bool = True,
    detach: Callable[[], Callable[[], HttpResponseBase]] | None = None,
) -> HttpResponseBase:
    """The answer to `request` for the content as it is now: from the cache when it was computed
    under the current marker, else `compute()`'d once (single flight) and kept. `marker` is the
    current one if the caller has read it already; `validators` False leaves ETag,
    Last-Modified, Cache-Control, Vary and the 304s to the caller (the API has its own).
    `detach`, where given, makes on this thread what computes the same answer on another (for
    a copy of the request): with a previous answer to give meanwhile, the recomputation runs
    there, and this request waits for it at most PAGE_CACHE_STALE_AFTER_SECONDS."""
    if marker is None:
        try:
            marker = content_marker()
        except DatabaseError:
            # The database is down: the view meets it too and answers the 503 page.
            return compute()
    key = address_key(request)
    etag = make_etag(marker, request)
    entry = cache.get(key)
    if (answer := _fresh(request, entry, marker, validators)) is not None:
        return answer
    if validators and (not_modified := get_conditional_response(request, etag=etag)):
        # The client holds this state already (an ETag from another server, or from before
        # the cache lost the entry): nothing to compute.
        not_modified["ETag"] = etag
        public_headers(not_modified)
        return not_modified
    lock = key + ":computing"
    if cache.add(lock, marker, settings.PAGE_CACHE_LOCK_SECONDS):
        handed_over = False
        try:
            # Read again under the lock: between the read above and the lock, another request
            # may have computed this state, kept it and dropped its lock (a slow thread on a
            # loaded machine); its entry is there now, since it is kept before the lock goes.
            latest = cache.get(key)
            if (answer := _fresh(request, latest, marker, validators)) is not None:
                return answer
            previous = latest if isinstance(latest, Entry) else entry
            if (
                detach is not None
                and isinstance(previous, Entry)
                and settings.PAGE_CACHE_STALE_AFTER_SECONDS is not None
                and (
                    recomputing := revalidation.start(
                        partial(_recompute, detach(), key, marker, etag, validators, previous, lock)
                    )
                )
                is not None
            ):
                handed_over = True  # the lock is the recomputation's to drop
                here = partial(_compute_and_keep, compute, key, marker, etag, validators, previous)
                return _while_recomputed(
                    request, recomputing, previous, key, marker, validators, here, lock
                )
            return _compute_and_keep(compute, key, marker, etag, validators, previous)
        finally:
            if not handed_over:
                cache.delete(lock)
    if (
        isinstance(entry, Entry)
        and (answer := _answer(request, entry, STALE, validators)) is not None
    ):
        return answer
    deadline = time.monotonic() + settings.PAGE_CACHE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        # The lock before the entry: the computation keeps its entry, then drops the lock, so a
        # lock seen gone means the entry read next is there if it was kept at all.
        computing = cache.get(lock) is not None
        entry = cache.get(key)
        if (answer := _fresh(request, entry, marker, validators)) is not None:
            return answer
        if not computing:
            break  # the computation ended without an entry to share (not keepable, or failed)
    return _compute_and_keep(compute, key, marker, etag, validators, entry)


def _recompute(compute, key, marker, etag, validators, previous, lock) -> HttpResponseBase | None:
    """On a thread of institute.revalidation: the answer computed and kept, then the lock
    dropped. A streamed answer is read whole here, where its database connection is (and kept
    as its last chunk leaves), and None is returned for it: its entry is the answer."""
    try:
        response = _compute_and_keep(compute, key, marker, etag, validators, previous)
        if not response.streaming:
            return response
        try:
            for _ in response:
                pass
        finally:
            response.close()
        return None
    finally:
        cache.delete(lock)


def _while_recomputed(
    request: HttpRequest,
    recomputing: Future,
    previous: Entry,
    key: str,
    marker: str,
    validators: bool,
    here: Callable[[], HttpResponseBase],
    lock: str,
) -> HttpResponseBase:
    """The recomputed answer if it is ready within PAGE_CACHE_STALE_AFTER_SECONDS, else the
    previous one, while the recomputation goes on. `here` computes it on this thread, as it
    is where the recomputation failed."""
    try:
        try:
            response = recomputing.result(timeout=settings.PAGE_CACHE_STALE_AFTER_SECONDS)
        except TimeoutError:
            if (answer := _answer(request, previous, STALE, validators)) is not None:
                return answer
            response = recomputing.result()  # the previous answer's file is gone: wait for it
    except Exception:
        # Logged there (institute.revalidation): its connection refused, say. Computed here
        # instead, as without that thread, where a failure is this request's own (the 503 page
        # for a database gone away), never the other thread's error raised as a 500. Its lock
        # may not have been dropped there.
        cache.delete(lock)
        return here()
    # From the entry it kept, as a hit is: in this client's coding, a 304 where it holds it.
    if (answer := _fresh(request, cache.get(key), marker, validators, MISS)) is not None:
        return answer
    if response is None:
        # A stream read whole there but not kept (too large for the cache and its folder):
        # computed again for this request, as it would be without a previous answer.
        return here()
    return response


def _fresh(
    request: HttpRequest, entry, marker: str, validators: bool, state: str = HIT
) -> HttpResponseBase | None:
    """The answer kept in `entry` if it was computed under `marker` and can still be sent."""
    if isinstance(entry, Entry) and entry.marker == marker:
        return _answer(request, entry, state, validators)
    return None


def _answer(
    request: HttpRequest, entry: Entry, state: str, validators: bool
) -> HttpResponseBase | None:
    last_modified = int(entry.stored_at)
    not_modified = validators and get_conditional_response(
        request, etag=entry.etag, last_modified=last_modified
    )
    if not_modified:
        for name, value in entry.headers:
            if name.lower() in {"cache-control", "vary", "etag", "last-modified"}:
                not_modified[name] = value
        not_modified[STATE_HEADER] = state
        answer = not_modified
    else:
        try:
            answer = entry.response(state, gzip=compression.accepts_gzip(request))
        except FileNotFoundError:
            return None  # its file is gone: as if there were no entry
    if state == STALE and validators:
        # Out of date already: a proxy may keep it, but must ask again before giving it, and is
        # then told 304 only while it is still what this server gives.
        answer["Cache-Control"] = STALE_CACHE_CONTROL
    return answer


def _compute_and_keep(compute, key, marker, etag, validators, previous) -> HttpResponseBase:
    response = compute()
    if not keepable(response):
        return response
    # Whole seconds, as HTTP dates hold them, and always after the previous answer's: a client
    # holding that one, in the same second, must not be told its copy is current.
    stored_at = float(int(time.time()))
    if isinstance(previous, Entry) and previous.marker != marker:
        stored_at = max(stored_at, previous.stored_at + 1)
    if validators:
        response["ETag"] = etag
        response["Last-Modified"] = http_date(stored_at)
        public_headers(response)
    response[STATE_HEADER] = MISS
    if response.has_header("Content-Encoding"):
        # In a coding this client asked for (a finished file's compressed twin): an entry is
        # kept under the address alone, for every client.
        return response

    def keep(content: bytes, file: str = "") -> None:
        # Compressed once here rather than on each answer (institute.compression); the entry
        # says it varies on Accept-Encoding, and so does a 304 made from it.
        gzipped = compression.precompress(response, content) if content else b""
        if gzipped:
            setattr(response, compression.PRECOMPRESSED, gzipped)
        # A kept file's compressed twin is made after its first visitor's download, not in it.
        file_twin = bool(file) and compression.compressible(response)
        if file_twin:
            answer_files.compress_later(file)
        if gzipped or file_twin:
            patch_vary_headers(response, ["Accept-Encoding"])
        headers = tuple(
            (name, value)
            for name, value in response.items()
            if name.lower() not in PER_ANSWER_HEADERS
        )
        entry = Entry(
            marker,
            etag,
            stored_at,
            response.status_code,
            headers,
            b"" if gzipped else content,
            file,
            gzipped,
            file_twin,
        )
        cache.set(key, entry, settings.PAGE_CACHE_TIMEOUT)

    if isinstance(response, StreamingHttpResponse):
        own_file = getattr(response, ON_DISK_ALREADY, False)
        largest = settings.PAGE_CACHE_MAX_BYTES
        if not own_file:
            largest = max(largest, answer_files.largest())
        if int(response.get("Content-Length", 0)) > largest:
            # Known to be larger than anything it could be kept as: sent as it is, which leaves
            # a file a file (sent in the server's blocks, a part of it to a client resuming).
            return response
        spill_name = "" if own_file else f"{key.removeprefix(KEY_PREFIX)}-{etag[3:-1]}"
        response.streaming_content = _kept_when_complete(
            response.streaming_content, keep, spill_name
        )
    elif len(response.content) <= settings.PAGE_CACHE_MAX_BYTES:
        keep(response.content)
    return response


def _kept_when_complete(chunks, keep: Callable[..., None], spill_name: str) -> Iterator[bytes]:
    """The stream as it goes, kept once its last chunk has left: in the shared cache up to
    PAGE_CACHE_MAX_BYTES, past that in a file named `spill_name` (institute.answer_files; ""
    for none). A stream cut by an error or by the client is never kept, nor one that grows past
    what either holds."""
    kept: list[bytes] | None = []
    spill: answer_files.Spill | None = None
    size = 0
    try:
        for chunk in chunks:
            chunk = chunk if isinstance(chunk, bytes) else bytes(chunk)
            size += len(chunk)
            if kept is not None and size > settings.PAGE_CACHE_MAX_BYTES:
                if spill_name and size <= answer_files.largest():
                    spill = answer_files.Spill.begin(spill_name, kept)
                kept = None
            if kept is not None:
                kept.append(chunk)
            elif spill is not None and not spill.write(chunk):
                spill = None
            yield chunk
        if kept is not None:
            keep(b"".join(kept))
        elif spill is not None:
            placed, spill = spill.keep(), None
            if placed:
                keep(b"", placed)
    finally:
        if spill is not None:
            spill.discard()


def skipped(request: HttpRequest) -> bool:
    """The admin, the health check, and the API, which calls `serve()` itself after its
    throttle (PAGE_CACHE_SKIP)."""
    return languages.unprefixed(request.path).startswith(tuple(settings.PAGE_CACHE_SKIP))


class PublicPageCacheMiddleware:
    """Anonymous GETs of public pages and downloads through `serve()`; a signed-in visitor's
    answers marked private. Placed before the session middleware: a cached answer costs no
    session, authentication or CSRF work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or request.method not in ("GET", "HEAD") or skipped(request):
            return self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            response = self.get_response(request)
            if not response.has_header("Cache-Control"):
                patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Cookie"])
            return response
        return serve(
            request,
            lambda: self.get_response(request),
            detach=lambda: partial(self.get_response, _detached(request)),
        )


def _detached(request: HttpRequest) -> HttpRequest:
    """A copy of `request` for another thread to answer, which the views and middleware inside
    this one may write to (its META too: the CSRF middleware does) while this thread goes on
    with the original. Made on this thread, before it goes on."""
    twin = copy.copy(request)
    twin.META = dict(request.META)
    return twin


_RECOMPUTING = "page_cache_recomputing"


def view_detach(request: HttpRequest) -> Callable[[], Callable[[], HttpResponseBase]]:
    """`serve()`'s `detach` for a view that calls it itself (the API, after its throttle): the
    view called again, on the other thread, for a copy of `request` marked `recomputing()`, in
    this thread's language. The middleware around the view is not run again, as it is not when
    the view computes the answer on this thread: it handles whichever answer serve() gives."""

    def detach() -> Callable[[], HttpResponseBase]:
        twin = _detached(request)
        setattr(twin, _RECOMPUTING, True)
        match, language = request.resolver_match, translation.get_language()

        def compute() -> HttpResponseBase:
            with translation.override(language):
                return match.func(twin, *match.args, **match.kwargs)

        return compute

    return detach


def recomputing(request) -> bool:
    """Whether `request` is the copy another thread answers to keep a visitor's answer
    (`view_detach`): its view computes the answer as it is, without `serve()`, validators or
    anything its visitor's request was counted by (the throttle)."""
    return getattr(request, _RECOMPUTING, False)


def kept_under(response: HttpResponseBase) -> str | None:
    """The marker of the entry `response` was given from, or None for an answer computed for
    this request: a caller that adds its own validators (the API) gives a previous answer
    those of its own state, so that a client holding it is never told it is current."""
    return getattr(response, _KEPT_UNDER, None)
