"""Rebuild the Panorama reference file of the cost-estimate review from the published editions."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.toolbox.costing.panorama import EDITIONS, read_editions, write_panorama
from dlnuf.toolbox.costing.reference import PANORAMA_FILE, panorama_projects


class Command(BaseCommand):
    help = (
        "Lit les éditions publiées du Panorama des grands projets SI de l'État (fichiers "
        f"{', '.join(EDITIONS)}) dans le dossier donné et réécrit {PANORAMA_FILE.name}, la "
        "référence de la revue de chiffrage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="Dossier des éditions du Panorama.")
        parser.add_argument(
            "--output",
            type=Path,
            default=PANORAMA_FILE,
            help="Fichier à écrire (par défaut, celui de l'application).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["source"]
        if not source.is_dir():
            raise CommandError(f"Dossier introuvable : {source}")
        editions = read_editions(source)
        if not editions:
            raise CommandError(f"Aucune édition du Panorama dans {source}.")
        rows = [row for edition in sorted(editions) for row in editions[edition]]
        written = write_panorama(rows, options["output"])
        for edition in sorted(editions):
            self.stdout.write(f"Édition {edition} : {len(editions[edition])} projets.")
        distinct = len(panorama_projects(options["output"]))
        self.stdout.write(
            self.style.SUCCESS(f"{written} lignes écrites ({distinct} projets distincts).")
        )
