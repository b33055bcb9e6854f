"""A provider plugged in by catalogue data only: the generic REST connector."""

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from django.test import Client

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.journal.models import JournalEntry
from tests.exchange.factories import credential_for
from tests.exchange.providers import FakeProvider, envelope

pytestmark = pytest.mark.django_db

FAMILY = {
    "tranche": "B",
    "montant": 2.35,
    "foyer": {"nombre_enfants": 2, "revenu_fiscal": 31000},
    "responsable": {"nom": "MARTIN"},
}


def load_city_catalogue(tmp_path: Path, base_url: str, **connector: object) -> Dataset:
    seed = {
        "providers": [{"slug": "ville-exemple", "name": "Ville d'Exemple"}],
        "connectors": [
            {
                "slug": "ville-exemple-rest",
                "name": "API de la ville d'Exemple",
                "kind": "rest",
                "base_url": base_url,
                "auth_kind": "header",
                "auth_header": "X-Api-Key",
                "auth_secret_env": "DLNUF_VILLE_EXEMPLE_KEY",
                "sends_trace_parameters": False,
                **connector,
            }
        ],
        "datasets": [
            {
                "slug": "tarif-cantine",
                "title": "Tarif de cantine",
                "provider": "ville-exemple",
                "connector": "ville-exemple-rest",
                "subject_kind": "person",
                "holds_personal_data": True,
                "endpoints": [
                    {
                        "name": "famille",
                        "path_template": "/v1/familles/{numeroFamille}/tarif",
                        "parameters": [
                            {"name": "numeroFamille", "required": True, "pattern": "^[0-9]{8}$"},
                            {"name": "annee", "required": False, "pattern": "^[0-9]{4}$"},
                        ],
                    }
                ],
                "scopes": [
                    {"slug": "tarif", "label": "Tarif", "fields": ["tranche", "montant"]},
                    {"slug": "enfants", "label": "Enfants", "fields": ["foyer.nombre_enfants"]},
                ],
            }
        ],
    }
    (tmp_path / "ville.yaml").write_text(yaml.safe_dump(seed, allow_unicode=True), encoding="utf-8")
    catalogue_load(directory=tmp_path)
    return Dataset.objects.get(slug="tarif-cantine")


@pytest.fixture
def city(
    tmp_path: Path, fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[str, str]]:
    monkeypatch.setenv("DLNUF_VILLE_EXEMPLE_KEY", "cle-secrete")

    def make(**connector: object) -> tuple[str, str]:
        dataset = load_city_catalogue(tmp_path, fake_provider.url, **connector)
        secret, credential = credential_for(dataset, ["tarif", "enfants"])
        return secret, credential.habilitation.organisation.siret

    return make


def ask(client: Client, secret: str, siret: str, **params: str) -> object:
    query = {
        "numeroFamille": "12345678",
        "recipient": siret,
        "context": "Cantine",
        "object": "inscription 2025",
    }
    query.update(params)
    return client.get(
        "/api/v1/data/tarif-cantine", query, headers={"Authorization": f"Bearer {secret}"}
    )


def test_bare_json_object_is_the_data_and_scopes_minimise_it(
    client: Client, fake_provider: FakeProvider, city: Callable[..., tuple[str, str]]
) -> None:
    secret, siret = city()
    fake_provider.answer("/v1/familles/12345678/tarif", FAMILY)

    response = ask(client, secret, siret, annee="2025")

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"tranche": "B", "montant": 2.35, "foyer": {"nombre_enfants": 2}}
    assert body["links"] == {}
    assert body["meta"]["provider"] == "ville-exemple"
    sent = fake_provider.requests[0]
    assert sent.path == "/v1/familles/12345678/tarif"
    assert sent.query == [("annee", "2025")]
    assert sent.headers["x-api-key"] == "cle-secrete"
    assert "authorization" not in sent.headers
    entry = JournalEntry.objects.get(exchange_id=body["meta"]["exchange_id"])
    assert entry.fields_returned == ("tranche", "montant", "foyer.nombre_enfants")


def test_envelope_answer_bearer_token_and_trace_parameters(
    client: Client, fake_provider: FakeProvider, city: Callable[..., tuple[str, str]]
) -> None:
    secret, siret = city(auth_kind="bearer", sends_trace_parameters=True)
    fake_provider.answer(
        "/v1/familles/12345678/tarif", envelope(FAMILY, {"self": "https://ville/x"})
    )

    response = ask(client, secret, siret)

    assert response.status_code == 200
    # No scope names a link: the upstream's are removed and the journal says so.
    assert response.json()["links"] == {}
    entry = JournalEntry.objects.get(exchange_id=response.json()["meta"]["exchange_id"])
    assert entry.unexpected_fields_removed
    sent = fake_provider.requests[0]
    assert sent.headers["authorization"] == "Bearer cle-secrete"
    assert dict(sent.query) == {
        "recipient": siret,
        "context": "Cantine",
        "object": "inscription 2025",
    }


def test_provider_without_authentication(
    client: Client, fake_provider: FakeProvider, city: Callable[..., tuple[str, str]]
) -> None:
    secret, siret = city(auth_kind="none", auth_secret_env="")
    fake_provider.answer("/v1/familles/12345678/tarif", FAMILY)

    assert ask(client, secret, siret).status_code == 200
    assert "authorization" not in fake_provider.requests[0].headers
    assert "x-api-key" not in fake_provider.requests[0].headers


def test_missing_secret_is_reported_without_calling_the_provider(
    client: Client,
    fake_provider: FakeProvider,
    city: Callable[..., tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret, siret = city()
    monkeypatch.delenv("DLNUF_VILLE_EXEMPLE_KEY")

    response = ask(client, secret, siret)

    assert (response.status_code, response.json()["code"]) == (503, "provider_unavailable")
    assert fake_provider.requests == []


def test_provider_status_maps_to_problems_whatever_its_error_format(
    client: Client, fake_provider: FakeProvider, city: Callable[..., tuple[str, str]]
) -> None:
    secret, siret = city()
    fake_provider.answer("/v1/familles/12345678/tarif", {"message": "famille inconnue"}, status=404)

    response = ask(client, secret, siret)

    assert (response.status_code, response.json()["code"]) == (404, "subject_not_found")


def test_catalogue_pattern_checks_the_dataset_own_parameter(
    client: Client, fake_provider: FakeProvider, city: Callable[..., tuple[str, str]]
) -> None:
    secret, siret = city()

    response = ask(client, secret, siret, numeroFamille="1234")

    assert response.status_code == 400
    assert response.json()["parameter"] == "numeroFamille"
    assert fake_provider.requests == []
