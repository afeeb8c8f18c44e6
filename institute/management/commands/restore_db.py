from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from institute.backups import check_backup_file, restore_database


class Command(BaseCommand):
    help = (
        "Replace the database's contents with a backup made by backup_db (.dump: PostgreSQL, "
        "pg_restore --clean --if-exists in one transaction; .sqlite3: SQLite's backup API). "
        "Stop the site and the worker first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file.")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="Do not ask first."
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args, file, interactive=True, database="default", **options):
        path = Path(file)
        check_backup_file(path)  # before asking: a refused file needs no answer
        name = connections[database].settings_dict["NAME"]
        if interactive:
            answer = input(
                f"This replaces everything in the database {name} with {path}. "
                "Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing changed.")
        restore_database(path, alias=database)
        self.stdout.write(f"Restored {name} from {path}.")
