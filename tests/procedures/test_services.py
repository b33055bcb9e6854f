"""Describing a procedure, running diagnostics (kept as history), preparing the requests."""

from decimal import Decimal
from io import StringIO

import pytest

from dlnuf.habilitations.models import AuthorizationRequest, RequestState
from dlnuf.organisations.models import Role
from dlnuf.procedures import demo
from dlnuf.procedures.models import (
    Diagnostic,
    DiagnosticHistoryLocked,
    DiagnosticItem,
    DiagnosticMatch,
    ItemSource,
    Procedure,
    ProcedureItem,
    ScoreLevel,
)
from dlnuf.procedures.services import (
    MAX_ITEMS_PER_PROCEDURE,
    ProcedureForbidden,
    ProcedureRefused,
    diagnostic_run,
    procedure_coverage_update,
    procedure_create,
    procedure_item_remove,
    procedure_item_set_asked,
    procedure_items_add,
    procedure_items_add_together,
    procedure_items_pick,
    procedure_requests_create,
)
from tests.procedures.factories import (
    PARIS,
    applicant,
    global_user,
    organisation,
    procedure,
)

pytestmark = pytest.mark.django_db

CANTINE = (
    "Avis d'imposition",
    "Attestation CAF de moins de 3 mois",
    "Justificatif de domicile",
    "Certificat de scolarité",
    "RIB",
)


def test_only_applicants_of_the_organisation_create_and_change_a_procedure():
    lyon = organisation()
    agent = applicant(lyon)
    created = procedure_create(
        organisation=lyon, name=" Cantine ", url="", yearly_volume=10, created_by=agent
    )
    assert created.name == "Cantine"
    outsider = applicant(organisation(PARIS, "Ville de Paris"))
    expert = global_user(Role.EXPERT)
    for user in (outsider, expert):
        with pytest.raises(ProcedureForbidden):
            procedure_create(organisation=lyon, name="X", url="", yearly_volume=1, created_by=user)
        with pytest.raises(ProcedureForbidden):
            procedure_items_add(
                procedure=created, labels=["RIB"], source=ItemSource.TYPED, added_by=user
            )
    assert not created.items.exists()


def test_items_keep_their_order_across_additions():
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon, labels=("RIB", "Avis d'imposition"))
    procedure_items_add(
        procedure=cantine,
        labels=["  Justificatif   de domicile "],
        source="imported",
        added_by=agent,
    )
    items = list(cantine.items.order_by("position"))
    assert [item.label for item in items] == [
        "RIB",
        "Avis d'imposition",
        "Justificatif de domicile",
    ]
    assert items[-1].source == ItemSource.IMPORTED


def test_items_are_added_all_or_nothing(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon)
    with pytest.raises(ProcedureRefused, match="Libellé trop long"):
        procedure_items_add(
            procedure=cantine, labels=["RIB", "x" * 300], source="typed", added_by=agent
        )
    with pytest.raises(ProcedureRefused, match="Élément inconnu dans la liste : pas-une-piece"):
        procedure_items_pick(procedure=cantine, slugs=["rib", "pas-une-piece"], added_by=agent)
    with pytest.raises(ProcedureRefused, match=f"au plus {MAX_ITEMS_PER_PROCEDURE}"):
        procedure_items_add(
            procedure=cantine,
            labels=[f"Champ {n}" for n in range(MAX_ITEMS_PER_PROCEDURE + 1)],
            source="imported",
            added_by=agent,
        )
    assert not cantine.items.exists()


def test_typed_picked_and_imported_items_are_added_together_or_not_at_all(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon)
    # The typed lines would be valid alone: the unknown pick refuses them too.
    with pytest.raises(ProcedureRefused, match="Élément inconnu dans la liste : pas-une-piece"):
        procedure_items_add_together(
            procedure=cantine,
            typed=["Carnet de santé"],
            picked=["pas-une-piece"],
            imported=["Allergies"],
            added_by=agent,
        )
    assert not cantine.items.exists()
    with pytest.raises(ProcedureRefused, match="au moins un élément"):
        procedure_items_add_together(
            procedure=cantine, typed=[], picked=[], imported=[], added_by=agent
        )

    added = procedure_items_add_together(
        procedure=cantine,
        typed=["Carnet de santé"],
        picked=["rib"],
        imported=["Allergies"],
        added_by=agent,
    )
    assert [(item.label, item.source) for item in added] == [
        ("Carnet de santé", "typed"),
        ("Relevé d'identité bancaire (RIB)", "picked"),
        ("Allergies", "imported"),
    ]


def test_picked_items_take_the_list_label_and_remember_their_slug(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon)
    procedure_items_pick(procedure=cantine, slugs=["avis-imposition", "rib"], added_by=agent)
    assert list(cantine.items.values_list("label", "common_item", "source")) == [
        ("Avis d'imposition", "avis-imposition", "picked"),
        ("Relevé d'identité bancaire (RIB)", "rib", "picked"),
    ]


