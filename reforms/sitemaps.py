"""Every published reform in the sitemap (the pages /sitemap.xml lists), its `lastmod` the time
of its latest publication (the public history), not of an edit the public has not seen."""

from django.contrib.sitemaps import Sitemap

from institute.editorial.history import latest_publication, with_last_published
from institute.languages import InEveryLanguage
from reforms.models import Reform


class ReformSitemap(InEveryLanguage, Sitemap):
    def items(self):
        return with_last_published(Reform.objects.published().only("slug")).order_by("slug")

    def lastmod(self, reform):
        return reform.last_published

    def get_latest_lastmod(self):
        # Django's own reads every item for it, on every request for the index.
        return latest_publication(Reform.objects.published())
