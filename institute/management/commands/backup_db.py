from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from institute.backups import backup_database


class Command(BaseCommand):
    help = (
        "Back up the whole database to BACKUP_DIR/<database>-<UTC time>.dump (PostgreSQL, "
        "pg_dump's custom format) or .sqlite3 (SQLite's online backup). Prints the file's path."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            default=None,
            help="Folder for the backup (default: the BACKUP_DIR setting, backups/).",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args, output_dir=None, database="default", **options):
        directory = Path(output_dir) if output_dir else Path(settings.BACKUP_DIR)
        path = backup_database(directory, alias=database)
        self.stdout.write(str(path))
