from django.urls import path

from recommendations import views
from recommendations.feeds import RecommendationsFeed

app_name = "recommendations"
urlpatterns = [
    path("", views.recommendation_list, name="list"),
    path("feed/", RecommendationsFeed(), name="feed"),
    path("tracker/", views.recommendation_tracker, name="tracker"),
    path("export.<slug:fmt>", views.recommendation_export, name="export"),
    path("<slug:slug>/", views.recommendation_detail, name="detail"),
    path("<slug:slug>/cite.<slug:fmt>", views.recommendation_cite, name="cite"),
    path("<slug:slug>/history/", views.recommendation_history, name="history"),
]
