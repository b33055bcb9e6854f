"""Demonstration data for a development machine: consumers, accounts, habilitations, sandbox
credentials, procedures with their diagnostics, habilitation requests in every state, and the
guichet's experts, support requests, missions and irritants.

The credentials have fixed, published secrets so that the README's examples work on a fresh
``make run``. They only reach the sandbox environment, and the command refuses to run in
production.
"""

import shlex
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations.demo import load_demo as demo_requests
from dlnuf.habilitations.models import Credential, Environment
from dlnuf.habilitations.services import credential_hash, credential_issue, habilitation_grant
from dlnuf.organisations.demo import load_demo as demo_accounts
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.people.demo import SANDBOX_QUOTIENT_IDENTITY
from dlnuf.people.demo import load_demo as demo_people
from dlnuf.procedures.demo import load_demo as demo_procedures
from dlnuf.support.demo import load_demo as demo_support
from dlnuf.toolbox.demo import load_demo as demo_toolbox

DEMO_LABEL = "données de démonstration"


@dataclass(frozen=True)
class DemoGrant:
    siret: str
    organisation: str
    dataset: str
    scopes: tuple[str, ...]
    purpose: str
    secret: str


DINUM = ("13002526500013", "Direction interministérielle du numérique (DINUM)")
LYON = ("21690123100011", "Ville de Lyon")
PARIS = ("21750001600019", "Ville de Paris")

# Published on purpose (README): sandbox credentials of the demonstration data only.
DEMO_GRANTS = (
    DemoGrant(
        *DINUM,
        "quotient-familial",
        ("cnaf_quotient_familial",),
        "Tarification sociale de la restauration administrative selon le quotient familial.",
        "dlnuf_sbx_demo1_quotient_familial_dinum_4b7e1c9d2a6f8053",
    ),
    DemoGrant(
        *DINUM,
        "statut-etudiant",
        ("mesri_identite", "mesri_admissions", "mesri_admission_inscrit"),
        "Tarif étudiant pour les services numériques de l'État.",
        "dlnuf_sbx_demo2_statut_etudiant_dinum_9c2f5e8a1d7b3046",
    ),
    DemoGrant(
        *LYON,
        "quotient-familial",
        ("cnaf_quotient_familial", "cnaf_allocataires", "cnaf_enfants", "cnaf_adresse"),
        "Inscription à la cantine et au périscolaire avec calcul du tarif.",
        "dlnuf_sbx_demo3_quotient_familial_lyon_1e8d4a7c3f9b2065",
    ),
    DemoGrant(
        *LYON,
        "unite-legale",
        ("unites_legales_etablissements_insee",),
        "Candidatures aux marchés publics de la ville.",
        "dlnuf_sbx_demo4_unite_legale_lyon_7a3c9e2b5d1f8046",
    ),
    DemoGrant(
        *LYON,
        "attestation-vigilance",
        ("attestation_sociale_urssaf",),
        "Contrôle semestriel des titulaires de marchés publics.",
        "dlnuf_sbx_demo5_attestation_vigilance_lyon_5f1b8d3e9a2c7064",
    ),
    DemoGrant(
        *PARIS,
        "scolarite",
        ("men_statut_scolarite", "men_statut_boursier", "men_echelon_bourse"),
        "Aide municipale aux familles des collégiens boursiers.",
        "dlnuf_sbx_demo6_scolarite_paris_3d9a6c1f8e4b2075",
    ),
    DemoGrant(
        *PARIS,
        "complementaire-sante-solidaire",
        ("complementaire_sante_solidaire",),
        "Gratuité des transports pour les bénéficiaires de la C2S.",
        "dlnuf_sbx_demo7_complementaire_sante_solidaire_paris_8b4e2a9d6c1f3057",
    ),
    DemoGrant(
        *PARIS,
        "attestation-fiscale",
        ("attestation_fiscale_dgfip",),
        "Instruction des demandes de subvention des associations.",
        "dlnuf_sbx_demo8_attestation_fiscale_paris_2c7f9b4e1a8d5063",
    ),
)

