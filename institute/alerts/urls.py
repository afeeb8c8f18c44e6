from django.urls import path

from institute.alerts import views

app_name = "alerts"
urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<slug:listing>/", views.subscribe_search, name="search"),
    path("<slug:listing>/<slug:slug>/", views.subscribe_entry, name="entry"),
]
