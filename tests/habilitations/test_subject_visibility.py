"""The provider's instructor sets what people see of a habilitation's consultations: a delay
allowed by a legal text, and whether the case reference is shown. Every change is logged."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from dlnuf.habilitations.models import Habilitation, HabilitationEvent, HabilitationEventKind
from dlnuf.habilitations.services import (
    ActionForbidden,
    TransitionRefused,
    habilitation_revoke,
    habilitation_set_subject_visibility,
)
from tests.exchange.factories import company_dataset
from tests.habilitations.factories import PASSWORD, instructor
from tests.habilitations.workflow import cast

pytestmark = pytest.mark.django_db

DECREE = "Article L114-17 du code de la sécurité sociale"


@pytest.fixture
def granted():
    people = cast()
    request = people.validated()
    return people, request, request.habilitation


def test_the_instructor_sets_a_delay_with_its_legal_text_and_it_is_logged(granted):
    people, _, habilitation = granted
    habilitation_set_subject_visibility(
        habilitation=habilitation,
        actor=people.instructor,
        delay_days=90,
        delay_reference=f"  {DECREE} ",
        sees_case_reference=True,
    )
    habilitation.refresh_from_db()
    assert habilitation.subject_visibility_delay_days == 90
    assert habilitation.subject_visibility_delay_reference == DECREE
    assert habilitation.subject_sees_case_reference is True
    event = HabilitationEvent.objects.filter(habilitation=habilitation).latest("pk")
    assert event.kind == HabilitationEventKind.AMENDED
    assert event.actor == people.instructor
    assert "90 jours" in event.detail
    assert DECREE in event.detail
    assert "auparavant : consultations montrées à l'usager dès qu'elles ont lieu" in event.detail


def test_removing_the_delay_drops_its_reference_and_an_unchanged_setting_logs_nothing(granted):
    people, _, habilitation = granted
    settings = {"habilitation": habilitation, "actor": people.instructor}
    habilitation_set_subject_visibility(
        **settings, delay_days=30, delay_reference=DECREE, sees_case_reference=False
    )
    habilitation_set_subject_visibility(
        **settings, delay_days=None, delay_reference=DECREE, sees_case_reference=False
    )
    habilitation.refresh_from_db()
    assert habilitation.subject_visibility_delay_days is None
    assert habilitation.subject_visibility_delay_reference == ""
    logged = HabilitationEvent.objects.filter(habilitation=habilitation).count()
    habilitation_set_subject_visibility(
        **settings, delay_days=None, delay_reference="", sees_case_reference=False
    )
    assert HabilitationEvent.objects.filter(habilitation=habilitation).count() == logged


@pytest.mark.parametrize(
    ("delay_days", "reference", "field", "message"),
    [
        (30, "  ", "delay_reference", "Indiquez le texte qui autorise ce délai"),
        (0, DECREE, "delay_days", "entre 1 et 1\u202f095 jours"),
        (1096, DECREE, "delay_days", "entre 1 et 1\u202f095 jours"),
        (10, "x" * 501, "delay_reference", "Le texte est trop long"),
    ],
)
def test_a_delay_out_of_range_or_without_its_text_is_refused(
    granted, delay_days, reference, field, message
):
    people, _, habilitation = granted
    with pytest.raises(ValidationError) as refused:
        habilitation_set_subject_visibility(
            habilitation=habilitation,
            actor=people.instructor,
            delay_days=delay_days,
            delay_reference=reference,
            sees_case_reference=False,
        )
    assert message in refused.value.message_dict[field][0]
    habilitation.refresh_from_db()
    assert habilitation.subject_visibility_delay_days is None


def test_the_database_refuses_a_delay_without_legal_text(granted):
    _, _, habilitation = granted
    with pytest.raises(IntegrityError), transaction.atomic():
        Habilitation.objects.filter(pk=habilitation.pk).update(subject_visibility_delay_days=10)


def test_only_the_instructors_of_the_provider_decide(granted):
    people, _, habilitation = granted
    other_provider = instructor(company_dataset().provider)
    for outsider in (people.applicant, other_provider):
        with pytest.raises(ActionForbidden):
            habilitation_set_subject_visibility(
                habilitation=habilitation,
                actor=outsider,
                delay_days=30,
                delay_reference=DECREE,
                sees_case_reference=True,
            )
    habilitation.refresh_from_db()
    assert habilitation.subject_visibility_delay_days is None
    assert habilitation.subject_sees_case_reference is False


def test_a_revoked_habilitation_is_not_changed(granted):
    people, _, habilitation = granted
    habilitation_revoke(habilitation=habilitation, actor=people.instructor)
    with pytest.raises(TransitionRefused):
        habilitation_set_subject_visibility(
            habilitation=habilitation,
            actor=people.instructor,
            delay_days=30,
            delay_reference=DECREE,
            sees_case_reference=False,
        )


# --- the page ----------------------------------------------------------------------------------


def test_the_instructor_reaches_the_page_from_the_request_and_sets_a_french_number(client, granted):
    people, request, habilitation = granted
    client.login(username=people.instructor.email, password=PASSWORD)
    detail = client.get(reverse("www:request_detail", args=[request.pk])).content.decode()
    url = reverse("www:request_subject_visibility", args=[request.pk])
    assert f'href="{url}"' in detail
    assert "consultations montrées dès qu'elles ont lieu" in detail

    response = client.post(
        url,
        {"delay_days": "1 095", "delay_reference": DECREE, "sees_case_reference": "on"},
    )
    assert response.status_code == 302
    habilitation.refresh_from_db()
    assert habilitation.subject_visibility_delay_days == 1095
    assert habilitation.subject_sees_case_reference is True
    detail = client.get(reverse("www:request_detail", args=[request.pk])).content.decode()
    assert "consultations montrées 1\u202f095 jours après avoir eu lieu" in detail


def test_a_refused_form_shows_everything_typed_back(client, granted):
    people, request, habilitation = granted
    client.login(username=people.instructor.email, password=PASSWORD)
    url = reverse("www:request_subject_visibility", args=[request.pk])
    response = client.post(url, {"delay_days": "douze", "sees_case_reference": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "« douze » n&#x27;est pas un nombre" in page
    assert 'value="douze"' in page
    assert "checked" in page
    response = client.post(url, {"delay_days": "45", "delay_reference": ""})
    page = response.content.decode()
    assert "Indiquez le texte qui autorise ce délai" in page
    assert 'value="45"' in page
    habilitation.refresh_from_db()
    assert habilitation.subject_visibility_delay_days is None


def test_the_page_is_forbidden_to_the_applicant_and_hidden_from_strangers(client, granted):
    people, request, _ = granted
    url = reverse("www:request_subject_visibility", args=[request.pk])
    client.login(username=people.applicant.email, password=PASSWORD)
    assert client.get(url).status_code == 403
    assert client.post(url, {"delay_days": "5", "delay_reference": DECREE}).status_code == 403
    client.logout()
    stranger = instructor(company_dataset().provider)
    client.login(username=stranger.email, password=PASSWORD)
    # The other provider's instructor does not even see the request.
    assert client.get(url).status_code == 404
