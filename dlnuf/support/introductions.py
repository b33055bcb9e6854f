"""Introductions: putting a requester in touch with the administration behind a past case.

An expert proposes one from the similar cases of a request. Each side receives by e-mail its own
signed link to a public page that says what the other side is about, without any contact
details, and answers « J'accepte » or « Je décline ». Only once both have accepted does each side
receive the other's contact details, by e-mail, after the commit. One refusal closes the
introduction for good: nothing is shared, and the expert sees it on the request's similar cases.

The links are signed by ``django.core.signing`` with this module's salt over the introduction's
id, the side and the time it was proposed, to the microsecond. The model has no field for a
nonce; the proposal time plays its part: an introduction removed and proposed again, even under
the same id, has another time, and the links of the former one no longer open anything. The side
is inside the signature, so one side's link can never answer for the other.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from dlnuf.organisations.models import User
from dlnuf.support import emails
from dlnuf.support.knowledge import Outcome, knowledge_outcome
from dlnuf.support.models import (
    Introduction,
    IntroductionState,
    KnowledgeEntry,
    MessageKind,
    RequestState,
    SupportMessage,
    SupportRequest,
)
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.services import ActionForbidden, TransitionRefused
from dlnuf.support.similarity import entry_owner, request_owner

SALT = "dlnuf.support.introduction"
LINK_VALIDITY = timedelta(days=90)
SUMMARY_LENGTH = 600
WITHHELD = "[coordonnées retirées]"
_EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE_NUMBER = re.compile(r"(?:\+33\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b")


class Side(StrEnum):
    REQUESTER = "requester"
    PEER = "peer"


SIDE_LABELS = {Side.REQUESTER: "le demandeur", Side.PEER: "l'administration du cas"}


def without_contact_details(text: str) -> str:
    """The text with e-mail addresses and telephone numbers taken out: free text written by
    either side must not leak what only an accepted introduction shares."""
    return _PHONE_NUMBER.sub(WITHHELD, _EMAIL_ADDRESS.sub(WITHHELD, text))


def _summary(text: str) -> str:
    return Truncator(without_contact_details(" ".join(text.split()))).chars(SUMMARY_LENGTH)


# --- Links ------------------------------------------------------------------------------------


def _proposed_stamp(introduction: Introduction) -> int:
    return int(introduction.proposed_at.timestamp() * 1_000_000)


def consent_token(introduction: Introduction, side: Side) -> str:
    return signing.dumps(
        {"i": introduction.pk, "s": str(side), "t": _proposed_stamp(introduction)}, salt=SALT
    )


def introduction_from_token(token: str) -> tuple[Introduction, Side] | None:
    """The introduction and the side a link was made for; None when it is forged, altered,
    expired or made for an introduction that no longer exists as it was."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_VALIDITY)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        return None
    if payload.get("s") not in set(Side):
        return None
    introduction = (
        Introduction.objects.select_related("request__organisation", "knowledge")
        .filter(pk=payload["i"])
        .first()
    )
    if introduction is None or _proposed_stamp(introduction) != payload.get("t"):
        return None
    return introduction, Side(payload["s"])


def consent_link(introduction: Introduction, side: Side) -> str:
    token = consent_token(introduction, side)
    return settings.DLNUF_SITE_URL + reverse("www:introduction_consent", kwargs={"token": token})


# --- What each side sees of the other ----------------------------------------------------------


@dataclass(frozen=True)
class OtherSide:
    """What one side is told of the other before both agree: never a name, address or number."""

    administration: str
    subject: str
    summary: str


def other_side(introduction: Introduction, side: Side) -> OtherSide:
    if side == Side.REQUESTER:
        entry = introduction.knowledge
        return OtherSide(entry.organisation_name, entry.title, _summary(entry.problem))
    request = introduction.request
    return OtherSide(
        request.administration, request.subject, _summary(request.context or request.need)
    )


@dataclass(frozen=True)
class Wording:
    """How each side is told what the case behind an introduction teaches, truthfully: only a
    closed mission with a written solution « a résolu » anything; a procedure was diagnosed."""

    requester_opening: str  # to the requester, about the other administration
    requester_heading: str  # the page's heading over the other administration
    peer_opening: str  # to the case's administration, about its own case


