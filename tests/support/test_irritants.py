"""Irritant services: each step of the workflow and its history row, the texts each step needs,
the parties and impact rules, and the list ordered by impact then age."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dlnuf.append_only import AppendOnlyViolation
from dlnuf.catalogue.models import Provider
from dlnuf.organisations.services import organisation_get_or_create
from dlnuf.procedures.models import Procedure
from dlnuf.support.irritants import (
    age_in_days,
    irritant_abandon,
    irritant_actions,
    irritant_escalate,
    irritant_history,
    irritant_note,
    irritant_open,
    irritant_reopen,
    irritant_resolve,
    irritant_update,
    irritants_listed,
    procedures_outside_portal,
)
from dlnuf.support.models import Irritant, IrritantEvent, IrritantKind, IrritantState
from dlnuf.support.services import ActionForbidden, TransitionRefused
from tests.support.factories import (
    AdministratorUserFactory,
    ExpertUserFactory,
    SupportRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def expert():
    return ExpertUserFactory()


@pytest.fixture
def provider():
    return Provider.objects.create(slug="cnaf-msa", name="CNAF et MSA", acronym="CNAF")


@pytest.fixture
def procedures(expert):
    lyon = organisation_get_or_create(siret="21690123100011", name="Ville de Lyon")
    return [
        Procedure.objects.create(
            organisation=lyon, name=name, yearly_volume=1000, created_by=expert
        )
        for name in ("Cantine", "Périscolaire", "Centre de loisirs")
    ]


def _open(expert, **overrides):
    values = {
        "actor": expert,
        "title": "Le quotient familial n'est pas servi pour les allocataires MSA",
        "kind": IrritantKind.MISSING_API,
        "description": "Les familles MSA doivent encore déposer leur attestation.",
        "blocked_party": "Ville de Lyon",
        "blocking_party": "Caisse centrale de la MSA",
        "procedures_affected": 0,
        "people_affected_per_year": 1000,
    }
    values.update(overrides)
    return irritant_open(**values)


def _steps(irritant):
    return [
        (event.action, event.from_state, event.to_state, event.comment)
        for event in irritant_history(irritant)
    ]


# --- opening -----------------------------------------------------------------------------------


def test_opening_records_the_irritant_and_one_event(expert, provider):
    irritant = _open(expert, blocking_provider=provider, blocking_party="")

    assert irritant.state == IrritantState.OPEN
    assert irritant.opened_by == expert
    assert irritant.blocking_provider == provider
    assert _steps(irritant) == [("open", "", "open", "")]
    assert irritant.events.get().actor == expert


def test_a_party_in_cause_is_required(expert):
    with pytest.raises(TransitionRefused) as refused:
        _open(expert, blocking_party="  ")

    assert refused.value.message == (
        "Nommez la partie en cause : choisissez un fournisseur du catalogue ou saisissez le nom "
        "d'une autre administration."
    )
    assert not Irritant.objects.exists()


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("title", "Donnez un intitulé à l'irritant."),
        ("description", "Décrivez le blocage."),
        ("blocked_party", "Indiquez l'administration bloquée."),
    ],
)
def test_texts_are_required_to_open(expert, field, message):
    with pytest.raises(TransitionRefused, match=message):
        _open(expert, **{field: " \n"})
    assert not IrritantEvent.objects.exists()


def test_unknown_kind_and_negative_figures_are_refused(expert):
    with pytest.raises(TransitionRefused, match="nature du blocage"):
        _open(expert, kind="mood")
    with pytest.raises(TransitionRefused, match="démarches touchées ne peut pas être négatif"):
        _open(expert, procedures_affected=-1)
    with pytest.raises(TransitionRefused, match="usagers touchés ne peut pas être négatif"):
        _open(expert, people_affected_per_year=-5)


def test_linked_procedures_are_counted_and_the_typed_number_adds_those_outside(expert, procedures):
    irritant = _open(expert, procedures=procedures[:2], procedures_affected=4)

    assert set(irritant.procedures.all()) == set(procedures[:2])
    assert irritant.procedures_affected == 6
    assert procedures_outside_portal(irritant) == 4


def test_a_procedure_given_twice_counts_once(expert, procedures):
    irritant = _open(expert, procedures=[procedures[0], procedures[0]], procedures_affected=0)

    assert irritant.procedures_affected == 1


def test_opening_from_a_request_links_it(expert):
    request = SupportRequestFactory(organisation_name="Ville de Lyon")

    irritant = _open(expert, request=request)

    assert irritant.request == request
    assert list(request.irritants.all()) == [irritant]


def test_only_guichet_experts_and_administrators_record_irritants(expert):
    with pytest.raises(ActionForbidden):
        _open(UserFactory())
    assert _open(AdministratorUserFactory()).pk


# --- workflow ----------------------------------------------------------------------------------


def test_escalate_then_escalate_higher_then_resolve(expert):
    irritant = _open(expert)

    irritant = irritant_escalate(
        irritant=irritant,
        actor=expert,
        escalated_to="Direction de la sécurité sociale",
        comment="Relance sans réponse depuis trois mois.",
    )
    first_escalation = irritant.escalated_at
    assert irritant.state == IrritantState.ESCALATED
    assert irritant.escalated_to == "Direction de la sécurité sociale"
    assert first_escalation is not None

    irritant = irritant_escalate(
        irritant=irritant, actor=expert, escalated_to="Cabinet du ministre", comment=""
    )
    assert irritant.escalated_to == "Cabinet du ministre"
    assert irritant.escalated_at >= first_escalation

    irritant = irritant_resolve(
        irritant=irritant, actor=expert, resolution="La MSA sert le quotient depuis mars."
    )
    assert irritant.state == IrritantState.RESOLVED
    assert irritant.resolution == "La MSA sert le quotient depuis mars."
    assert irritant.resolved_at is not None
    assert _steps(irritant) == [
        ("open", "", "open", ""),
        (
            "escalate",
            "open",
            "escalated",
            "Auprès de : Direction de la sécurité sociale\nRelance sans réponse depuis trois mois.",
        ),
        ("escalate", "escalated", "escalated", "Auprès de : Cabinet du ministre"),
        ("resolve", "escalated", "resolved", "La MSA sert le quotient depuis mars."),
    ]


def test_escalation_needs_someone_new(expert):
    irritant = _open(expert)
    with pytest.raises(TransitionRefused, match="Indiquez auprès de qui"):
        irritant_escalate(irritant=irritant, actor=expert, escalated_to=" ", comment="")

    irritant = irritant_escalate(irritant=irritant, actor=expert, escalated_to="DSS", comment="")
    with pytest.raises(TransitionRefused, match="déjà escaladé auprès de DSS"):
        irritant_escalate(irritant=irritant, actor=expert, escalated_to="dss", comment="")
    assert irritant.events.count() == 2


def test_resolution_text_is_required(expert):
    irritant = _open(expert)

    with pytest.raises(TransitionRefused) as refused:
        irritant_resolve(irritant=irritant, actor=expert, resolution="   ")

    assert refused.value.message == "Décrivez la résolution : ce qui a levé le blocage."
    irritant.refresh_from_db()
    assert irritant.state == IrritantState.OPEN
    assert irritant.events.count() == 1


def test_abandon_needs_a_reason_and_reopen_needs_one_too(expert):
    irritant = _open(expert)
    with pytest.raises(TransitionRefused, match="pourquoi l'irritant est abandonné"):
        irritant_abandon(irritant=irritant, actor=expert, comment="")

    irritant = irritant_abandon(irritant=irritant, actor=expert, comment="Projet arrêté.")
    assert irritant.state == IrritantState.ABANDONED
    assert irritant.resolved_at is None

    with pytest.raises(TransitionRefused, match="pourquoi l'irritant est rouvert"):
        irritant_reopen(irritant=irritant, actor=expert, comment="")
    irritant = irritant_reopen(irritant=irritant, actor=expert, comment="Le projet reprend.")
    assert irritant.state == IrritantState.OPEN
    assert [step[0] for step in _steps(irritant)] == ["open", "abandon", "reopen"]
    assert _steps(irritant)[-1] == ("reopen", "abandoned", "open", "Le projet reprend.")


def test_reopening_a_resolved_irritant_clears_its_resolution(expert):
    irritant = _open(expert)
    irritant = irritant_resolve(irritant=irritant, actor=expert, resolution="Réglé.")

    irritant = irritant_reopen(irritant=irritant, actor=expert, comment="Le blocage revient.")

    assert irritant.state == IrritantState.OPEN
    assert irritant.resolution == ""
    assert irritant.resolved_at is None
    assert "Réglé." in [event.comment for event in irritant.events.all()]


@pytest.mark.parametrize(
    ("state", "action", "call"),
    [
        (
            "resolved",
            "Escalader",
            lambda i, u: irritant_escalate(irritant=i, actor=u, escalated_to="X"),
        ),
        (
            "resolved",
            "Marquer comme résolu",
            lambda i, u: irritant_resolve(irritant=i, actor=u, resolution="R"),
        ),
        (
            "abandoned",
            "Abandonner",
            lambda i, u: irritant_abandon(irritant=i, actor=u, comment="C"),
        ),
        ("open", "Rouvrir", lambda i, u: irritant_reopen(irritant=i, actor=u, comment="C")),
        ("escalated", "Rouvrir", lambda i, u: irritant_reopen(irritant=i, actor=u, comment="C")),
    ],
)
def test_steps_not_allowed_in_a_state_are_refused(expert, state, action, call):
    irritant = _open(expert)
    Irritant.objects.filter(pk=irritant.pk).update(state=state, escalated_to="DSS")

    with pytest.raises(TransitionRefused) as refused:
        call(irritant, expert)

    label = IrritantState(state).label
    assert (
        refused.value.message
        == f"L'action « {action} » n'est pas possible dans l'état « {label} »."
    )
    assert irritant.events.count() == 1


def test_available_actions_follow_the_state(expert):
    irritant = _open(expert)
    assert [row.action for row in irritant_actions(irritant)] == ["escalate", "resolve", "abandon"]
    irritant = irritant_resolve(irritant=irritant, actor=expert, resolution="Réglé.")
    assert [row.action for row in irritant_actions(irritant)] == ["reopen"]


def test_a_note_is_logged_without_changing_the_state(expert):
    irritant = _open(expert)
    irritant = irritant_resolve(irritant=irritant, actor=expert, resolution="Réglé.")

    event = irritant_note(irritant=irritant, actor=expert, comment="Confirmé par la MSA.")

    assert (event.action, event.from_state, event.to_state) == ("note", "resolved", "resolved")
    with pytest.raises(TransitionRefused, match="La note est vide"):
        irritant_note(irritant=irritant, actor=expert, comment="  ")


def test_other_people_cannot_act_on_an_irritant(expert):
    irritant = _open(expert)
    agent = UserFactory()
    for call in (
        lambda: irritant_escalate(irritant=irritant, actor=agent, escalated_to="DSS"),
        lambda: irritant_resolve(irritant=irritant, actor=agent, resolution="R"),
        lambda: irritant_abandon(irritant=irritant, actor=agent, comment="C"),
        lambda: irritant_note(irritant=irritant, actor=agent, comment="C"),
    ):
        with pytest.raises(ActionForbidden):
            call()
    assert irritant.events.count() == 1


def test_history_rows_cannot_be_changed_or_removed(expert):
    irritant = _open(expert)
    event = irritant.events.get()
    event.comment = "réécrit"
    with pytest.raises(AppendOnlyViolation):
        event.save()
    with pytest.raises(AppendOnlyViolation):
        event.delete()
    with pytest.raises(AppendOnlyViolation):
        IrritantEvent.objects.filter(pk=event.pk).update(comment="réécrit")


# --- updates -----------------------------------------------------------------------------------


def test_update_changes_impact_and_parties_and_says_what_changed(expert, provider, procedures):
    irritant = _open(expert, procedures=procedures[:1], procedures_affected=2)
    assert irritant.procedures_affected == 3

    irritant = irritant_update(
        irritant=irritant,
        actor=expert,
        title=irritant.title,
        kind=irritant.kind,
        description=irritant.description,
        blocked_party="Ville de Lyon",
        blocking_provider=provider,
        blocking_party="",
        procedures=procedures,
        procedures_affected=2,
        people_affected_per_year=5000,
    )

    irritant.refresh_from_db()
    assert irritant.blocking_provider == provider
    assert irritant.blocking_party == ""
    assert irritant.procedures_affected == 5
    assert irritant.people_affected_per_year == 5000
    update = irritant.events.get(action="update")
    assert update.comment == (
        "Modifié : partie en cause ; usagers touchés par an 1000 → 5000 ; démarches touchées "
        "3 → 5 ; démarches liées."
    )


def test_update_without_change_writes_nothing(expert):
    irritant = _open(expert)
    irritant_update(
        irritant=irritant,
        actor=expert,
        title=irritant.title,
        kind=irritant.kind,
        description=irritant.description,
        blocked_party=irritant.blocked_party,
        blocking_provider=None,
        blocking_party=irritant.blocking_party,
        procedures=[],
        procedures_affected=0,
        people_affected_per_year=irritant.people_affected_per_year,
    )
    assert irritant.events.count() == 1


def test_update_keeps_the_parties_rule_and_refuses_ended_irritants(expert):
    irritant = _open(expert)
    values = {
        "title": irritant.title,
        "kind": irritant.kind,
        "description": irritant.description,
        "blocked_party": irritant.blocked_party,
        "blocking_provider": None,
        "blocking_party": "",
        "procedures": [],
        "procedures_affected": 0,
        "people_affected_per_year": 10,
    }
    with pytest.raises(TransitionRefused, match="Nommez la partie en cause"):
        irritant_update(irritant=irritant, actor=expert, **values)

    irritant = irritant_abandon(irritant=irritant, actor=expert, comment="Arrêté.")
    values["blocking_party"] = "MSA"
    with pytest.raises(TransitionRefused, match="rouvrez-le d'abord"):
        irritant_update(irritant=irritant, actor=expert, **values)


# --- the list ----------------------------------------------------------------------------------


def _aged(irritant, days):
    Irritant.objects.filter(pk=irritant.pk).update(opened_at=timezone.now() - timedelta(days=days))


def test_list_is_ordered_by_people_then_procedures_then_age(expert):
    small_recent = _open(expert, title="petit récent", people_affected_per_year=10)
    _open(expert, title="gros", people_affected_per_year=50_000)
    tie_few_procedures_old = _open(
        expert, title="égalité, peu de démarches, ancien", people_affected_per_year=2000
    )
    _open(
        expert,
        title="égalité, plus de démarches",
        people_affected_per_year=2000,
        procedures_affected=3,
    )
    tie_few_procedures_recent = _open(
        expert, title="égalité, peu de démarches, récent", people_affected_per_year=2000
    )
    _aged(tie_few_procedures_old, 40)
    _aged(tie_few_procedures_recent, 3)
    _aged(small_recent, 1)
    ended = _open(expert, title="résolu", people_affected_per_year=10**6)
    irritant_resolve(irritant=ended, actor=expert, resolution="Réglé.")

    listed = irritants_listed()

    assert [row.irritant.title for row in listed] == [
        "gros",
        "égalité, plus de démarches",
        "égalité, peu de démarches, ancien",
        "égalité, peu de démarches, récent",
        "petit récent",
    ]
    assert [row.age_days for row in listed][2:] == [40, 3, 1]


def test_list_filters_by_state_kind_and_provider(expert, provider):
    escalated = _open(expert, title="escaladé", blocking_provider=provider)
    irritant_escalate(irritant=escalated, actor=expert, escalated_to="DSS")
    _open(expert, title="technique", kind=IrritantKind.TECHNICAL)
    resolved = _open(expert, title="résolu")
    irritant_resolve(irritant=resolved, actor=expert, resolution="Réglé.")

    def titles(**filters):
        return [row.irritant.title for row in irritants_listed(**filters)]

    assert titles(states=["escalated"]) == ["escaladé"]
    assert titles(kind=IrritantKind.TECHNICAL) == ["technique"]
    assert titles(provider=provider) == ["escaladé"]
    assert titles(states=["resolved"]) == ["résolu"]


def test_age_counts_calendar_days(expert):
    irritant = _open(expert)
    _aged(irritant, 12)
    irritant.refresh_from_db()
    assert age_in_days(irritant) == 12
