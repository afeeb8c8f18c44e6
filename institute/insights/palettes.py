"""The colours of the charts: one palette per dimension, so that no colour means two things on
one page (an area is never drawn in a status's colour), each in its dimension's order.

Statuses are ordered as a reform moves: from announced to implemented a ramp from light to dark
blue, then the two setbacks (stalled, reversed) in warm colours apart from the ramp; the answers
to a recommendation run from implemented to not assessed. Areas have no order: four hues as far
apart as the constraints allow.

The constraints, which tests/test_insights.py computes: every colour stands at 3:1 or more
against the white page; within a palette, every pair of colours is at least MIN_DISTANCE apart
(CIEDE2000) in normal vision and in simulated deuteranopia and protanopia (the common colour
blindness); across palettes no two colours are near alike. A number written on a segment is in
white or ink, whichever reads better on its colour (4.5:1 or more). Segments are also parted by a
white gap, named in their tooltips and in the table, so colour is never the only cue.
"""

from __future__ import annotations

from recommendations.models import Implementation
from reforms.models import Area, ReformStatus

WHITE = "#ffffff"
INK = "#1b1f24"
# The smallest CIEDE2000 distance between two colours of a palette, in each vision. The status
# ramp sets it: five ordered steps between the page's 3:1 and near-black leave about 8.
MIN_DISTANCE = 8

AREA_COLOURS = {
    Area.ECONOMY: "#557a05",
    Area.HUMAN_RIGHTS: "#a64cae",
    Area.POLITICAL_PARTICIPATION: "#71045e",
    Area.JUSTICE_ANTI_CORRUPTION: "#343f1c",
}
# In the order a reform moves through them: this is the order of the legend and of the stacks.
STATUS_COLOURS = {
    ReformStatus.ANNOUNCED: "#479fb8",
    ReformStatus.ADOPTED: "#2e7fa0",
    ReformStatus.IN_PROGRESS: "#1a5f85",
    ReformStatus.PARTIALLY_IMPLEMENTED: "#0e416a",
    ReformStatus.IMPLEMENTED: "#08244c",
    ReformStatus.STALLED: "#a65e12",
    ReformStatus.REVERSED: "#8a2a24",
}
IMPLEMENTATION_COLOURS = {
    Implementation.IMPLEMENTED: "#287d50",
    Implementation.PARTLY_IMPLEMENTED: "#c08a00",
    Implementation.NOT_IMPLEMENTED: "#6d2a8a",
    Implementation.NOT_ASSESSED: "#707070",
}
PALETTES = {
    "area": AREA_COLOURS,
    "status": STATUS_COLOURS,
    "implementation": IMPLEMENTATION_COLOURS,
}


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_on(colour: str) -> str:
    """White or ink, whichever reads better on `colour`: the colour of a number written on it."""
    return WHITE if contrast(colour, WHITE) >= contrast(colour, INK) else INK
