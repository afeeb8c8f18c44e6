from django.apps import AppConfig


class ReformsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reforms"
