"""What both public listings share: facets with counts, removable chips, clear errors.

A listing's FilterSet is the one source of truth for what its URL parameters mean: the HTML page
and the export of the same parameters use it alike. Values within one facet are alternatives
(`?area=economy&area=human-rights` is either); different filters narrow together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import django_filters
from django.core.cache import cache
from django.db.models import Aggregate, Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute import reads_at_once
from institute.listings.generation import generation
from institute.listings.search import normalise, with_headline
from institute.listings.suggestions import suggest

# The marker changes with every write, so an entry is never read stale; the time only lets
# entries of old states go.
SUMMARY_TTL = 3600


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    help: str = ""  # what the value means, where its label alone may not say (statuses)


def quoted(text: str) -> str:
    """Text as typed or titled, in the language's quotation marks: “tenge”."""
    return _("“%(text)s”") % {"text": text}


def either(values: list[str]) -> str:
    """Alternatives in words: "Economy or Human rights or Justice" ("" for none)."""
    out = ""
    for value in values:
        out = _("%(first)s or %(second)s") % {"first": out, "second": value} if out else value
    return out


def with_values(phrase, values: str) -> str:
    """A listing's scope phrase ("filed under %(values)s") with its values. A phrase written
    with `{}` for the values ("filed under {}") is taken too."""
    phrase = str(phrase)
    return phrase % {"values": values} if "%(values)s" in phrase else phrase.format(values)