def wording(introduction: Introduction) -> Wording:
    title = introduction.knowledge.title
    outcome = knowledge_outcome(introduction.knowledge)
    if outcome == Outcome.RESOLVED:
        return Wording(
            "une administration qui a rencontré un problème proche du vôtre et l'a résolu",
            "L'administration qui a résolu ce problème",
            f"un problème proche de celui que vous avez résolu (« {title} »)",
        )
    if outcome == Outcome.DIAGNOSED:
        return Wording(
            "une administration qui a diagnostiqué une démarche proche de votre besoin : des "
            "données de l'État peuvent y remplacer des pièces demandées aux usagers",
            "L'administration qui a diagnostiqué cette démarche",
            f"un besoin proche de la démarche que vous avez diagnostiquée (« {title} »)",
        )
    return Wording(
        "une administration qui a rencontré un problème proche du vôtre",
        "L'administration qui a rencontré ce problème",
        f"un problème proche de celui que vous avez rencontré (« {title} »)",
    )


def answered_at(introduction: Introduction, side: Side) -> datetime | None:
    if side == Side.REQUESTER:
        return introduction.requester_agreed_at
    return introduction.peer_agreed_at


# --- Writes -----------------------------------------------------------------------------------


def _note(request: SupportRequest, body: str, author: User | None = None) -> None:
    SupportMessage.objects.create(request=request, kind=MessageKind.NOTE, author=author, body=body)


@transaction.atomic
def introduction_propose(
    *, request: SupportRequest, knowledge: KnowledgeEntry, actor: User, reason: str
) -> Introduction:
    """Propose to put the requester in touch with the administration behind a case; each side
    gets its link by e-mail after the commit. Once per request and case."""
    if not can_work_on_support(actor):
        raise ActionForbidden("Seuls les experts du guichet proposent une mise en relation.")
    reason = reason.strip()
    if not reason:
        raise TransitionRefused(
            "Expliquez en quelques mots pourquoi ce rapprochement est utile : les deux parties "
            "liront cette explication."
        )
    request = SupportRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
    if request.state in {RequestState.CLOSED, RequestState.REDIRECTED}:
        raise TransitionRefused(
            "La demande est close : rouvrez-la avant de proposer une mise en relation."
        )
    if knowledge.mission is not None and knowledge.mission.request_id == request.pk:
        raise TransitionRefused("Ce cas est celui de la demande elle-même.")
    if entry_owner(knowledge).same_as(request_owner(request)):
        raise TransitionRefused(
            "Ce cas vient de l'administration qui fait la demande : proposez une autre "
            "administration."
        )
    if not knowledge.contact_email:
        raise TransitionRefused(
            "Personne n'est connu pour ce cas : la mise en relation n'est pas possible."
        )
    already = Introduction.objects.filter(request=request, knowledge=knowledge).first()
    if already is not None:
        raise _already_proposed(already)
    try:
        with transaction.atomic():
            introduction = Introduction.objects.create(
                request=request, knowledge=knowledge, reason=reason, proposed_by=actor
            )
    except IntegrityError:
        raise _already_proposed(
            Introduction.objects.get(request=request, knowledge=knowledge)
        ) from None
    _note(
        request,
        f"Mise en relation proposée avec {knowledge.organisation_name} (« {knowledge.title} »), "
        f"en attente des deux accords. Pourquoi : {reason}",
        author=actor,
    )
    emails.notify_on_commit(lambda: send_proposal(introduction_id=introduction.pk))
    return introduction


def _already_proposed(introduction: Introduction) -> TransitionRefused:
    day = timezone.localtime(introduction.proposed_at)
    return TransitionRefused(
        f"Cette mise en relation a déjà été proposée le {day:%d/%m/%Y} "
        f"({introduction.get_state_display().lower()}) : elle ne peut pas l'être une seconde "
        "fois."
    )


