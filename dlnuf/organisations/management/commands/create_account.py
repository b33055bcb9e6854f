"""Create a local account (e-mail and password), optionally an administrator of the guichet.

For deployments without ProConnect: the first administrator is created here, and then grants
roles to the others from the portal's roles page.
"""

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from dlnuf.organisations.models import Role, User
from dlnuf.organisations.services import membership_grant, user_create


class Command(BaseCommand):
    help = (
        "Crée un compte local (adresse électronique et mot de passe). Le mot de passe est demandé "
        "deux fois, ou lu sur l'entrée standard avec --password-stdin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="Adresse électronique, qui sert d'identifiant.")
        parser.add_argument("--first-name", default="", help="Prénom.")
        parser.add_argument("--last-name", default="", help="Nom.")
        parser.add_argument(
            "--administrator",
            action="store_true",
            help="Donne au compte le rôle d'administrateur du guichet.",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Lit le mot de passe sur l'entrée standard (première ligne).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"« {email} » n'est pas une adresse électronique valide.") from error
        password = self._password(options["password_stdin"])
        candidate = User(email=email, first_name=options["first_name"])
        try:
            validate_password(password, user=candidate)
        except ValidationError as error:
            raise CommandError("Mot de passe refusé : " + " ".join(error.messages)) from error
        try:
            with transaction.atomic():
                user = user_create(
                    email=email,
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    password=password,
                )
                if options["administrator"]:
                    membership_grant(
                        user=user,
                        role=Role.ADMINISTRATOR,
                        granted_by=None,
                        comment="compte créé par la commande create_account",
                    )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        role = " (administrateur du guichet)" if options["administrator"] else ""
        self.stdout.write(f"Compte créé : {user.email}{role}.")

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\n")
        first = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Mot de passe (encore) : ") != first:
            raise CommandError("Les deux mots de passe ne correspondent pas.")
        return first
