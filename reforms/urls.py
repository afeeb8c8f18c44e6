from django.urls import path

from reforms import views
from reforms.feeds import LatestReformsFeed

app_name = "reforms"
urlpatterns = [
    path("", views.reform_list, name="list"),
    path("feed/", LatestReformsFeed(), name="feed"),
    path("<slug:slug>/", views.reform_detail, name="detail"),
]
