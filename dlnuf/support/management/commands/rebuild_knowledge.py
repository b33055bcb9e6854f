from typing import Any

from django.core.management.base import BaseCommand

from dlnuf.support.knowledge import knowledge_rebuild
from dlnuf.support.similarity import METHOD_MODEL


class Command(BaseCommand):
    help = (
        "Reconstruit la base de connaissances du partage d'expérience à partir des missions "
        "closes et des démarches diagnostiquées, et calcule les vecteurs du modèle de similarité "
        "qui manquent. Peut être relancée sans risque."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = knowledge_rebuild()
        self.stdout.write(
            f"{report.missions} cas issus de missions closes, {report.procedures} issus de "
            f"démarches diagnostiquées ; {report.removed} retirés (leur source n'en donne plus)."
        )
        if report.kept_for_introductions:
            self.stdout.write(
                f"{report.kept_for_introductions} cas sans source conservés : une mise en "
                "relation les cite."
            )
        if report.method == METHOD_MODEL:
            self.stdout.write(f"{report.embedded} vecteurs calculés par le modèle de similarité.")
        else:
            self.stdout.write(
                "Modèle de similarité indisponible ou désactivé : la similarité lexicale seule "
                "sera utilisée."
            )
