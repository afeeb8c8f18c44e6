"""The published reforms' counts, read from the pre-aggregated tally instead of the reforms.

Triggers (migration reforms/0016) keep `reforms_tally` exact in every writer's transaction: a
reader sees the counts of exactly the rows it sees. A count is a sum over a few thousand cells
whatever the number of reforms, so a listing's facets and the insights' reform charts cost the
same at a thousand reforms and at a million.

The tally answers the filters it has dimensions for: area and topic (one value each: two areas
chosen would count a reform filed under both twice), status, initiator, who acted, "linked to a
recommendation" and "undated"; the year charts take no topic. Any other filter (a search, a
year range, several areas) returns None, and the caller counts the rows themselves.

Each cell is a number of reforms with one area, status, initiator, actor, answers flag and
either (the topic slice) a topic and a dated flag or (the year slice, topic "*") a year, or
"bound" for an earliest date the source gives only as a bound ("by 2016", "since 2017"), which
no year holds (reforms/0021). A topic ""
is every reform once; a secondary area ("also_area") other than "" counts a reform once more
under that area.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from reforms.models import Topic

# What of a cell each flat filter reads: a value among those chosen, or (a yes/no filter) true
# or false. "undated" is the year's absence (the year is always read).
FILTER_COLUMNS = {
    "status": "status",
    "initiated_by": "initiated_by",
    "acted_by": "acted_by",
    "has_response": "answers",
    "undated": "undated",
}
FLAT = tuple(FILTER_COLUMNS)
FACETED = {"area", "topic", *FLAT}


@dataclass(frozen=True)
class Cell:
    topic: str
    year: str
    also_area: str
    area: str
    status: str
    initiated_by: str
    acted_by: str
    answers: bool
    n: int

    @property
    def undated(self) -> bool:
        return self.year == ""

    def in_area(self, area: str) -> bool:
        """Whether the area filter finds these reforms under `area` (own or secondary)."""
        return self.also_area == area or (self.also_area == "" and self.area == area)

    def shown_area(self) -> str:
        """The area these reforms count under: their secondary one, or else their own."""
        return self.also_area or self.area


# What a column summed over reads as in a coarser cell: nothing a filter would ask of it.
SUMMED_OVER = {"status": "''", "initiated_by": "''", "acted_by": "''", "answers": "0"}


def _cells(where: str, params: Iterable, *, keep: set[str] | None = None) -> list[Cell]:
    """The cells `where` picks. With `keep` (the flat columns a chart reads: its own and its
    filters'), coarser cells: summed in the query over the other flat columns, so that a
    chart by year and area reads one row per year and area (128 at 1M reforms) instead of
    every combination of status, initiator, actor and answers (14,336), and adds them up in
    Python."""
    dimensions = ["topic", "year", "also_area", "area", *SUMMED_OVER]
    summed = set() if keep is None else SUMMED_OVER.keys() - keep
    columns = [f"{SUMMED_OVER[c]} AS {c}" if c in summed else c for c in dimensions]
    grouped = [c for c in dimensions if c not in summed]
    # A cell of every dimension is one row of the tally: nothing to add up.
    count = "SUM(n)" if summed else "n"
    sql = f"SELECT {', '.join(columns)}, {count} FROM reforms_tally WHERE n > 0 AND {where}"
    if summed:
        sql += f" GROUP BY {', '.join(grouped)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [Cell(*row[:7], bool(row[7]), int(row[8])) for row in cursor.fetchall()]


def _asked(active: dict) -> set[str]:
    """The flat columns the active filters read."""
    return {FILTER_COLUMNS[name] for name in active if name in FILTER_COLUMNS}


def _single(values) -> str | None:
    return str(values[0]) if values else None


def _passes(cell: Cell, active: dict, skip: str = "") -> bool:
    """Whether the cell's reforms pass the active flat filters (all but `skip`)."""
    for name, column in FILTER_COLUMNS.items():
        value = active.get(name)
        if name == skip or value in (None, "", [], ()):
            continue
        held = getattr(cell, column)
        yes_no = isinstance(value, str)  # "true" or "false"; else the values chosen
        if (held != (value == "true")) if yes_no else (held not in value):
            return False
    return True


def _once(cell: Cell, area: str | None) -> bool:
    """Whether the cell counts its reforms once among the reforms the area filter keeps (every
    reform once if no area is chosen)."""
    return cell.in_area(area) if area else cell.also_area == ""


def _answerable(active: dict, *, allowed: set[str]) -> bool:
    if not set(active) <= allowed:
        return False
    return all(len(active.get(name) or []) <= 1 for name in ("area", "topic"))


def facet_counts(active: dict) -> tuple[dict[str, dict[str, int]], int] | None:
    """The reform listing's facet counts and row count for the active filters (as
    `FacetedFilterSet.facet_counts_all` gives them), or None if the tally cannot say."""
    if not _answerable(active, allowed=FACETED):
        return None
    area = _single(active.get("area"))
    slugs = dict(Topic.objects.values_list("pk", "slug"))
    ids = {slug: str(pk) for pk, slug in slugs.items()}
    topic = ids.get(_single(active.get("topic")) or "", "")
    if active.get("topic") and not topic:
        return None  # a topic the form accepted but that is gone since: count it live
    cells = _cells(
        "topic <> '*' AND (topic = %s OR also_area IN (%s, %s))", [topic, "", area or ""]
    )

    counts: dict[str, dict[str, int]] = {name: {} for name in ("area", "topic", *FLAT)}

    def add(name: str, key: str, n: int) -> None:
        if key not in ("", None):
            counts[name][key] = counts[name].get(key, 0) + n

    total = 0
    for cell in cells:
        if cell.topic == topic:
            if _once(cell, area):
                if _passes(cell, active):
                    total += cell.n
                for name, key in (
                    ("status", cell.status),
                    ("initiated_by", cell.initiated_by),
                    ("acted_by", cell.acted_by),
                    ("has_response", str(cell.answers)),
                    ("undated", str(cell.undated)),
                ):
                    if _passes(cell, active, skip=name):
                        add(name, key, cell.n)
            if _passes(cell, active):
                add("area", cell.shown_area(), cell.n)
        if cell.topic and _once(cell, area) and _passes(cell, active):
            add("topic", slugs.get(int(cell.topic), ""), cell.n)
    return counts, total


def by_status(active: dict, areas: list[str]) -> tuple[dict[str, dict[str, int]], int] | None:
    """For the status-by-area chart: per area of `areas`, the reforms the area filter finds
    there per status, and the number of reforms, under the active filters; or None."""
    if not _answerable(active, allowed=FACETED):
        return None
    chosen = _single(active.get("area"))
    topic = ""
    if active.get("topic"):
        found = Topic.objects.filter(slug=active["topic"][0]).values_list("pk", flat=True)
        if not found:
            return None
        topic = str(found[0])
    out: dict[str, dict[str, int]] = {}
    total = 0
    for cell in _cells("topic = %s", [topic], keep={"status", *_asked(active)}):
        if not _passes(cell, active) or (chosen and not cell.in_area(chosen)):
            continue
        if _once(cell, chosen):
            total += cell.n
        if cell.shown_area() in areas:
            per = out.setdefault(cell.shown_area(), {})
            per[cell.status] = per.get(cell.status, 0) + cell.n
    return out, total


def by_year(active: dict, areas: list[str]) -> dict[str, tuple[int, dict[str, int]]] | None:
    """For the reforms-by-year chart (of the earliest date): per year ("" undated, "bound" dated
    only by a bound), the number of reforms and per area of `areas` those the area filter finds
    there; or None."""
    if not _answerable(active, allowed=FACETED - {"topic"}):
        return None
    chosen = _single(active.get("area"))
    found: dict[str, tuple[int, dict[str, int]]] = {}
    for cell in _cells("topic = '*'", [], keep=_asked(active)):
        if not _passes(cell, active) or (chosen and not cell.in_area(chosen)):
            continue
        rows, per = found.get(cell.year, (0, {}))
        if _once(cell, chosen):
            rows += cell.n
        if cell.shown_area() in areas:
            per[cell.shown_area()] = per.get(cell.shown_area(), 0) + cell.n
        found[cell.year] = (rows, per)
    return found
