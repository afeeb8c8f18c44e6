"""The editorial roles as groups: contributor, reviewer, publisher (see institute/roles.py).

The permission lists are frozen here, as a migration must be; institute.roles holds the live
definition and a test checks that the two agree.
"""

from django.db import migrations

ENTRIES = (("institute", "source"), ("reforms", "reform"), ("recommendations", "recommendation"))
CHILDREN = (("institute", "citation"), ("recommendations", "response"))
VOCABULARIES = (("reforms", "topic"), ("recommendations", "theme"))
LOG = (("institute", "reviewevent"),)


def _perms(models, *actions):
    return [(app, f"{action}_{model}") for app, model in models for action in actions]


ROLES = {
    "contributor": [
        *_perms(ENTRIES, "add", "change", "view", "submit"),
        *_perms(CHILDREN, "add", "change", "delete", "view"),
        *_perms(VOCABULARIES, "view"),
        *_perms(LOG, "view"),
    ],
    "reviewer": [
        *_perms(ENTRIES, "view", "review"),
        *_perms(CHILDREN, "view"),
        *_perms(VOCABULARIES, "view"),
        *_perms(LOG, "view"),
    ],
    "publisher": [
        *_perms(ENTRIES, "view", "publish"),
        *_perms(CHILDREN, "view"),
        *_perms(VOCABULARIES, "add", "change", "view"),
        *_perms(LOG, "view"),
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create them now.
    from django.contrib.auth.management import create_permissions

    for label in ("institute", "reforms", "recommendations"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in perms
            ]
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("institute", "0003_workflow_review_log_revisions_versions"),
        ("reforms", "0003_reform_add_submitted_and_assigned_reviewer"),
        ("recommendations", "0002_recommendation_add_submitted_and_assigned_reviewer"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
