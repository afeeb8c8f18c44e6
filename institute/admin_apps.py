"""The admin app, configured apart from institute.admin_site so that loading it imports no
models (the site is imported once the apps are ready)."""

from django.contrib.admin.apps import SimpleAdminConfig


class InstituteAdminConfig(SimpleAdminConfig):
    """django.contrib.admin, serving institute.admin_site.InstituteAdminSite as `admin.site`.

    The apps' `admin` modules are discovered when the site is first asked for its pages or
    checked (`InstituteAdminSite.get_urls`, `check`), not as Django starts: a process that
    never shows the admin (an import from the command line, the background worker, a
    migration) does without them and what they import (django-import-export's formats,
    openpyxl), 0.22-0.33 s of a 0.65-0.94 s start (benchmarks/README.md, section 1). A
    server discovers them as it loads its URLconf."""

    default_site = "institute.admin_site.InstituteAdminSite"

    def ready(self):
        super().ready()
        # The site made now (it is lazy), so that Django's checks of the admin find it
        # (django.contrib.admin.sites.all_sites) and, through its `check`, every app's admin.
        self.module.site.name  # noqa: B018
