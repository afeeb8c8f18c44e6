"""Every published reform in /sitemap.xml, its `lastmod` the time of its latest publication
(the public history), not of an edit the public has not seen."""

from django.contrib.sitemaps import Sitemap

from institute.editorial.history import with_last_published
from institute.languages import InEveryLanguage
from reforms.models import Reform


class ReformSitemap(InEveryLanguage, Sitemap):
    def items(self):
        return with_last_published(Reform.objects.published().only("slug")).order_by("slug")

    def lastmod(self, reform):
        return reform.last_published
