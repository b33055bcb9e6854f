"""Demonstration data of the guichet: experts, requests at every step, missions, irritants.

Development only, idempotent: a request whose subject already exists is left as it is. Dates are
set relative to today so that the board always shows something due and something overdue.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from io import TextIOBase

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.organisations.models import Role, User
from dlnuf.organisations.services import membership_grant, user_create
from dlnuf.support import services
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.emails import notifications_muted
from dlnuf.support.models import (
    Channel,
    ConsultantCost,
    Decision,
    Expert,
    FramingStatus,
    HelpKind,
    Meeting,
    Ministry,
    Priority,
    Skill,
    SupportRequest,
    TimeEntry,
    Urgency,
)

EXPERT_EMAIL = "expert@demo.dlnuf.fr"
ADMIN_EMAIL = "admin@demo.dlnuf.fr"

# Experts of the demonstration: the two accounts that sign in, and two colleagues who do not
# (no password), so that teams and loads look like a real desk.
DEMO_EXPERTS = (
    (EXPERT_EMAIL, "", "", (Skill.ARCHITECTURE, Skill.DATA_API, Skill.LEGAL), 4),
    (ADMIN_EMAIL, "", "", (Skill.PROJECT_MANAGEMENT, Skill.COSTING, Skill.VALUE), 2),
    (
        "ines.caron@demo.dlnuf.fr",
        "Inès",
        "Caron",
        (Skill.ACCESSIBILITY, Skill.CODE_QUALITY, Skill.ARCHITECTURE),
        3,
    ),
    (
        "yanis.morel@demo.dlnuf.fr",
        "Yanis",
        "Morel",
        (Skill.LEGAL, Skill.DATA_API, Skill.SECURITY),
        3,
    ),
)

SMALL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class DemoRequest:
    subject: str
    organisation_name: str
    siret: str
    ministry: Ministry
    requester: tuple[str, str, str]  # name, role, e-mail
    context: str
    need: str
    help_kinds: tuple[HelpKind, ...]
    urgency: Urgency
    channel: Channel
    received_days_ago: int
    # What the desk did: "new", "qualified", "redirected", "mission", "closed_mission".
    outcome: str
    datasets: tuple[str, ...] = ()
    problem: str = ""
    solution: str = ""
    satisfaction: int | None = None
    attachments: tuple[IncomingFile, ...] = field(default=())


DEMO_REQUESTS = (
    DemoRequest(
        "Ne plus demander de justificatif de domicile pour le périscolaire",
        "Ville de Lyon",
        "21690123100011",
        Ministry.LOCAL_AUTHORITY,
        ("Camille Rivière", "Cheffe de projet e-services", "agent.lyon@demo.dlnuf.fr"),
        "Les familles joignent un justificatif de domicile et leur avis CAF à chaque inscription "
        "au périscolaire ; 40 000 dossiers par an.",
        "Savoir quelles données remplacent ces pièces et comment obtenir l'habilitation.",
        (HelpKind.FRAMING,),
        Urgency.HIGH,
        Channel.FORM,
        6,
        "new",
    ),
    DemoRequest(
        "Bourses départementales : vérifier le statut boursier sans pièce",
        "Département de la Gironde",
        "",
        Ministry.LOCAL_AUTHORITY,
        ("Lou Bernard", "Responsable du service éducation", "lou.bernard@exemple.gouv.fr"),
        "Nous demandons la notification de bourse de collège pour l'aide au transport.",
        "Un exemple d'administration qui lit déjà le statut boursier par API.",
        (HelpKind.EXPERIENCE,),
        Urgency.NORMAL,
        Channel.EMAIL,
        1,
        "new",
        attachments=(IncomingFile("formulaire-actuel.pdf", SMALL_PDF),),
    ),
    DemoRequest(
        "Architecture pour appeler les API de données depuis notre portail",
        "Ville de Paris",
        "21750001600019",
        Ministry.LOCAL_AUTHORITY,
        ("Sacha Marchand", "Architecte", "agent.paris@demo.dlnuf.fr"),
        "Notre portail usagers est un progiciel ; l'éditeur propose un connecteur payant.",
        "Un avis sur l'architecture : passerelle, cache, journalisation, secrets.",
        (HelpKind.BLOCKING_POINT,),
        Urgency.NORMAL,
        Channel.FORM,
        4,
        "qualified",
    ),
    DemoRequest(
        "Refonte du portail des aides sociales du CCAS",
        "Centre communal d'action sociale de Grenoble",
        "",
        Ministry.LOCAL_AUTHORITY,
        ("Nadia Haddad", "Directrice du CCAS", "nadia.haddad@exemple.gouv.fr"),
        "Chaque aide facultative demande l'avis d'imposition, l'attestation CAF et un RIB.",
        "Cadrer la refonte : périmètre, budget, équipe, valeur, questions juridiques.",
        (HelpKind.FRAMING, HelpKind.EXPERIENCE),
        Urgency.NORMAL,
        Channel.EMAIL,
        30,
        "mission",
        datasets=("quotient-familial", "attestation-fiscale"),
    ),
    DemoRequest(
        "Tarification sociale de la cantine au quotient familial",
        "Communauté d'agglomération du Pays Basque",
        "",
        Ministry.LOCAL_AUTHORITY,
        ("Iban Etcheverry", "Chef de projet", "iban.etcheverry@exemple.gouv.fr"),
        "Les familles déposaient leur attestation CAF pour le tarif de la cantine.",
        "Obtenir le quotient familial directement et l'intégrer au logiciel de facturation.",
        (HelpKind.FRAMING,),
        Urgency.LOW,
        Channel.FORM,
        120,
        "closed_mission",
        datasets=("quotient-familial",),
        problem="Attestation CAF demandée à chaque rentrée pour calculer le tarif de cantine.",
        solution="Habilitation au quotient familial (CNAF/MSA), appel depuis le logiciel de "
        "facturation au moment de l'inscription, repli sur la pièce en cas d'absence.",
        satisfaction=5,
    ),
    DemoRequest(
        "Attestations de vigilance URSSAF dans les marchés publics",
        "Direction des achats de l'État",
        "",
        Ministry.ECONOMY,
        ("Hugo Lambert", "Chef du bureau des achats", "hugo.lambert@exemple.gouv.fr"),
        "Les titulaires envoient tous les six mois leur attestation de vigilance.",
        "Automatiser le contrôle semestriel des attestations.",
        (HelpKind.BLOCKING_POINT, HelpKind.EXPERIENCE),
        Urgency.NORMAL,
        Channel.EMAIL,
        90,
        "closed_mission",
        datasets=("attestation-vigilance", "unite-legale"),
        problem="Contrôle semestriel des attestations de vigilance des titulaires, à la main.",
        solution="Appel de l'attestation de vigilance par SIREN chaque semestre, alerte en cas "
        "d'attestation absente.",
        satisfaction=4,
    ),
    DemoRequest(
        "Financement d'un nouveau logiciel de gestion des salles",
        "Mairie de Saint-Malo",
        "",
        Ministry.LOCAL_AUTHORITY,
        ("Alex Guérin", "Responsable informatique", "alex.guerin@exemple.gouv.fr"),
        "Nous cherchons un financement pour remplacer notre logiciel de réservation.",
        "Une subvention.",
        (),
        Urgency.LOW,
        Channel.EMAIL,
        10,
        "redirected",
    ),
)

REDIRECT_EXPLANATION = (
    "Le guichet accompagne les projets qui évitent de redemander des informations aux usagers ; "
    "il ne finance pas de logiciel. Les appels à projets du plan de transformation numérique des "
    "territoires vous concernent : votre préfecture vous indiquera le calendrier."
)


def load_demo(*, stdout: TextIOBase) -> None:
    if settings.IS_PRODUCTION:
        raise CommandError("Les données de démonstration du guichet sont refusées en production.")
    experts = _ensure_experts()
    if experts is None:
        stdout.write(
            "Guichet : comptes expert et administrateur absents (chargez d'abord les comptes).\n"
        )
        return
    created = 0
    with notifications_muted():
        for demo in DEMO_REQUESTS:
            if SupportRequest.objects.filter(subject=demo.subject).exists():
                continue
            _create(demo, experts)
            created += 1
    stdout.write(
        f"Guichet : {created} demande(s) d'accompagnement créée(s), "
        f"{SupportRequest.objects.count()} au total.\n"
    )


@transaction.atomic
def _ensure_experts() -> dict[str, User] | None:
    users: dict[str, User] = {}
    for email, first_name, last_name, skills, capacity in DEMO_EXPERTS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            if not first_name:
                return None
            user = user_create(email=email, first_name=first_name, last_name=last_name)
            membership_grant(
                user=user, role=Role.EXPERT, granted_by=None, comment="données de démonstration"
            )
        Expert.objects.get_or_create(
            user=user, defaults={"skills": [str(skill) for skill in skills], "capacity": capacity}
        )
        users[email] = user
    return users


@transaction.atomic
def _create(demo: DemoRequest, experts: dict[str, User]) -> None:
    expert = experts[EXPERT_EMAIL]
    admin = experts[ADMIN_EMAIL]
    name, role, email = demo.requester
    request = services.support_request_create(
        channel=demo.channel,
        values={
            "organisation_name": demo.organisation_name,
            "siret": demo.siret,
            "ministry": demo.ministry,
            "requester_name": name,
            "requester_role": role,
            "requester_email": email,
            "subject": demo.subject,
            "context": demo.context,
            "need": demo.need,
            "help_kinds": list(demo.help_kinds),
            "urgency": demo.urgency,
        },
        attachments=demo.attachments,
        message_id=f"<demo-{hashlib.sha256(demo.subject.encode()).hexdigest()[:16]}@exemple.gouv.fr>"
        if demo.channel == Channel.EMAIL
        else "",
    )
    received = timezone.now() - timedelta(days=demo.received_days_ago)
    request.created_at = received
    request.first_answer_due = services.add_working_days(
        received, services.FIRST_ANSWER_WORKING_DAYS[demo.urgency]
    )
    request.save(update_fields=["created_at", "first_answer_due"])
    if demo.outcome == "new":
        return
    if demo.outcome == "redirected":
        services.support_request_redirect(
            request=request, actor=expert, explanation=REDIRECT_EXPLANATION
        )
        return
    services.support_request_qualify(request=request, actor=expert, priority=Priority.NORMAL)
    services.support_request_assign(
        request=request, actor=expert, lead_expert=expert, team=[admin], priority=None
    )
    services.support_reply_send(
        request=request,
        actor=expert,
        body="Bonjour, merci pour votre demande. Pouvons-nous en parler 30 minutes cette "
        "semaine ? Je vous propose jeudi à 10 h.",
    )
    if demo.outcome == "qualified":
        return
    mission = services.mission_open(
        request=request,
        actor=expert,
        title=demo.subject,
        lead_expert=expert,
        team=[admin, experts["yanis.morel@demo.dlnuf.fr"]],
    )
    mission.director_name = name
    mission.director_email = email
    mission.agreement_note = (
        f"Le guichet accompagne {demo.organisation_name} sur « {demo.subject} » : cadrage, mise "
        "en relation et relecture des choix ; trois ateliers d'ici la date de fin."
    )
    mission.agreed_until = (received + timedelta(days=120)).date()
    mission.problem = demo.problem
    mission.solution = demo.solution
    mission.save()
    mission.datasets.set(Dataset.objects.filter(slug__in=demo.datasets))
    mission = services.mission_transition(mission=mission, action="agree", actor=expert)
    mission = services.mission_transition(mission=mission, action="start", actor=expert)
    done = ("scope", "governance", "legal")
    for item in mission.framing_items.all():
        if item.topic in done:
            item.status = FramingStatus.DONE
            item.notes = "Validé en atelier avec l'équipe projet."
            item.updated_by = expert
            item.updated_at = timezone.now()
            item.save()
    meeting_day = (received + timedelta(days=7)).date()
    meeting = Meeting.objects.create(
        mission=mission,
        held_on=meeting_day,
        title="Atelier de cadrage",
        participants=f"{name}, {expert}, {admin}",
        notes="Périmètre arrêté aux aides facultatives ; budget à estimer.",
        recorded_by=expert,
    )
    Decision.objects.create(
        mission=mission,
        meeting=meeting,
        decided_on=meeting_day,
        text="Les pièces remplaçables par API ne seront plus demandées dès la mise en service.",
        recorded_by=expert,
    )
    TimeEntry.objects.create(
        mission=mission, expert=expert, worked_on=meeting_day, hours=Decimal("3.5"), note="Atelier"
    )
    TimeEntry.objects.create(
        mission=mission, expert=admin, worked_on=meeting_day, hours=Decimal("2"), note="Chiffrage"
    )
    if demo.outcome == "mission":
        ConsultantCost.objects.create(
            mission=mission,
            supplier="Cabinet d'audit RGAA",
            description="Audit d'accessibilité du prototype",
            amount_eur=Decimal("4800.00"),
            incurred_on=meeting_day,
            recorded_by=admin,
        )
        return
    mission.closing_summary = (
        "Les pièces ne sont plus demandées : les données arrivent par API au dépôt du dossier. "
        + demo.solution
    )
    mission.save(update_fields=["closing_summary"])
    mission = services.mission_transition(mission=mission, action="close", actor=expert)
    if demo.satisfaction is not None:
        services.mission_satisfaction_record(
            mission=mission, score=demo.satisfaction, comment="Accompagnement utile et rapide."
        )
