"""What each column of the published tables means, in words: the data package's codebook.md
and the Codebook sheet of every XLSX say the same (the /data/ page reads the columns itself)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from institute.datasets.tables import TABLES, Table

CODEBOOK_RULES = (
    "Files are UTF-8 CSV with a header row and RFC 4180 quoting. Several values in one cell "
    "are joined by `;`. Vocabulary values are stable slugs. Dates are ISO at the precision "
    "the source gives: `2019`, `2019-12` or `2019-12-20`. A cell that a spreadsheet would "
    "run as a formula (starting with =, +, -, @, a tab or a carriage return), or that starts "
    "with an apostrophe, is preceded by one apostrophe; the tracker's importer removes it."
)


def codebook_entries(table: Table) -> Iterator[tuple]:
    """(column, kind, meaning, vocabulary) of each column: what the codebook says of it, in
    the data package's codebook.md and in the XLSX's Codebook sheet alike."""
    for c in table.columns:
        kind = "integer" if c.type == "integer" else ("list of slugs" if c.multi else "text")
        if c.pattern and "[0-9]{4}" in c.pattern:
            kind = "date (reduced precision)"
        required = " Required." if c.required else ""
        yield c, kind, f"{c.description}{required}", list(c.vocabulary or [])


def codebook_markdown(*, version: str, created: datetime.datetime) -> str:
    lines = [
        "# Kazakhstan Reform Tracker: codebook",
        "",
        f"Content version {version}, made {created.date().isoformat()}.",
        "",
        CODEBOOK_RULES,
    ]
    for table in TABLES.values():
        lines += ["", f"## {table.name}.csv: {table.title}", "", table.description, ""]
        lines += ["| column | type | meaning | values |", "| --- | --- | --- | --- |"]
        for c, kind, meaning, vocabulary in codebook_entries(table):
            values = "; ".join(f"`{v}`: {label}" for v, label in vocabulary)
            lines.append(f"| `{c.name}` | {kind} | {meaning} | {values} |")
    return "\n".join(lines) + "\n"
