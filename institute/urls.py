from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import index, sitemap
from django.urls import include, path

from institute import about, views
from institute.datasets import views as dataviews
from institute.insights import views as insightviews
from institute.listings import public_changes
from institute.sitemaps import SITEMAPS, robots_txt

# Without a language: what machines fetch by name (institute/languages.py).
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # An index of every section's pages of at most 50,000 addresses each, as search engines
    # read no more in one file (institute/sitemaps.py).
    path(
        "sitemap.xml",
        index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("robots.txt", robots_txt, name="robots"),
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", views.favicon, name="favicon"),
    path("data/package.zip", dataviews.data_package_download, name="data-package"),
    path("data/<slug:table>.<slug:fmt>", dataviews.data_table, name="data-table"),
    path("api/v1/", include("api.urls")),
]

# Pages in the visitor's language: English at today's addresses, /ru/… and /kk/… besides.
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("about/", about.about, name="about"),
    path("data/", dataviews.data_page, name="data"),
    path("changes/", public_changes.recent_changes, name="changes"),
    path("changes/feed.atom", public_changes.RecentChangesFeed(), name="changes-feed"),
    path("data/releases/", include("institute.datasets.release_urls")),
    path("insights/", insightviews.insights, name="insights"),
    path("insights/<slug:name>.<slug:fmt>", insightviews.chart_download, name="insights-chart"),
    path("alerts/", include("institute.alerts.urls")),
    path("reforms/", include("reforms.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
