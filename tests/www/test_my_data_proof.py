"""« Mes données »: the proof bundle of an access, only for the person or company it is about."""

from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

import orjson
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dlnuf.habilitations.models import Habilitation
from dlnuf.journal import verify_bundle
from dlnuf.journal.services import journal_entries_append
from dlnuf.journal.subjects import subject_key
from dlnuf.organisations.models import Membership, Role
from dlnuf.people.viewers import person_sign_in
from tests.exchange.factories import DatasetFactory, OrganisationFactory
from tests.habilitations.factories import UserFactory
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db

MARIE = subject_key({"nomNaissance": "DUPONT", "prenoms": ["MARIE"], "anneeDateNaissance": "1980"})
PAUL = subject_key({"nomNaissance": "MARTIN", "prenoms": ["PAUL"], "anneeDateNaissance": "1975"})


def sign_in_person(client: Client, *keys: str) -> None:
    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    person_sign_in(request, display_name="Marie Dupont", subject_keys=keys, signed_in_with="demo")
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key


def habilitation(**visibility: Any) -> Habilitation:
    return Habilitation.objects.create(
        organisation=OrganisationFactory(),
        dataset=DatasetFactory(),
        expires_at=timezone.now() + timedelta(days=365),
        **visibility,
    )


def record(key: str, **fields: Any) -> int:
    (index,) = journal_entries_append(records=[ExchangeRecordFactory(subject_key=key, **fields)])
    return index


def proof_url(index: int) -> str:
    return reverse("www:my_data_proof", kwargs={"index": index})


def test_a_person_downloads_the_proof_of_an_access_about_them(client: Client) -> None:
    shown = habilitation(subject_sees_case_reference=True)
    record(PAUL, habilitation_id=shown.pk)
    index = record(MARIE, habilitation_id=shown.pk, object="Dossier 42")
    record(PAUL, habilitation_id=shown.pk)
    sign_in_person(client, MARIE)

    response = client.get(proof_url(index))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="preuve-consultation-{index}.json"'
    )
    assert response["Cache-Control"] == "private, no-store"
    bundle = orjson.loads(response.content)
    assert bundle["entry"]["fields"]["object"] == "Dossier 42"
    result = verify_bundle.verify(bundle, verify_bundle.parse_verifier_key(bundle["verifier_key"]))
    assert (result.leaf_index, result.tree_size, result.withheld) == (index, 3, [])


def test_someone_else_s_access_is_not_found_as_if_it_did_not_exist(client: Client) -> None:
    others = record(PAUL)
    mine = record(MARIE)

    assert client.get(proof_url(mine)).status_code == 404  # nobody signed in
    sign_in_person(client, MARIE)
    assert client.get(proof_url(others)).status_code == 404
    assert client.get(proof_url(others + 100)).status_code == 404
    assert client.get(proof_url(mine)).status_code == 200


def test_a_case_reference_the_habilitation_keeps_hidden_stays_out_of_the_proof(
    client: Client,
) -> None:
    hidden = habilitation(subject_sees_case_reference=False)
    under_hidden = record(MARIE, habilitation_id=hidden.pk, object="Enquête 2026-117")
    without_habilitation = record(MARIE, habilitation_id=None, object="Enquête 2026-118")
    sign_in_person(client, MARIE)

    for index in (under_hidden, without_habilitation):
        response = client.get(proof_url(index))
        assert response.status_code == 200
        assert b"Enqu" not in response.content
        bundle = orjson.loads(response.content)
        assert bundle["entry"]["withheld_fields"] == ["object"]
        result = verify_bundle.verify(bundle, None)
        assert result.withheld == ["object"]


def test_an_access_still_deferred_is_not_found_until_its_delay_ends(client: Client) -> None:
    deferred = habilitation(
        subject_visibility_delay_days=30,
        subject_visibility_delay_reference="Article L114-19 du code de la sécurité sociale",
    )
    now = timezone.now()
    recent = record(MARIE, habilitation_id=deferred.pk, occurred_at=now - timedelta(days=29))
    old = record(MARIE, habilitation_id=deferred.pk, occurred_at=now - timedelta(days=31))
    sign_in_person(client, MARIE)

    assert client.get(proof_url(recent)).status_code == 404
    assert client.get(proof_url(old)).status_code == 200


def test_an_agent_downloads_the_proof_of_an_access_about_their_company(client: Client) -> None:
    organisation = OrganisationFactory()
    agent = UserFactory()
    Membership.objects.create(user=agent, role=Role.APPLICANT, organisation=organisation)
    company = subject_key({"siren": organisation.siret[:9]})
    about_company = record(company, occurred_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    about_a_person = record(MARIE)
    client.force_login(agent)

    assert client.get(proof_url(about_company)).status_code == 200
    assert client.get(proof_url(about_a_person)).status_code == 404


def test_the_proof_answers_only_reads(client: Client) -> None:
    index = record(MARIE)
    sign_in_person(client, MARIE)

    assert client.post(proof_url(index)).status_code == 405
    assert client.head(proof_url(index)).status_code == 200


def test_the_page_offers_each_access_s_proof_and_loads_the_check_once(client: Client) -> None:
    indices = [record(MARIE) for _ in range(3)]
    sign_in_person(client, MARIE)

    page = client.get(reverse("www:my_data")).content.decode()

    for index in indices:
        assert f'href="{proof_url(index)}"' in page
        assert f'Vérifier<span class="fr-sr-only"> la preuve de la consultation n° {index}' in page
    assert page.count("www/my_data/verify-proof.js") == 1


def proof_queries(client: Client, index: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(proof_url(index)).status_code == 200
    return len(queries)


def test_a_proof_costs_the_same_few_queries_however_large_the_journal(client: Client) -> None:
    journal_entries_append(records=ExchangeRecordFactory.build_batch(6))
    index = record(MARIE)
    journal_entries_append(records=ExchangeRecordFactory.build_batch(3))
    sign_in_person(client, MARIE)
    client.get(proof_url(index))  # signs the checkpoint of this size once
    small = proof_queries(client, index)

    journal_entries_append(records=ExchangeRecordFactory.build_batch(2000))
    client.get(proof_url(index))
    large = proof_queries(client, index)

    # Session, habilitation delays, the entry, its case reference rule, tree head, signed head,
    # tree head again for the proof, leaf hashes, tree nodes.
    assert small == large == 9
