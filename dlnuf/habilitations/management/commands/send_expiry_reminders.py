"""E-mail the holders of habilitations that are about to expire (30 and 7 days before)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.habilitations.services import REMINDER_THRESHOLDS_DAYS, expiry_reminders_send


class Command(BaseCommand):
    help = (
        "Envoie un courriel aux titulaires des habilitations qui arrivent à échéance "
        "(30 et 7 jours avant, par défaut). Chaque rappel n'est envoyé qu'une fois par échéance : "
        "la commande peut tourner chaque jour sans doublon."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            default=",".join(str(days) for days in REMINDER_THRESHOLDS_DAYS),
            help="Seuils en jours avant l'échéance, séparés par des virgules (défaut : 30,7).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            thresholds = sorted(
                {int(part) for part in options["days"].split(",") if part.strip()}, reverse=True
            )
        except ValueError as error:
            raise CommandError(
                f"--days attend des nombres de jours séparés par des virgules, pas "
                f"« {options['days']} »."
            ) from error
        if not thresholds or min(thresholds) <= 0:
            raise CommandError("--days attend au moins un nombre de jours positif.")
        sent = expiry_reminders_send(thresholds=thresholds)
        self.stdout.write(
            f"{sent} rappel{'s' if sent > 1 else ''} d'échéance envoyé{'s' if sent > 1 else ''}."
        )
