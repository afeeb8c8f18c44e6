from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from institute.control_characters import xml_safe
from reforms.models import Reform

FEED_SIZE = 50


class LatestReformsFeed(Feed):
    """Newly published reforms, newest publication first. Text is passed through `xml_safe`:
    XML 1.0 cannot hold a control character, and one stored before input refused them would
    make the whole feed fail."""

    feed_type = Atom1Feed
    title = "Kazakhstan Reform Tracker: newly published reforms"
    subtitle = "Reforms as the institute publishes them, with their status and dates."
    link = reverse_lazy("reforms:list")

    def items(self):
        return Reform.objects.published().order_by("-published_at", "title")[:FEED_SIZE]

    def item_title(self, item):
        # Atom's <title> is text (no type attribute): the XML writer's escaping is all it needs.
        return xml_safe(item.title)

    def item_description(self, item):
        # Atom1Feed writes this as <summary type="html">: readers take the XML-unescaped text as
        # HTML. Our summaries are plain text, so escape them as HTML here (the XML writer then
        # escapes once more): "<script>" reaches the reader as the visible text "<script>".
        dates = "; ".join(f"{label} {words}" for label, _value, words in item.dates)
        return escape(xml_safe(f"{item.get_status_display()}. {dates}. {item.summary}"))

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_area_display()]
