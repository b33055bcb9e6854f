"""Introductions with double consent: proposal by an expert, one signed link per side, contact
details sent only once both agreed, a refusal that is final."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing

from dlnuf.support.introductions import (
    SALT,
    Side,
    consent_token,
    introduction_consent,
    introduction_from_token,
    introduction_propose,
)
from dlnuf.support.models import (
    Introduction,
    IntroductionState,
    KnowledgeEntry,
    KnowledgeSource,
    MessageKind,
    RequestState,
    SupportRequest,
)
from dlnuf.support.services import ActionForbidden, TransitionRefused
from tests.support.factories import ExpertUserFactory, SupportRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

CaptureCommits = Callable[..., Any]
REQUESTER_DETAILS = ("Maxime Bernard", "maxime.bernard@saint-aubin.fr")
PEER_DETAILS = ("Sacha Petit", "sacha.petit@montval.fr")


@pytest.fixture
def request_() -> SupportRequest:
    return SupportRequestFactory(
        organisation_name="Mairie de Saint-Aubin",
        requester_name=REQUESTER_DETAILS[0],
        requester_email=REQUESTER_DETAILS[1],
        subject="Tarif de la cantine selon les revenus",
        context="Nous demandons l'avis d'imposition aux familles. Écrire à maxime@perso.fr.",
    )


@pytest.fixture
def entry() -> KnowledgeEntry:
    return KnowledgeEntry.objects.create(
        source=KnowledgeSource.MISSION,
        organisation_name="Ville de Montval",
        contact_name=PEER_DETAILS[0],
        contact_email=PEER_DETAILS[1],
        title="Tarif de la cantine selon le quotient familial",
        problem="L'attestation CAF était exigée. Joindre le 06 12 34 56 78 pour en parler.",
        solution="Quotient familial par API Particulier.",
    )


def _propose(
    request_: SupportRequest,
    entry: KnowledgeEntry,
    capture: CaptureCommits,
    reason: str = "Même besoin : la cantine et le quotient familial.",
) -> Introduction:
    with capture(execute=True):
        return introduction_propose(
            request=request_, knowledge=entry, actor=ExpertUserFactory(), reason=reason
        )


def _all_mail() -> str:
    return "\n".join(f"{message.subject}\n{message.body}" for message in mail.outbox)


def test_a_proposal_sends_each_side_its_own_link_and_no_contact_details(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    introduction = _propose(
        request_, entry, django_capture_on_commit_callbacks, reason="Voir aussi x@y.fr, proche."
    )

    assert introduction.state == IntroductionState.PROPOSED
    to_requester, to_peer = mail.outbox
    assert to_requester.to == [REQUESTER_DETAILS[1]]
    assert to_peer.to == [PEER_DETAILS[1]]
    assert "Ville de Montval" in to_requester.body
    assert "Mairie de Saint-Aubin" in to_peer.body
    for detail in PEER_DETAILS:
        assert detail not in to_requester.body
    for detail in REQUESTER_DETAILS:
        assert detail not in to_peer.body
    # Free text of either side loses its addresses and numbers.
    assert "06 12 34 56 78" not in to_requester.body
    assert "maxime@perso.fr" not in to_peer.body
    assert "x@y.fr" not in _all_mail()
    assert "[coordonnées retirées]" in to_requester.body
    for message, side in ((to_requester, Side.REQUESTER), (to_peer, Side.PEER)):
        token = message.body.split("/mise-en-relation/")[1].split("/")[0]
        assert introduction_from_token(token) == (introduction, side)
    note = request_.messages.filter(kind=MessageKind.NOTE).last()
    assert note is not None
    assert "Mise en relation proposée avec Ville de Montval" in note.body


def test_a_pair_is_proposed_once(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    _propose(request_, entry, django_capture_on_commit_callbacks)

    with pytest.raises(TransitionRefused, match=r"a déjà été proposée le .* une seconde fois"):
        _propose(request_, entry, django_capture_on_commit_callbacks)
    assert Introduction.objects.count() == 1
    assert len(mail.outbox) == 2


def test_only_experts_propose_and_with_a_reason(
    request_: SupportRequest, entry: KnowledgeEntry
) -> None:
    with pytest.raises(ActionForbidden):
        introduction_propose(request=request_, knowledge=entry, actor=UserFactory(), reason="x")
    with pytest.raises(TransitionRefused, match="Expliquez en quelques mots"):
        introduction_propose(
            request=request_, knowledge=entry, actor=ExpertUserFactory(), reason="   "
        )
    assert not Introduction.objects.exists()


def test_no_proposal_on_a_closed_request_nor_for_a_case_without_contact(
    request_: SupportRequest, entry: KnowledgeEntry
) -> None:
    expert = ExpertUserFactory()
    anonymous_case = KnowledgeEntry.objects.create(
        source=KnowledgeSource.MISSION, organisation_name="Mairie", title="Cas sans contact"
    )
    with pytest.raises(TransitionRefused, match="Personne n'est connu pour ce cas"):
        introduction_propose(request=request_, knowledge=anonymous_case, actor=expert, reason="x")

    SupportRequest.objects.filter(pk=request_.pk).update(state=RequestState.CLOSED)
    with pytest.raises(TransitionRefused, match="La demande est close"):
        introduction_propose(request=request_, knowledge=entry, actor=expert, reason="x")


def test_contact_details_are_sent_only_once_both_sides_agreed(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    introduction = _propose(request_, entry, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        introduction = introduction_consent(introduction=introduction, side=Side.PEER, agreed=True)
    assert introduction.state == IntroductionState.PROPOSED
    assert introduction.peer_agreed_at is not None
    assert introduction.requester_agreed_at is None
    assert mail.outbox == []
    with pytest.raises(TransitionRefused, match="Votre accord est déjà enregistré"):
        introduction_consent(introduction=introduction, side=Side.PEER, agreed=True)

    with django_capture_on_commit_callbacks(execute=True):
        introduction = introduction_consent(
            introduction=introduction, side=Side.REQUESTER, agreed=True
        )

    assert introduction.state == IntroductionState.ACCEPTED
    to_requester, to_peer = mail.outbox
    assert to_requester.to == [REQUESTER_DETAILS[1]]
    assert PEER_DETAILS[0] in to_requester.body
    assert PEER_DETAILS[1] in to_requester.body
    assert to_peer.to == [PEER_DETAILS[1]]
    assert REQUESTER_DETAILS[0] in to_peer.body
    assert REQUESTER_DETAILS[1] in to_peer.body
    with pytest.raises(TransitionRefused, match="Les deux parties ont déjà accepté"):
        introduction_consent(introduction=introduction, side=Side.PEER, agreed=False)


def test_declining_is_final_and_shares_nothing(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    introduction = _propose(request_, entry, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    introduction_consent(introduction=introduction, side=Side.REQUESTER, agreed=True)

    with django_capture_on_commit_callbacks(execute=True):
        introduction = introduction_consent(introduction=introduction, side=Side.PEER, agreed=False)

    assert introduction.state == IntroductionState.DECLINED
    assert introduction.declined_by == "peer"
    assert introduction.declined_at is not None
    for side in Side:
        with pytest.raises(TransitionRefused, match="a été déclinée"):
            introduction_consent(introduction=introduction, side=side, agreed=True)
    assert mail.outbox == []
    introduction.refresh_from_db()
    assert introduction.state == IntroductionState.DECLINED
    assert introduction.peer_agreed_at is None
    note = request_.messages.filter(kind=MessageKind.NOTE).last()
    assert note is not None
    assert note.body.endswith("déclinée par l'administration du cas.")


def test_a_link_answers_for_its_own_side_only_and_cannot_be_altered(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    introduction = _propose(request_, entry, django_capture_on_commit_callbacks)
    token = consent_token(introduction, Side.REQUESTER)

    assert introduction_from_token(token) == (introduction, Side.REQUESTER)
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert introduction_from_token(altered) is None
    # The payload rewritten for the other side, under the requester link's signature.
    payload = signing.loads(token, salt=SALT)
    other_payload = signing.dumps({**payload, "s": "peer"}, salt=SALT).split(":", 1)[0]
    forged = other_payload + ":" + token.split(":", 1)[1]
    assert forged != token
    assert introduction_from_token(forged) is None
    assert introduction_from_token("pas-un-jeton") is None


def test_links_of_an_earlier_proposal_stop_working(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    introduction = _propose(request_, entry, django_capture_on_commit_callbacks)
    token = consent_token(introduction, Side.PEER)
    Introduction.objects.filter(pk=introduction.pk).update(
        proposed_at=introduction.proposed_at + timedelta(microseconds=1)
    )

    assert introduction_from_token(token) is None


# --- Truthful wording, other administrations only ------------------------------------------------


def test_a_diagnosed_procedure_is_said_diagnosed_and_a_solved_case_resolved(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    diagnosed = KnowledgeEntry.objects.create(
        source=KnowledgeSource.DIAGNOSTIC,
        organisation_name="Ville de Lyon",
        contact_email="d.leroy@lyon.fr",
        title="Inscription à la cantine",
        problem="La démarche demande aux usagers : « Avis d'imposition ».",
        solution="Les données « Quotient familial CAF et MSA » remplacent « Avis d'imposition ».",
    )

    _propose(request_, diagnosed, django_capture_on_commit_callbacks)
    to_requester, to_peer = mail.outbox
    assert "une administration qui a diagnostiqué une démarche proche" in to_requester.body
    assert "la démarche que vous avez diagnostiquée (« Inscription à la cantine »)" in to_peer.body
    for message in (to_requester, to_peer):
        assert "résolu" not in message.body

    mail.outbox.clear()
    _propose(request_, entry, django_capture_on_commit_callbacks)
    to_requester, to_peer = mail.outbox
    assert "rencontré un problème proche du vôtre et l'a résolu" in to_requester.body
    assert "celui que vous avez résolu (« Tarif de la cantine" in to_peer.body


def test_a_closed_mission_without_a_solution_is_not_said_resolved(
    request_: SupportRequest, entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    KnowledgeEntry.objects.filter(pk=entry.pk).update(solution="")
    entry.refresh_from_db()

    _propose(request_, entry, django_capture_on_commit_callbacks)

    to_requester, _ = mail.outbox
    assert "une administration qui a rencontré un problème proche du vôtre." in to_requester.body
    assert "résolu" not in _all_mail()


def test_no_introduction_with_the_requesters_own_administration(
    entry: KnowledgeEntry, django_capture_on_commit_callbacks: Any
) -> None:
    own = SupportRequestFactory(organisation_name="Ville de Montval", subject="Cantine")

    with pytest.raises(TransitionRefused, match="vient de l'administration qui fait la demande"):
        _propose(own, entry, django_capture_on_commit_callbacks)
    assert not Introduction.objects.exists()
    assert mail.outbox == []
