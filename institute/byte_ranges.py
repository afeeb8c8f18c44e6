"""Part of a download sent from a file, for a client resuming one that was cut (RFC 9110, 14).

A whole table at 1M reforms is hundreds of megabytes and the data package more: a transfer cut
at nine tenths should not start again from nothing. A GET with `Range: bytes=…` of an answer
sent whole from a file (a finished table or its compressed twin, the data package, a release's
file, a download the page cache kept as a file, an `?as_of=` table), or a download the page
cache gives from its entry (the same bytes every time, until the content changes), is answered
`206 Partial Content` with the bytes asked for, `Content-Range` saying where they lie. Every
answer that can be cut so says `Accept-Ranges: bytes` (`curl -C -`, `wget -c` and browsers
resume from it). What is not a file (a page, a download being computed as it streams) is sent
whole, as before, and says nothing.

- One range: `first-last`, `first-` or `-suffix` (the last bytes). Several ranges in one
  request, or one that does not parse, are answered with the whole file: HTTP lets a server
  ignore Range, and a multipart answer is not worth its complexity for a download.
- A range that starts past the end is a 416 with `Content-Range: bytes */length`.
- `If-Range` (the validator of the copy the client holds part of): the part only if it is the
  same file, else the whole of the new one, so that a client never splices two files. It is the
  same file if the validator is a strong ETag equal to the answer's (a release's file: its
  checksum) or the answer's Last-Modified date exactly; a weak ETag never matches (RFC 9110,
  13.1.5), as the page cache's do not.
- With a compressed answer (a twin, `Content-Encoding: gzip`), the range is of the compressed
  bytes, which are the same bytes for every request of that coding.
"""

from __future__ import annotations

import io
import re

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.http import parse_http_date_safe

from institute import page_cache

# One range of bytes; a header with a comma (several ranges) does not match.
ONE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Part:
    """`length` bytes of an open file from where it stands; read as a file, by Django's
    FileResponse or by a server's `wsgi.file_wrapper`, and closing the file with it."""

    def __init__(self, handle, length: int):
        self._handle, self._left = handle, length

    def read(self, size: int = -1) -> bytes:
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._handle.read(size) if size else b""
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


def cuttable_length(response: HttpResponseBase) -> int | None:
    """The length of a 200 whose bytes can be cut: sent whole from a seekable file (as its
    Content-Length says), or a download the page cache gives from its entry (the same bytes
    for every request of the entry); None for any other answer."""
    if response.status_code != 200 or response.has_header("Content-Range"):
        return None
    if isinstance(response, FileResponse):
        return _file_length(response)
    if (
        not response.streaming
        and response.get("Content-Disposition", "").startswith("attachment")
        and response.get(page_cache.STATE_HEADER) in (page_cache.HIT, page_cache.STALE)
    ):
        return len(response.content)
    return None


def _file_length(response: FileResponse) -> int | None:
    handle = response.file_to_stream
    if handle is None:
        return None
    try:
        if not handle.seekable():
            return None
        here = handle.tell()
        length = handle.seek(0, io.SEEK_END) - here
        handle.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return length if response.get("Content-Length") == str(length) else None


def asked_range(header: str, length: int) -> tuple[int, int] | None | bool:
    """(first, last) of the one range `header` asks for within `length` bytes; False if it
    asks for none that lies in them (416); None if it is not one range (the whole file)."""
    match = ONE_RANGE.match(header)
    if not match or match.groups() == ("", ""):
        return None
    first_pos, last_pos = match.groups()
    if not first_pos:  # the last `last_pos` bytes
        suffix = int(last_pos)
        return (max(length - suffix, 0), length - 1) if suffix and length else False
    first = int(first_pos)
    if last_pos and int(last_pos) < first:
        return None  # not a range (RFC 9110, 14.1.1): ignored
    if first >= length:
        return False
    return first, min(int(last_pos), length - 1) if last_pos else length - 1


def same_file(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether If-Range, if sent, names this answer's file (strongly: see the module)."""
    validator = request.headers.get("If-Range", "").strip()
    if not validator:
        return True
    if validator.startswith(('"', "W/")):
        etag = response.get("ETag", "")
        return not validator.startswith("W/") and not etag.startswith("W/") and validator == etag
    asked = parse_http_date_safe(validator)
    modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return asked is not None and asked == modified


def partial(response: HttpResponseBase, length: int, first: int, last: int) -> HttpResponseBase:
    if isinstance(response, FileResponse):
        handle = response.file_to_stream
        handle.seek(handle.tell() + first)
        part = FileResponse(Part(handle, last - first + 1), status=206)
    else:
        part = HttpResponse(response.content[first : last + 1], status=206)
    for name, value in response.items():
        part[name] = value
    part.cookies = response.cookies
    part["Content-Length"] = str(last - first + 1)
    part["Content-Range"] = f"bytes {first}-{last}/{length}"
    return part


def not_satisfiable(response: HttpResponseBase, length: int) -> HttpResponse:
    if isinstance(response, FileResponse):
        response.file_to_stream.close()
    answer = HttpResponse(
        f"The range asked for lies outside the file, which is {length} bytes long.\n",
        status=416,
        content_type="text/plain; charset=utf-8",
    )
    answer["Content-Range"] = f"bytes */{length}"
    return answer


class ByteRangeMiddleware:
    """Placed outside every middleware that writes a body, so that the range is of the bytes
    that leave."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return response
        length = cuttable_length(response)
        if length is None:
            return response
        response["Accept-Ranges"] = "bytes"
        header = request.headers.get("Range")
        if request.method != "GET" or not header or not same_file(request, response):
            return response
        asked = asked_range(header, length)
        if asked is None:
            return response
        if asked is False:
            return not_satisfiable(response, length)
        return partial(response, length, *asked)