@transaction.atomic
def introduction_consent(*, introduction: Introduction, side: Side, agreed: bool) -> Introduction:
    """One side's answer. Both agreed: accepted, and each side is sent the other's contact
    details after the commit. One declines: declined for good, nothing shared. A side that
    agreed may still decline while the other has not answered."""
    introduction = (
        Introduction.objects.select_for_update(of=("self",))
        .select_related("request", "knowledge")
        .get(pk=introduction.pk)
    )
    if introduction.state == IntroductionState.DECLINED:
        raise TransitionRefused(
            "Cette mise en relation a été déclinée : elle est close et rien n'a été transmis."
        )
    if introduction.state == IntroductionState.ACCEPTED:
        raise TransitionRefused(
            "Les deux parties ont déjà accepté : les coordonnées ont été envoyées par courriel."
        )
    now = timezone.now()
    name = introduction.knowledge.organisation_name
    if not agreed:
        introduction.state = IntroductionState.DECLINED
        introduction.declined_at = now
        introduction.declined_by = str(side)
        introduction.save(update_fields=["state", "declined_at", "declined_by"])
        _note(
            introduction.request, f"Mise en relation avec {name} déclinée par {SIDE_LABELS[side]}."
        )
        return introduction
    if answered_at(introduction, side) is not None:
        raise TransitionRefused(
            "Votre accord est déjà enregistré : les coordonnées seront envoyées dès que l'autre "
            "partie aura accepté."
        )
    if side == Side.REQUESTER:
        introduction.requester_agreed_at = now
    else:
        introduction.peer_agreed_at = now
    if introduction.requester_agreed_at and introduction.peer_agreed_at:
        introduction.state = IntroductionState.ACCEPTED
        _note(
            introduction.request,
            f"Mise en relation avec {name} acceptée par les deux parties : coordonnées envoyées.",
        )
    else:
        _note(introduction.request, f"Mise en relation avec {name} : {SIDE_LABELS[side]} accepte.")
    introduction.save(update_fields=["state", "requester_agreed_at", "peer_agreed_at"])
    # The e-mails are built from the saved state, in this transaction.
    if introduction.state == IntroductionState.ACCEPTED:
        emails.notify_on_commit(lambda: send_contacts(introduction_id=introduction.pk))
    return introduction


# --- E-mails ----------------------------------------------------------------------------------


def _send(to: str, subject: str, body: str, introduction: Introduction) -> None:
    mail = EmailMessage(
        subject=f"[{introduction.request.reference}] {subject}",
        body=body,
        from_email=settings.DLNUF_SUPPORT_ADDRESS,
        to=[to],
        reply_to=[settings.DLNUF_SUPPORT_ADDRESS],
    )
    mail.send()


def _load(introduction_id: int) -> Introduction:
    return Introduction.objects.select_related("request__organisation", "knowledge").get(
        pk=introduction_id
    )


def send_proposal(*, introduction_id: int) -> None:
    """Each side is told what the other is about, and given its own link."""
    introduction = _load(introduction_id)
    reason = without_contact_details(introduction.reason)
    closing = (
        "Aucune coordonnée n'est transmise tant que les deux parties n'ont pas accepté. Ce lien "
        "est personnel : ne le transmettez pas.\n\nLe guichet Dites-le-nous une fois"
    )
    words = wording(introduction)
    for side, to in (
        (Side.REQUESTER, introduction.request.requester_email),
        (Side.PEER, introduction.knowledge.contact_email),
    ):
        other = other_side(introduction, side)
        if side == Side.REQUESTER:
            opening = (
                f"Pour votre demande au guichet, nos experts ont repéré {words.requester_opening}."
            )
        else:
            opening = (
                f"Une administration s'adresse au guichet pour {words.peer_opening}. Votre "
                "expérience l'aiderait."
            )
        body = (
            f"Bonjour,\n\n{opening}\n\n"
            f"Administration : {other.administration}\nSujet : {other.subject}\n"
            f"{other.summary}\n\n"
            f"Pourquoi ce rapprochement : {reason}\n\n"
            f"Acceptez-vous d'échanger avec elle ? Répondez ici : "
            f"{consent_link(introduction, side)}\n\n{closing}"
        )
        _send(to, "Proposition de mise en relation", body, introduction)


def send_contacts(*, introduction_id: int) -> None:
    """Both sides agreed: each receives the other's contact details."""
    introduction = _load(introduction_id)
    if introduction.state != IntroductionState.ACCEPTED:
        return
    request = introduction.request
    entry = introduction.knowledge
    requester = ", ".join(
        part
        for part in (request.requester_name, request.requester_role, request.requester_email)
        if part
    )
    peer = ", ".join(part for part in (entry.contact_name, entry.contact_email) if part)
    for to, other, who in (
        (request.requester_email, entry.organisation_name, peer),
        (entry.contact_email, request.administration, requester),
    ):
        body = (
            f"Bonjour,\n\nVous avez tous deux accepté la mise en relation proposée par le "
            f"guichet. Voici votre contact chez {other} :\n\n{who}\n\n"
            "Bon échange !\n\nLe guichet Dites-le-nous une fois"
        )
        _send(to, "Mise en relation acceptée", body, introduction)
