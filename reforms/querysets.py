from django.db.models import Prefetch

from institute.editorial.models import EditorialQuerySet
from institute.sources.models import Citation


class ReformQuerySet(EditorialQuerySet):
    def for_listing(self):
        """Everything a listing row shows, in a fixed number of queries."""
        return self.prefetch_related("topics")

    def for_detail(self):
        return self.prefetch_related(
            "topics",
            "secondary_areas",
            Prefetch("citations", queryset=Citation.objects.published().select_related("source")),
        )
