from django.urls import path

from recommendations import views

app_name = "recommendations"
urlpatterns = [
    path("", views.recommendation_list, name="list"),
    path("tracker/", views.recommendation_tracker, name="tracker"),
    path("export.<slug:fmt>", views.recommendation_export, name="export"),
    path("<slug:slug>/", views.recommendation_detail, name="detail"),
    path("<slug:slug>/history/", views.recommendation_history, name="history"),
]
