"""Answers sent gzip-compressed to a client that accepts it: pages, feeds, the API, small
downloads.

Django's GZipMiddleware decides (a body of 200 bytes or more, no Content-Encoding yet, `gzip`
in Accept-Encoding; `Vary: Accept-Encoding` on both forms; a strong ETag made weak), with three
differences:

- Only text compresses here (HTML, CSV, JSON, XML, SVG, JavaScript): a PNG, a workbook or a zip
  is compressed already, and gzip would spend the time to send the same bytes.
- A streamed answer is sent as it is: an export, a release's file or a static file (which
  WhiteNoise sends compressed itself; a whole table's finished file has a compressed twin the
  worker made, institute.datasets.finished_files, and a download the page cache kept as a file
  one made after its first visitor's, institute.answer_files: `write_twin` makes both).
  Compressed as it goes, a download would leave no faster than the compressor: Django's gzip
  takes the reforms' CSV at 15–17 MB/s here, less than half the rate the export writes it
  (benchmarks/README.md, section 4).
- `gzip;q=0` in Accept-Encoding refuses gzip, as HTTP says (`accepts_gzip`).

The public page cache compresses an answer once, when it keeps it, and hands its compressed
bytes on with every answer it gives from the entry (`PRECOMPRESSED`): a cached page costs no
compression however often it is asked for. It keeps no plain copy beside them: a client that
does not accept gzip is given the body decompressed from the entry. A download it kept whole
(up to PAGE_CACHE_MAX_BYTES) is streamed to its first visitor as it is and sent compressed from
the entry after that; one it kept as a file, from the file's twin once that is made. Those bytes
are the same for every visitor (a part of them can be resumed, institute.byte_ranges) and
carry none of Django's random padding, which guards a page holding a secret (a CSRF token)
against BREACH: the page cache keeps only anonymous answers that set no cookie, so they hold
none.
"""

from __future__ import annotations

import gzip
import shutil
from typing import BinaryIO

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.text import compress_string

# An answer's compressed body, made before it reached this middleware (institute.page_cache).
PRECOMPRESSED = "precompressed_body"
# Shorter than this, a body gains nothing worth its time (Django's own threshold).
SMALLEST = 200
TEXT_TYPES = (
    "application/javascript",
    "application/json",
    "application/xml",
)


def compressible(response: HttpResponseBase) -> bool:
    """Text, by its Content-Type: `text/…`, JSON, XML and their `+json`/`+xml` kinds (SVG,
    Atom, RSS, JSON-LD), JavaScript."""
    kind = response.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return (
        kind.startswith("text/")
        or kind in TEXT_TYPES
        or kind.endswith("+xml")
        or kind.endswith("+json")
    )


def precompress(response: HttpResponseBase, content: bytes | None = None) -> bytes:
    """`response`'s body (or `content`, a streamed response's whole body) gzip-compressed as
    every visitor may be given it, or b"" where it is not to be (not text, too short, no shorter
    compressed, or already in a coding)."""
    if content is None:
        if response.streaming:
            return b""
        content = response.content
    if response.has_header("Content-Encoding"):
        return b""
    if len(content) < SMALLEST or not compressible(response):
        return b""
    compressed = compress_string(content)
    return compressed if len(compressed) < len(content) else b""


TWIN_BLOCK = 1 << 20


def write_twin(source: BinaryIO, target: BinaryIO) -> None:
    """A file's compressed twin, as every finished file and kept answer has one: gzip's usual
    level (6), the header without a time or a name, so that the same file gives the same bytes
    on any server and on any day."""
    with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=target, mtime=0) as out:
        shutil.copyfileobj(source, out, TWIN_BLOCK)


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether Accept-Encoding admits gzip: named (or `x-gzip`, or `*` where gzip is not named)
    with a weight above zero. `gzip;q=0` refuses it (RFC 9110, 12.5.3), which Django's own
    test does not read."""
    weights = {}
    for part in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding:
            weights[coding.lower()] = weight
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


class CompressionMiddleware(GZipMiddleware):
    """GZipMiddleware for text that is not streamed, and with the page cache's compressed body
    where it has one. Placed near the top: every middleware that writes a body runs before it."""

    def process_response(self, request, response):
        if response.streaming or not compressible(response):
            return response
        # The page cache's answer to a client that accepts gzip holds the compressed body
        # already (its entry keeps no other), whatever its length.
        body = getattr(response, PRECOMPRESSED, b"")
        if response.has_header("Content-Encoding") or (
            not body and len(response.content) < SMALLEST
        ):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not accepts_gzip(request):
            return response
        if not body:
            # Compressed now, with Django's random padding (a signed-in page holds a CSRF token).
            return super().process_response(request, response)
        response.content = body
        response.headers["Content-Length"] = str(len(body))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response
