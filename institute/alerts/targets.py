"""What a subscription follows, read through the listings' own selectors: a search is the
listing's FilterSet over `published()` rows, an entry one published row. Reads the apps (like
`institute.views` and `institute.insights`); the apps never read it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy

from institute.alerts.models import Listing
from institute.listings.filters import FacetedFilterSet
from recommendations.models import Recommendation
from recommendations.selectors import recommendation_filter_public
from reforms.models import Reform
from reforms.selectors import reform_filter_public


@dataclass(frozen=True)
class Target:
    listing: str
    model: type
    filterset_for: object  # params → the listing's bound FilterSet over published rows
    everything: str  # the whole listing in words: "all reforms"
    narrowed: str  # a search of it in words, its filters as `%(filters)s`: "reforms, …"

    def filterset(self, query: str) -> FacetedFilterSet:
        return self.filterset_for(params=QueryDict(query))

    def list_url(self, query: str = "") -> str:
        return reverse(f"{self.listing}:list") + (f"?{query}" if query else "")

    def published_entry(self, *, slug: str | None = None, pk: int | None = None):
        """The published entry, or None: a subscription never names a draft."""
        lookup = {"slug": slug} if slug is not None else {"pk": pk}
        return self.model.objects.published().filter(**lookup).first()


TARGETS = {
    Listing.REFORMS: Target(
        Listing.REFORMS,
        Reform,
        reform_filter_public,
        everything=gettext_lazy("all reforms"),
        narrowed=gettext_lazy("reforms, %(filters)s"),
    ),
    Listing.RECOMMENDATIONS: Target(
        Listing.RECOMMENDATIONS,
        Recommendation,
        recommendation_filter_public,
        everything=gettext_lazy("all recommendations"),
        narrowed=gettext_lazy("recommendations, %(filters)s"),
    ),
}


def search_query(filterset: FacetedFilterSet) -> str:
    """A search as stored: the listing's filters only (no sort, no page), in a fixed order, so
    the same search typed twice is one subscription."""
    params = filterset.params()
    pairs = sorted(
        (name, value)
        for name, values in params.items()
        if name not in filterset.not_filters
        for value in values
        if value != ""
    )
    return urlencode(pairs)


def describe_search(target: Target, query: str) -> str:
    """A search in words: "reforms, Area: Economy; Search: tenge" (or "all reforms")."""
    chips = "; ".join(chip.label for chip in target.filterset(query).chips())
    return str(target.narrowed % {"filters": chips} if chips else target.everything)
