"""Reporting a consultation: a guichet case, the data protection officer told, the person
acknowledged with a follow link; only ever for an entry the person may see, never with a data
value."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from dlnuf.outbox.models import OutgoingEmail
from dlnuf.people.models import ConsultationReport
from dlnuf.people.reports import EntryNotFound, ReportReason, consultation_report_create
from dlnuf.support.models import SupportRequest
from dlnuf.support.tokens import request_from_follow_token
from tests.people.access_world import MARIE, habilitation, person, record
from tests.people.report_world import DPO_EMAIL, outbox_to, report_world

pytestmark = pytest.mark.django_db
PERSON_EMAIL = "marie@exemple.fr"


@pytest.fixture
def world():
    return report_world()


def _report(index, *, viewer=None, reasons=(ReportReason.UNKNOWN_ADMINISTRATION,), details=""):
    return consultation_report_create(
        viewer=viewer or person(MARIE),
        index=index,
        reasons=list(reasons),
        details=details,
        email=PERSON_EMAIL,
    )


def test_a_report_opens_a_case_tells_the_dpo_and_acknowledges_with_a_follow_link(world):
    report = _report(
        world.marie_entry,
        reasons=(ReportReason.NO_PROCEDURE, ReportReason.OTHER),
        details="Je n'habite plus à Lyon depuis 2019.",
    )
    case = report.support_request
    assert report.journal_index == world.marie_entry
    assert report.dpo_email == DPO_EMAIL
    assert case.requester_email == PERSON_EMAIL
    assert case.state == "new"
    assert "Ville de Lyon" in case.subject
    assert "Inscription à la cantine" in case.context
    assert "Je n'habite plus à Lyon" in case.need

    (to_dpo,) = outbox_to(DPO_EMAIL)
    assert to_dpo.subject.startswith(f"[{case.reference}]")
    assert "Ville de Lyon (SIRET 216 901 231 00011)" in to_dpo.body
    assert "Inscription à la cantine" in to_dpo.body
    assert "Je n'ai fait aucune démarche auprès d'elle à cette date" in to_dpo.body
    # The person's address stays with the guichet; answers come back to its address.
    assert PERSON_EMAIL not in to_dpo.body
    assert to_dpo.reply_to == [settings.DLNUF_SUPPORT_ADDRESS]

    (acknowledgement,) = outbox_to(PERSON_EMAIL)
    assert "/mes-donnees/signalements/" in acknowledgement.body
    token = acknowledgement.body.split("/mes-donnees/signalements/")[1].split("/")[0]
    assert request_from_follow_token(token) == case
    assert acknowledgement.headers["Message-ID"] == case.thread_message_id
    assert "transmis au délégué à la protection des données" in acknowledgement.body


def test_the_report_carries_no_data_value_and_hides_the_case_reference_unless_allowed(world):
    _report(world.marie_entry)
    texts = [mail.body for mail in OutgoingEmail.objects.all()]
    texts.append(SupportRequest.objects.get().context)
    for text in texts:
        # The fields are named as the person reads them on the page; the journal holds no value
        # to leak, and the case reference stays private to the consumer.
        assert "Informations transmises : " in text
        assert "Dossier CANT-42" not in text
    world.grant.subject_sees_case_reference = True
    world.grant.save(update_fields=["subject_sees_case_reference"])
    _report(world.marie_entry)
    assert "Dossier CANT-42" in SupportRequest.objects.order_by("pk").last().context


def test_without_a_data_protection_officer_the_case_and_the_person_say_so(world):
    report = _report(world.without_dpo_entry)
    assert report.dpo_email == ""
    assert "Aucun délégué à la protection des données n'est connu" in (
        report.support_request.context
    )
    (acknowledgement,) = outbox_to(PERSON_EMAIL)
    assert "le guichet transmet le signalement" in acknowledgement.body
    assert not outbox_to(DPO_EMAIL)


def test_another_persons_entry_and_a_deferred_one_cannot_be_reported(world):
    with pytest.raises(EntryNotFound):
        _report(world.paul_entry)
    deferred = habilitation(
        world.grant.organisation,
        subject_visibility_delay_days=30,
        subject_visibility_delay_reference="Article L114-17 du code de la sécurité sociale",
    )
    hidden = record(MARIE, occurred_at=timezone.now() - timedelta(days=2), grant=deferred)
    with pytest.raises(EntryNotFound):
        _report(hidden)
    assert not SupportRequest.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_a_report_without_reason_or_an_unexplained_other_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        _report(world.marie_entry, reasons=())
    assert "Choisissez au moins une raison" in refused.value.message_dict["reasons"][0]
    with pytest.raises(ValidationError) as refused:
        _report(world.marie_entry, reasons=(ReportReason.OTHER,), details="  ")
    assert "précisez-la" in refused.value.message_dict["details"][0]
    assert not ConsultationReport.objects.exists()
    assert not OutgoingEmail.objects.exists()
