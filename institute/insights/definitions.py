"""The four charts, each counted through the FilterSet of the listing it links to, over the
published() rows the listing starts from: a bar's number is the row count its link shows.

A chart is one grouped query (values().annotate(Count)), two for the scorecard (by audience and
by theme), three for the timeline (recommendations, then from reforms.response_ledger the
counts and the first reforms answering them), plus the choices its FilterSet reads once: the
number of queries does not grow with the rows.
"""

from __future__ import annotations

from functools import cached_property

from django.db.models import Case, Count, Value, When
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from institute import translations
from institute.dates import LOWER_BOUND_ONLY, UPPER_BOUND_ONLY, date_label
from institute.insights.charts import (
    Bar,
    BarChart,
    ChartDefinition,
    Mark,
    Row,
    Segment,
    Series,
    Timeline,
    filter_summary,
    listing_url,
)
from institute.insights.palettes import AREA_COLOURS, IMPLEMENTATION_COLOURS, STATUS_COLOURS
from institute.listings.filters import FacetedFilterSet
from recommendations.models import Audience, Implementation
from recommendations.selectors import recommendation_filter_public
from reforms import response_ledger
from reforms.filters import DateKind, bounded_only
from reforms.models import Area, ReformStatus
from reforms.selectors import reform_filter_public
from reforms.tally import by_status, by_year

# Each dimension's colours, in its order (palettes.py): the legend and the stacks follow it.
STATUS_ORDER = list(STATUS_COLOURS)
IMPLEMENTATION_ORDER = list(IMPLEMENTATION_COLOURS)
# A recommendation answered by thousands of reforms is a row of its first ones and a number,
# not thousands of dots: the page stays the same size whatever the number of reforms. With many
# recommendations each row draws fewer, so that the page holds about MARKS_PER_PAGE marks (each
# is drawn four times: wide and narrow, each with its link), never fewer than MIN_MARKS_PER_ROW
# a row.
MARKS_PER_ROW = 25
MARKS_PER_PAGE = 150
MIN_MARKS_PER_ROW = 3


