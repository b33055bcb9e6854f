"""Every transition of the request workflow, allowed and refused, by state and by role."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dlnuf.habilitations import services
from dlnuf.habilitations.models import (
    AppendOnlyError,
    AuthorizationRequest,
    Environment,
    Habilitation,
    RequestMessage,
    RequestState,
    RequestTransition,
)
from dlnuf.habilitations.selectors import grant_for_secret_hash
from dlnuf.habilitations.services import ActionForbidden, TransitionRefused, credential_hash
from dlnuf.habilitations.transitions import BUTTON_ACTIONS, TRANSITIONS
from dlnuf.organisations.models import Role
from tests.exchange.factories import OrganisationFactory, ProviderFactory
from tests.habilitations.factories import applicant, global_user, instructor, reporter
from tests.habilitations.workflow import cast, perform

pytestmark = pytest.mark.django_db

REFUSED_FROM = [
    (action, state)
    for action in BUTTON_ACTIONS
    for state in RequestState.values
    if state not in TRANSITIONS[action].sources
]


@pytest.mark.parametrize(("action", "state"), REFUSED_FROM)
def test_each_action_is_refused_outside_the_states_of_its_row(action: str, state: str) -> None:
    people = cast()
    request = people.draft()
    AuthorizationRequest.objects.filter(pk=request.pk).update(state=state)
    request.refresh_from_db()
    administrator = global_user(Role.ADMINISTRATOR)
    logged = RequestTransition.objects.count()

    with pytest.raises(TransitionRefused) as refused:
        perform(action, request, administrator)

    assert "impossible" in refused.value.message
    assert RequestState(state).label in refused.value.message
    request.refresh_from_db()
    assert request.state == state
    assert RequestTransition.objects.count() == logged


def test_the_whole_journey_logs_every_transition_with_actor_and_comment() -> None:
    people = cast()
    request = people.draft()
    request = services.authorization_request_submit(request=request, actor=people.applicant)
    request = services.authorization_request_request_changes(
        request=request, actor=people.instructor, comment="Précisez la durée de conservation."
    )
    request = services.authorization_request_submit(
        request=request, actor=people.applicant, comment="Durée précisée."
    )
    request = services.authorization_request_validate(
        request=request, actor=people.instructor, comment="Accordé."
    )

    rows = list(request.transitions.values_list("action", "from_state", "to_state", "actor"))
    assert rows == [
        ("create", "", "draft", people.applicant.pk),
        ("submit", "draft", "submitted", people.applicant.pk),
        ("request_changes", "submitted", "changes_requested", people.instructor.pk),
        ("submit", "changes_requested", "submitted", people.applicant.pk),
        ("validate", "submitted", "validated", people.instructor.pk),
    ]
    assert request.transitions.get(action="request_changes").comment == (
        "Précisez la durée de conservation."
    )
    assert request.state == RequestState.VALIDATED
    assert request.decided_at is not None


def test_refusing_and_revoking_need_a_comment() -> None:
    people = cast()
    request = people.submitted()
    with pytest.raises(TransitionRefused, match="commentaire"):
        services.authorization_request_refuse(request=request, actor=people.instructor, comment=" ")
    refused = services.authorization_request_refuse(
        request=request, actor=people.instructor, comment="Finalité non couverte par le texte."
    )
    assert refused.state == RequestState.REFUSED
    assert refused.habilitation is None


@pytest.mark.parametrize("action", ["submit", "reopen", "request_production"])
def test_applicant_actions_are_refused_to_instructors_and_other_organisations(
    action: str,
) -> None:
    people = cast()
    request = people.draft()
    state = sorted(TRANSITIONS[action].sources)[0]
    AuthorizationRequest.objects.filter(pk=request.pk).update(state=state)
    request.refresh_from_db()
    outsiders = [
        people.instructor,
        applicant(OrganisationFactory()),
        reporter(people.dataset.provider),
        global_user(Role.EXPERT),
    ]
    for outsider in outsiders:
        with pytest.raises(ActionForbidden, match="réservée aux demandeurs"):
            perform(action, request, outsider)
    assert request.transitions.count() == 1


@pytest.mark.parametrize(
    "action", ["request_changes", "validate_sandbox", "validate", "refuse", "revoke"]
)
def test_instructor_actions_are_refused_to_applicants_reporters_and_other_providers(
    action: str,
) -> None:
    people = cast()
    request = people.draft()
    state = sorted(TRANSITIONS[action].sources)[0]
    AuthorizationRequest.objects.filter(pk=request.pk).update(state=state)
    request.refresh_from_db()
    outsiders = [
        people.applicant,
        reporter(people.dataset.provider),
        instructor(ProviderFactory()),
        global_user(Role.EXPERT),
    ]
    for outsider in outsiders:
        with pytest.raises(ActionForbidden, match="réservée aux instructeurs"):
            perform(action, request, outsider)
    assert request.transitions.count() == 1


def test_administrators_may_take_both_sides() -> None:
    people = cast()
    administrator = global_user(Role.ADMINISTRATOR)
    request = services.authorization_request_submit(request=people.draft(), actor=administrator)
    request = services.authorization_request_validate(request=request, actor=administrator)
    assert request.state == RequestState.VALIDATED


def test_an_incomplete_request_cannot_be_submitted_and_says_what_is_missing() -> None:
    people = cast()
    request = people.draft(complete=False)

    with pytest.raises(TransitionRefused) as refused:
        services.authorization_request_submit(request=request, actor=people.applicant)

    assert "incomplète" in refused.value.message
    assert "Indiquez les destinataires des données." in refused.value.problems
    assert "Indiquez la date de mise en production prévue." in refused.value.problems
    request.refresh_from_db()
    assert request.state == RequestState.DRAFT


def test_validation_grants_exactly_the_scopes_chosen_never_more_than_asked() -> None:
    people = cast()
    request = people.submitted()

    with pytest.raises(TransitionRefused, match="non demandés : enfants"):
        services.authorization_request_validate(
            request=request, actor=people.instructor, scope_slugs=["qf", "enfants"]
        )
    validated = services.authorization_request_validate(
        request=request, actor=people.instructor, scope_slugs=["qf"], term_months=6
    )

    habilitation = validated.habilitation
    assert habilitation is not None
    assert list(habilitation.scopes.values_list("slug", flat=True)) == ["qf"]
    assert habilitation.granted_by == people.instructor
    expected_end = services.add_months(timezone.now(), 6)
    assert abs(habilitation.expires_at - expected_end) < timedelta(minutes=1)
    environments = sorted(habilitation.credentials.values_list("environment", flat=True))
    assert environments == [Environment.PRODUCTION, Environment.SANDBOX]
    assert all(c.expires_at <= habilitation.expires_at for c in habilitation.credentials.all())


def test_a_term_beyond_eighteen_months_is_refused() -> None:
    people = cast()
    with pytest.raises(TransitionRefused, match="entre 1 et 18 mois"):
        people.validated(term_months=24)


def test_a_failure_during_validation_leaves_no_half_transition(monkeypatch: Any) -> None:
    people = cast()
    request = people.submitted()

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("panne")

    monkeypatch.setattr(services, "credential_issue", broken)
    with pytest.raises(RuntimeError):
        services.authorization_request_validate(request=request, actor=people.instructor)

    request.refresh_from_db()
    assert request.state == RequestState.SUBMITTED
    assert request.habilitation is None
    assert not Habilitation.objects.filter(organisation=people.organisation).exists()
    assert not request.transitions.filter(action="validate").exists()


def test_the_sandbox_stage_comes_before_production() -> None:
    people = cast()
    request = people.submitted()
    AuthorizationRequest.objects.filter(pk=request.pk).update(sandbox_stage=True)
    request.refresh_from_db()

    with pytest.raises(TransitionRefused, match="d'abord par le bac à sable"):
        services.authorization_request_validate(request=request, actor=people.instructor)
    request = services.authorization_request_validate_sandbox(
        request=request, actor=people.instructor, scope_slugs=["qf"]
    )
    assert request.state == RequestState.SANDBOX_VALIDATED
    habilitation = request.habilitation
    assert habilitation is not None
    assert list(habilitation.credentials.values_list("environment", flat=True)) == ["sandbox"]

    request = services.authorization_request_request_production(
        request=request, actor=people.applicant
    )
    assert request.state == RequestState.SUBMITTED
    with pytest.raises(TransitionRefused, match="déjà validée"):
        services.authorization_request_validate_sandbox(request=request, actor=people.instructor)
    request = services.authorization_request_validate(request=request, actor=people.instructor)

    assert request.state == RequestState.VALIDATED
    assert request.habilitation == habilitation
    assert sorted(habilitation.credentials.values_list("environment", flat=True)) == [
        "production",
        "sandbox",
    ]


def test_validate_sandbox_is_refused_without_a_sandbox_stage() -> None:
    people = cast()
    with pytest.raises(TransitionRefused, match="pas d'étape de bac à sable"):
        services.authorization_request_validate_sandbox(
            request=people.submitted(), actor=people.instructor
        )


def test_reopening_amends_the_habilitation_which_stays_active_meanwhile(
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = cast()
    original = people.validated(scope_slugs=["qf"])
    habilitation = original.habilitation
    assert habilitation is not None
    credential = habilitation.credentials.get(environment=Environment.PRODUCTION)

    amendment = services.authorization_request_reopen(request=original, actor=people.applicant)
    assert amendment.state == RequestState.DRAFT
    assert amendment.amends == habilitation
    assert list(amendment.requested_scopes.values_list("slug", flat=True)) == ["qf"]
    assert amendment.transitions.get().action == "reopen"
    with pytest.raises(TransitionRefused, match="déjà en cours"):
        services.authorization_request_reopen(request=original, actor=people.applicant)

    services.authorization_request_update(
        request=amendment, actor=people.applicant, values={}, scope_slugs=["qf", "enfants"]
    )
    amendment = services.authorization_request_submit(request=amendment, actor=people.applicant)
    habilitation.refresh_from_db()
    assert habilitation.is_active()
    assert list(habilitation.scopes.values_list("slug", flat=True)) == ["qf"]

    grant_before = grant_for_secret_hash(credential.secret_hash)
    assert grant_before is not None
    assert grant_before.scope_slugs == {"qf"}
    with django_capture_on_commit_callbacks(execute=True):
        amendment = services.authorization_request_validate(
            request=amendment, actor=people.instructor, term_months=12
        )

    habilitation.refresh_from_db()
    assert amendment.habilitation == habilitation
    assert sorted(habilitation.scopes.values_list("slug", flat=True)) == ["enfants", "qf"]
    original.refresh_from_db()
    assert original.state == RequestState.SUPERSEDED
    assert original.transitions.last().action == "supersede"
    grant_after = grant_for_secret_hash(credential.secret_hash)
    assert grant_after is not None
    assert grant_after.scope_slugs == {"qf", "enfants"}
    assert habilitation.credentials.count() == 2


def test_revoking_ends_the_habilitation_and_its_credentials(
    django_capture_on_commit_callbacks: Any,
) -> None:
    people = cast()
    request = people.validated()
    habilitation = request.habilitation
    assert habilitation is not None
    for credential in habilitation.credentials.all():
        grant = grant_for_secret_hash(credential.secret_hash)
        assert grant is not None
        assert not grant.revoked

    with django_capture_on_commit_callbacks(execute=True):
        request = services.authorization_request_revoke(
            request=request, actor=people.instructor, comment="Finalité abandonnée."
        )

    habilitation.refresh_from_db()
    assert request.state == RequestState.REVOKED
    assert habilitation.revoked_at is not None
    for credential in habilitation.credentials.all():
        grant = grant_for_secret_hash(credential.secret_hash)
        assert grant is not None
        assert grant.revoked


def test_messages_are_posted_by_both_sides_and_never_changed() -> None:
    people = cast()
    request = people.submitted()
    question = services.request_message_post(
        request=request, author=people.instructor, body="  Quel volume à la rentrée ?  "
    )
    services.request_message_post(request=request, author=people.applicant, body="300 par jour.")

    assert list(request.messages.values_list("body", flat=True)) == [
        "Quel volume à la rentrée ?",
        "300 par jour.",
    ]
    with pytest.raises(ActionForbidden):
        services.request_message_post(
            request=request, author=reporter(people.dataset.provider), body="Bonjour"
        )
    question.body = "changé"
    with pytest.raises(AppendOnlyError):
        question.save()
    with pytest.raises(AppendOnlyError):
        question.delete()
    with pytest.raises(AppendOnlyError):
        request.transitions.first().delete()
    assert RequestMessage.objects.get(pk=question.pk).body == "Quel volume à la rentrée ?"


def test_the_secret_is_revealed_once_to_an_applicant_only() -> None:
    people = cast()
    request = people.validated()
    assert request.habilitation is not None
    credential = request.habilitation.credentials.get(environment=Environment.PRODUCTION)

    with pytest.raises(ActionForbidden):
        services.credential_reveal(credential=credential, actor=people.instructor)
    with pytest.raises(ActionForbidden):
        services.credential_reveal(credential=credential, actor=global_user(Role.ADMINISTRATOR))
    secret = services.credential_reveal(credential=credential, actor=people.applicant)

    assert secret.startswith("dlnuf_prd_")
    assert credential_hash(secret) == credential.secret_hash
    credential.reveal.refresh_from_db()
    assert bytes(credential.reveal.ciphertext) == b""
    with pytest.raises(TransitionRefused, match="déjà été affiché"):
        services.credential_reveal(credential=credential, actor=people.applicant)
