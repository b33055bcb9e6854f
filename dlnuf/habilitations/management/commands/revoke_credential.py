"""Revoke a credential with immediate effect."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.french import date_fr
from dlnuf.habilitations.models import Credential
from dlnuf.habilitations.services import credential_hash, credential_revoke


class Command(BaseCommand):
    help = (
        "Révoque un jeton, désigné par son préfixe (affiché à sa création) ou par le jeton "
        "entier. La révocation prend effet immédiatement."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "prefix", help="Préfixe du jeton (ex. dlnuf_prd_Ab12Cd) ou jeton entier."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        given = options["prefix"].strip()
        matches = list(
            Credential.objects.filter(secret_hash=credential_hash(given))
            or Credential.objects.filter(prefix=given)
        )
        if not matches:
            raise CommandError(f"Aucun jeton ne porte le préfixe « {given} ».")
        if len(matches) > 1:
            raise CommandError(
                f"{len(matches)} jetons portent le préfixe « {given} » : donnez le jeton entier."
            )
        credential = matches[0]
        if credential.revoked_at is not None:
            self.stdout.write(
                f"Le jeton {credential.prefix}… était déjà révoqué depuis le "
                f"{date_fr(credential.revoked_at, with_time=True)}."
            )
            return
        credential_revoke(credential=credential)
        self.stdout.write(f"Jeton {credential.prefix}… révoqué : il est refusé dès maintenant.")