# The sandbox's nominal quotient familial identity, as the demo person « Alexis Lefebvre ».
EXAMPLE_QUERY = (
    *SANDBOX_QUOTIENT_IDENTITY,
    ("recipient", DINUM[0]),
    ("context", "Tarification de la restauration"),
    ("object", "dossier-2025-0001"),
)


def example_curl(secret: str = DEMO_GRANTS[0].secret) -> str:
    parts = [
        "curl",
        "-G",
        f"{settings.DLNUF_SITE_URL}/api/v1/data/quotient-familial",
        "-H",
        f"Authorization: Bearer {secret}",
    ]
    for name, value in EXAMPLE_QUERY:
        parts += ["--data-urlencode", f"{name}={value}"]
    return shlex.join(parts)


class Command(BaseCommand):
    help = (
        "Crée les données de démonstration (organisations, habilitations, jetons du bac à sable "
        "aux secrets publiés). Idempotent ; refusé en production."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError(
                "Les données de démonstration publient des jetons connus de tous : elles sont "
                "refusées en production."
            )
        missing = sorted(
            {grant.dataset for grant in DEMO_GRANTS}
            - set(Dataset.objects.values_list("slug", flat=True))
        )
        if missing:
            raise CommandError(
                "Jeux de données absents du catalogue : "
                + ", ".join(missing)
                + ". Lancez d'abord « manage.py load_catalogue »."
            )
        with transaction.atomic():
            outcomes = [self._ensure(grant) for grant in DEMO_GRANTS]
            # Accounts first: procedures and requests belong to the demonstration agents.
            demo_accounts(stdout=self.stdout)
            demo_procedures(stdout=self.stdout)
            demo_requests(stdout=self.stdout)
            demo_support(stdout=self.stdout)
            demo_toolbox(stdout=self.stdout)
        # Outside the transaction: the gateway's journal commits each access on its own.
        demo_people(
            stdout=self.stdout, secrets={(g.siret, g.dataset): g.secret for g in DEMO_GRANTS}
        )
        self.stdout.write("Données de démonstration (bac à sable) :")
        for grant, outcome in zip(DEMO_GRANTS, outcomes, strict=True):
            self.stdout.write(
                f"  {grant.organisation} ({grant.siret}) → {grant.dataset} "
                f"[{', '.join(grant.scopes)}] : {outcome}"
            )
            self.stdout.write(f"    jeton : {grant.secret}")
        self.stdout.write("Exemple :")
        self.stdout.write(example_curl())

    def _ensure(self, grant: DemoGrant) -> str:
        secret_hash = credential_hash(grant.secret)
        existing = (
            Credential.objects.select_related("habilitation")
            .filter(secret_hash=secret_hash)
            .first()
        )
        now = timezone.now()
        if existing is not None:
            if existing.revoked_at is not None or existing.habilitation.revoked_at is not None:
                return "révoqué, laissé tel quel"
            if min(existing.expires_at, existing.habilitation.expires_at) <= now:
                return "expiré, laissé tel quel (supprimez la base pour repartir de zéro)"
            return "déjà présent"
        organisation = organisation_get_or_create(siret=grant.siret, name=grant.organisation)
        habilitation = habilitation_grant(
            organisation=organisation,
            dataset=Dataset.objects.get(slug=grant.dataset),
            scope_slugs=grant.scopes,
            purpose=grant.purpose,
            granted_by_label=DEMO_LABEL,
        )
        issued = credential_issue(habilitation=habilitation, environment=Environment.SANDBOX)
        # Demonstration only (refused in production above): replace the random secret by the
        # published one, so that documented examples work on every fresh installation.
        credential = issued.credential
        credential.secret_hash = secret_hash
        credential.prefix = grant.secret[:16]
        credential.save(update_fields=["secret_hash", "prefix"])
        return "créé"
