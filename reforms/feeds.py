from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute import translations
from institute.control_characters import xml_safe
from institute.listings.feeds import ListingFeed
from reforms.selectors import reform_filter_public


class ReformsFeed(ListingFeed):
    """Published reforms of a listing (`/reforms/feed/?area=economy&q=tenge`). Text is passed
    through `xml_safe`: XML 1.0 cannot hold a control character, and one stored before input
    refused them would make the whole feed fail."""

    noun = gettext_lazy("reforms")

    def filterset_for(self, params):
        return reform_filter_public(params=params)

    def list_url(self):
        return reverse("reforms:list")

    def item_description(self, item):
        # Atom1Feed writes this as <summary type="html">: readers take the XML-unescaped text as
        # HTML. Our summaries are plain text, so escape them as HTML here (the XML writer then
        # escapes once more): "<script>" reaches the reader as the visible text "<script>".
        dates = "; ".join(
            _("%(label)s %(date)s") % {"label": label, "date": words}
            for label, _value, words in item.dates
        )
        description = _("%(status)s. %(dates)s. %(summary)s") % {
            "status": item.get_status_display(),
            "dates": dates,
            "summary": translations.translated(item, "summary").value,
        }
        return escape(xml_safe(description))

    def item_categories(self, item):
        return [item.get_area_display()]
