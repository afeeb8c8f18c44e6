from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from institute.datasets.releases import next_label, release_create, release_url


class Command(BaseCommand):
    help = (
        "Dataset releases. `release create [LABEL] --notes …` freezes the published data now "
        "into the release's files (every table as CSV, JSON and XLSX, datapackage.json, the "
        "codebook, CITATION.cff, SHA256SUMS, package.zip) in the `datasets` storage, and prints "
        "its address. LABEL defaults to YYYY.MM[.N]."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Cut a release of the published data now.")
        create.add_argument("label", nargs="?", default=None)
        create.add_argument("--notes", default="", help="What this release is, for its page.")
        create.add_argument(
            "--base-url",
            default=None,
            help="The site's address, for the files' url columns (default: the SITE_URL setting).",
        )

    def handle(self, *args, action, label=None, notes="", base_url=None, **options):
        base_url = base_url or settings.SITE_URL
        if not base_url:
            raise CommandError(
                "The site's address is needed for the files' url columns: set SITE_URL or pass "
                "--base-url https://tracker.example.org/."
            )
        try:
            release = release_create(
                label=label or next_label(), notes=notes, by=None, base_url=base_url
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Release {release.label}: {release_url(release)}")
