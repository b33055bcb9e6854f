"""Refresh the technology review's reference data (endoflife.date cycles, SILL catalogue)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dlnuf.french import plural
from dlnuf.toolbox.tech_review.catalogues import data_dir, load_catalogues
from dlnuf.toolbox.tech_review.refresh import (
    EOL_BASE_URL,
    SILL_URL,
    RefreshOutcome,
    make_client,
    refresh_eol,
    refresh_sill,
)


class Command(BaseCommand):
    help = (
        "Met à jour les cycles de vie (endoflife.date) et le catalogue du SILL utilisés par la "
        "revue des technologies. Sans option : tous les produits connus et le SILL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--eol-products",
            help="produits endoflife.date à mettre à jour, séparés par des virgules",
        )
        parser.add_argument("--sill", action="store_true", help="mettre à jour le SILL")
        parser.add_argument("--eol-base-url", default=EOL_BASE_URL)
        parser.add_argument("--sill-url", default=SILL_URL)

    def handle(self, *args: Any, **options: Any) -> None:
        folder = data_dir()
        today = timezone.localdate()
        wanted = options["eol_products"]
        everything = not wanted and not options["sill"]
        products = (
            [p.strip() for p in wanted.split(",") if p.strip()]
            if wanted
            else (sorted(load_catalogues().eol_products) if everything else [])
        )
        outcome = RefreshOutcome()
        with make_client() as client:
            if products:
                eol = refresh_eol(
                    products,
                    folder=folder,
                    base_url=options["eol_base_url"],
                    today=today,
                    client=client,
                )
                outcome.updated += eol.updated
                outcome.failed.update(eol.failed)
            if options["sill"] or everything:
                sill = refresh_sill(
                    folder=folder, url=options["sill_url"], today=today, client=client
                )
                outcome.updated += sill.updated
                outcome.failed.update(sill.failed)
        for name in outcome.updated:
            self.stdout.write(f"{name} : mis à jour ({today.isoformat()}).")
        for name, reason in outcome.failed.items():
            self.stderr.write(f"{name} : inchangé — {reason}")
        if outcome.failed:
            failed = len(outcome.failed)
            raise CommandError(
                plural(failed, "source non mise à jour.", "sources non mises à jour.")
            )
