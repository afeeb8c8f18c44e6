"""A small SVG writer: elements as escaped strings, the chart's frame (title, description, the
accessible name), a legend, axis ticks and label wrapping. No styles: presentation attributes
only, so that a downloaded file looks as the page does and the CSP has nothing to block."""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape, quoteattr

from institute.insights.credit import Credit

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
INK = "#1b1f24"
MUTED = "#4a5360"
GRID = "#e1e5ea"
WIDTH = 960
COMPACT_WIDTH = 640  # drawn two abreast on the home page
NARROW_WIDTH = 360  # a phone's width, drawn at about its own size there
CHAR = 6.9  # the mean advance of a 13px character: enough to lay out labels without a font


# The presentation attributes an invisible copy does without: the pointer hits its fill
# (black by default, whatever its opacity); without its stroke a mark's outline is a pixel
# inside the one drawn, its shape and size are the same.
_UNSEEN = re.compile(r' (?:fill|stroke|stroke-width|class|font-weight)="[^"]*"')
# Shapes with an inside, which the pointer finds anywhere within.
_AREAS = ("<rect", "<circle", "<path")


def el(name: str, attrs: dict | None = None, *children: str) -> str:
    """`<name attrs>children</name>`; attributes spelled with `_` get `-`, `class_` is `class`,
    None leaves the attribute out. Children are already-written SVG."""
    parts = [name]
    for key, value in (attrs or {}).items():
        if value is None:
            continue
        key = "class" if key == "class_" else key.replace("_", "-")
        if isinstance(value, float):
            value = f"{value:.1f}".rstrip("0").rstrip(".")
        parts.append(f"{key}={quoteattr(str(value))}")
    head = " ".join(parts)
    body = "".join(children)
    return f"<{head}>{body}</{name}>" if body else f"<{head}/>"


def text(x, y, content: str, **attrs) -> str:
    return el("text", {"x": x, "y": y, **attrs}, escape(content))


def tooltip(content: str) -> str:
    return el("title", None, escape(content))


class Links:
    """The links of a chart, drawn apart from it: an image (role="img") may hold no link, so on
    the page the links lie in a second, hidden SVG over the first, in the same coordinates,
    each over an invisible copy of what it links. Not in the tab order and hidden from assistive
    technology: the table beside the chart holds the same links for them. A downloaded file
    (`base` makes the links absolute) has them in a layer of its one SVG."""

    def __init__(self, base: str = ""):
        self.base = base
        self.hits: list[str] = []

    def __call__(self, href: str, *children: str, hit: str = "") -> str:
        """`children` drawn, and over them, if there is an `href`, a link of the same shape.
        The link, on top, is what the pointer reaches: it holds the tooltips (<title>), and of
        the shapes only what makes their outline (no colours: the layer is never seen), so that
        a page of many marks does not carry each one's words and colours twice. Text written
        on a shape is left out of it (a mark's count is written on it only where it fits);
        `hit`, a shape of its own, stands for text alone (a label: the box it is written in)."""
        if not href:
            return el("g", None, *children)
        shapes = [c for c in children if not c.startswith("<title")]
        tips = [c for c in children if c.startswith("<title")]
        outlines = [_UNSEEN.sub("", c) for c in shapes]
        if hit:
            outlines = [hit]
        elif any(c.startswith(_AREAS) for c in outlines):
            outlines = [c for c in outlines if not c.startswith("<text")]
        self.hits.append(el("a", {"href": self.base + href, "tabindex": "-1"}, *tips, *outlines))
        return el("g", None, *shapes)


def _credited(credit: Credit, width: float, height: float, body: tuple[str, ...]):
    """`body` (drawn from the top) between the credit's heading (title, filters) and its
    footing (source, licence): the new body, its height, and how far the chart moved down."""
    lines = wrap(credit.filters, width - 24, lines=4)
    head = [text(12, 28, credit.title, font_size=18, font_weight=700, fill=INK)]
    head += [text(12, 52 + 18 * i, line, fill=MUTED) for i, line in enumerate(lines)]
    top = 44 + 18 * len(lines)
    foot = [
        text(12, top + height + 14 + 17 * i, line, fill=MUTED, font_size=12)
        for i, line in enumerate(credit.lines)
    ]
    moved = el("g", {"transform": f"translate(0 {top})"}, *body)
    parts = (el("g", {"class_": "credit-head"}, *head), moved, el("g", {"class_": "credit"}, *foot))
    return parts, top + height + 14 + 17 * len(credit.lines), top


