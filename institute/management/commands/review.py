from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from institute.editorial.models import ReviewEvent, editorial_models
from institute.editorial.moves import MOVES
from institute.editorial.versions import working_state


class Command(BaseCommand):
    help = (
        "Move an entry through the review workflow as a user, with the same checks as the admin: "
        "review <reform|recommendation|source> <slug> <move> --as <username> [--comment …]."
    )

    def add_arguments(self, parser):
        self.models = {model._meta.model_name: model for model in editorial_models()}
        parser.add_argument("kind", choices=sorted(self.models))
        parser.add_argument("slug")
        parser.add_argument("move", choices=list(MOVES))
        parser.add_argument("--as", dest="username", required=True, help="Who takes the move.")
        parser.add_argument("--comment", default="")

    def handle(self, *args, kind, slug, move, username, comment, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user “{username}”.") from exc
        model = self.models[kind]
        entry = model.objects.filter(slug=slug).first()
        if entry is None:
            raise CommandError(f"No {kind} “{slug}”.")
        try:
            result = MOVES[move](entry, by=user, comment=comment).run()
        except PermissionDenied as exc:
            raise CommandError(f"Refused: {exc}") from exc
        except ValidationError as exc:
            raise CommandError(f"Refused: {' '.join(exc.messages)}") from exc
        entry = model.objects.get(pk=entry.pk)
        if isinstance(result, ReviewEvent) and move == "approve":
            self.stdout.write(
                f"{kind} {slug}: version {entry.approved_version} approved by {username}"
            )
            return
        self.stdout.write(f"{kind} {slug}: now {working_state(entry)}")
