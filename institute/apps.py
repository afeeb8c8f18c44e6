from django.apps import AppConfig

from institute.datasets.tables import autodiscover


class InstituteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "institute"
    verbose_name = "Institute"

    def ready(self):
        # Each app defines its dataset tables in its `datasets` module.
        autodiscover()
