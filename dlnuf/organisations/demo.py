"""Demonstration accounts, one per role, all with the same published password.

Development only: the password is written in the README, so ``load_demo`` refuses to run in
production. Running it again changes nothing: existing accounts keep their password and get back
any demonstration role they lost.
"""

from dataclasses import dataclass
from io import TextIOBase
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.emails import notifications_muted
from dlnuf.organisations.models import AccountRequest, Invitation, Role, User
from dlnuf.organisations.services import (
    account_request_submit,
    invitation_create,
    membership_grant,
    organisation_get_or_create,
    user_create,
)

DEMO_PASSWORD = "demo-dlnuf-2026"  # noqa: S105 — published on purpose, refused in production

DEMO_ORGANISATIONS = {
    "13002526500013": "Direction interministérielle du numérique (DINUM)",
    "21690123100011": "Ville de Lyon",
    "21750001600019": "Ville de Paris",
    "84123456700011": "Cantine Facile, éditeur de logiciels",
}


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    role: Role
    siret: str = ""
    provider: str = ""

    @property
    def scope(self) -> str:
        if self.siret:
            return DEMO_ORGANISATIONS[self.siret]
        if self.provider:
            return f"fournisseur {self.provider}"
        return "tout le guichet"


DEMO_USERS = (
    DemoUser(
        "agent.lyon@demo.dlnuf.fr", "Camille", "Rivière", Role.APPLICANT, siret="21690123100011"
    ),
    DemoUser(
        "agent.paris@demo.dlnuf.fr", "Sacha", "Marchand", Role.APPLICANT, siret="21750001600019"
    ),
    DemoUser("editeur@demo.dlnuf.fr", "Maël", "Bonnet", Role.APPLICANT, siret="84123456700011"),
    DemoUser(
        "instructeur.cnaf@demo.dlnuf.fr", "Dominique", "Leroy", Role.INSTRUCTOR, provider="cnaf-msa"
    ),
    DemoUser(
        "instructeur.insee@demo.dlnuf.fr", "Claude", "Fontaine", Role.INSTRUCTOR, provider="insee"
    ),
    DemoUser(
        "rapporteur.cnaf@demo.dlnuf.fr", "Alix", "Besnard", Role.REPORTER, provider="cnaf-msa"
    ),
    DemoUser("expert@demo.dlnuf.fr", "Morgan", "Perrin", Role.EXPERT),
    DemoUser("admin@demo.dlnuf.fr", "Jean-Noël", "Garnier", Role.ADMINISTRATOR),
)

DEMO_COMMENT = "données de démonstration"


def load_demo(*, stdout: TextIOBase) -> None:
    """Create the demonstration accounts and their roles (idempotent; refused in production)."""
    if settings.IS_PRODUCTION:
        raise CommandError(
            "Les comptes de démonstration ont un mot de passe publié : ils sont refusés en "
            "production."
        )
    providers = {provider.slug: provider for provider in Provider.objects.all()}
    missing = sorted({user.provider for user in DEMO_USERS if user.provider} - set(providers))
    if missing:
        raise CommandError(
            "Fournisseurs absents du catalogue : "
            + ", ".join(missing)
            + ". Lancez d'abord « manage.py load_catalogue »."
        )
    with transaction.atomic():
        outcomes = [_ensure(demo, providers) for demo in DEMO_USERS]
        with notifications_muted():
            _ensure_pending_account_flows()
    stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :\n")
    for demo, outcome in zip(DEMO_USERS, outcomes, strict=True):
        stdout.write(
            f"  {demo.email} — {demo.role.label}, {demo.scope} : {outcome}\n",
        )


def _ensure(demo: DemoUser, providers: dict[str, Provider]) -> str:
    user = User.objects.filter(email__iexact=demo.email).first()
    outcome = "déjà présent"
    if user is None:
        user = user_create(
            email=demo.email,
            first_name=demo.first_name,
            last_name=demo.last_name,
            password=DEMO_PASSWORD,
        )
        outcome = "créé"
    target: dict[str, Any] = {}
    if demo.siret:
        target["organisation"] = organisation_get_or_create(
            siret=demo.siret, name=DEMO_ORGANISATIONS[demo.siret]
        )
    if demo.provider:
        target["provider"] = providers[demo.provider]
    had_role = user.memberships.filter(role=demo.role, **target).exists()
    membership_grant(user=user, role=demo.role, granted_by=None, comment=DEMO_COMMENT, **target)
    if outcome == "déjà présent" and not had_role:
        outcome = "rôle rétabli"
    return outcome


DEMO_INVITED_EMAIL = "lou.girard@demo.dlnuf.fr"
DEMO_ACCOUNT_REQUEST_EMAIL = "noa.morel@demo.dlnuf.fr"


def _ensure_pending_account_flows() -> None:
    """A pending invitation (Lyon invites a colleague) and an account request to decide, so
    that the administrators' pages show something."""
    if not Invitation.objects.filter(email=DEMO_INVITED_EMAIL).exists():
        lyon = organisation_get_or_create(siret="21690123100011")
        invitation_create(
            invited_by=User.objects.get(email="agent.lyon@demo.dlnuf.fr"),
            email=DEMO_INVITED_EMAIL,
            first_name="Lou",
            last_name="Girard",
            role=Role.APPLICANT,
            organisation=lyon,
        )
    if not AccountRequest.objects.filter(email=DEMO_ACCOUNT_REQUEST_EMAIL).exists():
        account_request_submit(
            first_name="Noa",
            last_name="Morel",
            email=DEMO_ACCOUNT_REQUEST_EMAIL,
            siret="21750001600019",
            role=Role.APPLICANT,
            reason="Chargée de la démarche de tarification de la cantine à la Ville de Paris.",
        )
