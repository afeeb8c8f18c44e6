from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from institute import workflow
from institute.models import Source
from recommendations.models import Recommendation
from reforms.models import Reform

MODELS = {"reform": Reform, "recommendation": Recommendation, "source": Source}
SERVICES = {
    "submit": workflow.submit_for_review,
    "request_changes": workflow.request_changes,
    "publish": workflow.publish,
    "archive": workflow.archive,
    "reopen": workflow.reopen,
    "approve": workflow.approve,
}


class Command(BaseCommand):
    help = (
        "Move an entry through the review workflow as a user, with the same checks as the admin: "
        "review <reform|recommendation|source> <slug> <move> --as <username> [--comment …]."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(MODELS))
        parser.add_argument("slug")
        parser.add_argument("move", choices=list(SERVICES))
        parser.add_argument("--as", dest="username", required=True, help="Who takes the move.")
        parser.add_argument("--comment", default="")

    def handle(self, *args, kind, slug, move, username, comment, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user “{username}”.") from exc
        entry = MODELS[kind].objects.filter(slug=slug).first()
        if entry is None:
            raise CommandError(f"No {kind} “{slug}”.")
        try:
            entry = SERVICES[move](entry, by=user, comment=comment)
        except PermissionDenied as exc:
            raise CommandError(f"Refused: {exc}") from exc
        except ValidationError as exc:
            raise CommandError(f"Refused: {' '.join(exc.messages)}") from exc
        if move == "approve":
            entry = MODELS[kind].objects.get(pk=entry.object_id)
            self.stdout.write(
                f"{kind} {slug}: version {entry.approved_version} approved by {username}"
            )
            return
        self.stdout.write(f"{kind} {slug}: now {workflow.working_state(entry)}")
