"""Queue the daily « Mes données » e-mail digest for the background worker (run once a day)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dlnuf.people.notices import notices_send, notices_send_task


class Command(BaseCommand):
    help = (
        "Envoie à chaque personne abonnée un courriel listant les nouvelles consultations de ses "
        "données visibles sur « Mes données ». Par défaut, la tâche est confiée au travailleur "
        "(manage.py db_worker) ; --inline l'exécute dans cette commande. Sans doublon ni "
        "oubli : la commande peut tourner chaque jour, ou plus souvent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--inline",
            action="store_true",
            help="Envoyer dans ce processus au lieu de confier la tâche au travailleur.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["inline"]:
            sent = notices_send()
            self.stdout.write(f"{sent} avis envoyé{'s' if sent > 1 else ''}.")
            return
        result = notices_send_task.enqueue()
        self.stdout.write(f"Envoi des avis confié au travailleur (tâche {result.id}).")
