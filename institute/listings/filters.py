"""What both public listings share: facets with counts, removable chips, clear errors.

A listing's FilterSet is the one source of truth for what its URL parameters mean: the HTML page
and the export of the same parameters use it alike. Values within one facet are alternatives
(`?area=economy&area=human-rights` is either); different filters narrow together.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import django_filters
from django.db.models import Count, QuerySet


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]


@dataclass(frozen=True)
class Chip:
    label: str
    remove_url: str


class FacetedFilterSet(django_filters.FilterSet):
    """A FilterSet that ignores invalid values (and says so), counts facets and makes chips.

    Subclasses set `facets`: filter name → (label, field path whose distinct entries are
    counted per value). A facet's values and their labels are its form field's choices
    (`facet_choices`); a chip's label is its field's label and the value's label.
    """

    facets: dict[str, tuple[str, str]] = {}
    not_filters = ("sort", "page")

    @property
    def form(self):
        form = super().form
        if not getattr(self, "_choices_resolved", False):
            # Choices from the database (topics, themes, reports) are read once per request, not
            # once per facet, chip and validation that looks at them.
            for field in form.fields.values():
                if hasattr(field, "choices"):
                    field.choices = list(field.choices)
            self._choices_resolved = True
        return form

    # --- parameters -------------------------------------------------------------------------
    def params(self) -> dict[str, list[str]]:
        data = self.data
        return {k: data.getlist(k) for k in data} if hasattr(data, "getlist") else dict(data)

    def url_with(self, **changes) -> str:
        params = self.params()
        params.pop("page", None)
        params.update(changes)
        return "?" + urlencode([(k, v) for k, vs in params.items() for v in vs if v != ""])

    # --- validity ---------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Plain-words messages for every value that was ignored."""
        if not self.is_bound:
            return []
        self.is_valid()
        out = []
        for name, errors in self.form.errors.items():
            field = self.form.fields.get(name)
            label = field.label if field and field.label else name
            given = ", ".join(f"“{v}”" for v in self.params().get(name, []))
            out.append(f"Ignored {label.lower()} {given}: {' '.join(errors)}")
        return out

    def cleaned(self) -> dict:
        self.is_valid()
        return {
            k: v
            for k, v in getattr(self.form, "cleaned_data", {}).items()
            if k not in self.form.errors
        }

    def filter_queryset(self, queryset):
        # Invalid values are dropped (and reported by problems()), never a 500.
        for name, value in self.cleaned().items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def qs_without(self, exclude: str) -> QuerySet:
        """The rows all active filters but `exclude` give: what a facet's counts are over."""
        queryset = self.queryset.all()
        for name, value in self.cleaned().items():
            if name != exclude and name not in self.not_filters:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    # --- facets -----------------------------------------------------------------------------
    def facet_choices(self, name: str) -> list[tuple[str, str]]:
        """(value, label) of every value a facet can take, in display order."""
        return list(self.form.fields[name].choices)

    def facet_counts(self, name: str, field: str) -> dict[str, int]:
        rows = (
            self.qs_without(name)
            .order_by()
            .values_list(field)
            .annotate(n=Count("pk", distinct=True))
        )
        return {str(value): n for value, n in rows if value not in (None, "")}

    def facet_list(self) -> list[Facet]:
        selected_params = self.params()
        out = []
        for name, (label, field) in self.facets.items():
            counts = self.facet_counts(name, field)
            selected = set(selected_params.get(name, []))
            values = [
                FacetValue(str(value), str(text), counts.get(str(value), 0), str(value) in selected)
                for value, text in self.facet_choices(name)
            ]
            out.append(Facet(name, label, values))
        return out

    # --- chips ------------------------------------------------------------------------------
    def value_label(self, name: str, value: str) -> str:
        for choice, text in self.facet_choices(name) if name in self.facets else []:
            if str(choice) == value:
                return str(text)
        return value

    def chips(self) -> list[Chip]:
        params = self.params()
        valid = self.cleaned()
        out = []
        for name, values in params.items():
            if name in self.not_filters or name not in self.filters or name not in valid:
                continue
            field = self.form.fields[name]
            for value in values:
                if value == "":
                    continue
                rest = [v for v in values if v != value]
                out.append(
                    Chip(
                        f"{field.label}: {self.value_label(name, value)}",
                        self.url_with(**{name: rest}),
                    )
                )
        return out
