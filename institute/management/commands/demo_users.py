"""`manage.py demo_users` (`make demo-users`): one account per editorial role, to try the
review workflow on a development machine: a contributor writes and submits, a reviewer (another
person: nobody approves their own work) approves, a publisher publishes.

Each run gives the three accounts new random passwords and prints them; it refuses to run with
the production settings, where accounts are made one by one for real people (createsuperuser,
then the admin's Users page with the role groups)."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from institute.database_in_use import describe
from institute.roles import ROLES, sync_role_groups

PREFIX = "demo-"


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo accounts demo-contributor, demo-reviewer and demo-publisher, "
        "one per role, with new passwords printed. Development only."
    )

    def handle(self, *args, **options):
        if getattr(settings, "IS_PRODUCTION", False):
            raise CommandError(
                "Refused: these are the production settings. Demo accounts with printed "
                "passwords are for development; create real accounts with createsuperuser and "
                "the admin's Users page."
            )
        User = get_user_model()
        lines = []
        with transaction.atomic():
            sync_role_groups()
            for role in ROLES:
                username = f"{PREFIX}{role}"
                password = secrets.token_urlsafe(12)
                user = User.objects.filter(username=username).first() or User(username=username)
                user.is_staff, user.is_active, user.is_superuser = True, True, False
                user.set_password(password)
                user.save()
                user.groups.set([Group.objects.get(name=role)])
                lines.append(f"  {role:<12} {username:<18} {password}")
        # Said first: a server started on another database would refuse these accounts.
        self.stdout.write(f"Database: {describe()}")
        self.stdout.write("Demo accounts (sign in at /admin/; run again for new passwords):")
        self.stdout.write(f"  {'role':<12} {'username':<18} password")
        for line in lines:
            self.stdout.write(line)
