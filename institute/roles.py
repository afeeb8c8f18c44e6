"""The editorial roles: Django groups with the permissions each role needs.

Migration institute/0004_editorial_roles creates them (with a frozen copy of this table);
`sync_role_groups()` brings a database in line with it again (tests that flush the database use
it). Roles combine: a user in two groups holds both sets of permissions.

- contributor: creates and edits entries (drafts, and working copies of published ones) with their
  citations and responses, and submits them for review. Cannot publish.
- reviewer: sees everything, comments, requests changes, approves. Cannot publish.
- publisher: publishes, archives (unpublishes), reopens, and restores earlier versions.
"""

from django.apps import apps as global_apps

ENTRIES = (("institute", "source"), ("reforms", "reform"), ("recommendations", "recommendation"))
CHILDREN = (
    ("institute", "citation"),
    ("reforms", "response"),
    ("reforms", "secondaryarea"),
)
VOCABULARIES = (("reforms", "topic"), ("recommendations", "theme"))
LOG = (("institute", "reviewevent"),)


def _perms(models, *actions) -> list[tuple[str, str]]:
    return [(app, f"{action}_{model}") for app, model in models for action in actions]


ROLES: dict[str, list[tuple[str, str]]] = {
    "contributor": [
        *_perms(ENTRIES, "add", "change", "view", "submit", "import"),
        *_perms(CHILDREN, "add", "change", "delete", "view"),
        *_perms(VOCABULARIES, "view"),
        *_perms(LOG, "view"),
    ],
    "reviewer": [
        *_perms(ENTRIES, "view", "review", "import"),
        *_perms(CHILDREN, "view"),
        *_perms(VOCABULARIES, "view"),
        *_perms(LOG, "view"),
    ],
    "publisher": [
        *_perms(ENTRIES, "view", "publish", "import"),
        *_perms(CHILDREN, "view"),
        *_perms(VOCABULARIES, "add", "change", "view"),
        *_perms(LOG, "view"),
        ("institute", "add_release"),
        ("institute", "view_release"),
        ("institute", "withdraw_release"),
    ],
}


def sync_role_groups(roles: dict[str, list[tuple[str, str]]] = ROLES, *, apps=None) -> None:
    """Create the role groups and set exactly their permissions (idempotent)."""
    apps = apps or global_apps  # a migration passes its historical models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for app_label, codename in perms:
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
