"""What each column of the published tables means, in words: the data package's codebook.md
and the Codebook sheet of every XLSX say the same (the /data/ page reads the columns itself)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from institute.datasets.tables import TABLES, Table

# Lazy, so that it is in the language the codebook is written in (str() it where a plain string
# is needed: join() and json take no lazy text).
CODEBOOK_RULES = gettext_lazy(
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
        kind = pgettext("codebook: type of a column", "text")
        if c.type == "integer":
            kind = pgettext("codebook: type of a column", "integer")
        elif c.multi:
            kind = pgettext("codebook: type of a column", "list of slugs")
        if c.pattern and "[0-9]{4}" in c.pattern:
            kind = pgettext("codebook: type of a column", "date (reduced precision)")
        meaning = str(c.description)
        if c.required:
            meaning = _("%(meaning)s Required.") % {"meaning": meaning}
        yield c, kind, meaning, list(c.vocabulary or [])


def codebook_markdown(*, version: str, created: datetime.datetime) -> str:
    lines = [
        "# " + _("Kazakhstan Reform Tracker: codebook"),
        "",
        _("Content version %(version)s, made %(day)s.")
        % {"version": version, "day": created.date().isoformat()},
        "",
        str(CODEBOOK_RULES),
    ]
    for table in TABLES.values():
        lines += ["", f"## {table.name}.csv: {table.title}", "", str(table.description), ""]
        head = [
            pgettext("codebook heading", "column"),
            pgettext("codebook heading", "type"),
            pgettext("codebook heading", "meaning"),
            pgettext("codebook heading", "values"),
        ]
        lines += [f"| {' | '.join(head)} |", "| --- | --- | --- | --- |"]
        for c, kind, meaning, vocabulary in codebook_entries(table):
            values = "; ".join(f"`{v}`: {label}" for v, label in vocabulary)
            lines.append(f"| `{c.name}` | {kind} | {meaning} | {values} |")
    return "\n".join(lines) + "\n"
