"""The charts' palettes (institute/insights/palettes.py) told apart by eye, measured: CIEDE2000
distances between the colours of each palette in normal vision and in simulated deuteranopia and
protanopia (Machado et al. 2009, full severity, by coloraide), and between palettes."""

from itertools import combinations

import pytest
from coloraide import Color

from institute.insights.palettes import MIN_DISTANCE, PALETTES
from institute.insights.timeline import REFORM
from recommendations.models import Implementation
from reforms.models import Area, ReformStatus

VISIONS = (None, "deutan", "protan")
# Two colours of different palettes closer than this could be taken for one another on a page
# that shows both (the first round had Economy and Adopted in one blue).
APART_ACROSS = 10


def seen(colour: str, vision: str | None) -> Color:
    c = Color(colour)
    return c.filter(vision, method="machado") if vision else c


def distance(a: str, b: str, vision: str | None = None) -> float:
    return seen(a, vision).delta_e(seen(b, vision), method="2000")


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("dimension", sorted(PALETTES))
def test_each_palette_is_told_apart_in_each_vision(dimension, vision):
    colours = list(PALETTES[dimension].values())
    closest = min(combinations(colours, 2), key=lambda pair: distance(*pair, vision))
    gap = distance(*closest, vision)
    print(f"{dimension} ({vision or 'normal'}): closest {closest} at {gap:.1f}")
    assert distance(*closest, vision) >= MIN_DISTANCE


def test_no_colour_means_two_things():
    """Across palettes (and the timeline's reform mark), no two colours alike."""
    named = [(d, c) for d, palette in PALETTES.items() for c in palette.values()]
    named.append(("timeline", REFORM))
    for (d1, a), (d2, b) in combinations(named, 2):
        if d1 != d2:
            assert distance(a, b) >= APART_ACROSS, (d1, a, d2, b)


def test_a_distance_this_test_reads_is_a_real_one():
    """The measure separates what it should: one blue from itself, red from green, and red from
    green far less for a deuteranope (the confusion the simulation models)."""
    assert distance("#0b5cab", "#0b5cab") == 0
    assert distance("#d62728", "#2ca02c") > 50
    assert distance("#d62728", "#2ca02c", "deutan") < distance("#d62728", "#2ca02c") / 2


def test_every_value_has_its_colour_and_statuses_follow_a_reform():
    assert set(PALETTES["area"]) == set(Area.values)
    assert set(PALETTES["status"]) == set(ReformStatus.values)
    assert set(PALETTES["implementation"]) == set(Implementation.values)
    assert list(PALETTES["status"]) == [
        "announced",
        "adopted",
        "in-progress",
        "partially-implemented",
        "implemented",
        "stalled",
        "reversed",
    ]
    # The ramp runs from light to dark as a reform moves on.
    ramp = list(PALETTES["status"].values())[:5]
    lightness = [Color(c).convert("lab-d65")["lightness"] for c in ramp]
    assert lightness == sorted(lightness, reverse=True)