def marks_per_row(rows: int) -> int:
    return max(MIN_MARKS_PER_ROW, min(MARKS_PER_ROW, MARKS_PER_PAGE // max(rows, 1)))


class Filters:
    """The FilterSets of one request's parameters, one per listing, each built once: the
    charts of a page share their choices' queries."""

    def __init__(self, params, *, marks_per_row: int | None = MARKS_PER_ROW):
        self.params = params
        # The timeline's reforms drawn per recommendation (None: all, as its CSV lists them).
        self.marks_per_row = marks_per_row

    @cached_property
    def reforms(self) -> FacetedFilterSet:
        return reform_filter_public(params=self.params)

    @cached_property
    def recommendations(self) -> FacetedFilterSet:
        return recommendation_filter_public(params=self.params)

    def of(self, listing: str) -> FacetedFilterSet:
        return self.reforms if listing == "reforms:list" else self.recommendations

    def problems(self) -> list[str]:
        out: list[str] = []
        for filterset in (self.reforms, self.recommendations):
            out += [p for p in filterset.problems() if p not in out]
        return out


def _series(choices, colours) -> list[Series]:
    """A series per value, in the palette's order (a status's place, not the vocabulary's)."""
    labels = dict(choices)
    return [Series(str(value), str(labels[value]), colour) for value, colour in colours.items()]


def _rows(filterset: FacetedFilterSet):
    """The rows the listing counts, without its order (a grouped count needs none)."""
    return filterset.qs_without("sort").order_by().select_related(None).prefetch_related(None)


def _sentences(*sentences: str) -> str:
    """A chart's description: its sentences, those not empty, one space apart."""
    return " ".join(s for s in sentences if s)


# --- reforms -----------------------------------------------------------------------------------
def year_range_date(filterset: FacetedFilterSet) -> tuple[str, str]:
    """The column the reform listing's year range reads (`date_field=`) and its name in words."""
    kind = filterset.cleaned().get("date_field") or DateKind.FIRST
    return DateKind.fields[kind], dict(DateKind.choices)[kind].lower()


def _selected(filterset: FacetedFilterSet, name: str, values) -> list[str]:
    """The values of a facet the chart has bars or segments for: those chosen, if any. A row
    of a chosen value can be under another too (a second area, a second theme), and a link
    to that other value alone would not keep the choice."""
    chosen = filterset.active().get(name) or []
    return [str(v) for v in values if not chosen or v in chosen]


def _per_area(filterset: FacetedFilterSet) -> dict[str, Count]:
    """A count per area of the rows the listing's area filter finds there (as it does:
    through the filter's own condition, so a reform filed under a second area is counted
    there too, where the listing finds it)."""
    return {
        f"n_{area}": Count("pk", filter=filterset.facet_condition("area", [area]))
        for area in _selected(filterset, "area", Area.values)
    }


def _area_counts(row: dict) -> dict[str, int]:
    return {name[2:]: n for name, n in row.items() if name.startswith("n_") and n}


# The year of a date given only as a bound, in the grouping: a key no year can be (the tally's
# too, reforms/0021).
BOUNDED = "bound"


def reforms_by_year(filters: Filters) -> BarChart:
    filterset = filters.reforms
    path = reverse("reforms:list")
    column, date_name = year_range_date(filterset)
    areas = _selected(filterset, "area", Area.values)
    # A date the source gives only as a bound ("by 2016", "since 2017") is in no year's bar, as
    # it is in no year's listing (the year filters: README, "Year filters and bounded dates"),
    # so that a bar counts exactly the rows its link lists. The tally keeps such a reform under
    # the same key (reforms/0021), for the earliest date only.
    found = by_year(filterset.active(), areas) if column == "first_date" else None
    if found is None:
        found = {}
        bounded = bounded_only(column, UPPER_BOUND_ONLY) | bounded_only(column, LOWER_BOUND_ONLY)
        year = Case(When(bounded, then=Value(BOUNDED)), default=Substr(column, 1, 4))
        grouped = _rows(filterset).values(year=year)
        for row in grouped.annotate(rows=Count("pk"), **_per_area(filterset)).order_by():
            found[row["year"]] = (row["rows"], _area_counts(row))
    undated = found.pop("", (0, {}))[0]
    only_bound = found.pop(BOUNDED, (0, {}))[0]
    years = sorted(int(y) for y in found)
    bars = []
    # Every year of the span, the empty ones too: the axis is time.
    for year in range(years[0], years[-1] + 1) if years else []:
        rows, counts = found.get(f"{year:04d}", (0, {}))
        y = [str(year)]
        segments = [
            Segment(
                area,
                counts[area],
                listing_url(path, filterset, year_from=y, year_to=y, area=[area]),
            )
            for area in Area.values
            if counts.get(area)
        ]
        href = listing_url(path, filterset, year_from=y, year_to=y)
        bars.append(Bar(str(year), str(year), segments, href=href, count=rows))
    total = sum(b.total for b in bars)
    span = f", {years[0]}–{years[-1]}" if len(years) > 1 else f", {years[0]}" if years else ""
    several = any(b.height > b.total for b in bars)
    words = {"count": total, "date_name": date_name, "span": span}
    if several:
        counted = ngettext(
            # Translators: date_name is a reform's date in words ("adoption date"); span is
            # empty or the years the bars cover, after a comma (", 2019–2021").
            "%(count)s published reform by the year of their %(date_name)s%(span)s, each year's "
            "bar divided by area (a reform filed under several areas is in each).",
            "%(count)s published reforms by the year of their %(date_name)s%(span)s, each "
            "year's bar divided by area (a reform filed under several areas is in each).",
            total,
        )
    else:
        counted = ngettext(
            # Translators: date_name is a reform's date in words ("adoption date"); span is
            # empty or the years the bars cover, after a comma (", 2019–2021").
            "%(count)s published reform by the year of their %(date_name)s%(span)s, each year's "
            "bar divided by area.",
            "%(count)s published reforms by the year of their %(date_name)s%(span)s, each "
            "year's bar divided by area.",
            total,
        )
    left_out, notes = "", []
    if undated and column == "first_date":
        left_out = ngettext(
            "%(count)s undated not shown.", "%(count)s undated not shown.", undated
        ) % {"count": undated}
        notes.append(
            ngettext(
                "%(count)s reform undated not shown.",
                "%(count)s reforms undated not shown.",
                undated,
            )
            % {"count": undated}
        )
    elif undated:
        left_out = ngettext(
            "%(count)s with no %(date_name)s not shown.",
            "%(count)s with no %(date_name)s not shown.",
            undated,
        ) % {"count": undated, "date_name": date_name}
        notes.append(
            ngettext(
                "%(count)s reform with no %(date_name)s not shown.",
                "%(count)s reforms with no %(date_name)s not shown.",
                undated,
            )
            % {"count": undated, "date_name": date_name}
        )
    bound = ""
    if only_bound:
        bound = ngettext(
            "%(count)s dated only by a bound (“by 2016”, “since 2017”) not shown: "
            "no year holds it.",
            "%(count)s dated only by a bound (“by 2016”, “since 2017”) not shown: "
            "no year holds it.",
            only_bound,
        ) % {"count": only_bound}
        notes.append(
            ngettext(
                "%(count)s reform dated only by a bound (“by 2016”, “since 2017”) not shown: "
                "no year holds it.",
                "%(count)s reforms dated only by a bound (“by 2016”, “since 2017”) not shown: "
                "no year holds it.",
                only_bound,
            )
            % {"count": only_bound}
        )
    description = _sentences(counted % words, filter_summary(filterset), left_out, bound)
    return BarChart(
        # Translators: date_name is a reform's date in words ("adoption date").
        title=_("Reforms by year of their %(date_name)s, by area") % {"date_name": date_name},
        description=description,
        orientation="vertical",
        category=("year", _("Year")),
        series_name=("area", _("Area")),
        unit=("reform", "reforms"),
        series=_series(Area.choices, AREA_COLOURS),
        bars=bars,
        notes=notes,
    )


def status_by_area(filters: Filters) -> BarChart:
    filterset = filters.reforms
    path = reverse("reforms:list")
    areas = _selected(filterset, "area", Area.values)
    tallied = by_status(filterset.active(), areas)
    if tallied is not None:
        found, total = tallied
    else:
        found, total = {}, 0
        grouped = _rows(filterset).values("status")
        for row in grouped.annotate(rows=Count("pk"), **_per_area(filterset)).order_by():
            total += row["rows"]
            for area, n in _area_counts(row).items():
                found.setdefault(area, {})[row["status"]] = n
    bars = []
    for area, label in Area.choices:
        if area not in areas:
            continue
        counts = found.get(area, {})
        segments = [
            Segment(
                status,
                counts[status],
                listing_url(path, filterset, area=[area], status=[status]),
            )
            for status in STATUS_ORDER
            if counts.get(status)
        ]
        href = listing_url(path, filterset, area=[area])
        bars.append(Bar(area, str(label), segments, href=href))
    if sum(b.total for b in bars) > total:
        counted = ngettext(
            "%(count)s published reform by area, each area's bar divided by the reforms' status "
            "(a reform filed under several areas is in each).",
            "%(count)s published reforms by area, each area's bar divided by the reforms' status "
            "(a reform filed under several areas is in each).",
            total,
        )
    else:
        counted = ngettext(
            "%(count)s published reform by area, each area's bar divided by the reforms' status.",
            "%(count)s published reforms by area, each area's bar divided by the reforms' status.",
            total,
        )
    return BarChart(
        title=_("Status of the reforms in each area"),
        description=_sentences(counted % {"count": total}, filter_summary(filterset)),
        orientation="horizontal",
        category=("area", _("Area")),
        series_name=("status", _("Status")),
        unit=("reform", "reforms"),
        series=_series(ReformStatus.choices, STATUS_COLOURS),
        bars=bars,
    )


# --- recommendations ---------------------------------------------------------------------------
def scorecard(filters: Filters) -> BarChart:
    filterset = filters.recommendations
    path = reverse("recommendations:list")
    rows = _rows(filterset)
    by_audience: dict[str, dict[str, int]] = {}
    for row in rows.values("audience", "implementation").annotate(n=Count("pk")).order_by():
        by_audience.setdefault(row["audience"], {})[row["implementation"]] = row["n"]
    # Through the themes: a recommendation with two themes is on both bars, as it is in both
    # themes' listings; one pair a row, so a plain count is exact.
    by_theme: dict[str, dict[str, int]] = {}
    themed = rows.filter(themes__isnull=False).values("themes__slug", "implementation")
    for row in themed.annotate(n=Count("pk")).order_by():
        by_theme.setdefault(row["themes__slug"], {})[row["implementation"]] = row["n"]

    def bar(name: str, value: str, label: str, counts: dict[str, int], group: str) -> Bar:
        segments = [
            Segment(
                impl,
                counts[impl],
                listing_url(path, filterset, **{name: [value], "implementation": [impl]}),
            )
            for impl in IMPLEMENTATION_ORDER
            if counts.get(impl)
        ]
        href = listing_url(path, filterset, **{name: [value]})
        return Bar(value, label, segments, href=href, group=group)

    by_audience_group, by_theme_group = _("By audience"), _("By theme")
    audience_bars = [
        bar("audience", value, str(label), by_audience.get(value, {}), by_audience_group)
        for value, label in Audience.choices
    ]
    bars = audience_bars + [
        bar("theme", slug, str(label), by_theme[slug], by_theme_group)
        for slug, label in filterset.facet_choices("theme")
        if slug in by_theme and slug in _selected(filterset, "theme", by_theme)
    ]
    total = sum(b.total for b in audience_bars)
    labels = dict(Implementation.choices)
    counted = ngettext(
        "%(count)s published recommendation by the audience they were made to and by theme, "
        "each bar divided by how far they have been implemented.",
        "%(count)s published recommendations by the audience they were made to and by theme, "
        "each bar divided by how far they have been implemented.",
        total,
    ) % {"count": total}
    return BarChart(
        title=_("Recommendation scorecard: implementation by audience and by theme"),
        description=_sentences(
            counted,
            _("A recommendation with several themes is counted under each."),
            filter_summary(filterset),
        ),
        orientation="horizontal",
        category=("category", _("Audience or theme")),
        series_name=("implementation", _("Implementation")),
        unit=("recommendation", "recommendations"),
        series=[
            Series(str(v), str(labels[v]), IMPLEMENTATION_COLOURS[v]) for v in IMPLEMENTATION_ORDER
        ],
        bars=bars,
    )


def answers_timeline(filters: Filters) -> Timeline:
    filterset = filters.recommendations
    rows = _rows(filterset).order_by("report", "position")
    recommendations = list(
        rows.values("pk", "slug", "title", "title_ru", "title_kk", "report__published_on")
    )
    # From the ledger of published reforms' responses (reforms.response_ledger): counts, and
    # each row's first reforms from an index, however many reforms respond.
    pks = [rec["pk"] for rec in recommendations]
    linked = response_ledger.linked(pks)
    totals, undated = linked.dated, linked.undated
    # The rows drawn are those with a dated reform: the page's marks are shared among them.
    cap = filters.marks_per_row
    if cap is not None:
        cap = min(cap, marks_per_row(len(totals)))
    marks: dict[int, list[Mark]] = {}
    for m in response_ledger.first_marks(pks, cap):
        reform = m.reform
        marks.setdefault(m.recommendation_id, []).append(
            Mark(
                reform["slug"],
                translations.in_snapshot(reform, "title").value,
                m.first_date,
                date_label(m.first_date),
                reverse("reforms:detail", kwargs={"slug": reform["slug"]}),
                kind=m.relation,
            )
        )
    out = []
    for rec in recommendations:
        if rec["pk"] not in marks:
            continue
        title = translations.in_snapshot(rec, "title")
        out.append(
            Row(
                rec["slug"],
                title.value,
                reverse("recommendations:detail", kwargs={"slug": rec["slug"]}),
                rec["report__published_on"] or "",
                date_label(rec["report__published_on"]),
                marks[rec["pk"]],
                more=totals[rec["pk"]] - len(marks[rec["pk"]]),
                label_language=title.tag if title.missing else "",
            )
        )
    unanswered = len(recommendations) - len(out)
    notes = []
    if unanswered:
        notes.append(
            ngettext(
                "%(count)s recommendation that no dated published reform answers not shown.",
                "%(count)s recommendations that no dated published reform answers not shown.",
                unanswered,
            )
            % {"count": unanswered}
        )
    if undated:
        notes.append(
            ngettext(
                "%(count)s linked reform undated, not shown.",
                "%(count)s linked reforms undated, not shown.",
                undated,
            )
            % {"count": undated}
        )
    more = sum(r.more for r in out)
    if more:
        notes.append(
            ngettext(
                "Each recommendation shows its first %(cap)s linked reforms; %(count)s more "
                "reform is listed on the recommendations' own pages and in this chart's CSV.",
                "Each recommendation shows its first %(cap)s linked reforms; %(count)s more "
                "reforms are listed on the recommendations' own pages and in this chart's CSV.",
                more,
            )
            % {"cap": cap, "count": more}
        )
    total = sum(len(r.marks) + r.more for r in out)
    reforms = ngettext("%(count)s reform", "%(count)s reforms", total) % {"count": total}
    counted = ngettext(
        # Translators: reforms is a number of reforms in words ("12 reforms").
        "%(count)s published recommendation, each on a row from the date of its report "
        "(a diamond), with a dot at the earliest date of each of the %(reforms)s linked to it; "
        "a filled dot answers it, an open dot anticipates it or bears on it (or is dated before "
        "it).",
        "%(count)s published recommendations, each on a row from the date of its report "
        "(a diamond), with a dot at the earliest date of each of the %(reforms)s linked to it; "
        "a filled dot answers it, an open dot anticipates it or bears on it (or is dated before "
        "it).",
        len(out),
    ) % {"count": len(out), "reforms": reforms}
    return Timeline(
        title=_("Reforms answering each recommendation, from the recommendation's date"),
        description=_sentences(counted, filter_summary(filterset), *notes),
        rows=out,
        notes=notes,
    )


CHARTS = {
    c.name: c
    for c in (
        ChartDefinition("reforms-by-year", "Reforms by year", "reforms:list", reforms_by_year),
        ChartDefinition("status-by-area", "Status by area", "reforms:list", status_by_area),
        ChartDefinition("scorecard", "Scorecard", "recommendations:list", scorecard),
        ChartDefinition(
            "answers-timeline", "Answers over time", "recommendations:list", answers_timeline
        ),
    )
}
