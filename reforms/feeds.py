from django.urls import reverse
from django.utils.html import escape

from institute.control_characters import xml_safe
from institute.listings.feeds import ListingFeed
from reforms.selectors import reform_filter_public


class ReformsFeed(ListingFeed):
    """Published reforms of a listing (`/reforms/feed/?area=economy&q=tenge`). Text is passed
    through `xml_safe`: XML 1.0 cannot hold a control character, and one stored before input
    refused them would make the whole feed fail."""

    noun = "reforms"

    def filterset_for(self, params):
        return reform_filter_public(params=params)

    def list_url(self):
        return reverse("reforms:list")

    def item_description(self, item):
        # Atom1Feed writes this as <summary type="html">: readers take the XML-unescaped text as
        # HTML. Our summaries are plain text, so escape them as HTML here (the XML writer then
        # escapes once more): "<script>" reaches the reader as the visible text "<script>".
        dates = "; ".join(f"{label} {words}" for label, _value, words in item.dates)
        return escape(xml_safe(f"{item.get_status_display()}. {dates}. {item.summary}"))

    def item_categories(self, item):
        return [item.get_area_display()]
