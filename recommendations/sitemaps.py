"""Every published recommendation in the sitemap (the pages /sitemap.xml lists), its `lastmod`
the time of its latest publication (the public history)."""

from django.contrib.sitemaps import Sitemap

from institute.editorial.history import latest_publication, with_last_published
from institute.languages import InEveryLanguage
from recommendations.models import Recommendation


class RecommendationSitemap(InEveryLanguage, Sitemap):
    def items(self):
        return with_last_published(Recommendation.objects.published().only("slug")).order_by("slug")

    def lastmod(self, recommendation):
        return recommendation.last_published

    def get_latest_lastmod(self):
        # Django's own reads every item for it, on every request for the index.
        return latest_publication(Recommendation.objects.published())
