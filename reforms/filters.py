import django_filters

from reforms.models import Area, Reform, ReformStatus, Topic


class ReformFilter(django_filters.FilterSet):
    """The public filters of the reform listing; its export uses the same class."""

    area = django_filters.ChoiceFilter(choices=Area.choices)
    topic = django_filters.ModelChoiceFilter(
        field_name="topics", queryset=Topic.objects.all(), to_field_name="slug"
    )
    status = django_filters.ChoiceFilter(choices=ReformStatus.choices)

    class Meta:
        model = Reform
        fields = ["area", "topic", "status"]
