"""What a downloaded chart says of itself, so that it can travel alone (into a slide, a report,
another site): its title, the filters in words, where and when it was made, and the licence under
which it may be reused. Drawn into the SVG and so into the PNG; the page shows the same around
the chart instead."""

from __future__ import annotations

from dataclasses import dataclass

SITE_NAME = "Kazakhstan Reform Tracker"
LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Credit:
    title: str
    filters: str  # the filters in force, in words
    source: str  # "Source: <site> (<address>), <date>"
    licence: str  # the licence and where to read it

    @property
    def lines(self) -> list[str]:
        return [self.source, self.licence]


def chart_credit(*, title: str, filters: list[str], address: str, day) -> Credit:
    """The credit of a chart drawn at `address` (absolute) on `day` with `filters` (the labels
    of the filters in force, as the page's chips say them)."""
    return Credit(
        title=title,
        filters=("Filters: " + "; ".join(filters)) if filters else "All published entries.",
        source=f"Source: {SITE_NAME} ({address}), {day.day} {day:%B %Y}",
        licence=f"Licence: {LICENCE} ({LICENCE_URL}): reuse with credit to the source.",
    )
