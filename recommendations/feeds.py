from django.urls import reverse
from django.utils.html import escape

from institute.control_characters import xml_safe
from institute.listings.feeds import ListingFeed
from recommendations.selectors import recommendation_filter_public


class RecommendationsFeed(ListingFeed):
    """Published recommendations of a listing (`/recommendations/feed/?audience=western`)."""

    noun = "recommendations"

    def filterset_for(self, params):
        return recommendation_filter_public(params=params)

    def list_url(self):
        return reverse("recommendations:list")

    def item_description(self, item):
        # Plain text escaped as HTML: see reforms.feeds.
        return escape(
            xml_safe(
                f"{item.get_audience_display()}. {item.get_implementation_display()}. "
                f"{item.report.title}, no. {item.position}. {item.text}"
            )
        )

    def item_categories(self, item):
        return [theme.name for theme in item.themes.all()]
