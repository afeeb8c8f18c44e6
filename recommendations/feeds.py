from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute import translations
from institute.control_characters import xml_safe
from institute.listings.feeds import ListingFeed
from recommendations.selectors import recommendation_filter_public


class RecommendationsFeed(ListingFeed):
    """Published recommendations of a listing (`/recommendations/feed/?audience=western`)."""

    noun = gettext_lazy("recommendations")

    def filterset_for(self, params):
        return recommendation_filter_public(params=params)

    def list_url(self):
        return reverse("recommendations:list")

    def item_description(self, item):
        # Plain text escaped as HTML: see reforms.feeds.
        description = _(
            "%(audience)s. %(implementation)s. %(report)s, no. %(position)s. %(text)s"
        ) % {
            "audience": item.get_audience_display(),
            "implementation": item.get_implementation_display(),
            "report": translations.translated(item.report, "title").value,
            "position": item.position,
            "text": translations.translated(item, "text").value,
        }
        return escape(xml_safe(description))

    def item_categories(self, item):
        return [translations.translated(theme, "name").value for theme in item.themes.all()]
