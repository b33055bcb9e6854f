"""Write the project's RGAA criteria data from the reference file published by DINUM.

manage.py import_rgaa_criteria criteres-rgaa-4.1.2.json [--output path]
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.toolbox.accessibility.criteria import (
    CRITERIA_FILE,
    CriteriaDataError,
    convert_reference,
)


class Command(BaseCommand):
    help = "Importe les critères RGAA 4.1.2 (fichier de référence JSON de la DINUM)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="criteres-rgaa-4.1.2.json")
        parser.add_argument("--output", default=str(CRITERIA_FILE))

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"])
        try:
            raw = json.loads(source.read_text(encoding="utf-8"))
            data = convert_reference(raw)
        except OSError as error:
            raise CommandError(f"Lecture impossible de {source} : {error}") from error
        except (ValueError, CriteriaDataError) as error:
            raise CommandError(
                f"{source} n'est pas le fichier des critères RGAA : {error}"
            ) from error
        output = Path(options["output"])
        output.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        criteria = sum(len(topic["criteria"]) for topic in data["topics"])
        tests = sum(len(c["tests"]) for topic in data["topics"] for c in topic["criteria"])
        self.stdout.write(
            f"{len(data['topics'])} thématiques, {criteria} critères et {tests} tests écrits "
            f"dans {output}."
        )
