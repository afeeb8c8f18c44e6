"""Stacked bar charts as SVG: vertical (a count per year) and horizontal (per category, in
panels). Every segment is a link to the listing of the rows it counts, with its number written
on it where it fits and in its tooltip, and a white gap between segments, so that no colour has
to be told from its neighbour."""

from __future__ import annotations

from django.utils.translation import gettext as _

from institute.insights.charts import Bar, BarChart
from institute.insights.credit import Credit
from institute.insights.palettes import text_on
from institute.insights.svg import (
    COMPACT_WIDTH,
    GRID,
    INK,
    MUTED,
    NARROW_WIDTH,
    WIDTH,
    Links,
    document,
    el,
    legend,
    lines_box,
    multiline,
    nice_ticks,
    text,
    text_width,
    tooltip,
    wrap,
)

SEPARATOR = "#ffffff"


def _segment_label(chart: BarChart, bar: Bar, series: str, count: int) -> str:
    name = chart.series_by_key()[series].label
    # Translators: a bar's segment: "2019, Human rights: 3 reforms".
    return _("%(bar)s, %(series)s: %(count)s") % {
        "bar": bar.label,
        "series": name,
        "count": chart.count_label(count),
    }


def _bar_total(chart: BarChart, bar: Bar) -> str:
    # Translators: a whole bar: "2019: 5 reforms in all".
    return _("%(bar)s: %(count)s in all") % {
        "bar": bar.label,
        "count": chart.count_label(bar.total),
    }


def _several(bar: Bar) -> bool:
    """Whether a bar has more than one segment: if not, its total (written at its end) is its
    one segment's count, and is written once."""
    return sum(1 for s in bar.segments if s.count) > 1


def render_vertical(
    chart: BarChart,
    ident: str,
    *,
    compact: bool = False,
    narrow: bool = False,
    base: str = "",
    credit: Credit | None = None,
) -> str:
    width = NARROW_WIDTH if narrow else COMPACT_WIDTH if compact else WIDTH
    link = Links(base)
    series = chart.series_by_key()
    plot_h = 150 if compact else 200 if narrow else 250
    left, right = (34, 8) if narrow else (44, 12)
    top_legend, legend_h = legend(
        [(s.colour, s.label) for s in chart.used_series()], left, 8, width - left - right
    )
    top = 8 + legend_h + 18
    ticks = nice_ticks(max((b.height for b in chart.bars), default=0), 4 if compact else 5)
    scale = plot_h / ticks[-1]
    plot_w = width - left - right
    n = max(len(chart.bars), 1)
    band = plot_w / n
    bar_w = min(band * 0.72, 56)
    every = 1 if band >= 34 else 2 if band >= 18 else 5 if band >= 7 else 10
    axis = top + plot_h
    out = [top_legend]
    for t in ticks:
        y = axis - t * scale
        out.append(el("line", {"x1": left, "x2": width - right, "y1": y, "y2": y, "stroke": GRID}))
        out.append(text(left - 8, y + 4, str(t), text_anchor="end", fill=MUTED, font_size=12))
    for i, bar in enumerate(chart.bars):
        x = left + i * band + (band - bar_w) / 2
        y = axis
        parts = []
        for seg in bar.segments:
            if not seg.count:
                continue
            h = seg.count * scale
            y -= h
            parts.append(
                _segment(
                    link,
                    chart,
                    bar,
                    seg,
                    (x, y, bar_w, h),
                    series[seg.series].colour,
                    labelled=not compact and h >= 17 and bar_w >= 18 and _several(bar),
                )
            )
        # A total wider than its band would run into its neighbours': the tooltip and the
        # table still give it.
        if bar.total and text_width(str(bar.total), 12) <= band + 2:
            parts.append(
                text(
                    x + bar_w / 2,
                    y - 6,
                    str(bar.total),
                    text_anchor="middle",
                    font_size=12,
                    font_weight=600,
                    fill=INK,
                )
            )
        if i % every == 0 or i == n - 1 and every == 1:
            parts.append(
                text(
                    x + bar_w / 2,
                    axis + 18,
                    bar.label,
                    text_anchor="middle",
                    fill=INK,
                    font_size=12,
                )
            )
        out.append(el("g", {"class_": "bar"}, tooltip(_bar_total(chart, bar)), *parts))
    out.append(el("line", {"x1": left, "x2": width - right, "y1": axis, "y2": axis, "stroke": INK}))
    height = axis + 32
    return document(
        ident, chart.title, chart.description, width, height, *out, links=link, credit=credit
    )


