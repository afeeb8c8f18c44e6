"""Reads of reforms for the public site: every one starts from published()."""

from django.shortcuts import get_object_or_404

from reforms.filters import ReformFilter
from reforms.models import Reform


def reform_filter_public(*, params) -> ReformFilter:
    """The bound FilterSet over published reforms; `.qs` is the filtered rows."""
    return ReformFilter(params, queryset=Reform.objects.published().for_listing())


def reform_get_public(*, slug: str) -> Reform:
    return get_object_or_404(Reform.objects.published().for_detail(), slug=slug)
