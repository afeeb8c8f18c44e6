"""Importing CSV is a right of its own, held by every role (contributor and above)."""

from django.db import migrations

IMPORT = [
    ("institute", "import_source"),
    ("reforms", "import_reform"),
    ("recommendations", "import_recommendation"),
]
ROLES = ("contributor", "reviewer", "publisher")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for label in ("institute", "reforms", "recommendations"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in IMPORT
    ]
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(codename__in=[c for _, c in IMPORT])
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("institute", "0005_source_import_permission_citation_locator_blank"),
        ("institute", "0004_editorial_roles"),
        ("reforms", "0004_reform_import_permission"),
        ("recommendations", "0003_recommendation_import_permission_response_note_blank"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
