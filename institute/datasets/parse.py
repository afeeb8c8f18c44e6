"""Reading an uploaded CSV file: encoding, header and row shapes, sizes. Every problem found is
named with its line; values are checked by institute.datasets.clean."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

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


@dataclass
class ParsedFile:
    table: Table
    header: list[str]
    rows: list[tuple[int, dict]]  # (line number, {column: raw value}) for known columns
    notices: list[str] = field(default_factory=list)


def decode(data: bytes, limits: Limits) -> str:
    """UTF-8 text of an upload, with or without a BOM; a clear refusal for anything else."""
    if not data or not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportRefused([Problem("The file is empty: there is no header row and no data.")])
    if problem := limits.too_large(len(data)):
        raise ImportRefused([problem])
    if data.startswith(b"PK\x03\x04") or _looks_binary(data[:8192]):
        raise ImportRefused(
            [
                Problem(
                    "This is not a CSV file: it looks like a spreadsheet workbook or another "
                    "binary file. Save it as “CSV UTF-8 (comma-delimited)” and upload that."
                )
            ]
        )
    try:
        # A NUL in text that reads as UTF-8 is a stray character in a cell: the cell's check
        # (institute.datasets.clean) names its line, column and character.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(
            [
                Problem(
                    f"The file is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be read). "
                    "Save it as “CSV UTF-8” and upload it again.",
                    line=line,
                )
            ]
        ) from exc


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


def parse(data: bytes, *, table: Table, limits: Limits | None = None) -> ParsedFile:
    """Read the CSV: header checks, row shapes and sizes (by default an upload's limits).
    Values are checked by institute.datasets.clean."""
    limits = limits or Limits.upload()
    text = decode(data, limits)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise ImportRefused([Problem(f"The header cannot be read as CSV: {exc}.", line=1)]) from exc
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
    rows: list[tuple[int, dict]] = []
    blank = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"This line is not valid CSV: {exc}.", line=reader.line_num))
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        if len(cells) > len(header):
            problems.append(
                Problem(
                    f"This row has {len(cells)} cells but the header has {len(header)} columns; "
                    "a value may contain an unquoted comma.",
                    line=line,
                )
            )
            continue
        cells += [""] * (len(header) - len(cells))
        rows.append(
            (
                line,
                {h: unescape_formula(v) for h, v in zip(header, cells, strict=True) if h in known},
            )
        )
        if len(rows) > limits.max_rows:
            raise ImportRefused(
                [
                    Problem(
                        f"The file has more than {limits.max_rows:,} rows; split it into "
                        "smaller files."
                    )
                ]
            )
    if blank:
        notices.append(f"Skipped {blank} empty line(s).")
    if not rows and not problems:
        problems.append(Problem("The file has a header but no data rows."))
    if problems:
        raise ImportRefused(problems)
    return ParsedFile(table=table, header=header, rows=rows, notices=notices)
