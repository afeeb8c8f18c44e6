"""What the import_* management commands share: arguments, progress bar, summary, errors."""

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError

from institute.datasets.importer import run_import
from institute.datasets.parse import ImportRefused, Limits
from institute.datasets.permissions import can_import
from institute.datasets.tables import TABLES

BAR_WIDTH = 30


class Progress:
    """A one-line progress bar on a terminal; silent when output is not a terminal."""

    def __init__(self, stream):
        self.stream = stream
        self.enabled = stream.isatty()
        self.last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or (time.monotonic() - self.last < 0.1 and done < total):
            return
        self.last = time.monotonic()
        filled = int(BAR_WIDTH * done / max(total, 1))
        self.stream.write(
            f"\r{stage:>8} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{total:,} rows"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class ImportCommand(BaseCommand):
    # The models' checks only: an import reads and writes models, not the site's addresses,
    # templates, admin or security settings, whose checks (and the views they import) cost
    # each run half a second (benchmarks/README.md, section 1).
    requires_system_checks = [Tags.models]
    table = ""  # set by each command
    tables: tuple[str, ...] = ()  # or several, chosen by --table or by the header

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file (UTF-8, header row).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; write nothing."
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="The user the history records (needs the import permission).",
        )
        if self.tables:
            parser.add_argument(
                "--table",
                choices=self.tables,
                help="Which table the file holds (default: told by its header).",
            )

    def handle(self, *args, path, dry_run=False, username=None, table=None, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file at {path}.")
        limits = Limits.command()
        # Refused before it is read: a file past the limit never reaches memory.
        if problem := limits.too_large(file.stat().st_size):
            raise CommandError(
                f"Nothing was imported from {file.name}: {problem} (IMPORT_COMMAND_MAX_BYTES)"
            )
        started = time.monotonic()
        # Read in chunks as it is checked and written, never whole (institute.datasets.parse).
        with file.open("rb") as stream:
            table = table or self.table or self.detect(stream.readline())
            by = self.user(username, table)
            try:
                progress = Progress(sys.stderr)
                report = run_import(
                    table=table,
                    data=stream,
                    by=by,
                    dry_run=dry_run,
                    progress=progress if progress.enabled else None,
                    source_name=file.name,
                    limits=limits,
                    # The counts, not each row's outcome: a file may have a million rows.
                    detail=False,
                )
            except ImportRefused as exc:
                lines = "\n  ".join(str(p) for p in exc.problems)
                raise CommandError(
                    f"Nothing was imported from {file.name}: {len(exc.problems)} problem(s).\n"
                    f"  {lines}"
                ) from exc
        for notice in report.notices:
            self.stdout.write(self.style.WARNING(notice))
        elapsed = time.monotonic() - started
        rows = report.rows
        self.stdout.write(
            self.style.SUCCESS(report.summary())
            + f" {rows:,} rows in {elapsed:.1f}s ({rows / max(elapsed, 1e-9):,.0f} rows/s)."
        )

    def detect(self, first_line: bytes) -> str:
        first = first_line.decode("utf-8-sig", errors="replace")
        names = {h.strip().strip('"') for h in first.split(",")}
        for name in self.tables:
            if {c.name for c in TABLES[name].columns if c.required} <= names:
                return name
        raise CommandError(
            "Cannot tell which table the file holds from its header; pass --table "
            f"({', '.join(self.tables)})."
        )

    def user(self, username, table):
        if not username:
            return None
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user “{username}”.") from exc
        if not can_import(user, table):
            raise CommandError(f"{username} may not import {table}.")
        return user
