from importlib import import_module

from django.apps import AppConfig
from django.core.signals import request_finished
from django.utils.module_loading import autodiscover_modules

from institute import languages


class InstituteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "institute"
    verbose_name = "Institute"

    def ready(self):
        # The dataset tables register themselves when their modules are imported: each app's
        # `datasets`, and the sources' (the `datasets` of this app is the generic package).
        # Imported once the models are, as the tables' querysets need them.
        import_module("institute.sources.datasets")
        autodiscover_modules("datasets")
        # A request's language ends with it (institute.languages).
        request_finished.connect(languages.forget_language, dispatch_uid="forget_language")
