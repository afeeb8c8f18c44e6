import django_filters
from django import forms
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)

from institute.listings.filters import FacetedFilterSet
from institute.listings.search import search, with_rank
from institute.sources.models import Citation
from recommendations.models import Recommendation, Response
from reforms.models import Area, Initiator, Reform, ReformStatus, Topic

YES_NO = [("true", "Yes"), ("false", "No")]


def topic_choices():
    return [(t.slug, t.name) for t in Topic.objects.order_by("name")]


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


def has_topic(slugs) -> Q:
    return Q(pk__in=Reform.topics.through.objects.filter(topic__slug__in=slugs).values("reform_id"))


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
    # A column of the row: no join, so no DISTINCT (django-filter's default) over whole rows.
    area = django_filters.MultipleChoiceFilter(choices=Area.choices, label="Area", distinct=False)
    topic = django_filters.MultipleChoiceFilter(
        field_name="topics__slug", choices=topic_choices, label="Topic", method="filter_topic"
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ReformStatus.choices, label="Status", distinct=False
    )
    initiated_by = django_filters.MultipleChoiceFilter(
        choices=Initiator.choices, label="Initiated by", distinct=False
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

    cache_prefix = "reforms"
    search_vector = "search_vector"
    search_fields = ["title", "summary", "body"]
    headline_field = "summary"

    class Meta:
        model = Reform
        fields = []

    def filter_q(self, queryset, name, value):
        return search(
            queryset,
            value,
            vector=self.search_vector,
            fields=self.search_fields,
            related=_in_published_citations,
        )

    def filter_topic(self, queryset, name, value):
        # A subquery, not a join: a reform with two of the chosen topics is still one row.
        return queryset.filter(has_topic(value)) if value else queryset

    def facet_condition(self, name, value):
        if name == "topic":
            return has_topic(value)
        if name == "has_response":
            return Q(answers=(value == "true"))
        return super().facet_condition(name, value)

    def facet_group_queryset(self, queryset):
        return queryset.annotate(answers=answers_a_recommendation_in())

    def filter_year_from(self, queryset, name, value):
        # `first_date` is ISO text of reduced precision; "2019" sorts before "2019-01-01".
        return queryset.filter(first_date__gte=f"{int(value):04d}")

    def filter_year_to(self, queryset, name, value):
        return queryset.filter(first_date__lt=f"{int(value) + 1:04d}").exclude(first_date="")

    def filter_has_response(self, queryset, name, value):
        answers = answers_a_recommendation()
        return queryset.filter(answers if value == "true" else ~answers)

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, so that it wins over relevance

    def __init__(self, data=None, queryset=None, **kwargs):
        if queryset is None:
            queryset = Reform.objects.all()
        super().__init__(data, queryset=queryset, **kwargs)

    def filter_queryset(self, queryset):
        return self.order(super().filter_queryset(queryset))

    def facet_values(self, name, counts):
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
            ranked = with_rank(
                queryset, self.cleaned()["q"], vector=self.search_vector, fields=self.search_fields
            )
            return ranked.order_by("-rank", "-first_date", "title")
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
