"""Demonstration requests in every state, for the demonstration organisations and accounts.

Development only. Each request is recognised by its organisation, dataset and title, so running
again adds nothing. The validated request's credentials wait to be shown once to its applicant,
as real ones do; nothing is announced by e-mail.
"""

from dataclasses import dataclass
from datetime import timedelta
from io import TextIOBase

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.selectors import current_terms
from dlnuf.habilitations import services
from dlnuf.habilitations.emails import notifications_muted
from dlnuf.habilitations.models import AuthorizationRequest, RequestState, Solution
from dlnuf.habilitations.solutions import solution_declare, solution_join
from dlnuf.organisations.models import Organisation, User

LYON = "21690123100011"
PARIS = "21750001600019"
AGENT_LYON = "agent.lyon@demo.dlnuf.fr"
AGENT_PARIS = "agent.paris@demo.dlnuf.fr"
INSTRUCTOR_CNAF = "instructeur.cnaf@demo.dlnuf.fr"
INSTRUCTOR_INSEE = "instructeur.insee@demo.dlnuf.fr"


@dataclass(frozen=True)
class DemoRequest:
    siret: str
    applicant: str
    dataset: str
    scopes: tuple[str, ...]
    title: str
    purpose: str
    state: RequestState
    instructor: str = ""
    comment: str = ""
    message: str = ""


DEMO_REQUESTS = (
    DemoRequest(
        LYON,
        AGENT_LYON,
        "quotient-familial",
        ("cnaf_quotient_familial",),
        "Aide aux vacances des enfants",
        "Calculer l'aide municipale aux séjours de vacances selon le quotient familial.",
        RequestState.DRAFT,
    ),
    DemoRequest(
        LYON,
        AGENT_LYON,
        "etablissement",
        ("unites_legales_etablissements_insee",),
        "Subventions aux commerces de proximité",
        "Vérifier l'adresse et l'activité des établissements qui demandent une subvention.",
        RequestState.SUBMITTED,
    ),
    DemoRequest(
        PARIS,
        AGENT_PARIS,
        "quotient-familial",
        ("cnaf_quotient_familial", "cnaf_allocataires", "cnaf_enfants"),
        "Tarification des conservatoires",
        "Appliquer le tarif des conservatoires municipaux selon le quotient familial.",
        RequestState.CHANGES_REQUESTED,
        instructor=INSTRUCTOR_CNAF,
        comment="La liste des enfants est-elle nécessaire ? Précisez l'usage ou retirez ce "
        "périmètre.",
        message="Bonjour, pouvez-vous aussi préciser la durée de conservation retenue ?",
    ),
    DemoRequest(
        PARIS,
        AGENT_PARIS,
        "unite-legale",
        ("unites_legales_etablissements_insee",),
        "Marchés publics de la ville",
        "Vérifier l'identité et la situation des entreprises candidates aux marchés publics.",
        RequestState.VALIDATED,
        instructor=INSTRUCTOR_INSEE,
        comment="Accordé pour 18 mois.",
    ),
    DemoRequest(
        LYON,
        AGENT_LYON,
        "unite-legale",
        ("unites_legales_etablissements_insee",),
        "Annuaire des entreprises du territoire",
        "Constituer un annuaire public des entreprises de la métropole.",
        RequestState.REFUSED,
        instructor=INSTRUCTOR_INSEE,
        comment="Un annuaire public relève des données ouvertes (base Sirene), pas d'une "
        "habilitation.",
    ),
)


def load_demo(*, stdout: TextIOBase) -> None:
    """Create the demonstration requests (idempotent; refused in production)."""
    if settings.IS_PRODUCTION:
        raise CommandError("Les données de démonstration sont refusées en production.")
    emails = (
        {demo.applicant for demo in DEMO_REQUESTS}
        | {demo.instructor for demo in DEMO_REQUESTS if demo.instructor}
        | {VENDOR_AGENT}
    )
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    missing = sorted(emails - set(users))
    if missing:
        raise CommandError(
            "Comptes de démonstration absents : " + ", ".join(missing) + ". Créez-les d'abord."
        )
    datasets = {d.slug: d for d in Dataset.objects.filter(slug__in=_slugs())}
    if len(datasets) != len(_slugs()):
        raise CommandError("Chargez d'abord le catalogue (« manage.py load_catalogue »).")
    stdout.write("Demandes d'habilitation de démonstration :\n")
    with notifications_muted(), transaction.atomic():
        for demo in DEMO_REQUESTS:
            outcome = _ensure(demo, users, datasets)
            stdout.write(
                f"  {demo.title} ({demo.dataset}, {demo.state.label}) : {outcome}\n",
            )
        stdout.write(f"Solution d'éditeur de démonstration : {_ensure_solution(users, datasets)}\n")


def _slugs() -> set[str]:
    return {demo.dataset for demo in DEMO_REQUESTS}


def _ensure(demo: DemoRequest, users: dict[str, User], datasets: dict[str, Dataset]) -> str:
    organisation = Organisation.objects.get(siret=demo.siret)
    dataset = datasets[demo.dataset]
    if AuthorizationRequest.objects.filter(
        organisation=organisation, dataset=dataset, title=demo.title
    ).exists():
        return "déjà présente"
    agent = users[demo.applicant]
    request = services.authorization_request_create(
        organisation=organisation,
        dataset=dataset,
        scope_slugs=demo.scopes,
        created_by=agent,
        purpose=demo.purpose,
        expected_volume=20,
    )
    services.authorization_request_update(
        request=request,
        actor=agent,
        values=_filled_in(demo, organisation, dataset),
    )
    if demo.state == RequestState.DRAFT:
        return "créée"
    # Submitting takes the dataset's current terms of use, accepted as the form asks.
    request = services.authorization_request_accept_terms(
        request=request, actor=agent, version=current_terms(dataset)
    )
    request = services.authorization_request_submit(request=request, actor=agent)
    decider = users.get(demo.instructor)
    if decider is None:
        return "créée"
    if demo.state == RequestState.CHANGES_REQUESTED:
        services.authorization_request_request_changes(
            request=request, actor=decider, comment=demo.comment
        )
        services.request_message_post(request=request, author=decider, body=demo.message)
    elif demo.state == RequestState.VALIDATED:
        services.authorization_request_validate(
            request=request, actor=decider, comment=demo.comment
        )
    elif demo.state == RequestState.REFUSED:
        services.authorization_request_refuse(request=request, actor=decider, comment=demo.comment)
    return "créée"