def document(
    ident: str,
    title: str,
    description: str,
    width: float,
    height: float,
    *body: str,
    links: Links,
    credit: Credit | None = None,
) -> str:
    """The chart's <svg>: an image named by its title and described by its description, and
    its links (see Links); with a `credit`, that drawn around it, as a download has it."""
    if credit is not None:
        body, height, top = _credited(credit, width, height, body)
        links.hits = [el("g", {"transform": f"translate(0 {top})"}, *links.hits)]
    size = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {width:.0f} {height:.0f}",
        "width": f"{width:.0f}",
        "height": f"{height:.0f}",
    }
    # Invisible but there for the pointer (opacity does not stop pointer events).
    layer = el("g", {"class_": "chart-hits", "opacity": 0}, *links.hits)
    image = el(
        "svg",
        {
            **size,
            "role": "img",
            "aria-labelledby": f"{ident}-title {ident}-desc",
            "class_": "chart",
            "font-family": FONT,
            "font-size": 13,
            "fill": INK,
        },
        el("title", {"id": f"{ident}-title"}, escape(title)),
        el("desc", {"id": f"{ident}-desc"}, escape(description)),
        el("rect", {"width": "100%", "height": "100%", "fill": "#ffffff"}),
        *body,
        layer if links.base else "",
    )
    if links.base:
        return image
    over = el(
        "svg",
        {**size, "aria-hidden": "true", "class_": "chart-links", "font-family": FONT},
        layer,
    )
    return image + over


def text_width(content: str, size: float = 13) -> float:
    return len(content) * CHAR * size / 13


def wrap(content: str, width: float, lines: int = 2) -> list[str]:
    """`content` in at most `lines` lines of `width`, the last cut with an ellipsis if need be."""
    most = max(4, int(width / CHAR))
    out: list[str] = []
    words = content.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= most:
            line += " " + words.pop(0)
        out.append(line)
    if words or (out and len(out[-1]) > most):
        last = out[-1] if len(out[-1]) <= most - 1 else out[-1][: most - 1].rstrip()
        out[-1] = last.rstrip(",;:") + "…"
    return out


def lines_box(x, y, lines: list[str], width: float, line_height: float = 15) -> str:
    """The box `multiline(x, y, lines)` is written in, `width` wide (the column it wraps to),
    as a link's shape for the pointer, so that a label's words are not written a second time."""
    height = len(lines) * line_height
    return el("rect", {"x": x, "y": y - height / 2, "width": width, "height": height})


def multiline(x, y, lines: list[str], line_height: float = 15, **attrs) -> str:
    """Lines centred vertically on `y`."""
    first = y - (len(lines) - 1) * line_height / 2
    spans = [
        el("tspan", {"x": x, "y": first + i * line_height}, escape(line))
        for i, line in enumerate(lines)
    ]
    return el("text", {"dominant-baseline": "middle", **attrs}, *spans)


def legend(items: list[tuple[str, str]], x: float, y: float, width: float) -> tuple[str, float]:
    """Swatches and labels in rows from (x, y); the markup and the height it takes."""
    out, cx, cy = [], x, y
    for colour, label in items:
        step = 14 + 6 + text_width(label) + 22
        if cx > x and cx + step > x + width:
            cx, cy = x, cy + 22
        out.append(
            el("rect", {"x": cx, "y": cy, "width": 14, "height": 14, "rx": 2, "fill": colour})
        )
        out.append(text(cx + 20, cy + 11.5, label, fill=INK))
        cx += step
    return el("g", {"class_": "legend"}, *out), cy - y + 22


def nice_ticks(maximum: int, most: int = 5) -> list[int]:
    """0 and round steps (1, 2, 5 × 10ⁿ) up to at least `maximum`, at most `most` + 1 ticks."""
    maximum = max(maximum, 1)
    step = 1
    for power in range(0, 12):
        for base in (1, 2, 5):
            step = base * 10**power
            if math.ceil(maximum / step) <= most:
                top = math.ceil(maximum / step) * step
                return list(range(0, top + 1, step))
    return [0, maximum]
