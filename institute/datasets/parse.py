"""Reading an uploaded CSV file: encoding, header and row shapes, sizes. Every problem found is
named with its line; values are checked by institute.datasets.clean."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import BinaryIO

from django.conf import settings

from institute.control_characters import control_character_problem, shown
from institute.datasets.tables import Table, unescape_formula


@dataclass(frozen=True)
class Limits:
    """How large a file an import takes: an upload in the admin is kept whole in the database
    until it is confirmed, so its limits are tighter than the command line's."""

    max_bytes: int
    max_rows: int

    @classmethod
    def upload(cls) -> Limits:
        return cls(settings.IMPORT_UPLOAD_MAX_BYTES, settings.IMPORT_UPLOAD_MAX_ROWS)

    @classmethod
    def command(cls) -> Limits:
        return cls(settings.IMPORT_COMMAND_MAX_BYTES, settings.IMPORT_COMMAND_MAX_ROWS)

    def too_large(self, size: int) -> Problem | None:
        if size <= self.max_bytes:
            return None
        return Problem(
            f"The file is {size_text(size)}; the limit is {size_text(self.max_bytes)}. "
            "Split it into smaller files."
        )


def size_text(size: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported, located as precisely as we can."""

    reason: str
    line: int | None = None
    column: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column “{self.column}”")
        value = f" (value “{self.value[:80]}”)" if self.value else ""
        prefix = ", ".join(where).capitalize() + ": " if where else ""
        return f"{prefix}{self.reason}{value}"


class ImportRefused(Exception):
    """The file cannot be imported; nothing was written."""

    def __init__(self, problems: list[Problem], *, rows: list[tuple[int, dict]] | None = None):
        self.problems = problems
        self.rows = rows or []
        super().__init__("\n".join(str(p) for p in problems))


READ_CHUNK = 1 << 20  # bytes read at a time: a file is never held whole


def check_bytes(stream: BinaryIO, limits: Limits) -> None:
    """A clear refusal for an empty file, one past the limit, a binary file or one that is not
    UTF-8 (with or without a BOM), read in chunks."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    if all(not chunk.strip(b"\xef\xbb\xbf \t\r\n") for chunk in _chunks(stream)):
        raise ImportRefused([Problem("The file is empty: there is no header row and no data.")])
    if problem := limits.too_large(size):
        raise ImportRefused([problem])
    stream.seek(0)
    head = stream.read(8192)
    if _utf16(head):
        raise ImportRefused(
            [
                Problem(
                    "This is not a CSV file in UTF-8: it is text saved as UTF-16 (what a "
                    "spreadsheet calls “Unicode Text”). Save it as “CSV UTF-8 (comma-delimited)” "
                    "and upload that."
                )
            ]
        )
    if head.startswith(b"PK\x03\x04") or _looks_binary(head):
        raise ImportRefused(
            [
                Problem(
                    "This is not a CSV file: it looks like a spreadsheet workbook or another "
                    "binary file. Save it as “CSV UTF-8 (comma-delimited)” and upload that."
                )
            ]
        )
    # A NUL in text that reads as UTF-8 is a stray character in a cell: the cell's check
    # (institute.datasets.clean) names its line, column and character.
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    try:
        for chunk in _chunks(stream):
            decoder.decode(chunk)
            lines += chunk.count(b"\n")
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        # exc.object is this chunk behind the start of a character the previous chunk cut:
        # never a line break, so the lines counted so far still hold.
        bad = exc.object
        raise ImportRefused(
            [
                Problem(
                    f"The file is not UTF-8 (byte 0x{bad[exc.start]:02x} cannot be read). "
                    "Save it as “CSV UTF-8” and upload it again.",
                    line=lines + bad[: exc.start].count(b"\n") + 1,
                )
            ]
        ) from exc


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    stream.seek(0)
    while chunk := stream.read(READ_CHUNK):
        yield chunk


def _utf16(head: bytes) -> bool:
    """Text saved as UTF-16: its byte order mark, or (without one) a NUL in every other byte
    of its first characters, as ASCII text has in UTF-16."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    first = head[:64]
    return len(first) >= 8 and any(
        first[side::2].count(0) == len(first[side::2]) for side in (0, 1)
    )


def _looks_binary(head: bytes) -> bool:
    """A NUL in bytes that are not UTF-8 (an image, a PDF), or NULs in every other byte (text
    saved as UTF-16): a binary file, not a CSV with a stray character."""
    if b"\x00" not in head:
        return False
    if head.count(b"\x00") * 4 > len(head):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end inside a character: only an error before its last bytes counts.
        return exc.start < len(head) - 3
    return False


@dataclass
class ParsedFile:
    """A file whose bytes and header are checked; its rows are read as they are asked for
    (`records`), so the file is never held whole. Problems with a row's shape are collected in
    `problems` as the rows go by; `notices` gets the count of skipped empty lines at the end."""

    table: Table
    header: list[str]
    stream: BinaryIO
    limits: Limits
    notices: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total: int | None = None  # how many records, when counted for a progress bar
    read: int = 0  # records read so far

    def records(self) -> Iterator[tuple[int, dict]]:
        """(line number, {column: raw value}) for known columns, row by row."""
        text, reader = _reader(self.stream)
        try:
            next(reader)  # the header, checked by parse()
            blank = rows = 0
            for line, cells in _lines(reader, self.problems):
                if not any(map(str.strip, cells)):
                    blank += 1
                    continue
                if len(cells) > len(self.header):
                    self.problems.append(
                        Problem(
                            f"This row has {len(cells)} cells but the header has "
                            f"{len(self.header)} columns; a value may contain an unquoted comma.",
                            line=line,
                        )
                    )
                    continue
                rows += 1
                self.read = rows
                if rows > self.limits.max_rows:
                    raise ImportRefused(
                        [
                            Problem(
                                f"The file has more than {self.limits.max_rows:,} rows; split "
                                "it into smaller files."
                            )
                        ]
                    )
                yield line, self._values(cells)
            if blank:
                self.notices.append(f"Skipped {blank} empty line(s).")
            if not rows and not self.problems:
                self.problems.append(Problem("The file has a header but no data rows."))
        finally:
            text.detach()  # the stream stays open: the failed rows are read from it again

    def rows_at(self, lines: set[int]) -> list[tuple[int, dict]]:
        """The raw rows at these lines, read again from the file (for a file of failed rows)."""
        if not lines:
            return []
        text, reader = _reader(self.stream)
        try:
            next(reader)
            return [
                (line, self._values(cells))
                for line, cells in _lines(reader, [])
                if line in lines and len(cells) <= len(self.header)
            ]
        finally:
            text.detach()

    def _values(self, cells: list[str]) -> dict:
        if len(cells) < len(self.header):
            cells = cells + [""] * (len(self.header) - len(cells))
        names, pick = self._known
        values = pick(cells)
        # Only a row with a cell that begins with an apostrophe can hold an escaped formula:
        # found in one search of the row rather than a call for each of its cells.
        if "\x00'" in "\x00" + "\x00".join(values):
            values = map(unescape_formula, values)
        return dict(zip(names, values, strict=True))

    @cached_property
    def _known(self) -> tuple[list[str], Callable[[list[str]], tuple[str, ...]]]:
        """The names of the header's columns of the table (the rest are ignored), and a function
        of a row's cells that picks theirs."""
        known = set(self.table.header)
        positions = [n for n, name in enumerate(self.header) if name in known]
        names = [self.header[n] for n in positions]
        if len(positions) == 1:
            (only,) = positions
            return names, lambda cells: (cells[only],)
        return names, itemgetter(*positions)


def _reader(stream: BinaryIO):
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    return text, csv.reader(text, strict=True)


def _lines(reader, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record; the first that is not valid CSV ends the file, with
    a problem."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(Problem(f"This line is not valid CSV: {exc}.", line=reader.line_num))
            return
        yield reader.line_num, cells


def open_source(data: bytes | BinaryIO) -> BinaryIO:
    """A seekable binary stream of the file: an upload's bytes, or a file the caller opened."""
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(data)
    return data


def count_records(stream: BinaryIO) -> int:
    """How many records follow the header (empty ones too): the total of a progress bar. One
    pass of the CSV reader (in C); a file that is not valid CSV is counted up to its fault."""
    text, reader = _reader(stream)
    count = -1
    try:
        for _ in reader:
            count += 1
    except csv.Error:
        pass
    finally:
        text.detach()
    return max(count, 0)


def parse(
    data: bytes | BinaryIO, *, table: Table, limits: Limits | None = None, count: bool = False
) -> ParsedFile:
    """Check the bytes (emptiness, size, encoding) and the header, by default against an
    upload's limits; the rows are read by `ParsedFile.records`. `count` counts them first, for
    a progress bar. Values are checked by institute.datasets.clean."""
    limits = limits or Limits.upload()
    stream = open_source(data)
    check_bytes(stream, limits)
    text, reader = _reader(stream)
    problems: list[Problem] = []
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise ImportRefused([Problem(f"The header cannot be read as CSV: {exc}.", line=1)]) from exc
    finally:
        text.detach()
    header = [h.strip().lstrip("\ufeff") for h in raw_header]
    for n, name in enumerate(header, start=1):
        if problem := control_character_problem(name, multiline=False):
            problems.append(Problem(f"the name of column {n} {problem}", line=1, value=shown(name)))
    known = set(table.header)
    duplicates = [name for name, n in Counter(header).items() if n > 1 and name]
    for name in duplicates:
        problems.append(Problem(f"The column “{name}” appears more than once.", line=1))
    required = [c.name for c in table.columns if c.required]
    missing = [name for name in required if name not in header]
    if missing:
        problems.append(
            Problem(
                f"Required column(s) missing: {', '.join(missing)}. The {table.name} table's "
                f"columns are: {', '.join(table.header)}.",
                line=1,
            )
        )
    if problems:
        raise ImportRefused(problems)
    notices = []
    extra = [h for h in header if h not in known]
    if extra:
        notices.append(
            f"Ignored column(s) not in the {table.name} table: "
            + ", ".join(f"“{h}”" if h else "(unnamed)" for h in extra)
            + "."
        )
    parsed = ParsedFile(table=table, header=header, stream=stream, limits=limits, notices=notices)
    if count:
        parsed.total = count_records(stream)
    return parsed
