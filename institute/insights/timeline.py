"""The timeline of recommendations as SVG: a row per recommendation from the date it was made
(a diamond), with a dot at the earliest date of each reform that answers it. A reform dated
before the recommendation is an open dot, so the shape says it, not the colour. A mark's class
names its `kind`, so that kinds of response can be drawn apart."""

from __future__ import annotations

from django.utils.translation import gettext as _

from institute.insights.charts import Timeline
from institute.insights.credit import Credit
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
    lines_box,
    multiline,
    text,
    text_width,
    tooltip,
    wrap,
)

# A colour of its own, in no palette: a reform here is neither an area nor a status.
REFORM = "#00665e"
LINE = "#6e7785"  # 4.6:1 on white: the span of a row is read, not just seen


def year_position(value: str) -> float:
    """A date of reduced precision as a year with a fraction, in the middle of what it names."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return parts[0] + 0.5
    if len(parts) == 2:
        return parts[0] + (parts[1] - 0.5) / 12
    return parts[0] + (parts[1] - 1) / 12 + (parts[2] - 0.5) / 372


def _diamond(x: float, y: float, r: float = 7) -> str:
    return el(
        "path",
        {
            "d": f"M{x:.1f} {y - r:.1f}L{x + r:.1f} {y:.1f}"
            f"L{x:.1f} {y + r:.1f}L{x - r:.1f} {y:.1f}Z",
            "fill": INK,
            "class_": "made",
        },
    )


def _legend(x: float, y: float, width: float) -> tuple[str, float]:
    """The three shapes and what they mean, in rows from (x, y); the markup and its height."""
    items = [
        (lambda cx, cy: _diamond(cx + 7, cy + 7, 6), _("Recommendation made (its report’s date)")),
        (
            lambda cx, cy: el(
                "circle", {"cx": cx + 7, "cy": cy + 7, "r": 6, "fill": REFORM, "stroke": "#ffffff"}
            ),
            _("A reform answering it, at its earliest date"),
        ),
        (
            lambda cx, cy: el(
                "circle",
                {
                    "cx": cx + 7,
                    "cy": cy + 7,
                    "r": 5,
                    "fill": "#ffffff",
                    "stroke": REFORM,
                    "stroke-width": 2,
                },
            ),
            _("Anticipates it, bears on it, or dated before it"),
        ),
    ]
    out, cx, cy = [], x, y
    for shape, label in items:
        step = 20 + text_width(label) + 24
        if cx > x and cx + step > x + width:
            cx, cy = x, cy + 22
        out += [shape(cx, cy), text(cx + 20, cy + 11.5, label)]
        cx += step
    return el("g", {"class_": "legend"}, *out), cy - y + 22


def render_timeline(
    chart: Timeline,
    ident: str,
    *,
    compact: bool = False,
    narrow: bool = False,
    base: str = "",
    credit: Credit | None = None,
) -> str:
    """A row per recommendation, labelled on its left; `narrow`, labelled above it, so that the
    years have the whole width of a phone."""
    width = NARROW_WIDTH if narrow else COMPACT_WIDTH if compact else WIDTH
    link = Links(base)
    dates = [r.date for r in chart.rows if r.date] + [
        m.date for r in chart.rows for m in r.marks if m.date
    ]
    years = [int(d[:4]) for d in dates]
    first, last = (min(years), max(years) + 1) if years else (2019, 2021)
    left, right = 8, (14 if narrow else 20)
    label_w = width - left - right if narrow else 200 if compact else 320
    x0 = left + 8 if narrow else left + label_w + 16
    plot_w = width - x0 - right
    span = max(last - first, 1)

    def x_of(value: str) -> float:
        return x0 + (year_position(value) - first) / span * plot_w

    row_h = 30 if compact else 36
    legend, legend_h = _legend(left, 8, width - left - right)
    top = 8 + legend_h + 22
    y = top
    rows, bands = [], []
    for row in chart.rows:
        lines = wrap(row.label, label_w, 2)
        start = y
        # An untranslated title says which language it is in.
        language = {"lang": row.label_language} if row.label_language else {}
        if narrow:
            label_y = y + 4 + 7.5 * len(lines)
            y += 15 * len(lines) + 4
        mid = y + row_h / 2
        if not narrow:
            label_y = mid
        label = multiline(left, label_y, lines, line_height=15, fill=INK, **language)
        box = lines_box(left, label_y, lines, label_w)
        made = row.date_label or _("undated")
        parts = [link(row.href, tooltip(f"{row.label} ({made})"), label, hit=box)]
        xs = [x_of(m.date) for m in row.marks if m.date] + ([x_of(row.date)] if row.date else [])
        if len(xs) > 1:
            parts.append(
                el(
                    "line",
                    {
                        "x1": min(xs),
                        "x2": max(xs),
                        "y1": mid,
                        "y2": mid,
                        "stroke": LINE,
                        "stroke-width": 2,
                    },
                )
            )
        if row.date:
            parts.append(
                el(
                    "g",
                    None,
                    tooltip(_("Made %(date)s") % {"date": row.date_label}),
                    _diamond(x_of(row.date), mid),
                )
            )
        taken: dict[int, int] = {}
        for mark in row.marks:
            if not mark.date:
                continue
            mx = x_of(mark.date)
            # Reforms of the same date are fanned out above and below the line, not hidden.
            n = taken.get(round(mx / 6), 0)
            taken[round(mx / 6)] = n + 1
            my = mid + (0, -9, 9, -18, 18)[n % 5]
            # Only an answer is drawn filled: a reform that anticipates the recommendation or
            # merely bears on it is not one, whatever its date, nor is one dated before it.
            before = bool(row.date) and mark.date < row.date[: len(mark.date)]
            open_dot = before or mark.kind != "answers"
            shape = {
                "cx": mx,
                "cy": my,
                "r": 6,
                "fill": REFORM,
                "stroke": "#ffffff",
                "stroke-width": 1.5,
            }
            if open_dot:
                shape.update({"r": 5, "fill": "#ffffff", "stroke": REFORM, "stroke-width": 2})
            shape["class_"] = f"mark mark-{mark.kind}{' mark-before' if before else ''}"
            parts.append(
                link(
                    mark.href,
                    tooltip(f"{mark.label} ({mark.date_label})"),
                    el("circle", shape),
                )
            )
        rows.append(el("g", {"class_": "row"}, *parts))
        y += row_h
        bands.append((start, y - start))
    grid = []
    step = 1 if span <= (6 if narrow else 12) else 2 if span <= (12 if narrow else 24) else 5
    for year in range(first, last + 1, step):
        gx = x0 + (year - first) / span * plot_w
        grid.append(el("line", {"x1": gx, "x2": gx, "y1": top, "y2": y, "stroke": GRID}))
        if year < last:
            grid.append(
                text(
                    gx + plot_w / span * step / 2,
                    y + 18,
                    str(year),
                    text_anchor="middle",
                    fill=MUTED,
                    font_size=12,
                )
            )
    for i, (band_y, band_h) in enumerate(bands):
        if i % 2:
            grid.insert(
                0,
                el(
                    "rect",
                    {
                        "x": left - 4,
                        "y": band_y,
                        "width": width - left,
                        "height": band_h,
                        "fill": "#f6f7f9",
                    },
                ),
            )
    body = [legend, *grid, *rows]
    return document(
        ident, chart.title, chart.description, width, y + 30, *body, links=link, credit=credit
    )