def _filled_in(
    demo: DemoRequest, organisation: Organisation, dataset: Dataset
) -> dict[str, object]:
    town = organisation.name or "la collectivité"
    domain = "lyon.fr" if demo.siret == LYON else "paris.fr"
    return {
        "title": demo.title,
        "procedure_names": demo.title,
        "legal_basis_article": "Articles R114-9-1 et R114-9-2"
        if dataset.subject_kind == "company"
        else "Articles L114-8 et R114-9-3",
        "legal_basis_url": "https://www.legifrance.gouv.fr/codes/section_lc/LEGITEXT000031366350/",
        "data_recipients": f"Agents instructeurs de {town}",
        "retention_months": 24,
        "business_contact_name": "Responsable du service instructeur",
        "business_contact_email": f"service.instructeur@{domain}",
        "technical_contact_name": "Équipe du système d'information",
        "technical_contact_email": f"si@{domain}",
        "dpo_name": "Délégué à la protection des données",
        "dpo_email": f"dpo@{domain}",
        "controller_name": f"Maire de {town.removeprefix('Ville de ')}",
        "controller_email": f"cabinet@{domain}",
        "volume_justification": "Environ 20 000 dossiers par an, avec un pic à la rentrée.",
        "go_live_date": timezone.localdate() + timedelta(days=90),
    }


VENDOR = "84123456700011"
VENDOR_AGENT = "editeur@demo.dlnuf.fr"
DEMO_SOLUTION = {
    "name": "Cantine Facile",
    "version": "4.2",
    "use_case": "Facturation de la restauration scolaire : le tarif de chaque famille suit son "
    "quotient familial, sans justificatif à fournir.",
    "security_description": "Accès nominatifs avec double facteur, chiffrement au repos et en "
    "transit, journalisation des consultations, test d'intrusion annuel.",
    "hosting": "Hébergeur qualifié SecNumCloud, centres de données en France.",
}


def _ensure_solution(users: dict[str, User], datasets: dict[str, Dataset]) -> str:
    """The vendor's solution for the canteen, approved, and Paris's joining request waiting for
    the instructor's decision."""
    vendor = Organisation.objects.get(siret=VENDOR)
    if Solution.objects.filter(vendor=vendor, name=DEMO_SOLUTION["name"]).exists():
        return "déjà présente"
    agent = users[VENDOR_AGENT]
    solution = solution_declare(
        vendor=vendor,
        dataset=datasets["quotient-familial"],
        actor=agent,
        values=DEMO_SOLUTION,
        purpose="Appliquer à chaque famille le tarif de cantine de sa tranche de quotient "
        "familial.",
        scope_slugs=["cnaf_quotient_familial"],
    )
    values = _filled_in(DEMO_REQUESTS[0], vendor, datasets["quotient-familial"])
    domain_values = {
        "title": solution.request.title,
        "procedure_names": "Inscription à la restauration scolaire",
        "data_recipients": "Agents des services de restauration scolaire des communes clientes",
        "business_contact_email": "commercial@cantine-facile.fr",
        "technical_contact_email": "technique@cantine-facile.fr",
        "dpo_email": "dpo@cantine-facile.fr",
        "controller_name": "Présidente de Cantine Facile",
        "controller_email": "direction@cantine-facile.fr",
        "expected_calls_per_minute": 10,
    }
    services.authorization_request_update(
        request=solution.request, actor=agent, values={**values, **domain_values}
    )
    terms = current_terms(datasets["quotient-familial"])
    if terms is not None:
        services.authorization_request_accept_terms(
            request=solution.request, actor=agent, version=terms
        )
    services.authorization_request_submit(request=solution.request, actor=agent)
    services.authorization_request_validate(
        request=solution.request,
        actor=users[INSTRUCTOR_CNAF],
        comment="Solution habilitée : les communes clientes peuvent y adhérer.",
    )
    solution.refresh_from_db()
    paris = Organisation.objects.get(siret=PARIS)
    solution_join(
        solution=solution,
        organisation=paris,
        actor=users[AGENT_PARIS],
        values={
            "legal_basis_nature": "crpa_l114_8",
            "legal_basis_article": "Délibération du Conseil de Paris 2026 DASCO 12",
            "legal_basis_url": "https://www.paris.fr/pages/les-deliberations-du-conseil-de-paris",
            "dpo_name": "Délégué à la protection des données",
            "dpo_email": "dpo@paris.fr",
            "technical_contact_name": "Équipe du système d'information",
            "technical_contact_email": "si@paris.fr",
            "controller_name": "Maire de Paris",
            "controller_email": "cabinet@paris.fr",
            "expected_calls_per_minute": 30,
            "volume_justification": "Environ 130 000 enfants inscrits, pic à la rentrée.",
            "go_live_date": timezone.localdate() + timedelta(days=60),
        },
        terms_version=terms,
    )
    return "créée"
