"""The seed's answer shapes and known links: what a provider normally sends is neither lost nor
flagged, and what it adds is removed and flagged."""

import copy
import json
from typing import Any

import pytest
from django.test import Client

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.exchange.datasets import DatasetRuntime, dataset_lookup
from dlnuf.habilitations.models import Environment
from dlnuf.journal.models import JournalEntry
from dlnuf.sandbox.cases import DATA_DIR, SandboxCase, load_case_directory, sandbox_identities
from tests.exchange.factories import credential_for

COMPANY_DATASETS = [
    "unite-legale",
    "etablissement",
    "attestation-fiscale",
    "attestation-vigilance",
    "certification-rge",
    "association",
]
SANDBOX_CASES = load_case_directory(DATA_DIR)


def runtime(slug: str) -> DatasetRuntime:
    found = dataset_lookup(slug).runtime
    assert found is not None
    return found


def envelope(case: SandboxCase) -> dict[str, Any] | None:
    """The upstream envelope of a case that answers data, else None."""
    if case.status != 200:
        return None
    try:
        body = json.loads(case.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) and "data" in body else None


def plain_values(value: Any, path: str = "") -> set[tuple[str, str]]:
    """Every plain value with where it sits; empty objects and lists hold none."""
    if isinstance(value, dict):
        return {pair for key, item in value.items() for pair in plain_values(item, f"{path}.{key}")}
    if isinstance(value, list):
        return {
            pair
            for index, item in enumerate(value)
            for pair in plain_values(item, f"{path}[{index}]")
        }
    return {(path, json.dumps(value))}


def all_scopes(dataset: DatasetRuntime) -> frozenset[str]:
    return frozenset(dataset.scope_fields)


def sncf() -> dict[str, Any]:
    case = next(
        case
        for case in SANDBOX_CASES
        if case.endpoint.dataset == "unite-legale" and case.params.get("siren") == "552049447"
    )
    body = envelope(case)
    assert body is not None
    return body


@pytest.mark.django_db
def test_every_company_dataset_declares_its_answer_shape(loaded_catalogue: Any) -> None:
    shaped = set(Dataset.objects.exclude(answer_shape=[]).values_list("slug", flat=True))

    assert set(COMPANY_DATASETS) <= shaped


@pytest.mark.django_db
def test_every_sandbox_answer_minimises_with_nothing_unexpected_under_all_scopes(
    loaded_catalogue: Any,
) -> None:
    checked = set()
    for case in SANDBOX_CASES:
        body = envelope(case)
        dataset = runtime(case.endpoint.dataset)
        if body is None or not dataset.answer_shape:
            continue
        answer = dataset.minimiser(all_scopes(dataset)).minimise(
            body["data"], links=body.get("links") or {}
        )
        assert answer.unexpected == (), (case.origin, case.label)
        # The shape loses nothing the provider normally sends.
        assert plain_values(answer.data) == plain_values(body["data"]), (case.origin, case.label)
        checked.add(case.endpoint.dataset)

    assert set(COMPANY_DATASETS) <= checked


@pytest.mark.django_db
def test_a_nested_key_added_to_a_company_answer_is_removed_and_flagged(
    loaded_catalogue: Any,
) -> None:
    dataset = runtime("unite-legale")
    data = copy.deepcopy(sncf()["data"])
    data["forme_juridique"]["dirigeant"] = {"nom": "MARTIN"}
    data["beneficiaires"] = [{"nom": "MARTIN"}]

    answer = dataset.minimiser(all_scopes(dataset)).minimise(data)

    assert "dirigeant" not in answer.data["forme_juridique"]
    assert "beneficiaires" not in answer.data
    assert answer.data["forme_juridique"] == {
        "code": "5599",
        "libelle": "SA à conseil d'administration (s.a.i.)",
    }
    assert set(answer.unexpected) == {"forme_juridique.dirigeant", "beneficiaires"}


@pytest.mark.django_db
def test_a_nested_key_added_to_a_certificate_is_removed_and_flagged(
    loaded_catalogue: Any,
) -> None:
    dataset = runtime("certification-rge")
    certificate = {
        "data": {"nom_certificat": "Qualisol CESI", "auditeur": {"nom": "MARTIN"}},
        "links": {},
        "meta": {},
    }

    answer = dataset.minimiser(all_scopes(dataset)).minimise([certificate])

    assert answer.data == [{"data": {"nom_certificat": "Qualisol CESI"}}]
    assert answer.unexpected == ("data.auditeur",)


@pytest.mark.django_db
def test_known_links_are_dropped_silently_and_an_unknown_link_is_flagged(
    loaded_catalogue: Any,
) -> None:
    dataset = runtime("unite-legale")
    body = sncf()
    links = {**body["links"], "dirigeants": "https://exemple.fr/dirigeants/552049447"}

    answer = dataset.minimiser(all_scopes(dataset)).minimise(body["data"], links=links)

    assert answer.links == {}
    assert answer.unexpected == ("links.dirigeants",)


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> None:
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_API_ENTREPRISE_URL = ""
    catalogue_load()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("sandbox")
def test_a_sandbox_unite_legale_call_is_answered_whole_and_not_flagged(client: Client) -> None:
    dataset = Dataset.objects.get(slug="unite-legale")
    secret, credential = credential_for(
        dataset, ["unites_legales_etablissements_insee"], environment=Environment.SANDBOX
    )
    identity = next(
        identity
        for identity in sandbox_identities("unite-legale")
        if identity.params.get("siren") == "552049447"
    )

    response = client.get(
        "/api/v1/data/unite-legale",
        {
            **identity.params,
            "recipient": credential.habilitation.organisation.siret,
            "context": "Marché public",
            "object": "lot 3",
        },
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["data"] == sncf()["data"]
    assert body["links"] == {}
    entry = JournalEntry.objects.get(exchange_id=body["meta"]["exchange_id"])
    assert not entry.unexpected_fields_removed