def test_a_diagnostic_stores_items_matches_score_and_date(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon, yearly_volume=18_000, labels=CANTINE)

    diagnostic = diagnostic_run(procedure=cantine, run_by=agent)

    assert diagnostic.items_count == 5
    assert diagnostic.replaceable_count == 4
    assert diagnostic.level == ScoreLevel.PARTIAL
    # The tax notice and the school certificate are answered for everyone; the CAF attestation
    # and the proof of address only for families known to the CAF (55 % by default):
    # 18 000 × (1 + 0,55 + 0,55 + 1) = 55 800.
    assert diagnostic.documents_avoidable_per_year == 55_800
    items = list(diagnostic.items.order_by("position"))
    assert [item.confidence for item in items] == ["sure", "sure", "sure", "sure", "none"]
    assert [item.documents_per_year for item in items] == [18_000, 9_900, 9_900, 18_000, 0]
    assert "RIB" in items[-1].note
    school = items[3].matches.get()
    assert (school.dataset.slug, school.scope_slugs) == ("scolarite", ["men_statut_scolarite"])
    assert diagnostic.run_by == agent
    assert diagnostic.run_at is not None


def test_history_shows_progress_and_is_never_rewritten(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon, yearly_volume=100, labels=CANTINE)
    first = diagnostic_run(procedure=cantine, run_by=agent)
    for item in cantine.items.filter(label__in=CANTINE[:3]):
        procedure_item_set_asked(item=item, still_asked=False, changed_by=agent)
    procedure_item_remove(item=cantine.items.get(label="RIB"), removed_by=agent)

    second = diagnostic_run(procedure=cantine, run_by=agent)

    assert (first.replaceable_count, first.level) == (4, "partial")
    assert (second.replaceable_count, second.prefilled_count, second.level) == (1, 3, "optimal")
    # 100 × (1 + 0,55 + 0,55): the CAF's data spare only the documents of its families.
    assert second.documents_avoided_per_year == 210
    # The first snapshot still lists the RIB and the items as they were asked then.
    assert first.items.count() == 5
    assert first.items.filter(still_asked=True).count() == 5
    with pytest.raises(DiagnosticHistoryLocked):
        first.save()
    with pytest.raises(DiagnosticHistoryLocked):
        first.delete()
    with pytest.raises(DiagnosticHistoryLocked):
        DiagnosticItem.objects.filter(diagnostic=first).first().save()
    with pytest.raises(DiagnosticHistoryLocked):
        DiagnosticMatch.objects.filter(item__diagnostic=first).first().delete()


