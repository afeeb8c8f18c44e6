"""The admin app, configured apart from institute.admin_site so that loading it imports no
models (the site is imported once the apps are ready)."""

from django.contrib.admin.apps import AdminConfig


class InstituteAdminConfig(AdminConfig):
    """django.contrib.admin, serving institute.admin_site.InstituteAdminSite as `admin.site`."""

    default_site = "institute.admin_site.InstituteAdminSite"
