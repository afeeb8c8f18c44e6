"""What a chart is, apart from how it is drawn, and the registry of the charts.

A chart's numbers come from the FilterSet of the listing it links to, over published() rows, so
every bar counts exactly the rows that its link shows. The drawing (svg, bars, timeline) knows
nothing of the apps; `definitions` builds the charts from the apps' selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from institute.listings.filters import FacetedFilterSet

# A chart's unit in words (its `unit` is the CSV's): a count of it, and its name in a caption.
UNIT_COUNTS = {
    "reform": ngettext_lazy("%(count)s reform", "%(count)s reforms", "count"),
    "recommendation": ngettext_lazy(
        "%(count)s recommendation", "%(count)s recommendations", "count"
    ),
}
UNIT_NAMES = {
    "reform": gettext_lazy("reforms"),
    "recommendation": gettext_lazy("recommendations"),
}

# Parameters a listing reads that do not change which rows it counts.


@dataclass(frozen=True)
class Series:
    """One colour of a chart, named in its legend: an area, a status, a rating."""

    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Segment:
    series: str
    count: int
    href: str  # the listing of exactly these rows; "" when the listing has no such filter


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    segments: list[Segment]
    href: str = ""
    group: str = ""  # the heading of the panel it is drawn in, if the chart has several
    # The rows of the bar, when one can be in several of its segments (a reform filed under two
    # areas): then the stack is taller than the count written on it.
    count: int | None = None

    @property
    def height(self) -> int:
        return sum(s.count for s in self.segments)

    @property
    def total(self) -> int:
        return self.height if self.count is None else self.count


@dataclass
class BarChart:
    """Bars of counts, each stacked by a series (vertical: years; horizontal: categories)."""

    title: str
    description: str
    orientation: str  # "vertical" or "horizontal"
    category: tuple[str, str]  # (CSV column, heading): ("year", "Year")
    series_name: tuple[str, str]  # ("area", "Area")
    unit: tuple[str, str]  # (singular, plural): ("reform", "reforms")
    series: list[Series]
    bars: list[Bar]
    notes: list[str] = field(default_factory=list)
    kind: str = "bars"

    def series_by_key(self) -> dict[str, Series]:
        return {s.key: s for s in self.series}

    def count_label(self, n: int) -> str:
        """A count of the chart's unit in words: "1 reform", "3 reforms"."""
        words = UNIT_COUNTS.get(self.unit[0])
        if words is None:
            return f"{n} {self.unit[0] if n == 1 else self.unit[1]}"
        return words % {"count": n}

    @property
    def unit_label(self) -> str:
        """What the chart counts, for its table's caption: "reforms"."""
        return str(UNIT_NAMES.get(self.unit[0], self.unit[1]))

    def used_series(self) -> list[Series]:
        """The series with a count somewhere: what the legend and the table show."""
        used = {s.series for b in self.bars for s in b.segments if s.count}
        return [s for s in self.series if s.key in used]

    def count_of(self, bar: Bar, series: str) -> Segment | None:
        return next((s for s in bar.segments if s.series == series), None)

    def csv_header(self) -> list[str]:
        head = ["group"] if any(b.group for b in self.bars) else []
        category, series = self.category[0], self.series_name[0]
        return [
            *head,
            category,
            f"{category}_label",
            series,
            f"{series}_label",
            self.unit[1],
            "url",
        ]

    def csv_rows(self, base_url: str) -> list[list]:
        labels = self.series_by_key()
        rows = []
        for bar in self.bars:
            head = [bar.group] if self.csv_header()[0] == "group" else []
            for seg in bar.segments:
                url = base_url + seg.href if seg.href else ""
                rows.append(
                    [
                        *head,
                        bar.key,
                        bar.label,
                        seg.series,
                        labels[seg.series].label,
                        seg.count,
                        url,
                    ]
                )
        return rows


@dataclass(frozen=True)
class Mark:
    """A reform on a recommendation's row of the timeline, at its earliest date."""

    key: str
    label: str
    date: str  # ISO of reduced precision
    date_label: str
    href: str
    kind: str = "answers"  # a class hook: how the reform relates to the recommendation


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    href: str
    date: str  # the recommendation's date (its report's); "" if unknown
    date_label: str
    marks: list[Mark]
    more: int = 0  # the linked reforms not drawn (beyond the chart's marks per row)
    # The label's language when it is not the page's (an untranslated title): its `lang`.
    label_language: str = ""


@dataclass
class Timeline:
    title: str
    description: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    kind: str = "timeline"

    def csv_header(self) -> list[str]:
        return [
            "recommendation",
            "recommendation_title",
            "recommendation_date",
            "reform",
            "reform_title",
            "reform_first_date",
            "relation",
            "url",
        ]

    def csv_rows(self, base_url: str) -> list[list]:
        return [
            [row.key, row.label, row.date, m.key, m.label, m.date, m.kind, base_url + m.href]
            for row in self.rows
            for m in row.marks
        ]


# --- links to the listings ---------------------------------------------------------------------
def listing_url(path: str, filterset: FacetedFilterSet, **changes: list[str]) -> str:
    """The listing's address with the chart's parameters (those the listing reads that change
    its rows) and a bar's own, which replace any of the same name: the rows the bar counts."""
    params = {
        name: values
        for name, values in filterset.params().items()
        if name in filterset.filters and name not in filterset.not_filters
    }
    params.update(changes)
    query = urlencode([(k, v) for k, vs in params.items() for v in vs if v != ""])
    return path + (f"?{query}" if query else "")


def filter_summary(*filtersets: FacetedFilterSet) -> str:
    """The filters in force, in words, for a chart's description."""
    labels = [str(chip.label) for filterset in filtersets for chip in filterset.chips()]
    labels = list(dict.fromkeys(labels))
    return _("Filtered by %(filters)s.") % {"filters": "; ".join(labels)} if labels else ""


# --- the charts --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartDefinition:
    name: str  # the slug of its downloads: /insights/<name>.svg
    title: str
    listing: str  # the name of the listing URL its bars count and link to
    build: Callable[..., BarChart | Timeline]  # build(filters): definitions.Filters
