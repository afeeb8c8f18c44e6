import django_filters

from recommendations.models import Audience, Implementation, Recommendation, Theme


class RecommendationFilter(django_filters.FilterSet):
    """The public filters of the recommendation listing; its export uses the same class."""

    audience = django_filters.ChoiceFilter(choices=Audience.choices)
    theme = django_filters.ModelChoiceFilter(
        field_name="themes", queryset=Theme.objects.all(), to_field_name="slug"
    )
    implementation = django_filters.ChoiceFilter(choices=Implementation.choices)

    class Meta:
        model = Recommendation
        fields = ["audience", "theme", "implementation"]
