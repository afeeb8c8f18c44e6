from django.core.management.base import BaseCommand, CommandError

from institute.alerts.digest import send_digests


class Command(BaseCommand):
    help = (
        "Send each email alert the published changes to what it follows since its last message "
        "(run once a day, from cron or a systemd timer). A message the mail server refuses is "
        "sent again, whole, on the next run; the command then exits with an error."
    )

    def handle(self, *args, **options):
        outcome = send_digests()
        self.stdout.write(
            f"Alerts: {outcome.sent} sent, {outcome.unchanged} with nothing new, "
            f"{len(outcome.failed)} not sent."
        )
        if outcome.failed:
            raise CommandError("Not sent (retried on the next run):\n" + "\n".join(outcome.failed))
