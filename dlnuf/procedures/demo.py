"""Demonstration procedures of Ville de Lyon and Ville de Paris, with their diagnostics.

Development only. Needs the catalogue and the demonstration accounts (agent.lyon@…,
agent.paris@…); without them it says so and does nothing. Idempotent: a procedure already
present (same organisation and name) is left as it is.
"""

from dataclasses import dataclass
from io import TextIOBase

from django.db import transaction

from dlnuf.organisations.models import Organisation, User
from dlnuf.procedures.models import ItemSource, Procedure
from dlnuf.procedures.selectors import catalogue_matcher
from dlnuf.procedures.services import (
    diagnostic_run,
    procedure_create,
    procedure_item_set_asked,
    procedure_items_add,
    procedure_items_pick,
)

LYON = "21690123100011"
PARIS = "21750001600019"


@dataclass(frozen=True)
class DemoProcedure:
    siret: str
    agent_email: str
    name: str
    url: str
    yearly_volume: int
    picked: tuple[str, ...]  # slugs from the list of common items
    typed: tuple[str, ...]  # labels as the form writes them
    # Items the procedure stopped asking for after a first diagnostic (its progress).
    obtained_later: tuple[str, ...] = ()


DEMO_PROCEDURES = (
    DemoProcedure(
        siret=LYON,
        agent_email="agent.lyon@demo.dlnuf.fr",
        name="Inscription à la cantine scolaire",
        url="https://demarches.lyon.fr/inscription-cantine",
        yearly_volume=18_000,
        picked=("avis-imposition", "justificatif-domicile", "certificat-scolarite"),
        typed=(
            "Attestation CAF de moins de 3 mois",
            "Allergies alimentaires de l'enfant",
            "RIB pour le prélèvement",
        ),
        obtained_later=("Attestation CAF de moins de 3 mois",),
    ),
    DemoProcedure(
        siret=LYON,
        agent_email="agent.lyon@demo.dlnuf.fr",
        name="Tarif réduit des bibliothèques municipales",
        url="https://demarches.lyon.fr/bibliotheques-tarif-reduit",
        yearly_volume=4_500,
        picked=("carte-etudiant", "attestation-france-travail"),
        typed=("Bénéficiaire du RSA", "Pièce d'identité"),
    ),
    DemoProcedure(
        siret=PARIS,
        agent_email="agent.paris@demo.dlnuf.fr",
        name="Carte de transport scolaire",
        url="https://www.paris.fr/demarches/transport-scolaire",
        yearly_volume=32_000,
        picked=(
            "certificat-scolarite",
            "justificatif-domicile",
            "avis-imposition",
            "notification-bourse-college-lycee",
            "livret-famille",
            "photo-identite",
        ),
        typed=("Quotient familial",),
    ),
)


def load_demo(*, stdout: TextIOBase) -> None:
    """Create the demonstration procedures and run their diagnostics (idempotent)."""
    for demo in DEMO_PROCEDURES:
        agent = User.objects.filter(email__iexact=demo.agent_email).first()
        organisation = Organisation.objects.filter(siret=demo.siret).first()
        if agent is None or organisation is None:
            stdout.write(
                f"Démarche « {demo.name} » ignorée : compte {demo.agent_email} ou organisation "
                f"{demo.siret} absent (chargez d'abord les comptes de démonstration).\n"
            )
            continue
        if Procedure.objects.filter(organisation=organisation, name=demo.name).exists():
            stdout.write(f"Démarche « {demo.name} » : déjà présente.\n")
            continue
        procedure = _create(demo, organisation, agent)
        latest = procedure.diagnostics.order_by("-run_at", "-pk").first()
        stdout.write(
            f"Démarche « {demo.name} » ({organisation.name}) : créée, "
            f"{procedure.diagnostics.count()} diagnostic(s), niveau "
            f"{latest.get_level_display() if latest else '—'}.\n"
        )


@transaction.atomic
def _create(demo: DemoProcedure, organisation: Organisation, agent: User) -> Procedure:
    matcher = catalogue_matcher()
    procedure = procedure_create(
        organisation=organisation,
        name=demo.name,
        url=demo.url,
        yearly_volume=demo.yearly_volume,
        created_by=agent,
    )
    procedure_items_pick(procedure=procedure, slugs=demo.picked, added_by=agent, matcher=matcher)
    procedure_items_add(
        procedure=procedure, labels=demo.typed, source=ItemSource.TYPED, added_by=agent
    )
    diagnostic_run(procedure=procedure, run_by=agent, matcher=matcher)
    if demo.obtained_later:
        for item in procedure.items.filter(label__in=demo.obtained_later):
            procedure_item_set_asked(item=item, still_asked=False, changed_by=agent)
        diagnostic_run(procedure=procedure, run_by=agent, matcher=matcher)
    return procedure
