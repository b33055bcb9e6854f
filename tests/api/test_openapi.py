"""The OpenAPI document and the browsable documentation of the exchange API."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from dlnuf.exchange.errors import PROBLEMS


@pytest.fixture
def operation(client: Client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    return document["paths"]["/api/v1/data/{slug}"]["get"]


def test_openapi_lists_the_data_endpoint_with_its_parameters(operation: dict) -> None:
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

    for trace in ("recipient", "context", "object"):
        assert parameters[trace]["required"] is True
        assert parameters[trace]["in"] == "query"
    for subject in (
        "nomNaissance",
        "sexeEtatCivil",
        "anneeDateNaissance",
        "moisDateNaissance",
        "jourDateNaissance",
        "codeCogInseeCommuneNaissance",
        "codeCogInseePaysNaissance",
        "ine",
        "identifiant",
        "siren",
        "siret",
        "siren_or_rna",
    ):
        assert parameters[subject]["required"] is False
    assert parameters["prenoms[]"]["schema"]["type"] == "array"
    assert parameters["slug"]["in"] == "path"
    assert operation["security"]


def test_openapi_documents_every_problem_code(client: Client, operation: dict) -> None:
    responses = operation["responses"]

    for code, kind in PROBLEMS.items():
        content = responses[str(kind.status)]["content"]["application/problem+json"]
        assert content["examples"][code]["value"]["code"] == code
        assert "code" in content["schema"]["properties"]
    assert set(responses["200"]["content"]["application/json"]["schema"]) != set()
    assert "RateLimit-Remaining" in responses["200"]["headers"]
    assert "Retry-After" in responses["429"]["headers"]
    schemes = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()


def test_browsable_docs_are_served_from_the_project_own_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert finders.find(asset), asset
