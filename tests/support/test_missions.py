"""Writes of a mission's team: details and the agreement lock, the checklist and its deliverables,
meetings, decisions, time and costs with their limits and totals, and experts' profiles."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.models import User
from dlnuf.support import missions
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.models import (
    Expert,
    FramingStatus,
    FramingTopic,
    KnowledgeEntry,
    Mission,
    MissionState,
    SupportAttachment,
)
from dlnuf.support.selectors import mission_totals
from dlnuf.support.services import ActionForbidden, TransitionRefused, mission_transition
from tests.support.factories import (
    PDF_BYTES,
    AdministratorUserFactory,
    ExpertFactory,
    ExpertUserFactory,
    MissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NOTE = "La DINUM accompagne la ville de Lyon sur le cadrage, jusqu'à la mise en production."


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def expert() -> User:
    return ExpertUserFactory()


@pytest.fixture
def mission(expert: User) -> Mission:
    return MissionFactory(lead_expert=expert)


def _agreed(mission: Mission, expert: User) -> Mission:
    missions.mission_update(
        mission=mission,
        actor=expert,
        values={"agreement_note": NOTE, "agreed_until": timezone.localdate() + timedelta(days=60)},
    )
    return mission_transition(mission=mission, action="agree", actor=expert)


# --- details and the agreement note ------------------------------------------------------------


def test_details_are_saved_and_logged_in_the_request_history(
    mission: Mission, expert: User
) -> None:
    missions.mission_update(
        mission=mission,
        actor=expert,
        values={
            "director_name": " Claire Directrice ",
            "director_email": "claire@lyon.fr",
            "help_kinds": ["blocking_point", "framing", "nope"],
            "title": "Cadrage du portail famille",
        },
    )
    mission.refresh_from_db()
    assert mission.director_name == "Claire Directrice"
    assert mission.help_kinds == ["framing", "blocking_point"]
    row = mission.request.transitions.get(action="mission_update")
    assert (row.mission, row.actor, row.from_state, row.to_state) == (
        mission,
        expert,
        MissionState.PROPOSED,
        MissionState.PROPOSED,
    )
    assert "directeur ou directrice" in row.comment
    assert "intitulé" in row.comment


def test_saving_unchanged_values_writes_nothing(mission: Mission, expert: User) -> None:
    missions.mission_update(mission=mission, actor=expert, values={"title": mission.title})
    assert not mission.request.transitions.filter(action="mission_update").exists()


def test_bad_values_and_unknown_fields_are_refused(mission: Mission, expert: User) -> None:
    with pytest.raises(TransitionRefused, match="n'est pas une adresse valide"):
        missions.mission_update(
            mission=mission, actor=expert, values={"director_email": "pas-une-adresse"}
        )
    with pytest.raises(
        TransitionRefused, match=re.escape("L'intitulé de la mission est nécessaire.")
    ):
        missions.mission_update(mission=mission, actor=expert, values={"title": "  "})
    with pytest.raises(ValueError, match="Champs non modifiables : state"):
        missions.mission_update(mission=mission, actor=expert, values={"state": "closed"})


def test_the_agreement_note_is_locked_once_agreed(mission: Mission, expert: User) -> None:
    mission = _agreed(mission, expert)
    assert mission.state == MissionState.AGREED

    for values in (
        {"agreement_note": "Autre chose"},
        {"agreed_until": timezone.localdate() + timedelta(days=365)},
    ):
        with pytest.raises(TransitionRefused) as refused:
            missions.mission_update(mission=mission, actor=expert, values=values)
        assert refused.value.message == (
            "La note d'accord ne se modifie plus une fois la mission convenue : consignez "
            "l'avenant dans une décision."
        )
    mission.refresh_from_db()
    assert mission.agreement_note == NOTE
    # The same note sent back with other changes is not an amendment.
    missions.mission_update(
        mission=mission,
        actor=expert,
        values={"agreement_note": NOTE, "director_name": "Claire Directrice"},
    )
    mission.refresh_from_db()
    assert mission.director_name == "Claire Directrice"


def test_a_finished_mission_keeps_only_its_knowledge_editable(
    mission: Mission, expert: User
) -> None:
    catalogue_load()
    mission = _agreed(mission, expert)
    mission_transition(mission=mission, action="start", actor=expert)
    missions.mission_update(
        mission=mission, actor=expert, values={"closing_summary": "Le QF est obtenu par API."}
    )
    mission_transition(mission=mission, action="close", actor=expert)

    with pytest.raises(
        TransitionRefused, match=re.escape("La mission est close : elle ne se modifie plus.")
    ):
        missions.mission_update(mission=mission, actor=expert, values={"director_name": "X"})
    with pytest.raises(TransitionRefused, match="La mission est close"):
        missions.mission_update(mission=mission, actor=expert, values={"closing_summary": "Y"})

    dataset = Dataset.objects.filter(is_active=True).order_by("slug").first()
    assert dataset is not None
    missions.mission_update(
        mission=mission,
        actor=expert,
        values={"solution": "Appel de l'API particulier.", "datasets": [dataset]},
    )
    entry = KnowledgeEntry.objects.get(mission=mission)
    assert entry.solution == "Appel de l'API particulier."
    assert entry.dataset_slugs == [dataset.slug]


def test_only_active_datasets_are_chosen(mission: Mission, expert: User) -> None:
    catalogue_load()
    dataset = Dataset.objects.order_by("slug").first()
    assert dataset is not None
    Dataset.objects.filter(pk=dataset.pk).update(is_active=False)
    dataset.refresh_from_db()
    with pytest.raises(TransitionRefused, match="Seules les données actives"):
        missions.mission_update(mission=mission, actor=expert, values={"datasets": [dataset]})


# --- the framing checklist ---------------------------------------------------------------------


def test_a_checklist_topic_is_updated_and_logged(mission: Mission, expert: User) -> None:
    item = mission.framing_items.get(topic=FramingTopic.BUDGET)
    missions.framing_item_update(
        item=item, actor=expert, status=FramingStatus.IN_PROGRESS, notes=" Devis attendu. "
    )
    item.refresh_from_db()
    assert (item.status, item.notes, item.updated_by) == (
        FramingStatus.IN_PROGRESS,
        "Devis attendu.",
        expert,
    )
    row = mission.request.transitions.get(action="framing_update")
    assert row.comment == "Estimation budgétaire : statut « En cours »."

    missions.framing_item_update(
        item=item, actor=expert, status=FramingStatus.IN_PROGRESS, notes="Devis reçu."
    )
    assert mission.request.transitions.filter(action="framing_update").last().comment == (
        "Estimation budgétaire : notes modifiées."
    )


def test_a_checklist_status_must_exist(mission: Mission, expert: User) -> None:
    item = mission.framing_items.get(topic=FramingTopic.SCOPE)
    with pytest.raises(TransitionRefused, match=re.escape("Ce statut n'existe pas.")):
        missions.framing_item_update(item=item, actor=expert, status="finished", notes="")


def test_deliverables_follow_the_attachment_rules(mission: Mission, expert: User) -> None:
    attachment = missions.deliverable_add(
        mission=mission,
        actor=expert,
        topic=FramingTopic.ARCHITECTURE,
        file=IncomingFile("../../schema cible.pdf", PDF_BYTES),
    )
    assert (attachment.framing_topic, attachment.original_name, attachment.request) == (
        FramingTopic.ARCHITECTURE,
        "schema cible.pdf",
        mission.request,
    )
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF_BYTES

    with pytest.raises(TransitionRefused, match="son contenu ne correspond pas à son extension"):
        missions.deliverable_add(
            mission=mission,
            actor=expert,
            topic=FramingTopic.ARCHITECTURE,
            file=IncomingFile("faux.pdf", b"<html>"),
        )
    with pytest.raises(TransitionRefused, match=re.escape("Ce point du cadrage n'existe pas.")):
        missions.deliverable_add(
            mission=mission, actor=expert, topic="cost", file=IncomingFile("a.pdf", PDF_BYTES)
        )
    assert SupportAttachment.objects.filter(framing_topic=FramingTopic.ARCHITECTURE).count() == 1


def test_a_topic_and_its_deliverable_are_saved_together_or_not_at_all(
    mission: Mission, expert: User
) -> None:
    item = mission.framing_items.get(topic=FramingTopic.BUDGET)
    missions.framing_item_save(
        item=item,
        actor=expert,
        status=FramingStatus.DONE,
        notes="Chiffré.",
        deliverable=IncomingFile("devis.pdf", PDF_BYTES),
    )
    item.refresh_from_db()
    assert (item.status, item.notes) == (FramingStatus.DONE, "Chiffré.")
    assert SupportAttachment.objects.filter(framing_topic=FramingTopic.BUDGET).count() == 1

    with pytest.raises(TransitionRefused, match="son contenu ne correspond pas à son extension"):
        missions.framing_item_save(
            item=item,
            actor=expert,
            status=FramingStatus.IN_PROGRESS,
            notes="Devis à revoir.",
            deliverable=IncomingFile("faux.pdf", b"<html>"),
        )
    item.refresh_from_db()
    assert (item.status, item.notes) == (FramingStatus.DONE, "Chiffré.")
    assert mission.request.transitions.filter(action="framing_update").count() == 1


# --- meetings, decisions, time, costs ----------------------------------------------------------


def test_meetings_and_decisions(mission: Mission, expert: User) -> None:
    today = timezone.localdate()
    meeting = missions.meeting_record(
        mission=mission, actor=expert, held_on=today, title=" Lancement ", participants="DINUM"
    )
    decision = missions.decision_record(
        mission=mission,
        actor=expert,
        decided_on=today,
        text="Avenant : fin repoussée.",
        meeting=meeting,
    )
    assert (meeting.title, decision.meeting, decision.recorded_by) == ("Lancement", meeting, expert)

    other = MissionFactory()
    foreign = missions.meeting_record(mission=other, actor=expert, held_on=today, title="Autre")
    with pytest.raises(
        TransitionRefused, match=re.escape("Cette réunion n'appartient pas à la mission.")
    ):
        missions.decision_record(
            mission=mission, actor=expert, decided_on=today, text="X", meeting=foreign
        )
    with pytest.raises(TransitionRefused, match=re.escape("L'objet de la réunion est nécessaire.")):
        missions.meeting_record(mission=mission, actor=expert, held_on=today, title=" ")
    with pytest.raises(
        TransitionRefused, match=re.escape("Le texte de la décision est nécessaire.")
    ):
        missions.decision_record(mission=mission, actor=expert, decided_on=today, text="")


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0.2", r"va d.un quart d.heure \(0,25\) à 24 heures"),
        ("24.25", r"va d.un quart d.heure \(0,25\) à 24 heures"),
        ("0", r"va d.un quart d.heure \(0,25\) à 24 heures"),
        ("1.125", "deux décimales au plus"),
        ("beaucoup", "n'est pas un nombre"),
        ("NaN", "n'est pas un nombre"),
    ],
)
def test_time_outside_its_limits_is_refused(
    mission: Mission, expert: User, hours: str, message: str
) -> None:
    with pytest.raises(TransitionRefused, match=message):
        missions.time_entry_record(
            mission=mission, actor=expert, worked_on=timezone.localdate(), hours=hours
        )
    assert not mission.time_entries.exists()


def test_time_is_not_noted_in_the_future(mission: Mission, expert: User) -> None:
    with pytest.raises(TransitionRefused, match="pas de date future"):
        missions.time_entry_record(
            mission=mission,
            actor=expert,
            worked_on=timezone.localdate() + timedelta(days=1),
            hours="1",
        )


def test_time_and_cost_totals(mission: Mission, expert: User) -> None:
    colleague = ExpertUserFactory(last_name="Zola")
    today = timezone.localdate()
    missions.time_entry_record(mission=mission, actor=expert, worked_on=today, hours="0.25")
    missions.time_entry_record(mission=mission, actor=expert, worked_on=today, hours="24")
    missions.time_entry_record(mission=mission, actor=colleague, worked_on=today, hours="1,5")
    missions.consultant_cost_record(
        mission=mission,
        actor=expert,
        supplier="Cabinet",
        description="Atelier",
        amount_eur="1250.50",
        incurred_on=today,
    )
    missions.consultant_cost_record(
        mission=mission,
        actor=expert,
        supplier="Cabinet",
        description="Revue",
        amount_eur=Decimal("0.01"),
        incurred_on=today,
    )

    totals = mission_totals(mission)
    assert totals.hours == Decimal("25.75")
    assert dict(totals.hours_by_expert) == {expert: Decimal("24.25"), colleague: Decimal("1.5")}
    assert totals.costs == Decimal("1250.51")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "supérieur à zéro"),
        ("-10", "supérieur à zéro"),
        ("10000000000", "trop élevé"),
        ("12.345", "deux décimales au plus"),
    ],
)
def test_a_cost_must_be_positive(mission: Mission, expert: User, amount: str, message: str) -> None:
    with pytest.raises(TransitionRefused, match=message):
        missions.consultant_cost_record(
            mission=mission,
            actor=expert,
            supplier="Cabinet",
            description="Atelier",
            amount_eur=amount,
            incurred_on=timezone.localdate(),
        )
    assert not mission.consultant_costs.exists()


def test_a_finished_mission_takes_no_more_records(mission: Mission, expert: User) -> None:
    mission_transition(mission=mission, action="cancel", actor=expert, comment="Projet arrêté.")
    today = timezone.localdate()
    with pytest.raises(
        TransitionRefused, match=re.escape("La mission est abandonnée : elle ne se modifie plus.")
    ):
        missions.time_entry_record(mission=mission, actor=expert, worked_on=today, hours="1")
    with pytest.raises(TransitionRefused, match="abandonnée"):
        missions.framing_item_update(
            item=mission.framing_items.first(), actor=expert, status="done", notes=""
        )


def test_only_desk_people_write_on_a_mission(mission: Mission) -> None:
    outsider = UserFactory()
    today = timezone.localdate()
    with pytest.raises(ActionForbidden):
        missions.mission_update(mission=mission, actor=outsider, values={"title": "X"})
    with pytest.raises(ActionForbidden):
        missions.time_entry_record(mission=mission, actor=outsider, worked_on=today, hours="1")
    with pytest.raises(ActionForbidden):
        missions.meeting_record(mission=mission, actor=outsider, held_on=today, title="X")
    with pytest.raises(ActionForbidden):
        missions.deliverable_add(
            mission=mission, actor=outsider, topic="scope", file=IncomingFile("a.pdf", PDF_BYTES)
        )


# --- experts' profiles -------------------------------------------------------------------------


def test_an_administrator_creates_then_changes_an_experts_profile() -> None:
    admin = AdministratorUserFactory()
    expert = ExpertUserFactory()
    assert not Expert.objects.filter(user=expert).exists()

    missions.expert_update(
        user=expert, actor=admin, skills=["legal", "architecture"], capacity=2, is_available=True
    )
    missions.expert_update(
        user=expert, actor=admin, skills=["legal"], capacity=3, is_available=False
    )

    profile = Expert.objects.get(user=expert)
    assert (profile.skills, profile.capacity, profile.is_available) == (["legal"], 3, False)


def test_experts_do_not_edit_profiles_and_bad_values_are_refused() -> None:
    admin = AdministratorUserFactory()
    expert = ExpertFactory().user
    with pytest.raises(ActionForbidden):
        missions.expert_update(
            user=expert, actor=ExpertUserFactory(), skills=[], capacity=2, is_available=True
        )
    with pytest.raises(TransitionRefused, match=re.escape("Compétence inconnue : cuisine.")):
        missions.expert_update(
            user=expert, actor=admin, skills=["cuisine"], capacity=2, is_available=True
        )
    with pytest.raises(TransitionRefused, match="va de 1 à 20"):
        missions.expert_update(user=expert, actor=admin, skills=[], capacity=0, is_available=True)
    with pytest.raises(TransitionRefused, match="ne travaille pas au guichet"):
        missions.expert_update(
            user=UserFactory(), actor=admin, skills=[], capacity=2, is_available=True
        )
