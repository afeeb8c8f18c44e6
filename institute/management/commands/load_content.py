from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from institute.datasets.content import ContentError, content_load


class Command(BaseCommand):
    help = (
        "Load the curated content (fixtures/content/*.yaml): create what is missing, all or "
        "nothing; an entry that exists is never changed (--update proposes the files' version "
        "for review)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "directory",
            nargs="?",
            default=str(Path(settings.BASE_DIR) / "fixtures" / "content"),
            help="Folder of YAML files (default: fixtures/content).",
        )
        parser.add_argument("--as", dest="username", help="User the history records.")
        parser.add_argument(
            "--update",
            action="store_true",
            help="Propose each entry the files change as its next version, in review (a "
            "working copy of a published entry); never published by the loader.",
        )

    def handle(self, *args, directory, username=None, update=False, **options):
        by = None
        if username:
            try:
                by = get_user_model().objects.get_by_natural_key(username)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No user “{username}”.") from exc
        try:
            summary = content_load(directory=Path(directory), by=by, update=update)
        except ContentError as exc:
            raise CommandError(
                "Nothing was loaded. Fix these problems:\n  " + "\n  ".join(exc.problems)
            ) from exc
        for line in summary.lines():
            self.stdout.write(line)
