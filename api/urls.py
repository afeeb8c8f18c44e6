from django.urls import path
from drf_spectacular.views import SpectacularAPIView

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
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs, name="docs"),
]
