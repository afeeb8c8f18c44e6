from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView

from api import views
from api.docs import docs

app_name = "api"
urlpatterns = [
    path("reforms/", views.ReformList.as_view(), name="reforms"),
    path("reforms/<path:slug>/", views.ReformRecord.as_view(), name="reform"),
    path("recommendations/", views.RecommendationList.as_view(), name="recommendations"),
    path(
        "recommendations/<path:slug>/",
        views.RecommendationRecord.as_view(),
        name="recommendation",
    ),
    path("sources/", views.SourceList.as_view(), name="sources"),
    path("sources/<path:slug>/", views.SourceRecord.as_view(), name="source"),
    path("citations/", views.CitationList.as_view(), name="citations"),
    path("responses/", views.ResponseList.as_view(), name="responses"),
    path("topics/", views.TopicList.as_view(), name="topics"),
    path("themes/", views.ThemeList.as_view(), name="themes"),
    path(
        "schema/",
        SpectacularJSONAPIView.as_view(throttle_classes=[views.AnonymousPerAddress]),
        name="schema",
    ),
    path("docs/", docs, name="docs"),
    # Anything else under the API (a slug with a line break included) is a 404 in JSON, not the
    # site's page. Only paths ending in a slash, so that APPEND_SLASH still mends the others.
    re_path(r"^[\s\S]*/$", views.not_found),
]
