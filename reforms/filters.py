import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
)
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute import translations
from institute.dates import LOWER_BOUND_ONLY, UPPER_BOUND_ONLY, undated_last
from institute.listings.filters import Chip, FacetedFilterSet, quoted
from institute.listings.search import names_matching, search, with_rank, words
from recommendations.models import Recommendation
from reforms import row_cells
from reforms.models import (
    STATUS_EXPLANATIONS,
    Actor,
    Area,
    Initiator,
    Reform,
    ReformStatus,
    Response,
    SecondaryArea,
    Topic,
    in_status_order,
)
from reforms.search import describe_match, in_published_citations, with_matches
from reforms.tally import FACETED as TALLIED
from reforms.tally import facet_counts

YES_NO = [("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]
# `undated=true`: the reforms whose source gives no date at all (all three dates empty).
UNDATED = [("true", gettext_lazy("No date")), ("false", gettext_lazy("Has a date"))]


class DateKind:
    """Which of a reform's dates `year_from`/`year_to` apply to (`date_field=`); `first`, the
    earliest of the three, is the default and what the year range meant before the choice."""

    FIRST, ANNOUNCED, ADOPTED, EFFECTIVE = "first", "announced", "adopted", "effective"
    choices = [
        (FIRST, gettext_lazy("Earliest date")),
        (ANNOUNCED, gettext_lazy("Announcement date")),
        (ADOPTED, gettext_lazy("Adoption date")),
        (EFFECTIVE, gettext_lazy("Date in force")),
    ]
    fields = {
        FIRST: "first_date",
        ANNOUNCED: "announced_on",
        ADOPTED: "adopted_on",
        EFFECTIVE: "effective_on",
    }


def bounded_only(column: str, qualifier: str) -> Q:
    """The reforms whose date `column` has `qualifier`: "by" (the event may lie in any earlier
    year) or "since" (in any later one). For the earliest date, the qualifier of whichever of
    the three dates it is."""
    if column != "first_date":
        return Q(**{f"{column.removesuffix('_on')}_qualifier": qualifier})
    out = Q()
    for kind in ("announced", "adopted", "effective"):
        out |= Q(**{f"{kind}_on": F("first_date"), f"{kind}_qualifier": qualifier})
    return out


def topic_choices():
    """Every topic, by its name in the page's language (institute.translations)."""
    names = [(t.slug, translations.translated(t, "name").value) for t in Topic.objects.all()]
    return sorted(names, key=lambda choice: choice[1].casefold())


def _published_responses():
    return Response.objects.filter(recommendation__in=Recommendation.objects.published())


def answers_a_recommendation():
    """Per row, as the page's filter: PostgreSQL probes the responses of the rows it reads."""
    return Exists(_published_responses().filter(reform=OuterRef("pk")))


def answers_a_recommendation_in():
    """For all rows at once, as the facet counts group by it: one hashed set of reform ids,
    not one probe per reform."""
    return ExpressionWrapper(
        Q(pk__in=_published_responses().values("reform_id")), output_field=BooleanField()
    )


def named(query: str) -> Q:
    """Reforms filed under a topic or an area whose name holds the whole query: "police reform"
    finds the reforms of the topic "Law Enforcement and Police Reform"."""
    # The topics are read first: a query that names none (most do) adds no condition, and the
    # search stays one index scan of the search vector. Under an OR with a subquery PostgreSQL
    # reads every reform instead (at 1M: 2.5 s a query, three queries a listing).
    topics = list(names_matching(Topic.objects.all(), "name", query).values_list("pk", flat=True))
    through = Reform.topics.through.objects.filter(topic__in=topics)
    wanted = [w.casefold() for w in words(query)]
    # The English names, whatever the page's language: the content is in English, and the rows a
    # query finds (kept per filter state, not per language) must not depend on the language.
    with translation.override("en"):
        names = [(value, str(label)) for value, label in Area.choices]
    areas = [
        value
        for value, label in names
        if wanted and all(w in label.casefold().split() for w in wanted)
    ]
    found = Q(pk__in=through.values("reform_id")) if topics else Q(pk__in=[])
    return found | (in_areas(areas) if areas else Q(pk__in=[]))


def in_areas(slugs) -> Q:
    """Filed under one of the areas, as its own area or as a secondary one, so a reform in two
    of the chosen areas is still one row. On PostgreSQL the secondary areas are read from the
    row (reforms.row_cells), through the GIN index of that cell (reforms/0027): a search or
    another filter is then ANDed with the areas' index rather than checked against a hashed
    subquery on every row it reads; elsewhere a subquery of the secondary areas."""
    if row_cells.kept():
        return Q(area__in=slugs) | row_cells.in_secondary_areas(slugs)
    secondary = SecondaryArea.objects.filter(area__in=slugs).values("reform_id")
    return Q(area__in=slugs) | Q(pk__in=secondary)


def has_topic(slugs) -> Q:
    return Q(pk__in=Reform.topics.through.objects.filter(topic__slug__in=slugs).values("reform_id"))


class PublishedRecommendationField(forms.CharField):
    """The slug of a published recommendation (of a published report), cleaned to the
    recommendation: the listing's `responds_to`, as the files' column of that name holds it."""

    default_error_messages = {
        "unknown": gettext_lazy("no published recommendation has this slug."),
    }

    def to_python(self, value):
        slug = super().to_python(value)
        if not slug:
            return None
        # The slug's own shape first: anything else (a NUL, a word of 5,000 letters) names no
        # recommendation, and is not the database's to read.
        longest = Recommendation._meta.get_field("slug").max_length
        if len(slug) > longest or not slug_re.fullmatch(slug):
            raise ValidationError(self.error_messages["unknown"], code="unknown")
        found = Recommendation.objects.published().filter(slug=slug).first()
        if found is None:
            raise ValidationError(self.error_messages["unknown"], code="unknown")
        return found

    def known_values(self) -> list[str]:
        """Every slug it takes now: the API's schema lists them (api.schema)."""
        return list(
            Recommendation.objects.published().order_by("slug").values_list("slug", flat=True)
        )


class RespondsToFilter(django_filters.Filter):
    field_class = PublishedRecommendationField


class ReformSort:
    NEWEST, OLDEST, TITLE, STATUS, RELEVANCE = "newest", "oldest", "title", "status", "relevance"
    choices = [
        (RELEVANCE, gettext_lazy("Relevance (with a search)")),
        (NEWEST, gettext_lazy("Newest first")),
        (OLDEST, gettext_lazy("Oldest first")),
        (TITLE, gettext_lazy("Title A–Z")),
        (STATUS, gettext_lazy("Status")),
    ]


class ReformFilter(FacetedFilterSet):
    """The public filters of the reform listing; its export uses the same class."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=gettext_lazy("Search"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # Its own area or a secondary one (in_areas: no join, no DISTINCT over whole rows).
    area = django_filters.MultipleChoiceFilter(
        choices=Area.choices, label=gettext_lazy("Area"), distinct=False, method="filter_area"
    )
    topic = django_filters.MultipleChoiceFilter(
        field_name="topics__slug",
        choices=topic_choices,
        label=gettext_lazy("Topic"),
        method="filter_topic",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ReformStatus.choices, label=gettext_lazy("Status"), distinct=False
    )
    initiated_by = django_filters.MultipleChoiceFilter(
        choices=Initiator.choices, label=gettext_lazy("Initiated by"), distinct=False
    )
    acted_by = django_filters.MultipleChoiceFilter(
        choices=Actor.choices, label=gettext_lazy("Who acted"), distinct=False
    )
    year_from = django_filters.NumberFilter(
        method="filter_year_from", label=gettext_lazy("From year"), min_value=1900, max_value=2100
    )
    year_to = django_filters.NumberFilter(
        method="filter_year_to", label=gettext_lazy("To year"), min_value=1900, max_value=2100
    )
    date_field = django_filters.ChoiceFilter(
        choices=DateKind.choices,
        method="filter_date_field",
        label=gettext_lazy("Years apply to"),
        empty_label=None,
    )
    has_response = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_has_response",
        label=gettext_lazy("Linked to a recommendation"),
    )
    # One recommendation's reforms (answering, anticipating or bearing on it: any relation, as
    # the files' `responds_to` column lists it); a recommendation's page links here.
    responds_to = RespondsToFilter(
        method="filter_responds_to", label=gettext_lazy("Linked to the recommendation")
    )
    undated = django_filters.ChoiceFilter(
        choices=UNDATED, method="filter_undated", label=gettext_lazy("Date"), empty_label=None
    )
    sort = django_filters.ChoiceFilter(
        choices=ReformSort.choices, method="sort_by", label=gettext_lazy("Sort")
    )

    facets = {
        "area": (gettext_lazy("Area"), "area"),
        "status": (gettext_lazy("Status"), "status"),
        "topic": (gettext_lazy("Topic"), "topics__slug"),
        "initiated_by": (gettext_lazy("Initiated by"), "initiated_by"),
        "acted_by": (gettext_lazy("Who acted"), "acted_by"),
        "has_response": (gettext_lazy("Linked to a recommendation"), "answers"),
        "undated": (gettext_lazy("Date"), "undated_flag"),
    }
    facet_notes = {
        "area": gettext_lazy("A reform may be filed under two areas and count in both."),
        "status": gettext_lazy("What happened, as the sources describe it (not our rating of it)."),
        "has_response": gettext_lazy(
            "A reform that answers, anticipates or bears on a recommendation."
        ),
        "acted_by": gettext_lazy(
            "The government of Kazakhstan, or a foreign government or international institution."
        ),
    }

    # Each phrase takes the filter's values, joined by "or" (institute.listings.filters).
    scope_phrases = {
        "area": gettext_lazy("filed under %(values)s"),
        "status": gettext_lazy("whose status is %(values)s"),
        "topic": gettext_lazy("on %(values)s"),
        "initiated_by": gettext_lazy("initiated by %(values)s"),
        "responds_to": gettext_lazy("linked to the recommendation %(values)s"),
    }
    noun = gettext_lazy("reforms")
    # The scope line's sentences, whole, with the rows named in them.
    scope_all = gettext_lazy("Counting all published reforms.")
    scope_some = gettext_lazy("Counting published reforms %(clauses)s.")

    cache_prefix = "reforms"
    search_vector = "search_vector"
    search_fields = ["title", "summary", "body"]

    class Meta:
        model = Reform
        fields = []

    def filter_q(self, queryset, name, value):
        return search(
            queryset,
            value,
            vector=self.search_vector,
            fields=self.search_fields,
            related=in_published_citations,
            names=self.named,
        )

    def named(self, query: str) -> Q:
        """`named(query)`, read once a request: the page's rows and their counts both filter."""
        found = self.__dict__.setdefault("_named", {})
        if query not in found:
            found[query] = named(query)
        return found[query]

    def suggestion_sources(self):
        return [
            (self.queryset.model.objects.published(), ["title", "summary"]),
            (Topic.objects.all(), ["name"]),
        ]

    def filter_area(self, queryset, name, value):
        return queryset.filter(in_areas(value)) if value else queryset

    def filter_topic(self, queryset, name, value):
        # A subquery, not a join: a reform with two of the chosen topics is still one row.
        return queryset.filter(has_topic(value)) if value else queryset

    # A facet's condition and the counts read every row the other filters keep: on PostgreSQL
    # they read the relations' facts from the row (reforms.row_cells), not a subquery.
    def facet_condition(self, name, value):
        if name == "topic":
            return row_cells.has_topic(value) if row_cells.kept() else has_topic(value)
        if name == "has_response":
            return Q(answers=(value == "true"))
        if name == "area":
            return in_areas(value)
        if name == "undated":
            return _undated(value)
        return super().facet_condition(name, value)

    def facet_group_queryset(self, queryset):
        if row_cells.kept():
            answers = ExpressionWrapper(row_cells.answers(), output_field=BooleanField())
        else:
            answers = answers_a_recommendation_in()
        return queryset.annotate(answers=answers, undated_flag=undated_last("first_date"))

    def related_facet_in_groups(self, name, condition):
        """A search's topics are counted in the grouped query: finding its matches again (its
        index, then the rows it names) costs more than bringing their topics back. Other rows
        are read again by a scan, which at 1M costs less than bringing back every row's topics
        (benchmarks/README.md, section 3c, "A search's topics counted in the same read")."""
        if name == "topic" and row_cells.kept() and self.active().get("q"):
            return row_cells.topics_in_groups(condition), row_cells.count_topics
        return None

    def related_facet_counts(self, name, rows):
        """The topics' counts over `rows` (every filter but the topic's): from the tally where
        it can say them, as when several topics are chosen and the other filters are ones it has
        dimensions for (the rest of the counts go over the rows, the topics' own query would
        read each of them again: at 1M, 370-640 ms for one area); else over the rows."""
        if name == "topic":
            counted = facet_counts({k: v for k, v in self.active().items() if k != "topic"})
            if counted is not None:
                return counted[0]["topic"].items()
            if row_cells.kept():
                return row_cells.topic_counts(rows)
        return super().related_facet_counts(name, rows)

    def facet_counts_all(self):
        """From the pre-aggregated tally (reforms.tally) where it has the filters' dimensions
        and every facet's; a search, a year range, several areas or topics, or a facet the tally
        has no dimension for are counted over the rows."""
        if not self.facets.keys() <= TALLIED:
            return super().facet_counts_all()
        counted = facet_counts(self.active())
        return counted if counted is not None else super().facet_counts_all()

    def more_facet_counts(self, name):
        """A reform counts once more in each of its secondary areas (not its own one again), as
        the area filter finds it there."""
        if name != "area":
            return []
        return [(area, in_areas([area]) & ~Q(area=area)) for area in Area.values]

    def facet_help(self, name, value) -> str:
        return str(STATUS_EXPLANATIONS.get(value, "")) if name == "status" else ""

    def date_column(self) -> str:
        """The column the year range applies to (`date_field=`; the earliest date by default)."""
        return DateKind.fields[self.cleaned().get("date_field") or DateKind.FIRST]

    def filter_date_field(self, queryset, name, value):
        return queryset  # says which date the year range reads: see date_column()

    def filter_year_from(self, queryset, name, value):
        # Dates are ISO text of reduced precision; "2019" sorts before "2019-01-01", and an
        # empty date ("") before any year, so an undated reform is never in a range. A "by"
        # date may lie in any earlier year, so no lower bound is sure to hold it: it is left
        # out, as an undated one is (an upper bound does hold it).
        column = self.date_column()
        return queryset.filter(**{f"{column}__gte": f"{int(value):04d}"}).exclude(
            bounded_only(column, UPPER_BOUND_ONLY)
        )

    def filter_year_to(self, queryset, name, value):
        # A "since" date may lie in any later year: no upper bound is sure to hold it.
        field = self.date_column()
        return (
            queryset.filter(**{f"{field}__lt": f"{int(value) + 1:04d}"})
            .exclude(**{field: ""})
            .exclude(bounded_only(field, LOWER_BOUND_ONLY))
        )

    def filter_undated(self, queryset, name, value):
        return queryset.filter(_undated(value))

    def active(self) -> dict:
        """`date_field` narrows nothing by itself, only the year range whose date it names: the
        form always sends it, and a file name or a cache key must not say it alone."""
        active = super().active()
        if not {"year_from", "year_to"} & active.keys():
            active.pop("date_field", None)
        return active

    def _chip_values(self, name: str) -> dict[str, str]:
        """The remove address of each chip of filter `name` → the value it removes (the
        chips are told apart by it, not by their label, which is in the page's language)."""
        values = self.params().get(name, [])
        return {
            self.url_with(**{name: [v for v in values if v != value]}): value
            for value in values
            if value != ""
        }

    def chips(self):
        """No chip of its own for `date_field`: the year chips say which date they read."""
        kind = self.cleaned().get("date_field") or DateKind.FIRST
        date = str(dict(DateKind.choices)[kind]).lower()
        hidden = self._chip_values("date_field")
        years = {
            url: (name, value)
            for name in ("year_from", "year_to")
            for url, value in self._chip_values(name).items()
        }
        out = []
        for chip in super().chips():
            if chip.remove_url in hidden:
                continue
            if chip.remove_url in years:
                name, value = years[chip.remove_url]
                label = _("%(label)s (%(date)s): %(value)s") % {
                    "label": self.form.fields[name].label,
                    "date": date,
                    "value": value,
                }
                chip = Chip(label, chip.remove_url)
            out.append(chip)
        return out

    def date_sentence(self) -> str:
        """The year range as a clause: "whose adoption date is in 2019–2026" ("" without one)."""
        cleaned = self.active()
        start, end = cleaned.get("year_from"), cleaned.get("year_to")
        if start is None and end is None:
            return ""
        kind = self.cleaned().get("date_field") or DateKind.FIRST
        date = str(dict(DateKind.choices)[kind]).lower()
        # Years as plain digits (never grouped as numbers are in some languages).
        if start is not None and end is not None:
            if int(start) == int(end):
                return _("whose %(date)s is in %(year)s") % {"date": date, "year": str(int(start))}
            return _("whose %(date)s is in %(start)s–%(end)s") % {
                "date": date,
                "start": str(int(start)),
                "end": str(int(end)),
            }
        if start is not None:
            return _("whose %(date)s is in %(year)s or later") % {
                "date": date,
                "year": str(int(start)),
            }
        return _("whose %(date)s is in %(year)s or earlier") % {"date": date, "year": str(int(end))}

    def scope_parts(self) -> list[tuple[str, str]]:
        """The year range said once, as a sentence naming the date it reads; the yes/no facets
        as clauses of their own."""
        skip = ("year_from", "year_to", "date_field", "has_response", "undated")
        parts = [(name, clause) for name, clause in super().scope_parts() if name not in skip]
        active = self.active()
        if active.get("has_response"):
            linked = active["has_response"] == "true"
            said = _("linked to a recommendation") if linked else _("linked to no recommendation")
            parts.append(("has_response", said))
        if active.get("undated"):
            undated = active["undated"] == "true"
            parts.append(("undated", _("with no date") if undated else _("with a date")))
        if sentence := self.date_sentence():
            parts.append(("year", sentence))
        return parts

    def filter_has_response(self, queryset, name, value):
        answers = answers_a_recommendation()
        return queryset.filter(answers if value == "true" else ~answers)

    def filter_responds_to(self, queryset, name, recommendation):
        # A subquery, not a join: a reform linked to it twice over is still one row.
        linked = Response.objects.filter(recommendation=recommendation).values("reform_id")
        return queryset.filter(pk__in=linked)

    def value_label(self, name: str, value: str) -> str:
        """The recommendation's title, in the page's language, where its slug was given."""
        if name == "responds_to":
            recommendation = self.cleaned().get("responds_to")
            if recommendation is not None:
                return quoted(translations.translated(recommendation, "title").value)
        return super().value_label(name, value)

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, so that it wins over relevance

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Reform.objects.all()
        super().__init__(data, queryset=queryset, **kwargs)

    def filter_queryset(self, queryset):
        return self.order(super().filter_queryset(queryset))

    def annotate_rows(self, rows, query):
        """Each shown reform's secondary areas (one flag an area: no query of their own), and
        with a search, where it matched and a snippet of it."""
        rows = rows.annotate(
            **{
                f"also_{n}": Exists(SecondaryArea.objects.filter(reform=OuterRef("pk"), area=area))
                for n, area in enumerate(Area.values)
            }
        )
        return with_matches(rows, query) if query else rows

    def finish_row(self, row, query):
        row.also_area_labels = [
            label
            for n, (area, label) in enumerate(Area.choices)
            if getattr(row, f"also_{n}") and area != row.area
        ]
        if query:
            describe_match(row, query)

    def facet_values(self, name, counts):
        if name in ("has_response", "undated"):
            return {("true" if k == "True" else "false"): n for k, n in counts.items()}
        return counts

    def sort_key(self) -> str:
        cleaned = self.cleaned()
        default = ReformSort.RELEVANCE if cleaned.get("q") else ReformSort.NEWEST
        key = self.chosen_sort() or default
        if key == ReformSort.RELEVANCE and not cleaned.get("q"):
            key = ReformSort.NEWEST
        return key

    def order(self, queryset):
        key = self.sort_key()
        if key == ReformSort.RELEVANCE:
            ranked = with_rank(
                queryset, self.cleaned()["q"], vector=self.search_vector, fields=self.search_fields
            )
            return ranked.order_by("-rank", "-first_date", "title")
        if key == ReformSort.OLDEST:
            # Undated reforms last in this order too (the index reform_public_oldest's order).
            return queryset.order_by(undated_last("first_date"), "first_date", "title")
        if key == ReformSort.TITLE:
            return queryset.order_by("title")
        if key == ReformSort.STATUS:
            # The index reform_public_status's order.
            return queryset.order_by(in_status_order(), "-first_date", "title")
        return queryset.order_by("-first_date", "title")


def _undated(value) -> Q:
    return Q(first_date="") if value == "true" else ~Q(first_date="")
