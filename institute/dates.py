"""Dates of reduced precision: a year, a month or a day, as the source gives them.

Stored as ISO text ("2019", "2019-12", "2019-12-20") so that they sort correctly as strings,
round-trip through CSV unchanged and can never claim more precision than was entered.
"""

from __future__ import annotations

import calendar
import datetime
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.dates import MONTHS, MONTHS_ALT
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

# The database enforces the shape; Python also checks the calendar (no 30 February).
PARTIAL_DATE_REGEX = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
_PATTERN = re.compile(PARTIAL_DATE_REGEX)


class Precision(models.TextChoices):
    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    DAY = "day", _("Day")


class PartialDate(str):
    """An ISO date string of reduced precision that knows how to show itself."""

    def __new__(cls, value: str) -> PartialDate:
        value = str(value).strip()
        if not _PATTERN.match(value):
            raise ValueError(
                f"“{value}” is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD "
                "(a day needs its month)."
            )
        parts = [int(p) for p in value.split("-")]
        if parts[0] < 1:
            raise ValueError(f"“{value}”: year 0000 does not exist.")
        if len(parts) == 3 and parts[2] > calendar.monthrange(parts[0], parts[1])[1]:
            raise ValueError(
                f"“{value}”: {calendar.month_name[parts[1]]} {parts[0]} has no day {parts[2]}."
            )
        return super().__new__(cls, value)

    @property
    def precision(self) -> str:
        return (Precision.YEAR, Precision.MONTH, Precision.DAY)[self.count("-")]

    @property
    def year(self) -> int:
        return int(self[:4])

    @property
    def month(self) -> int | None:
        return int(self[5:7]) if len(self) >= 7 else None

    @property
    def day(self) -> int | None:
        return int(self[8:10]) if len(self) == 10 else None

    @property
    def label(self) -> str:
        """Human form at the stored precision: "2019", "December 2019", "20 December 2019"."""
        if self.precision == Precision.YEAR:
            return str(self.year)
        if self.precision == Precision.MONTH:
            # Django's own month names, translated by its catalogue: the month named alone
            # ("Сентябрь 2019"), and as a day's month ("20 декабря 2019"), which some languages
            # decline.
            return pgettext("partial date: month and year", "%(month)s %(year)s") % {
                "month": _month_name(MONTHS[self.month]),
                "year": self.year,
            }
        return pgettext("partial date: day, month and year", "%(day)s %(month)s %(year)s") % {
            "day": self.day,
            "month": _month_name(MONTHS_ALT[self.month]),
            "year": self.year,
        }

    def earliest(self) -> datetime.date:
        """The first day the value covers, for range arithmetic."""
        return datetime.date(self.year, self.month or 1, self.day or 1)


def parse_partial_date(value) -> PartialDate | None:
    """A PartialDate for a value, None for an empty one; ValidationError for nonsense."""
    if value in (None, ""):
        return None
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, datetime.date):
        return PartialDate(value.isoformat())
    try:
        return PartialDate(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_partial_date") from exc


def _month_name(name) -> str:
    """A month's name as a sentence shows it: capitalised in English, a common noun (lower
    case) in Russian and Kazakh, whose Django catalogues capitalise it as a calendar's heading."""
    language = translation.get_language() or "en"
    return str(name) if language.startswith("en") else str(name).lower()


def date_label(value) -> str:
    """How a stored date reads everywhere it is shown ("September 2019"), from a PartialDate or
    the ISO text of one (such as a reform's `first_date`); "" for none, and text that is not
    a date stays as it is rather than fail a page."""
    if not value:
        return ""
    try:
        return PartialDate(value).label
    except ValueError:
        return str(value)


class PartialDateField(models.CharField):
    """A CharField holding a PartialDate; blank means unknown (stored as "")."""

    description = _("Date of reduced precision (YYYY, YYYY-MM or YYYY-MM-DD)")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 10)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault(
            "help_text", _("YYYY, YYYY-MM or YYYY-MM-DD: only as precise as the source.")
        )
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        try:
            return PartialDate(value)
        except ValueError:
            return value

    def to_python(self, value):
        if isinstance(value, datetime.date):
            return PartialDate(value.isoformat())
        return parse_partial_date(value) or ""

    def get_prep_value(self, value):
        # No parsing here: lookups may pass fragments, and a bad value written by update()
        # must reach the database's CHECK constraint rather than be silently altered.
        return "" if value is None else str(value)


class DateQualifier(models.TextChoices):
    """How the source bounds a date: the event happened on it (at the date's precision), by it
    (no later: "as of 2016"), since it (no earlier: "since that time, Kazakhstan has
    established…") or about it (roughly)."""

    ON = "on", _("on")
    BY = "by", _("by")
    SINCE = "since", _("since")
    ABOUT = "about", _("about")


# A date in words with its qualifier, as visitors read it: one phrase each, so that a language
# can put the word after the date or decline it.
QUALIFIED_DATE_PHRASES = {
    DateQualifier.BY: pgettext_lazy("date qualifier", "by %(date)s"),
    DateQualifier.SINCE: pgettext_lazy("date qualifier", "since %(date)s"),
    DateQualifier.ABOUT: pgettext_lazy("date qualifier", "about %(date)s"),
}


# A "by" date bounds the event from above only (it may be earlier), a "since" date from below
# only (it may be later): the year filters read them so (README: "Dates and their bounds").
UPPER_BOUND_ONLY = DateQualifier.BY
LOWER_BOUND_ONLY = DateQualifier.SINCE


def qualified_date_label(value, qualifier: str) -> str:
    """A date in words with how the source bounds it: "2016", "by 2016", "since May 2020";
    "" for no date."""
    label = date_label(value)
    if not label or not qualifier or qualifier == DateQualifier.ON:
        return label
    return QUALIFIED_DATE_PHRASES[DateQualifier(qualifier)] % {"date": label}


def date_qualifier_field() -> models.CharField:
    return models.CharField(
        max_length=5,
        choices=DateQualifier.choices,
        default=DateQualifier.ON,
        db_default=DateQualifier.ON,
        help_text=_("How the source bounds the date: on it, by it, since it, or about it."),
    )


def date_qualifier_constraints(date: str, model_label: str) -> list[models.CheckConstraint]:
    """`<date>_qualifier` is a known qualifier, and "on" when `<date>_on` is empty: no date, no
    bound."""
    field, on = f"{date}_qualifier", f"{date}_on"
    return [
        models.CheckConstraint(
            name=f"{model_label}_{field}_known",
            condition=models.Q(**{f"{field}__in": DateQualifier.values}),
        ),
        models.CheckConstraint(
            name=f"{model_label}_{field}_has_date",
            condition=~models.Q(**{on: ""}) | models.Q(**{field: DateQualifier.ON}),
            violation_error_message=_("A date qualifier other than “on” needs its date."),
        ),
    ]


def partial_date_constraint(field_name: str, model_label: str) -> models.CheckConstraint:
    """A CHECK that the column is empty or of the ISO shape, so no path can store nonsense."""
    return models.CheckConstraint(
        name=f"{model_label}_{field_name}_partial_date",
        condition=models.Q(**{field_name: ""})
        | models.Q(**{f"{field_name}__regex": PARTIAL_DATE_REGEX}),
    )


def undated_last(field: str) -> models.Expression:
    """An order term that puts rows whose partial date `field` (a path: "first_date",
    "reform__first_date") is empty after the dated ones, ascending. The reforms' oldest-first
    index holds the same expression, so PostgreSQL reads that order from it."""
    return models.ExpressionWrapper(models.Q(**{field: ""}), output_field=models.BooleanField())
