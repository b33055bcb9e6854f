from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.catalogue.services import CatalogueError, catalogue_load


class Command(BaseCommand):
    help = "Charge ou met à jour le catalogue depuis ses fichiers (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--directory",
            type=Path,
            default=None,
            help="Dossier des fichiers YAML (par défaut : dlnuf/catalogue/data).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = catalogue_load(directory=options["directory"])
        except CatalogueError as error:
            raise CommandError(
                "Catalogue non chargé, rien n'a été modifié :\n" + "\n".join(error.problems)
            ) from error
        for line in report.lines():
            self.stdout.write(line)
