"""What a downloaded chart says of itself, so that it can travel alone (into a slide, a report,
another site): its title, the filters in words, where and when it was made, and the licence under
which it may be reused. Drawn into the SVG and so into the PNG; the page shows the same around
the chart instead."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import dateformat
from django.utils.translation import gettext as _

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
    if filters:
        said = _("Filters: %(filters)s") % {"filters": "; ".join(str(f) for f in filters)}
    else:
        said = _("All published entries.")
    return Credit(
        title=title,
        filters=said,
        source=_("Source: %(site)s (%(address)s), %(date)s")
        % {
            "site": _("Kazakhstan Reform Tracker"),
            "address": address,
            # Translators: a day in Django's date format: "j F Y" is "5 March 2026" (in Russian,
            # "j E Y" declines the month).
            "date": dateformat.format(day, _("j F Y")),
        },
        licence=_("Licence: %(licence)s (%(url)s): reuse with credit to the source.")
        % {"licence": LICENCE, "url": LICENCE_URL},
    )
