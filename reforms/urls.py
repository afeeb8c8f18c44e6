from django.urls import path

from reforms import views

app_name = "reforms"
urlpatterns = [
    path("", views.reform_list, name="list"),
    path("<slug:slug>/", views.reform_detail, name="detail"),
]
