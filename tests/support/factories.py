"""Requests, missions and experts of the guichet's desk, for the tests of every team.

``SupportRequestFactory`` writes the row directly (no acknowledgement e-mail) with what the
intake writes beside it: the "receive" row of its history and the requester's first message.
``MissionFactory`` goes through the services, like an expert would: the request is qualified,
then ``mission_open`` creates the mission and its eight framing items, and logs both
transitions. ``busy_desk`` fills a desk with one of everything, for pages and screens.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from dlnuf.organisations.models import Membership, Role, User
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.emails import notifications_muted
from dlnuf.support.missions import (
    consultant_cost_record,
    decision_record,
    deliverable_add,
    framing_item_update,
    meeting_record,
    time_entry_record,
)
from dlnuf.support.models import (
    Channel,
    Expert,
    FramingStatus,
    FramingTopic,
    HelpKind,
    InboundMail,
    MailStatus,
    MessageKind,
    Ministry,
    Mission,
    Priority,
    RequestState,
    Skill,
    SupportMessage,
    SupportRequest,
    SupportTransition,
    Urgency,
)
from dlnuf.support.services import (
    FIRST_ANSWER_WORKING_DAYS,
    add_working_days,
    mission_open,
    support_note_add,
    support_reply_send,
    support_request_qualify,
)

PASSWORD = "mot-de-passe-du-guichet-2026"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"personne{n}@exemple.gouv.fr")
    username = factory.LazyAttribute(lambda user: user.email)
    first_name = factory.Sequence(lambda n: f"Prénom{n}")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    password = factory.django.Password(PASSWORD)


class ExpertUserFactory(UserFactory):
    """A guichet expert: a user with a global ``Membership(role="expert")``."""

    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"expert{n}@guichet.gouv.fr")

    @factory.post_generation
    def membership(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            Membership.objects.get_or_create(user=self, role=Role.EXPERT)


class AdministratorUserFactory(UserFactory):
    """An administrator of the portal: works on the desk and edits experts' profiles."""

    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"admin{n}@guichet.gouv.fr")

    @factory.post_generation
    def membership(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            Membership.objects.get_or_create(user=self, role=Role.ADMINISTRATOR)


class ExpertFactory(DjangoModelFactory):
    """The skills and capacity of an expert (the user gets the expert role too)."""

    class Meta:
        model = Expert

    user = factory.SubFactory(ExpertUserFactory)
    skills = factory.LazyFunction(lambda: [Skill.ARCHITECTURE.value, Skill.DATA_API.value])
    capacity = 4
    is_available = True


def _first_answer_due(request: Any) -> datetime:
    urgency = Urgency(request.urgency)
    return add_working_days(request.created_at, FIRST_ANSWER_WORKING_DAYS[urgency])


class SupportRequestFactory(DjangoModelFactory):
    """A request as received from the form, with the "receive" row of its history.

    ``first_answer_due`` follows ``created_at`` and the urgency like the real intake does;
    pass either explicitly to place a request in time.
    """

    class Meta:
        model = SupportRequest
        skip_postgeneration_save = True

    channel = Channel.FORM
    state = RequestState.NEW
    organisation_name = factory.Sequence(lambda n: f"Commune n° {n}")
    ministry = Ministry.LOCAL_AUTHORITY
    requester_name = factory.Sequence(lambda n: f"Demandeur {n}")
    requester_role = "Chef de projet numérique"
    requester_email = factory.Sequence(lambda n: f"demandeur{n}@commune.fr")
    subject = factory.Sequence(lambda n: f"Supprimer l'avis d'imposition de la démarche {n}")
    context = "Nous demandons encore l'avis d'imposition pour la cantine."
    need = "Savoir quelle API utiliser et comment l'obtenir."
    help_kinds = factory.LazyFunction(lambda: [HelpKind.FRAMING.value])
    urgency = Urgency.NORMAL
    priority = Priority.NORMAL
    created_at = factory.LazyFunction(timezone.now)
    first_answer_due = factory.LazyAttribute(_first_answer_due)

    @factory.post_generation
    def received(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            SupportTransition.objects.create(
                request=self,
                action="receive",
                from_state="",
                to_state=RequestState.NEW,
                occurred_at=self.created_at,
            )
            SupportMessage.objects.create(
                request=self,
                kind=MessageKind.FROM_REQUESTER,
                author_email=self.requester_email,
                body=f"Contexte :\n{self.context}\n\nBesoin :\n{self.need}",
                sent_at=self.created_at,
            )


class QualifiedRequestFactory(SupportRequestFactory):
    """A request an expert has qualified through the service, so its history says so.

    ``qualified__by=<user>`` chooses who qualified it (a new expert otherwise).
    """

    class Meta:
        model = SupportRequest
        skip_postgeneration_save = True

    @factory.post_generation
    def qualified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            actor = kwargs.get("by") or ExpertUserFactory()
            support_request_qualify(request=self, actor=actor, priority=Priority(self.priority))
            self.refresh_from_db()


class MissionFactory(DjangoModelFactory):
    """A proposed mission opened by ``mission_open``, like an expert would.

    Pass ``request``, ``lead_expert``, ``actor`` (the lead by default), ``team`` or
    ``help_kinds`` to choose them. A new request is first qualified by the actor, so that no
    other expert is made along the way.
    """

    class Meta:
        model = Mission

    request = factory.SubFactory(SupportRequestFactory)
    title = factory.Sequence(lambda n: f"Mission de cadrage n° {n}")
    lead_expert = factory.SubFactory(ExpertUserFactory)

    @classmethod
    def _create(cls, model_class: type[Mission], *args: Any, **kwargs: Any) -> Mission:
        request = kwargs.pop("request")
        lead_expert = kwargs.pop("lead_expert")
        actor = kwargs.pop("actor", None) or lead_expert
        team = kwargs.pop("team", ())
        help_kinds = kwargs.pop("help_kinds", ())
        if request.state == RequestState.NEW:
            support_request_qualify(
                request=request, actor=actor, priority=Priority(request.priority)
            )
        mission = mission_open(
            request=request,
            actor=actor,
            title=kwargs.pop("title"),
            lead_expert=lead_expert,
            team=team,
            help_kinds=help_kinds,
        )
        if kwargs:
            for field, value in kwargs.items():
                setattr(mission, field, value)
            mission.save(update_fields=list(kwargs))
        request.refresh_from_db()
        return mission


class FailedInboundMailFactory(DjangoModelFactory):
    """A received message that could not be read, waiting for the team to look at it."""

    class Meta:
        model = InboundMail

    raw = factory.Sequence(
        lambda n: (
            f"From: inconnu{n}@exemple.fr\r\nSubject: Demande {n}\r\n"
            f"Message-ID: <illisible{n}@exemple.fr>\r\n\r\n<b>corps</b>\r\n"
        ).encode()
    )
    sha256 = factory.LazyAttribute(lambda mail: hashlib.sha256(mail.raw).hexdigest())
    message_id = factory.Sequence(lambda n: f"<illisible{n}@exemple.fr>")
    source = "imap"
    status = MailStatus.FAILED
    error = "Le message n'a pas d'expéditeur lisible."


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class BusyDesk:
    overdue: SupportRequest
    due_today: SupportRequest
    with_thread: SupportRequest
    mission: Mission
    failed_mail: InboundMail


def busy_desk(*, expert: User, at: datetime | None = None) -> BusyDesk:
    """A desk with something in every place: a late request, one due today, a request with a
    thread (reply with a file, internal note), a mission with checklist progress, a deliverable,
    a meeting, a decision, time and a consultant cost, and an e-mail the intake could not read.

    No e-mail leaves while it is built."""
    with notifications_muted():
        return _busy_desk(expert=expert, now=at or timezone.now())


def _busy_desk(*, expert: User, now: datetime) -> BusyDesk:
    overdue = SupportRequestFactory(
        subject="Quotient familial pour la cantine",
        created_at=now - timedelta(days=14),
        first_answer_due=now - timedelta(days=9),
        priority=Priority.LOW,
    )
    due_today = SupportRequestFactory(
        subject="Justificatif de domicile des inscriptions",
        urgency=Urgency.HIGH,
        priority=Priority.HIGH,
        first_answer_due=now,
    )
    with_thread = SupportRequestFactory(
        subject="Cadrage de la refonte des aides sociales",
        help_kinds=[HelpKind.FRAMING.value, HelpKind.BLOCKING_POINT.value],
    )
    support_request_qualify(request=with_thread, actor=expert, priority=Priority.NORMAL)
    support_reply_send(
        request=with_thread,
        actor=expert,
        body="Bonjour, nous revenons vers vous avec une première analyse.",
        attachments=[IncomingFile("analyse.pdf", PDF_BYTES)],
    )
    support_note_add(request=with_thread, actor=expert, body="Voir avec la DGFiP.")
    with_thread.refresh_from_db()
    mission = MissionFactory(lead_expert=expert, title="Cadrage de l'aide au logement")
    items = {item.topic: item for item in mission.framing_items.all()}
    framing_item_update(
        item=items[FramingTopic.SCOPE], actor=expert, status=FramingStatus.DONE, notes="Validé."
    )
    framing_item_update(
        item=items[FramingTopic.LEGAL],
        actor=expert,
        status=FramingStatus.NOT_APPLICABLE,
        notes="",
    )
    deliverable_add(
        mission=mission,
        actor=expert,
        topic=FramingTopic.SCOPE,
        file=IncomingFile("perimetre.pdf", PDF_BYTES),
    )
    today = timezone.localdate()
    meeting = meeting_record(
        mission=mission,
        actor=expert,
        held_on=today,
        title="Réunion de lancement",
        participants="DINUM, CNAF",
        notes="Tour de table.",
    )
    decision_record(
        mission=mission,
        actor=expert,
        decided_on=today,
        text="Commencer par le périmètre.",
        meeting=meeting,
    )
    time_entry_record(mission=mission, actor=expert, worked_on=today, hours=Decimal("2.5"))
    consultant_cost_record(
        mission=mission,
        actor=expert,
        supplier="Cabinet Conseil",
        description="Atelier d'architecture",
        amount_eur=Decimal("1250.50"),
        incurred_on=today,
    )
    return BusyDesk(
        overdue=overdue,
        due_today=due_today,
        with_thread=with_thread,
        mission=mission,
        failed_mail=FailedInboundMailFactory(),
    )
