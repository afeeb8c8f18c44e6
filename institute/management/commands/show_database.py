"""`manage.py show_database`: the database this checkout's commands use, in one line (the start
banner of `make run` prints it; see institute/database_in_use.py)."""

from django.core.management.base import BaseCommand
from django.db import connection

from institute.database_in_use import describe


class Command(BaseCommand):
    help = "Print the database in use and where DATABASE_URL came from (environment or .env)."
    requires_system_checks = []

    def handle(self, *args, **options):
        self.stdout.write(f"Database: {describe()}")
        if connection.vendor == "sqlite":
            # Said once here rather than as a system check's warning on every command.
            self.stdout.write(
                "  SQLite is for trying the site; PostgreSQL is the database of record (set "
                "DATABASE_URL in .env, so that every make target and manage.py command uses it)."
            )
