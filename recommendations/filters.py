import django_filters
from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy

from institute import translations
from institute.listings.filters import FacetedFilterSet
from institute.listings.search import names_matching, search, with_rank
from institute.sources.models import Source
from recommendations.models import Audience, Implementation, Recommendation, Theme

# Best first: a scorecard sorted "by implementation" leads with what was done.
IMPLEMENTATION_ORDER = [
    Implementation.IMPLEMENTED,
    Implementation.PARTLY_IMPLEMENTED,
    Implementation.NOT_IMPLEMENTED,
    Implementation.NOT_ASSESSED,
]


def theme_choices():
    """Every theme, by its name in the page's language (institute.translations)."""
    names = [(t.slug, translations.translated(t, "name").value) for t in Theme.objects.all()]
    return sorted(names, key=lambda choice: choice[1].casefold())


def report_choices():
    reports = Source.objects.published().filter(recommendations__isnull=False).distinct()
    return [(s.slug, s.title) for s in reports.order_by("title")]


def themed(query: str) -> Q:
    """Recommendations of a theme whose name holds the whole query: "human rights" finds those
    of "Civil liberties and human rights"."""
    themes = names_matching(Theme.objects.all(), "name", query)
    through = Recommendation.themes.through.objects.filter(theme__in=themes)
    return Q(pk__in=through.values("recommendation_id"))


def has_theme(slugs) -> Q:
    through = Recommendation.themes.through
    return Q(pk__in=through.objects.filter(theme__slug__in=slugs).values("recommendation_id"))


class RecommendationSort:
    POSITION, IMPLEMENTATION, RELEVANCE = "position", "implementation", "relevance"
    choices = [
        (POSITION, gettext_lazy("Order in the report")),
        (IMPLEMENTATION, gettext_lazy("Implementation, best first")),
        (RELEVANCE, gettext_lazy("Relevance (with a search)")),
    ]


class RecommendationFilter(FacetedFilterSet):
    """The public filters of the recommendation listing; its export uses the same class."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=gettext_lazy("Search"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    # Columns of the row, or a foreign key (one report a row): no DISTINCT over whole rows.
    audience = django_filters.MultipleChoiceFilter(
        choices=Audience.choices, label=gettext_lazy("Audience"), distinct=False
    )
    theme = django_filters.MultipleChoiceFilter(
        field_name="themes__slug",
        choices=theme_choices,
        label=gettext_lazy("Theme"),
        method="filter_theme",
    )
    implementation = django_filters.MultipleChoiceFilter(
        choices=Implementation.choices, label=gettext_lazy("Implementation"), distinct=False
    )
    report = django_filters.MultipleChoiceFilter(
        field_name="report__slug",
        choices=report_choices,
        label=gettext_lazy("Report"),
        distinct=False,
    )
    sort = django_filters.ChoiceFilter(
        choices=RecommendationSort.choices, method="sort_by", label=gettext_lazy("Sort")
    )

    facets = {
        "audience": (gettext_lazy("Audience"), "audience"),
        "implementation": (gettext_lazy("Implementation"), "implementation"),
        "theme": (gettext_lazy("Theme"), "themes__slug"),
        "report": (gettext_lazy("Report"), "report__slug"),
    }

    # Each phrase takes the filter's values, joined by "or" (institute.listings.filters).
    scope_phrases = {
        "audience": gettext_lazy("addressed to %(values)s"),
        "theme": gettext_lazy("on %(values)s"),
        "implementation": gettext_lazy("rated %(values)s"),
        "report": gettext_lazy("from %(values)s"),
    }
    noun = gettext_lazy("recommendations")
    # The scope line's sentences, whole, with the rows named in them.
    scope_all = gettext_lazy("Counting all published recommendations.")
    scope_some = gettext_lazy("Counting published recommendations %(clauses)s.")

    cache_prefix = "recommendations"
    search_vector = None
    search_fields = ["title", "text", "implementation_note"]
    headline_field = "text"

    class Meta:
        model = Recommendation
        fields = []

    def filter_q(self, queryset, name, value):
        return search(queryset, value, vector=None, fields=self.search_fields, names=themed)

    def suggestion_sources(self):
        return [
            (Recommendation.objects.published(), ["title", "text"]),
            (Theme.objects.all(), ["name"]),
        ]

    def filter_theme(self, queryset, name, value):
        # A subquery, not a join: a recommendation with two of the chosen themes is one row.
        return queryset.filter(has_theme(value)) if value else queryset

    def facet_condition(self, name, value):
        if name == "theme":
            return has_theme(value)
        return super().facet_condition(name, value)

    def sort_by(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def sort_key(self) -> str:
        cleaned = self.cleaned()
        default = RecommendationSort.RELEVANCE if cleaned.get("q") else RecommendationSort.POSITION
        key = self.chosen_sort() or default
        if key == RecommendationSort.RELEVANCE and not cleaned.get("q"):
            key = RecommendationSort.POSITION
        return key

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        key = self.sort_key()
        if key == RecommendationSort.RELEVANCE:
            ranked = with_rank(
                queryset, self.cleaned()["q"], vector=None, fields=self.search_fields
            )
            return ranked.order_by("-rank", "report", "position")
        if key == RecommendationSort.IMPLEMENTATION:
            order = Case(
                *[
                    When(implementation=v, then=Value(i))
                    for i, v in enumerate(IMPLEMENTATION_ORDER)
                ],
                output_field=IntegerField(),
            )
            return queryset.order_by(order, "report", "position")
        return queryset.order_by("report", "position")