def render_horizontal(
    chart: BarChart,
    ident: str,
    *,
    compact: bool = False,
    narrow: bool = False,
    base: str = "",
    credit: Credit | None = None,
) -> str:
    """Bars from a common axis, each labelled on its left; `narrow`, each labelled above it,
    so that the bars have the whole width of a phone."""
    width = NARROW_WIDTH if narrow else COMPACT_WIDTH if compact else WIDTH
    link = Links(base)
    series = chart.series_by_key()
    left, right = 8, 40 if narrow else 48
    label_w = width - left - right if narrow else 250 if compact else 300
    row_h, bar_h = (30, 20) if compact or narrow else (38, 24)
    top_legend, legend_h = legend(
        [(s.colour, s.label) for s in chart.used_series()], left, 8, width - left - right
    )
    y = 8 + legend_h + 12
    x0 = left if narrow else left + label_w + 10
    plot_w = width - x0 - right
    ticks = nice_ticks(max((b.height for b in chart.bars), default=0), 5)
    scale = plot_w / ticks[-1]
    out, rows, group = [top_legend], [], None
    first_y = y
    for bar in chart.bars:
        if bar.group and bar.group != group:
            group = bar.group
            y += 8 if rows else 0
            rows.append(text(left, y + 18, group, font_weight=700, font_size=14, fill=INK))
            y += 28
        lines = wrap(bar.label, label_w, lines=2)
        if narrow:
            label_y = y + 7.5 * len(lines)
            y += 15 * len(lines) + 2
        mid = y + row_h / 2
        if not narrow:
            label_y = mid
        label = multiline(left, label_y, lines, line_height=15, fill=INK)
        box = lines_box(left, label_y, lines, label_w)
        parts = [link(bar.href, tooltip(bar.label), label, hit=box)]
        x = x0
        for seg in bar.segments:
            if not seg.count:
                continue
            w = seg.count * scale
            parts.append(
                _segment(
                    link,
                    chart,
                    bar,
                    seg,
                    (x, mid - bar_h / 2, w, bar_h),
                    series[seg.series].colour,
                    labelled=w >= text_width(str(seg.count), 12) + 8 and _several(bar),
                )
            )
            x += w
        parts.append(
            text(x + 6, mid + 4.5, str(bar.total), font_size=12, font_weight=600, fill=INK)
        )
        rows.append(el("g", {"class_": "bar"}, *parts))
        y += row_h
    for t in ticks:
        gx = x0 + t * scale
        out.append(el("line", {"x1": gx, "x2": gx, "y1": first_y, "y2": y, "stroke": GRID}))
        out.append(text(gx, y + 16, str(t), text_anchor="middle", fill=MUTED, font_size=12))
    out.append(el("line", {"x1": x0, "x2": x0, "y1": first_y, "y2": y, "stroke": INK}))
    out += rows
    return document(
        ident, chart.title, chart.description, width, y + 26, *out, links=link, credit=credit
    )


def _segment(link, chart: BarChart, bar: Bar, seg, box, colour: str, *, labelled: bool) -> str:
    """One segment: its rectangle in `box` (x, y, width, height), its count written on it when
    `labelled` (it fits), its tooltip, all a link to the listing it counts."""
    x, y, w, h = box
    shapes = [
        tooltip(_segment_label(chart, bar, seg.series, seg.count)),
        el(
            "rect",
            {
                "x": x,
                "y": y,
                "width": w,
                "height": h,
                "fill": colour,
                "stroke": SEPARATOR,
                "stroke-width": 1,
                "class_": f"segment series-{seg.series}",
            },
        ),
    ]
    if labelled:
        shapes.append(
            text(
                x + w / 2,
                y + h / 2 + 4.5,
                str(seg.count),
                text_anchor="middle",
                fill=text_on(colour),
                font_size=12,
                font_weight=600,
            )
        )
    return link(seg.href, *shapes)