# A facet shows this many values; the rest behind a visible "N more" (never a scroll box that
# hides values without a cue). One more would be no shorter than its "1 more".
FACET_SHOWN = 8


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]
    note: str = ""  # how the facet counts, where it is not one value a row

    @property
    def listed(self) -> list[FacetValue]:
        """The values worth offering: those with results, and any the visitor ticked."""
        return [v for v in self.values if v.count or v.selected]

    @property
    def first(self) -> list[FacetValue]:
        listed = self.listed
        return listed if len(listed) <= FACET_SHOWN + 1 else listed[:FACET_SHOWN]

    @property
    def more(self) -> list[FacetValue]:
        return self.listed[len(self.first) :]

    @property
    def more_selected(self) -> bool:
        """A ticked value among the folded ones: the fold opens, so no choice is hidden."""
        return any(v.selected for v in self.more)


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
    facet_notes: dict[str, str] = {}
    not_filters = ("sort", "page")
    cache_prefix = "listing"

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
            given = ", ".join(quoted(v) for v in self.params().get(name, []))
            out.append(
                _("Ignored %(label)s %(values)s: %(errors)s")
                % {"label": label.lower(), "values": given, "errors": " ".join(errors)}
            )
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

    def active(self) -> dict:
        """The filters that narrow the rows, with their values: no sort, page or empty value."""
        return {
            name: value
            for name, value in self.cleaned().items()
            if name not in self.not_filters and value not in (None, "", [], ())
        }

    def facet_condition(self, name: str, value) -> Q:
        """What a facet's filter keeps, as one condition on the listing's rows. A multi-choice
        filter on a column of the row by default; a facet through a relation says it as a
        subquery here, so that no join repeats a row."""
        return Q(**{f"{self.filters[name].field_name}__in": value})

    def facet_group_queryset(self, queryset: QuerySet) -> QuerySet:
        """`queryset` with what facets count by or filter on that is not a column (annotations)."""
        return queryset

    def _repeats(self, field: str) -> bool:
        """Whether grouping by `field` joins a to-many relation (a row per related entry)."""
        first = field.split("__")[0]
        meta = self.queryset.model._meta
        if first not in {f.name for f in meta.get_fields()}:
            return False  # an annotation: one value a row
        relation = meta.get_field(first)
        return bool(relation.many_to_many or relation.one_to_many)

    def facet_counts_all(self) -> tuple[dict[str, dict[str, int]], int]:
        """Every facet's counts and the number of rows the filters give, in two queries at most.

        A facet's counts are over the rows all active filters but its own keep. The facets on a
        column of the row are counted in one grouped query with a conditional count per facet
        (its own filter left out) and one with all filters (the rows shown), a facet through a
        foreign key too; a facet through a to-many relation (whose join gives a row per related
        entry) in a query of its own, unless the table can count it in the grouped query
        (related_facet_in_groups): one read of the rows rather than two.
        """
        active = self.active()
        base = self.queryset.all()
        for name, value in active.items():
            if name not in self.facets:
                base = self.filters[name].filter(base, value)
        base = self.facet_group_queryset(base.order_by())
        conditions = {
            name: self.facet_condition(name, value)
            for name, value in active.items()
            if name in self.facets
        }

        def others(name: str | None) -> Q | None:
            kept = [c for n, c in conditions.items() if n != name]
            return Q(*kept) if kept else None

        related = [name for name, (_label, field) in self.facets.items() if self._repeats(field)]
        flat = [name for name in self.facets if name not in related]
        counts: dict[str, dict[str, int]] = {name: {} for name in self.facets}
        fields = [self.facets[name][1] for name in flat]
        extra = {
            f"_x_{name}_{i}": (name, value, Q(condition, others(name) or Q()))
            for name in flat
            for i, (value, condition) in enumerate(self.more_facet_counts(name))
        }
        grouped = {
            name: said
            for name in related
            if (said := self.related_facet_in_groups(name, others(name))) is not None
        }
        rows = base.values(*fields).annotate(
            _all=Count("pk", filter=others(None)),
            **{f"_n_{name}": Count("pk", filter=others(name)) for name in flat},
            **{alias: Count("pk", filter=condition) for alias, (_, _, condition) in extra.items()},
            **{f"_r_{name}": aggregate for name, (aggregate, _) in grouped.items()},
        )
        total = 0
        for row in rows:
            total += row["_all"]
            for name, field in zip(flat, fields, strict=True):
                value = row[field]
                if value in (None, "") or not row[f"_n_{name}"]:
                    continue
                key = str(value)
                counts[name][key] = counts[name].get(key, 0) + row[f"_n_{name}"]
            for alias, (name, value, _condition) in extra.items():
                if row[alias]:
                    counts[name][value] = counts[name].get(value, 0) + row[alias]
            for name, (_aggregate, count) in grouped.items():
                for value, n in count(row[f"_r_{name}"]):
                    counts[name][value] = counts[name].get(value, 0) + n
        for name in related:
            if name in grouped:
                continue
            narrowed = base.filter(others(name)) if others(name) is not None else base
            for value, n in self.related_facet_counts(name, narrowed):
                if value not in (None, ""):
                    counts[name][str(value)] = n
        return counts, total

    def related_facet_counts(self, name: str, rows: QuerySet):
        """(value, how many of `rows` have it) for a facet through a to-many relation."""
        # One row per (entry, related value) pair, each pair once: a plain count is exact.
        return rows.values_list(self.facets[name][1]).annotate(n=Count("pk"))

    def related_facet_in_groups(
        self, name: str, condition: Q | None
    ) -> tuple[Aggregate, Callable[[Any], Iterable[tuple[str, int]]]] | None:
        """A facet through a to-many relation counted in the grouped query rather than in one
        of its own, where the table can say it so: an aggregate of a group's rows that meet
        `condition`, and what gives (value, how many) from one group's result. None (by
        default): counted by related_facet_counts, in a query of its own."""
        return None

    def more_facet_counts(self, name: str) -> list[tuple[str, Q]]:
        """What a facet on a column counts besides its column's value: (value, condition) pairs,
        a row counting once more under `value` where `condition` holds (a reform's secondary
        areas, its own one excluded). Counted in the grouped query, not in one of their own."""
        return []

    def facet_key(self) -> str:
        """The filter state, as much of it as the counts depend on (not sort, not page)."""
        parts = []
        for name, value in sorted(self.active().items()):
            values = sorted(str(v) for v in value) if isinstance(value, list | tuple) else [value]
            parts.append(f"{name}={values!r}")
        return "&".join(parts)

    def _cache_key(self, *parts) -> str:
        if not hasattr(self, "_marker"):
            # Read once a request, before anything it marks: rows committed later can only be
            # newer than what is cached under this value, never older.
            self._marker = generation()
        digest = hashlib.sha256("|".join([self.facet_key(), *map(str, parts)]).encode())
        return f"listing:{self.cache_prefix}:{self._marker}:{digest.hexdigest()}"

    def summary(
        self, *, page: int | None = None, per_page: int | None = None
    ) -> tuple[dict[str, dict[str, int]], int]:
        """(facet_counts_all(), row count), kept per filter state until a public table changes.

        With `page`, the number of the page about to be shown, that page's ids are read from the
        cache in the same query, for page_rows(); with `per_page` too, a search's first page of
        ids kept nowhere is read at once with the counts (`_counted`).
        """
        key = self._cache_key("summary")
        keys = [key] + ([self._page_key(page)] if page else [])
        found = cache.get_many(keys)
        # None marks a page looked for and not found: page_rows() need not look again.
        self._page_ids = {page: found.get(keys[1])} if page else {}
        summary = found.get(key)
        if summary is None:
            summary = self._counted(page, per_page)
            cache.set(key, summary, SUMMARY_TTL)
        return summary

    def _counted(self, page: int | None, per_page: int | None):
        """facet_counts_all(); and for the first page of a search whose ids are kept nowhere
        either, those ids read at once on another connection, in the same snapshot
        (institute.reads_at_once): the two longest reads of a search nobody asked before, each
        on a core of its own, kept for page_rows(). Another page of a search is asked for after
        its first, whose counts are kept by then."""
        if page != 1 or not per_page or self._page_ids.get(page) is not None:
            return self.facet_counts_all()
        if not (self.active().get("q") and reads_at_once.possible()):
            return self.facet_counts_all()
        # Made here, not on the other thread: building the search's filter may itself read.
        ids = self.qs.values_list("pk", flat=True)[:per_page]
        with reads_at_once.reads_at_once() as beside:
            read = beside(lambda: list(ids))
            summary = self.facet_counts_all()
            found = read()
        self._page_ids[page] = found
        cache.set(self._page_key(page), found, SUMMARY_TTL)
        return summary

    # --- did you mean -----------------------------------------------------------------------
    def suggestion_sources(self) -> list[tuple[QuerySet, list[str]]]:
        """Where "did you mean" finds its words: (published rows, their text fields) pairs."""
        return []

    def suggestion(self) -> str:
        """A query like the visitor's made of the content's own words ("" when none is)."""
        query = self.active().get("q") or ""
        sources = self.suggestion_sources()
        return suggest(query, sources, key=self.cache_prefix) if query and sources else ""

    # --- order ------------------------------------------------------------------------------
    def chosen_sort(self) -> str:
        """The order the visitor chose, unless they searched for something new since choosing
        it: the form sends the sort box with every search, and a new query is answered best
        first (by relevance). `sort_for` is the search the sort box was showing when it was
        chosen (the form's hidden field, kept up to date by filters.js); an address without it,
        typed or shared, keeps its sort."""
        cleaned = self.cleaned()
        sort, query = cleaned.get("sort") or "", cleaned.get("q") or ""
        sort_for = self.params().get("sort_for")
        changed = (
            sort_for is not None
            and normalise(sort_for[-1]).casefold() != normalise(query).casefold()
        )
        return "" if sort and query and changed else sort

    # --- pages ------------------------------------------------------------------------------
    search_vector: str | None = None
    search_fields: list[str] = []
    headline_field = ""

    def _page_key(self, number: int) -> str:
        return self._cache_key("page", self.sort_key(), number)

    def page_rows(self, number: int, bottom: int, top: int) -> list:
        """The rows from `bottom` to `top` of `qs` (page `number`), in its order, each with a
        `headline` when there is a search. Their ids are kept per filter state, order and page."""
        looked = getattr(self, "_page_ids", {})
        ids = looked.get(number) if number in looked else cache.get(self._page_key(number))
        if ids is None:
            ids = list(self.qs.values_list("pk", flat=True)[bottom:top])
            cache.set(self._page_key(number), ids, SUMMARY_TTL)
        # Ordered here by `ids`, not again by the database.
        query = self.active().get("q", "")
        rows = self.annotate_rows(self.queryset.filter(pk__in=ids).order_by(), query)
        by_pk = {row.pk: row for row in rows}
        # A row unpublished since its id was read is left out, not shown.
        shown = [by_pk[pk] for pk in ids if pk in by_pk]
        for row in shown:
            self.finish_row(row, query)
        return shown

    def annotate_rows(self, rows: QuerySet, query: str) -> QuerySet:
        """The page's rows with what a result shows besides its fields, in the same query: with
        a search, by default `headline`, the snippet of `headline_field`."""
        return with_headline(rows, query, field=self.headline_field) if query else rows

    def finish_row(self, row, query: str) -> None:
        """Set on a shown row what its annotations say (a subclass's snippet, labels)."""

    def facet_list(self, counts: dict[str, dict[str, int]] | None = None) -> list[Facet]:
        if counts is None:
            counts = self.summary()[0]
        selected_params = self.params()
        out = []
        for name, (label, _field) in self.facets.items():
            mine = self.facet_values(name, counts.get(name, {}))
            selected = set(selected_params.get(name, []))
            values = [
                FacetValue(
                    str(value),
                    str(text),
                    mine.get(str(value), 0),
                    str(value) in selected,
                    self.facet_help(name, value),
                )
                for value, text in self.facet_choices(name)
            ]
            out.append(Facet(name, label, values, self.facet_notes.get(name, "")))
        return out

    def facet_help(self, name: str, value) -> str:
        """What a facet's value means, shown with it (a status's explanation)."""
        return ""

    def facet_values(self, name: str, counts: dict[str, int]) -> dict[str, int]:
        """A facet's counts keyed as its choices are (a subclass maps stored values to them)."""
        return counts

    # --- what the answer counts -------------------------------------------------------------
    # filter name → how a row it keeps is described ("filed under %(values)s"), its values
    # joined by "or"; a filter without one is "its label: its values"
    scope_phrases: dict[str, str] = {}
    noun = gettext_lazy("entries")
    # The scope line's sentences. A listing may name its rows in them instead of by `noun`
    # ("Counting all published reforms."), so that a translation agrees them as a whole.
    scope_all = gettext_lazy("Counting all published %(noun)s.")
    scope_some = gettext_lazy("Counting published %(noun)s %(clauses)s.")

    def scope_parts(self) -> list[tuple[str, str]]:
        """Each active filter in words, as (filter name, a clause about the rows it keeps)."""
        params, valid = self.params(), self.cleaned()
        out = []
        for name, values in params.items():
            if name in self.not_filters or name == "q" or name not in valid:
                continue
            if name not in self.filters or name not in self.active():
                continue
            shown = either([self.value_label(name, v) for v in values if v != ""])
            if not shown:
                continue
            phrase = self.scope_phrases.get(name)
            if phrase is None:
                label = self.form.fields[name].label
                clause = _("%(label)s: %(value)s") % {"label": label.lower(), "value": shown}
            else:
                clause = with_values(phrase, shown)
            out.append((name, clause))
        return out

    def scope(self) -> str:
        """One line saying what the current answer counts: every filter and the search, in
        words, so that two visitors comparing numbers can see they asked different questions."""
        parts = [clause for _name, clause in self.scope_parts()]
        query = self.active().get("q")
        if query:
            parts.append(_("matching “%(query)s”") % {"query": query})
        if not parts:
            return str(self.scope_all % {"noun": self.noun})
        return str(self.scope_some % {"noun": self.noun, "clauses": ", ".join(parts)})

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
                label = _("%(label)s: %(value)s") % {
                    "label": field.label,
                    "value": self.value_label(name, value),
                }
                out.append(Chip(label, self.url_with(**{name: rest})))
        return out
