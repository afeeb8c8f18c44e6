from django.urls import path

from reforms import views
from reforms.feeds import ReformsFeed

app_name = "reforms"
urlpatterns = [
    path("", views.reform_list, name="list"),
    path("feed/", ReformsFeed(), name="feed"),
    path("export.<slug:fmt>", views.reform_export, name="export"),
    path("<slug:slug>/", views.reform_detail, name="detail"),
    path("<slug:slug>/cite.<slug:fmt>", views.reform_cite, name="cite"),
    path("<slug:slug>/history/", views.reform_history, name="history"),
]
