"""The Atom feed of a listing: the same FilterSet as the page, so a feed follows every listing
parameter (search, facets, years); entries dated from the public history.

An entry is `published` when the public first saw it and `updated` when its current version
went live: an edited entry comes back to the top of the feed as an update of the same Atom
entry (its id is its address), never as a new one.
"""

from django.contrib.syndication.views import Feed
from django.http import HttpResponseBadRequest
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute import translations
from institute.control_characters import xml_safe
from institute.editorial.history import with_first_publication
from institute.listings.filters import FacetedFilterSet

FEED_SIZE = 50


class ListingFeed(Feed):
    """A listing's feed: subclasses set `filterset_for(params)`, `list_url_name`, `noun` and
    the item methods. The newest change first; at most FEED_SIZE entries."""

    feed_type = Atom1Feed
    noun = gettext_lazy("entries")

    def filterset_for(self, params) -> FacetedFilterSet:
        raise NotImplementedError

    def list_url(self) -> str:
        raise NotImplementedError

    def __call__(self, request, *args, **kwargs):
        # A feed is subscribed to once and read for years: a value the listing would ignore and
        # name is refused here, so the subscriber sees the mistake instead of a wider feed.
        problems = self.filterset_for(request.GET).problems()
        if problems:
            heading = _("This feed's address has values the listing does not know:")
            return HttpResponseBadRequest(
                heading + "\n" + "\n".join(problems),
                content_type="text/plain; charset=utf-8",
            )
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, *args, **kwargs):
        return self.filterset_for(request.GET)

    def title(self, filterset):
        chips = "; ".join(chip.label for chip in filterset.chips())
        if chips:
            title = _("Kazakhstan Reform Tracker: %(noun)s, %(filters)s") % {
                "noun": self.noun,
                "filters": chips,
            }
        else:
            title = _("Kazakhstan Reform Tracker: %(noun)s") % {"noun": self.noun}
        return xml_safe(title)

    def subtitle(self, filterset):
        return _(
            "Published %(noun)s of this listing, newest change first: an entry is dated when "
            "it was first published and updated when its current version went live."
        ) % {"noun": self.noun}

    def link(self, filterset):
        return self.list_url() + filterset.url_with().rstrip("?")

    def feed_url(self, filterset):
        return None

    def items(self, filterset):
        rows = with_first_publication(filterset.qs)
        return rows.order_by("-published_at", "pk")[:FEED_SIZE]

    def item_title(self, item):
        # Atom's <title> is text (no type attribute): the XML writer's escaping is all it needs.
        # In the feed's language, as the page of the same address shows it.
        return xml_safe(translations.translated(item, "title").value)

    def item_pubdate(self, item):
        # Entries published before the history was recorded have a backfilled publication; the
        # row's date stands in only if even that is missing.
        return item.first_published_at or item.published_at

    def item_updateddate(self, item):
        return item.published_at
