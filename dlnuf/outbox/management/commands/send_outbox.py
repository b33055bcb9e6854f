from typing import Any

from django.core.management.base import BaseCommand

from dlnuf.french import plural
from dlnuf.outbox.models import EmailStatus, OutgoingEmail
from dlnuf.outbox.selectors import outgoing_emails_due
from dlnuf.outbox.services import outgoing_email_deliver


class Command(BaseCommand):
    help = (
        "Send every e-mail of the outbox that is due (retries, and e-mails whose delivery job "
        "was lost); run it from cron or after the mail server comes back"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        due = list(outgoing_emails_due().values_list("pk", flat=True))
        for email_id in due:
            outgoing_email_deliver(email_id=email_id)
        sent = OutgoingEmail.objects.filter(pk__in=due, status=EmailStatus.SENT).count()
        self.stdout.write(
            f"{plural(len(due), 'courriel à envoyer', 'courriels à envoyer')}, "
            f"{plural(sent, 'envoyé', 'envoyés')}."
        )
