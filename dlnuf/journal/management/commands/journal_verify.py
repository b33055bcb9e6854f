import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dlnuf.french import plural
from dlnuf.journal.verification import verify_journal


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


class Command(BaseCommand):
    help = (
        "Recalcule tout le journal (entrées, arbre de Merkle, têtes signées) et signale toute "
        "entrée modifiée, supprimée ou déplacée. Code de sortie non nul en cas d'anomalie."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--workers",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="Nombre de processus de vérification (défaut : 2 au plus).",
        )

    def handle(self, *args: Any, workers: int, **options: Any) -> None:
        report = verify_journal(workers=max(1, workers))
        seconds = f"{report.seconds:.2f}".replace(".", ",")
        self.stdout.write(
            f"Entrées vérifiées : {_number(report.entries_checked)} en {seconds} s "
            f"({_number(report.entries_per_second)} entrées/s)"
        )
        self.stdout.write(
            f"Nœuds vérifiés : {_number(report.nodes_checked)} ; "
            f"têtes signées vérifiées : {_number(report.signed_heads_checked)}"
        )
        if report.ok:
            root = report.root_hash.hex() if report.root_hash else ""
            self.stdout.write(
                self.style.SUCCESS(
                    f"Journal intègre : {_number(report.tree_size)} entrées, racine {root}."
                )
            )
            return
        for problem in report.problems:
            self.stderr.write(problem.message)
        if report.problems_not_described:
            self.stderr.write(
                "… et "
                + plural(
                    report.problems_not_described,
                    "autre anomalie non détaillée.",
                    "autres anomalies non détaillées.",
                )
            )
        total = len(report.problems) + report.problems_not_described
        raise CommandError(
            f"Journal altéré : {plural(total, 'anomalie détectée', 'anomalies détectées')}."
        )
