from django.contrib import admin
from django.urls import include, path

from institute import views
from institute.datasets import views as dataviews
from institute.editorial import public_changes
from institute.insights import views as insightviews

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("data/", dataviews.data_page, name="data"),
    path("changes/", public_changes.recent_changes, name="changes"),
    path("changes/feed.atom", public_changes.RecentChangesFeed(), name="changes-feed"),
    path("data/releases/", include("institute.datasets.release_urls")),
    path("data/package.zip", dataviews.data_package_download, name="data-package"),
    path("data/<slug:table>.<slug:fmt>", dataviews.data_table, name="data-table"),
    path("insights/", insightviews.insights, name="insights"),
    path("insights/<slug:name>.<slug:fmt>", insightviews.chart_download, name="insights-chart"),
    path("reforms/", include("reforms.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]
