import django_filters
from django import forms
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When

from institute.listings.filters import FacetedFilterSet
from institute.listings.search import search
from institute.sources.models import Citation
from recommendations.models import Recommendation, Response
from reforms.models import Area, Initiator, Reform, ReformStatus, Topic

YES_NO = [("true", "Yes"), ("false", "No")]


def topic_choices():
    return [(t.slug, t.name) for t in Topic.objects.order_by("name")]


def answers_a_recommendation():
    return Exists(
        Response.objects.filter(
            reform=OuterRef("pk"), recommendation__in=Recommendation.objects.published()
        )
    )


class ReformSort:
    NEWEST, OLDEST, TITLE, STATUS, RELEVANCE = "newest", "oldest", "title", "status", "relevance"
    choices = [
        (RELEVANCE, "Relevance (with a search)"),
        (NEWEST, "Newest first"),
        (OLDEST, "Oldest first"),
        (TITLE, "Title A–Z"),
        (STATUS, "Status"),
    ]


class ReformFilter(FacetedFilterSet):
    """The public filters of the reform listing; its export uses the same class."""

    q = django_filters.CharFilter(
        method="filter_q", label="Search", widget=forms.TextInput(attrs={"type": "search"})
    )
    area = django_filters.MultipleChoiceFilter(choices=Area.choices, label="Area")
    topic = django_filters.MultipleChoiceFilter(
        field_name="topics__slug", choices=topic_choices, label="Topic", distinct=True
    )
    status = django_filters.MultipleChoiceFilter(choices=ReformStatus.choices, label="Status")
    initiated_by = django_filters.MultipleChoiceFilter(
        choices=Initiator.choices, label="Initiated by"
    )
    year_from = django_filters.NumberFilter(
        method="filter_year_from", label="From year", min_value=1900, max_value=2100
    )
    year_to = django_filters.NumberFilter(
        method="filter_year_to", label="To year", min_value=1900, max_value=2100
    )
    has_response = django_filters.ChoiceFilter(
        choices=YES_NO, method="filter_has_response", label="Answers a recommendation"
    )
    sort = django_filters.ChoiceFilter(choices=ReformSort.choices, method="sort_by", label="Sort")

    facets = {
        "area": ("Area", "area"),
        "status": ("Status", "status"),
        "topic": ("Topic", "topics__slug"),
        "initiated_by": ("Initiated by", "initiated_by"),
        "has_response": ("Answers a recommendation", "answers"),
    }

    class Meta:
        model = Reform
        fields = []

    def filter_q(self, queryset, name, value):
        return search(
            queryset,
            value,
            vector="search_vector",
            fields=["title", "summary", "body"],
            headline_field="summary",
            related=_in_published_citations,
        )

    def filter_year_from(self, queryset, name, value):
        # `first_date` is ISO text of reduced precision; "2019" sorts before "2019-01-01".
        return queryset.filter(first_date__gte=f"{int(value):04d}")

    def filter_year_to(self, queryset, name, value):
        return queryset.filter(first_date__lt=f"{int(value) + 1:04d}").exclude(first_date="")

    def filter_has_response(self, queryset, name, value):
        return queryset.filter(answers=(value == "true"))

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, so that it wins over relevance

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Reform.objects.all()
        # `answers` backs both the has_response filter and its facet counts.
        super().__init__(
            data, queryset=queryset.annotate(answers=answers_a_recommendation()), **kwargs
        )

    def filter_queryset(self, queryset):
        return self.order(super().filter_queryset(queryset))

    def facet_counts(self, name, field):
        counts = super().facet_counts(name, field)
        if name == "has_response":
            return {("true" if k == "True" else "false"): n for k, n in counts.items()}
        return counts

    def sort_key(self) -> str:
        cleaned = self.cleaned()
        default = ReformSort.RELEVANCE if cleaned.get("q") else ReformSort.NEWEST
        key = cleaned.get("sort") or default
        if key == ReformSort.RELEVANCE and not cleaned.get("q"):
            key = ReformSort.NEWEST
        return key

    def order(self, queryset):
        key = self.sort_key()
        if key == ReformSort.RELEVANCE:
            return queryset.order_by("-rank", "-first_date", "title")
        if key == ReformSort.OLDEST:
            return queryset.order_by("first_date", "title")
        if key == ReformSort.TITLE:
            return queryset.order_by("title")
        if key == ReformSort.STATUS:
            order = Case(
                *[When(status=v, then=Value(i)) for i, v in enumerate(ReformStatus.values)],
                output_field=IntegerField(),
            )
            return queryset.order_by(order, "-first_date", "title")
        return queryset.order_by("-first_date", "title")


def _in_published_citations(word: str) -> Q:
    """Reforms with `word` in a citation of a published source (the SQLite fallback's part of
    what the PostgreSQL trigger puts in the search vector)."""
    matching = Citation.objects.published().filter(
        Q(quote__icontains=word)
        | Q(locator__icontains=word)
        | Q(source__title__icontains=word)
        | Q(source__authors__icontains=word)
        | Q(source__publisher__icontains=word)
    )
    return Q(pk__in=matching.filter(reform__isnull=False).values("reform_id"))