def test_the_agent_replaces_the_default_share_and_the_count_follows(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(
        agent, lyon, yearly_volume=60_000, labels=("Attestation CAF", "Avis d'imposition")
    )
    first = diagnostic_run(procedure=cantine, run_by=agent)
    # 60 000 × 0,55 + 60 000 × 1 = 93 000.
    assert first.documents_avoidable_per_year == 93_000
    caf = cantine.items.get(label="Attestation CAF")

    second = procedure_coverage_update(
        procedure=cantine, shares={caf.pk: Decimal("72.5")}, changed_by=agent
    )

    # 60 000 × 0,725 + 60 000 = 103 500; the first snapshot keeps its own count.
    assert second.pk != first.pk
    assert second.documents_avoidable_per_year == 103_500
    counted = second.items.get(label="Attestation CAF")
    assert (counted.covered_share, counted.share_set_by_agent) == (Decimal("72.5"), True)
    assert counted.documents_per_year == 43_500
    assert counted.matches.get().covered_share == Decimal(55)  # the default stays visible
    first.refresh_from_db()
    assert first.documents_avoidable_per_year == 93_000

    third = procedure_coverage_update(procedure=cantine, shares={caf.pk: None}, changed_by=agent)
    assert third.documents_avoidable_per_year == 93_000
    assert not third.items.get(label="Attestation CAF").share_set_by_agent


def test_a_share_outside_0_100_or_of_another_procedure_is_refused_whole(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon, labels=("Attestation CAF", "Justificatif de domicile"))
    diagnostic_run(procedure=cantine, run_by=agent)
    caf, address = cantine.items.order_by("position")
    other = procedure(agent, lyon, name="Autre", labels=("Attestation CAF",)).items.get()

    with pytest.raises(ProcedureRefused, match="entre 0 et 100 %"):
        procedure_coverage_update(
            procedure=cantine,
            shares={caf.pk: Decimal(40), address.pk: Decimal(101)},
            changed_by=agent,
        )
    with pytest.raises(ProcedureRefused, match="ne fait plus partie de la démarche"):
        procedure_coverage_update(
            procedure=cantine, shares={other.pk: Decimal(40)}, changed_by=agent
        )
    with pytest.raises(ProcedureForbidden):
        procedure_coverage_update(
            procedure=cantine,
            shares={caf.pk: Decimal(40)},
            changed_by=global_user(Role.EXPERT),
        )
    assert not cantine.items.exclude(covered_share=None).exists()
    assert cantine.diagnostics.count() == 1


def test_a_procedure_without_items_cannot_be_diagnosed(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    with pytest.raises(ProcedureRefused, match="Ajoutez d'abord"):
        diagnostic_run(procedure=procedure(agent, lyon), run_by=agent)
    assert not Diagnostic.objects.exists()


def test_chosen_matches_become_one_prefilled_draft_per_dataset(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon, yearly_volume=18_000, labels=CANTINE)
    diagnostic = diagnostic_run(procedure=cantine, run_by=agent)
    chosen = DiagnosticMatch.objects.filter(item__diagnostic=diagnostic)

    created = procedure_requests_create(
        procedure=cantine,
        diagnostic=diagnostic,
        match_ids=chosen.values_list("pk", flat=True),
        created_by=agent,
    )

    by_dataset = {request.dataset.slug: request for request in created}
    assert set(by_dataset) == {"impot-particulier", "quotient-familial", "scolarite"}
    family = by_dataset["quotient-familial"]
    assert family.state == RequestState.DRAFT
    assert family.procedure == cantine
    assert family.organisation == lyon
    # Minimal scopes of the two items it replaces, in the dataset's order, nothing more.
    assert list(family.requested_scopes.order_by("position").values_list("slug", flat=True)) == [
        "cnaf_quotient_familial",
        "cnaf_adresse",
    ]
    assert "Inscription à la cantine scolaire" in family.purpose
    assert "« Avis d'imposition »" not in family.purpose
    taxes = by_dataset["impot-particulier"]
    assert "« Avis d'imposition »" in taxes.purpose
    assert list(taxes.requested_scopes.order_by("position").values_list("slug", flat=True)) == [
        "dgfip_revenu_fiscal_reference",
        "dgfip_nombre_parts",
        "dgfip_adresse_fiscale",
    ]
    assert list(by_dataset["scolarite"].requested_scopes.values_list("slug", flat=True)) == [
        "men_statut_scolarite"
    ]


def test_request_creation_is_refused_whole(catalogue):
    lyon = organisation()
    agent = applicant(lyon)
    cantine = procedure(agent, lyon, labels=CANTINE)
    diagnostic = diagnostic_run(procedure=cantine, run_by=agent)
    all_matches = list(
        DiagnosticMatch.objects.filter(item__diagnostic=diagnostic).values_list("pk", flat=True)
    )
    with pytest.raises(ProcedureRefused, match="au moins une donnée"):
        procedure_requests_create(
            procedure=cantine, diagnostic=diagnostic, match_ids=[], created_by=agent
        )
    expert = global_user(Role.EXPERT)
    with pytest.raises(ProcedureForbidden):
        procedure_requests_create(
            procedure=cantine, diagnostic=diagnostic, match_ids=all_matches, created_by=expert
        )
    other = procedure(agent, lyon, name="Autre", labels=("RIB",))
    with pytest.raises(ProcedureRefused, match="ne concerne pas"):
        procedure_requests_create(
            procedure=other, diagnostic=diagnostic, match_ids=all_matches, created_by=agent
        )
    # A dataset withdrawn since the diagnostic stops the whole creation, not half of it.
    from dlnuf.catalogue.models import Dataset

    Dataset.objects.filter(slug="scolarite").update(is_active=False)
    with pytest.raises(ProcedureRefused, match="n'est plus proposé"):
        procedure_requests_create(
            procedure=cantine, diagnostic=diagnostic, match_ids=all_matches, created_by=agent
        )
    assert not AuthorizationRequest.objects.exists()


def test_demo_procedures_load_once_with_their_history(catalogue):
    from dlnuf.organisations import demo as accounts

    accounts.load_demo(stdout=StringIO())
    output = StringIO()
    demo.load_demo(stdout=output)
    assert Procedure.objects.count() == len(demo.DEMO_PROCEDURES)
    cantine = Procedure.objects.get(name="Inscription à la cantine scolaire")
    assert cantine.organisation.name == "Ville de Lyon"
    levels = list(
        cantine.diagnostics.order_by("run_at", "pk").values_list("replaceable_count", flat=True)
    )
    assert levels == [4, 3]
    transport = Procedure.objects.get(name="Carte de transport scolaire")
    assert transport.diagnostics.get().level == ScoreLevel.WEAK

    again = StringIO()
    demo.load_demo(stdout=again)
    assert Procedure.objects.count() == len(demo.DEMO_PROCEDURES)
    assert ProcedureItem.objects.filter(procedure=cantine).count() == 6
    assert "déjà présente" in again.getvalue()


def test_demo_says_what_is_missing_without_accounts(catalogue):
    output = StringIO()
    demo.load_demo(stdout=output)
    assert not Procedure.objects.exists()
    assert "agent.lyon@demo.dlnuf.fr" in output.getvalue()
