"""Record an operator-granted habilitation and issue its credential."""

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.french import date_fr
from dlnuf.habilitations.models import Environment
from dlnuf.habilitations.services import credential_issue, habilitation_grant
from dlnuf.organisations.models import Organisation
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.organisations.validators import is_valid_siret


class Command(BaseCommand):
    help = (
        "Accorde à une organisation (créée si elle est inconnue) une habilitation sur des "
        "périmètres d'un jeu de données et émet son jeton. Le jeton est affiché une seule fois, "
        "seul sur la dernière ligne."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--siret", required=True, help="SIRET de l'organisation habilitée.")
        parser.add_argument("--dataset", required=True, help="Nom (slug) du jeu de données.")
        parser.add_argument(
            "--scopes",
            required=True,
            help="Périmètres accordés, séparés par des virgules (ex. cnaf_quotient_familial).",
        )
        parser.add_argument(
            "--environment",
            choices=Environment.values,
            default=Environment.PRODUCTION,
            help="sandbox (bac à sable) ou production (par défaut).",
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help="Durée de validité de l'habilitation et du jeton, en jours.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        siret = options["siret"].strip()
        if not is_valid_siret(siret):
            raise CommandError(
                f"« {siret} » n'est pas un SIRET valide : 14 chiffres avec une clé de contrôle "
                "correcte."
            )
        dataset = Dataset.objects.filter(slug=options["dataset"]).first()
        if dataset is None:
            known = ", ".join(Dataset.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"Jeu de données inconnu : « {options['dataset']} ». "
                f"Jeux de données du catalogue : {known or 'aucun (chargez le catalogue)'}."
            )
        scopes = list(dict.fromkeys(s.strip() for s in options["scopes"].split(",") if s.strip()))
        available = list(dataset.scopes.values_list("slug", flat=True))
        unknown = [scope for scope in scopes if scope not in available]
        if not scopes or unknown:
            raise CommandError(
                (
                    f"Périmètres inconnus pour « {dataset.slug} » : {', '.join(unknown)}. "
                    if unknown
                    else "Aucun périmètre demandé. "
                )
                + f"Périmètres de ce jeu de données : {', '.join(available)}."
            )
        days = options["expires_in_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-in-days doit être un nombre de jours positif.")
        known_before = Organisation.objects.filter(siret=siret).exists()
        try:
            with transaction.atomic():
                organisation = organisation_get_or_create(siret=siret)
                habilitation = habilitation_grant(
                    organisation=organisation,
                    dataset=dataset,
                    scope_slugs=scopes,
                    purpose="Habilitation accordée par un opérateur de la plateforme.",
                    expires_at=timezone.now() + timedelta(days=days) if days else None,
                    granted_by_label="commande issue_credential",
                )
                issued = credential_issue(
                    habilitation=habilitation,
                    environment=options["environment"],
                    expires_in_days=days,
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        credential = issued.credential
        environment_label = (
            "bac à sable" if credential.environment == Environment.SANDBOX else "production"
        )
        self.stdout.write(f"Organisation {siret} : {'déjà connue' if known_before else 'créée'}.")
        self.stdout.write(
            f"Habilitation n° {habilitation.pk} sur « {dataset.slug} », périmètres : "
            f"{', '.join(sorted(scopes))}."
        )
        self.stdout.write(
            f"Jeton {environment_label} n° {credential.pk} (préfixe {credential.prefix}), valable "
            f"jusqu'au {date_fr(credential.expires_at, with_time=True)}. Il ne sera plus "
            "jamais affiché : conservez-le maintenant. Jeton :"
        )
        self.stdout.write(issued.secret)
