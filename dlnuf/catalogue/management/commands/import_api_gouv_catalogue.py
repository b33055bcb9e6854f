from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.catalogue.api_gouv import (
    DEFAULT_SEED_FILE,
    ApiGouvImportError,
    convert,
    read_facts,
    write_seed,
)


class Command(BaseCommand):
    help = (
        "Écrit le fichier du catalogue listant les API publiques d'api.gouv.fr non servies par la "
        "passerelle, à partir des faits extraits du catalogue api.gouv.fr (JSON). Lancer ensuite "
        "load_catalogue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("facts", type=Path, help="Fichier JSON des faits (apis, producers).")
        parser.add_argument(
            "--output",
            type=Path,
            default=DEFAULT_SEED_FILE,
            help="Fichier YAML à écrire (par défaut : le fichier api-gouv du catalogue).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            conversion = convert(read_facts(options["facts"]))
        except ApiGouvImportError as error:
            raise CommandError(
                "Import impossible, aucun fichier écrit :\n" + "\n".join(error.problems)
            ) from error
        write_seed(conversion, options["output"])
        for line in conversion.skipped:
            self.stdout.write(line)
        self.stdout.write(
            f"{len(conversion.apis)} API et {len(conversion.producers)} producteurs écrits dans "
            f"{options['output']}. Lancez « python manage.py load_catalogue » pour les charger."
        )
