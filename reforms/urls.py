from django.urls import path

from institute.datasets import views as dataviews
from reforms import views
from reforms.feeds import LatestReformsFeed

app_name = "reforms"
urlpatterns = [
    path("", views.reform_list, name="list"),
    path("feed/", LatestReformsFeed(), name="feed"),
    path("export.<slug:fmt>", dataviews.reform_export, name="export"),
    path("<slug:slug>/", views.reform_detail, name="detail"),
]
