"""The knowledge base: entries from closed missions and diagnosed procedures, kept current
without hooks in the procedures app, rebuilt by a command, with vectors recomputed only when
their text or the model changes."""

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.models import Membership, Organisation, Role, User
from dlnuf.procedures.models import ItemSource, Procedure
from dlnuf.procedures.services import diagnostic_run, procedure_create, procedure_items_add
from dlnuf.support import similarity
from dlnuf.support.knowledge import (
    knowledge_entry_sync_mission,
    knowledge_entry_sync_procedure,
    knowledge_rebuild,
    knowledge_sync_stale,
)
from dlnuf.support.models import (
    Introduction,
    KnowledgeEntry,
    KnowledgeSource,
    Mission,
    MissionState,
)
from dlnuf.support.services import mission_transition
from dlnuf.support.similarity import MODEL_NAME, knowledge_embeddings_refresh
from tests.support.factories import (
    ExpertUserFactory,
    MissionFactory,
    QualifiedRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogue() -> None:
    catalogue_load()


def closed_mission(**request_fields: Any) -> Mission:
    """A mission taken from a qualified request to its close, through the services."""
    expert = ExpertUserFactory()
    request = QualifiedRequestFactory(
        organisation_name="Ville de Montval",
        requester_name="Alex Martin",
        requester_email="alex.martin@montval.fr",
        **request_fields,
    )
    mission = MissionFactory(
        request=request,
        lead_expert=expert,
        title="Tarif de la cantine sans attestation CAF",
        problem="Les familles fournissaient l'attestation de quotient familial.",
        solution="Le quotient familial est lu par API Particulier.",
        agreement_note="Cadrage de la cantine, avec la direction de l'éducation.",
        agreed_until=date(2026, 12, 31),
        closing_summary="Attestation supprimée du formulaire.",
    )
    mission.datasets.set(Dataset.objects.filter(slug="quotient-familial"))
    for action in ("agree", "start", "close"):
        mission = mission_transition(mission=mission, action=action, actor=expert)
    return mission


def applicant(siret: str = "21690123100011") -> tuple[User, Organisation]:
    organisation = Organisation.objects.create(siret=siret, name="Ville de Lyon")
    agent = UserFactory(first_name="Dominique", last_name="Leroy", email="d.leroy@lyon.fr")
    Membership.objects.create(user=agent, role=Role.APPLICANT, organisation=organisation)
    return agent, organisation


def diagnosed_procedure(labels: list[str], name: str = "Inscription à la cantine") -> Procedure:
    agent, organisation = applicant()
    procedure = procedure_create(
        organisation=organisation,
        name=name,
        url="",
        yearly_volume=18_000,
        created_by=agent,
    )
    procedure_items_add(procedure=procedure, labels=labels, source=ItemSource.TYPED, added_by=agent)
    diagnostic_run(procedure=procedure, run_by=agent)
    return procedure


# --- Missions -------------------------------------------------------------------------------


def test_closing_a_mission_writes_its_entry_without_loading_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def must_not_load() -> None:
        raise AssertionError("closing a mission loaded the similarity model")

    monkeypatch.setattr(similarity, "_model_state", {})
    monkeypatch.setattr(similarity, "_load_model", must_not_load)

    mission = closed_mission()

    entry = KnowledgeEntry.objects.get(mission=mission)
    assert mission.state == MissionState.CLOSED
    assert entry.source == KnowledgeSource.MISSION
    assert entry.organisation_name == "Ville de Montval"
    assert (entry.contact_name, entry.contact_email) == ("Alex Martin", "alex.martin@montval.fr")
    assert entry.title == "Tarif de la cantine sans attestation CAF"
    assert entry.problem == "Les familles fournissaient l'attestation de quotient familial."
    assert entry.solution == "Le quotient familial est lu par API Particulier."
    assert entry.dataset_slugs == ["quotient-familial"]
    assert entry.tools == ["API Particulier"]
    assert entry.legal_texts
    assert entry.embedding == []


# --- Procedures ------------------------------------------------------------------------------


def test_a_diagnosed_procedure_gives_an_entry_with_its_agent_as_contact() -> None:
    procedure = diagnosed_procedure(
        ["Avis d'imposition", "Justificatif de domicile", "Allergies de l'enfant"]
    )

    entry = knowledge_entry_sync_procedure(procedure=procedure)

    assert entry is not None
    assert entry.source == KnowledgeSource.DIAGNOSTIC
    assert entry.procedure == procedure
    assert entry.title == "Inscription à la cantine"
    assert entry.organisation_name == "Ville de Lyon"
    assert (entry.contact_name, entry.contact_email) == ("Dominique Leroy", "d.leroy@lyon.fr")
    assert entry.problem == (
        "La démarche « Inscription à la cantine » (18000 dossiers par an) demande aux usagers : "
        "« Avis d'imposition », « Justificatif de domicile », « Allergies de l'enfant »."
    )
    # One line per dataset the diagnostic found, naming what it replaces (which datasets the
    # catalogue offers for « Avis d'imposition » is the diagnostic's business).
    assert "Les données « Quotient familial CAF et MSA » (CNAF / MSA) remplacent " in entry.solution
    assert "« Avis d'imposition »" in entry.solution
    assert "« Justificatif de domicile »" in entry.solution
    assert "Allergies" not in entry.solution
    assert "quotient-familial" in entry.dataset_slugs


def test_a_procedure_whose_diagnostic_replaces_nothing_has_no_entry() -> None:
    procedure = diagnosed_procedure(["Allergies alimentaires de l'enfant"])

    assert knowledge_entry_sync_procedure(procedure=procedure) is None
    assert not KnowledgeEntry.objects.exists()
    assert knowledge_sync_stale() == 0


def test_missing_and_outdated_entries_are_written_when_the_pages_ask() -> None:
    procedure = diagnosed_procedure(["Avis d'imposition"])
    mission = closed_mission()
    KnowledgeEntry.objects.filter(mission=mission).delete()
    assert not KnowledgeEntry.objects.filter(procedure=procedure).exists()

    assert knowledge_sync_stale() == 2
    entry = KnowledgeEntry.objects.get(procedure=procedure)
    assert KnowledgeEntry.objects.filter(mission=mission).exists()
    assert knowledge_sync_stale() == 0

    procedure_items_add(
        procedure=procedure,
        labels=["Carte d'étudiant"],
        source=ItemSource.TYPED,
        added_by=procedure.created_by,
    )
    diagnostic_run(procedure=procedure, run_by=procedure.created_by)
    assert knowledge_sync_stale() == 1
    entry.refresh_from_db()
    assert "« Carte d'étudiant »" in entry.problem
    assert "statut-etudiant" in entry.dataset_slugs


# --- Vectors --------------------------------------------------------------------------------


def test_a_changed_text_empties_the_vector_and_an_unchanged_one_keeps_it() -> None:
    mission = closed_mission()
    entry = KnowledgeEntry.objects.get(mission=mission)
    assert knowledge_embeddings_refresh(entries=[entry]) == 1
    entry.refresh_from_db()
    vector = entry.embedding
    assert entry.embedding_model == MODEL_NAME

    knowledge_entry_sync_mission(mission=mission)
    entry.refresh_from_db()
    assert entry.embedding == vector

    Mission.objects.filter(pk=mission.pk).update(solution="Une autre solution, par API.")
    mission.refresh_from_db()
    knowledge_entry_sync_mission(mission=mission)
    entry.refresh_from_db()
    assert (entry.embedding, entry.embedding_model) == ([], "")
    assert knowledge_embeddings_refresh(entries=[entry]) == 1
    entry.refresh_from_db()
    assert entry.embedding != vector


# --- Rebuild ------------------------------------------------------------------------------------


def test_rebuild_writes_every_entry_and_running_it_again_changes_nothing() -> None:
    mission = closed_mission()
    diagnosed_procedure(["Avis d'imposition"])
    KnowledgeEntry.objects.filter(mission=mission).delete()

    first = knowledge_rebuild()
    entries = {
        entry.pk: (entry.title, entry.problem, entry.solution, entry.embedding)
        for entry in KnowledgeEntry.objects.all()
    }
    second = knowledge_rebuild()

    assert (first.missions, first.procedures, first.removed, first.embedded) == (1, 1, 0, 2)
    assert first.method == similarity.METHOD_MODEL
    assert (second.missions, second.procedures, second.removed, second.embedded) == (1, 1, 0, 0)
    assert {
        entry.pk: (entry.title, entry.problem, entry.solution, entry.embedding)
        for entry in KnowledgeEntry.objects.all()
    } == entries


def test_rebuild_removes_entries_without_a_source_unless_an_introduction_names_them() -> None:
    orphan = KnowledgeEntry.objects.create(
        source=KnowledgeSource.MISSION, organisation_name="Ancienne mairie", title="Ancien cas"
    )
    named = KnowledgeEntry.objects.create(
        source=KnowledgeSource.MISSION,
        organisation_name="Autre mairie",
        title="Cas cité",
        contact_email="contact@mairie.fr",
    )
    expert = ExpertUserFactory()
    Introduction.objects.create(
        request=QualifiedRequestFactory(), knowledge=named, reason="Proche.", proposed_by=expert
    )

    report = knowledge_rebuild()

    assert not KnowledgeEntry.objects.filter(pk=orphan.pk).exists()
    assert KnowledgeEntry.objects.filter(pk=named.pk).exists()
    assert (report.removed, report.kept_for_introductions) == (1, 1)


def test_the_command_prints_its_counts(settings: Any) -> None:
    settings.DLNUF_SIMILARITY_MODEL = "lexical"
    closed_mission()
    diagnosed_procedure(["Avis d'imposition"])
    output = StringIO()

    call_command("rebuild_knowledge", stdout=output)

    text = output.getvalue()
    assert "1 cas issus de missions closes, 1 issus de démarches diagnostiquées" in text
    assert "0 retirés" in text
    assert "similarité lexicale seule" in text
    assert KnowledgeEntry.objects.count() == 2
