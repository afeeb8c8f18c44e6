"""The addresses under /data/releases/ (included by institute.urls)."""

from django.urls import path

from institute.datasets import release_views as views

urlpatterns = [
    path("", views.release_list, name="data-releases"),
    path("feed.atom", views.ReleasesFeed(), name="data-releases-feed"),
    path("latest/", views.release_latest, name="data-release-latest"),
    path("latest/<str:name>", views.release_latest, name="data-release-latest-file"),
    path("<str:label>/", views.release_detail, name="data-release"),
    path("<str:label>/<str:name>", views.release_file, name="data-release-file"),
]
