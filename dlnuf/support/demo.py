"""Demonstration data of the guichet: experts, requests at every step, missions, irritants.

Development only, idempotent: a request whose subject already exists is left as it is. Dates are
set relative to today so that the board always shows something due and something overdue.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from io import TextIOBase

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset, Provider
from dlnuf.french import plural
from dlnuf.organisations.models import Role, User
from dlnuf.organisations.services import membership_grant, user_create
from dlnuf.procedures.models import Procedure
from dlnuf.support import intake, irritants, missions, services
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.emails import notifications_muted
from dlnuf.support.knowledge import knowledge_sync_stale
from dlnuf.support.models import (
    Channel,
    Expert,
    FramingStatus,
    HelpKind,
    Irritant,
    IrritantKind,
    Ministry,
    Priority,
    Skill,
    SupportRequest,
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
        "Ville de Lyon",
        "21690123100011",
        Ministry.LOCAL_AUTHORITY,
        ("Camille Rivière", "Cheffe de projet e-services", "agent.lyon@demo.dlnuf.fr"),
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
        irritants_created = _ensure_irritants(experts)
        _ensure_unreadable_mail()
        # Diagnosed procedures join the experience base (vectors are computed when first asked).
        knowledge_sync_stale()
    stdout.write(
        "Guichet : "
        + plural(created, "demande d'accompagnement créée", "demandes d'accompagnement créées")
        + ", "
        + plural(irritants_created, "irritant créé", "irritants créés")
        + " ; "
        + plural(SupportRequest.objects.count(), "demande", "demandes")
        + " au total.\n"
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
        _answered_after(request, days=2)
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
    _answered_after(request, days=1)
    if demo.outcome == "qualified":
        return
    mission = services.mission_open(
        request=request,
        actor=expert,
        title=demo.subject,
        lead_expert=expert,
        team=[admin, experts["yanis.morel@demo.dlnuf.fr"]],
    )
    mission = missions.mission_update(
        mission=mission,
        actor=expert,
        values={
            "director_name": name,
            "director_email": email,
            "agreement_note": (
                f"Le guichet accompagne {demo.organisation_name} sur « {demo.subject} » : "
                "cadrage, mise en relation et relecture des choix ; trois ateliers d'ici la date "
                "de fin."
            ),
            "agreed_until": (received + timedelta(days=120)).date(),
            "problem": demo.problem,
            "solution": demo.solution,
            "datasets": list(Dataset.objects.filter(slug__in=demo.datasets)),
        },
    )
    mission = services.mission_transition(mission=mission, action="agree", actor=expert)
    mission = services.mission_transition(mission=mission, action="start", actor=expert)
    done = ("scope", "governance", "legal")
    for item in mission.framing_items.all():
        if item.topic in done:
            missions.framing_item_update(
                item=item,
                actor=expert,
                status=FramingStatus.DONE,
                notes="Validé en atelier avec l'équipe projet.",
            )
    meeting_day = min((received + timedelta(days=7)).date(), timezone.localdate())
    meeting = missions.meeting_record(
        mission=mission,
        actor=expert,
        held_on=meeting_day,
        title="Atelier de cadrage",
        participants=f"{name}, {expert}, {admin}",
        notes="Périmètre arrêté aux aides facultatives ; budget à estimer.",
    )
    missions.decision_record(
        mission=mission,
        actor=expert,
        decided_on=meeting_day,
        meeting=meeting,
        text="Les pièces remplaçables par API ne seront plus demandées dès la mise en service.",
    )
    missions.time_entry_record(
        mission=mission, actor=expert, worked_on=meeting_day, hours="3.5", note="Atelier"
    )
    missions.time_entry_record(
        mission=mission, actor=admin, worked_on=meeting_day, hours="2", note="Chiffrage"
    )
    if demo.outcome == "mission":
        missions.consultant_cost_record(
            mission=mission,
            actor=admin,
            supplier="Cabinet d'audit RGAA",
            description="Audit d'accessibilité du prototype",
            amount_eur="4800.00",
            incurred_on=meeting_day,
        )
        return
    mission = missions.mission_update(
        mission=mission,
        actor=expert,
        values={
            "closing_summary": "Les pièces ne sont plus demandées : les données arrivent par API "
            "au dépôt du dossier. " + demo.solution
        },
    )
    mission = services.mission_transition(mission=mission, action="close", actor=expert)
    if demo.satisfaction is not None:
        services.mission_satisfaction_record(
            mission=mission, score=demo.satisfaction, comment="Accompagnement utile et rapide."
        )


def _answered_after(request: SupportRequest, *, days: int) -> None:
    # The demonstration is loaded in one go: date the first answer as a desk would have given it.
    request.first_answered_at = request.created_at + timedelta(days=days)
    request.save(update_fields=["first_answered_at"])


@dataclass(frozen=True)
class DemoIrritant:
    title: str
    kind: IrritantKind
    description: str
    blocked_party: str
    blocking_provider: str = ""
    blocking_party: str = ""
    request_subject: str = ""
    procedure_names: tuple[str, ...] = ()
    outside_portal: int = 0
    people_affected_per_year: int = 0
    # Escalations in order, then the end: ("resolve", text) or ("abandon", text) or None.
    escalations: tuple[str, ...] = ()
    end: tuple[str, str] | None = None


DEMO_IRRITANTS = (
    DemoIrritant(
        "Quotient familial des allocataires MSA absent des réponses",
        IrritantKind.PROVIDER_SILENT,
        "Pour les familles relevant de la MSA, la réponse ne contient pas le quotient familial ; "
        "la demande d'explication au fournisseur reste sans réponse depuis six semaines.",
        "Ville de Lyon",
        blocking_provider="cnaf-msa",
        procedure_names=("Inscription à la cantine scolaire",),
        outside_portal=2,
        people_affected_per_year=18000,
        escalations=("Direction de la sécurité sociale, bureau des systèmes d'information",),
    ),
    DemoIrritant(
        "Lecture divergente du fondement juridique pour le statut boursier",
        IrritantKind.LEGAL_READING,
        "Le fournisseur estime que l'aide au transport d'un département n'entre pas dans le "
        "cadre juridique de l'échange ; le département cite le code des relations entre le "
        "public et l'administration.",
        "Département de la Gironde",
        blocking_party="Ministère de l'Éducation nationale",
        request_subject="Bourses départementales : vérifier le statut boursier sans pièce",
        outside_portal=1,
        people_affected_per_year=6500,
        escalations=(
            "Délégué à la protection des données du ministère",
            "Direction des affaires juridiques du ministère",
        ),
    ),
    DemoIrritant(
        "Pas d'API pour l'attestation d'hébergement d'urgence",
        IrritantKind.MISSING_API,
        "Les services sociaux redemandent l'attestation d'hébergement : aucune API n'existe.",
        "Ville de Paris",
        blocking_party="Services intégrés d'accueil et d'orientation",
        request_subject="Architecture pour appeler les API de données depuis notre portail",
        outside_portal=3,
        people_affected_per_year=2500,
    ),
    DemoIrritant(
        "Certificat de l'éditeur refusé par la passerelle",
        IrritantKind.TECHNICAL,
        "Le progiciel de l'éditeur présentait un certificat expiré.",
        "Ville de Paris",
        blocking_party="Éditeur du portail usagers",
        outside_portal=1,
        people_affected_per_year=900,
        end=("resolve", "Certificat renouvelé par l'éditeur ; appels rétablis."),
    ),
    DemoIrritant(
        "Délai de signature de la convention d'échange",
        IrritantKind.OTHER,
        "La convention attendait une signature du directeur général des services.",
        "Centre communal d'action sociale de Grenoble",
        blocking_party="Direction générale des services",
        people_affected_per_year=300,
        end=("abandon", "Le cadre juridique en vigueur suffit : aucune convention n'est requise."),
    ),
)


def _ensure_irritants(experts: dict[str, User]) -> int:
    expert = experts[EXPERT_EMAIL]
    created = 0
    for demo in DEMO_IRRITANTS:
        if Irritant.objects.filter(title=demo.title).exists():
            continue
        irritant = irritants.irritant_open(
            actor=expert,
            title=demo.title,
            kind=demo.kind,
            description=demo.description,
            blocked_party=demo.blocked_party,
            blocking_provider=Provider.objects.filter(slug=demo.blocking_provider).first(),
            blocking_party=demo.blocking_party,
            request=SupportRequest.objects.filter(subject=demo.request_subject).first(),
            procedures=Procedure.objects.filter(name__in=demo.procedure_names),
            procedures_affected=demo.outside_portal,
            people_affected_per_year=demo.people_affected_per_year,
        )
        for person in demo.escalations:
            irritant = irritants.irritant_escalate(
                irritant=irritant, actor=expert, escalated_to=person, comment=""
            )
        if demo.end is not None:
            action, text = demo.end
            if action == "resolve":
                irritants.irritant_resolve(irritant=irritant, actor=expert, resolution=text)
            else:
                irritants.irritant_abandon(irritant=irritant, actor=expert, comment=text)
        created += 1
    return created


# A message the intake could not read (no sender), so that the desk shows what it keeps.
UNREADABLE_MAIL = (
    b"Subject: =?utf-8?q?Demande_sans_exp=C3=A9diteur?=\r\n"
    b"Message-ID: <demo-illisible@exemple.gouv.fr>\r\n"
    b"\r\n"
    b"Bonjour, nous voudrions un rendez-vous.\r\n"
)


def _ensure_unreadable_mail() -> None:
    intake.inbound_mail_receive(raw=UNREADABLE_MAIL, source="demo")
