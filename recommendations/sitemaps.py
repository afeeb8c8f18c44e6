"""Every published recommendation in /sitemap.xml, its `lastmod` the time of its latest
publication (the public history)."""

from django.contrib.sitemaps import Sitemap

from institute.editorial.history import with_last_published
from institute.languages import InEveryLanguage
from recommendations.models import Recommendation


class RecommendationSitemap(InEveryLanguage, Sitemap):
    def items(self):
        return with_last_published(Recommendation.objects.published().only("slug")).order_by("slug")

    def lastmod(self, recommendation):
        return recommendation.last_published
