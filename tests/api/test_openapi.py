"""The OpenAPI document and the browsable documentation of the exchange API."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from dlnuf.api.data import EXCHANGE_CODES, SUBJECT_PARAMETER
from dlnuf.catalogue.services import catalogue_load
from dlnuf.exchange.datasets import dataset_lookup
from dlnuf.exchange.errors import PROBLEMS
from dlnuf.exchange.parameters import TRACE_RULES

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client: Client) -> dict:
    catalogue_load()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _parameters(operation: dict) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in operation["parameters"]}


def test_each_active_dataset_is_its_own_operation_with_only_its_parameters(
    document: dict,
) -> None:
    data_paths = sorted(path for path in document["paths"] if path.startswith("/api/v1/data/"))
    assert "/api/v1/data/{slug}" not in data_paths
    assert "/api/v1/data/quotient-familial" in data_paths
    assert "/api/v1/data/unite-legale" in data_paths

    company = _parameters(document["paths"]["/api/v1/data/unite-legale"]["get"])
    assert set(company) == {"recipient", "context", "object", SUBJECT_PARAMETER, "Cache-Control"}
    subject = company[SUBJECT_PARAMETER]
    assert (subject["in"], subject["style"], subject["explode"]) == ("query", "form", True)
    assert subject["schema"]["properties"] == {
        "siren": {
            "type": "string",
            "pattern": "^[0-9]{9}$",
            "maxLength": 9,
            "description": "SIREN : 9 chiffres avec une clé de contrôle valide.",
        }
    }
    assert subject["schema"]["required"] == ["siren"]
    assert subject["schema"]["additionalProperties"] is False

    person = _parameters(document["paths"]["/api/v1/data/quotient-familial"]["get"])
    properties = person[SUBJECT_PARAMETER]["schema"]["properties"]
    assert "siren" not in properties
    assert properties["moisDateNaissance"] | {"description": ""} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 12,
        "description": "",
    }
    assert properties["prenoms[]"]["type"] == "array"
    assert properties["prenoms[]"]["maxItems"] == 3
    assert properties["mois"]["pattern"] == "^(0?[1-9]|1[0-2])$"
    for trace in ("recipient", "context", "object"):
        assert person[trace]["required"] is True
        assert person[trace]["schema"] == TRACE_RULES[trace].json_schema()


def test_a_dataset_with_several_ways_to_name_the_subject_documents_each_way(
    document: dict,
) -> None:
    operation = document["paths"]["/api/v1/data/statut-etudiant"]["get"]
    schema = _parameters(operation)[SUBJECT_PARAMETER]["schema"]

    runtime = dataset_lookup("statut-etudiant").runtime
    assert runtime is not None
    assert [set(way["required"]) for way in schema["anyOf"]] == [
        set(endpoint.required) for endpoint in runtime.endpoints
    ]
    assert set(schema["properties"]) == set(runtime.accepted) - set(TRACE_RULES)


def test_documented_schemas_are_the_rules_the_gateway_checks(document: dict) -> None:
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/data/"):
            continue
        runtime = dataset_lookup(path.rsplit("/", 1)[1]).runtime
        assert runtime is not None
        properties = _parameters(item["get"])[SUBJECT_PARAMETER]["schema"]["properties"]
        for name, documented in properties.items():
            rule = runtime.rules[name]
            documented = {key: value for key, value in documented.items() if key != "description"}
            assert documented == rule.json_schema(), (path, name)


def test_every_operation_documents_its_problems(client: Client, document: dict) -> None:
    operation = document["paths"]["/api/v1/data/quotient-familial"]["get"]
    responses = operation["responses"]
    for code in EXCHANGE_CODES:
        kind = PROBLEMS[code]
        content = responses[str(kind.status)]["content"]["application/problem+json"]
        assert content["examples"][code]["value"]["code"] == code
        assert "code" in content["schema"]["properties"]
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ExchangeAnswer"
    )
    assert "RateLimit-Remaining" in responses["200"]["headers"]
    assert "Retry-After" in responses["429"]["headers"]
    assert operation["security"] == [{"BearerCredential": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["BearerCredential"] == {"type": "http", "scheme": "bearer"}

    documented_codes = set()
    for path, item in document["paths"].items():
        for status, response in item["get"]["responses"].items():
            if status.startswith(("4", "5")):
                examples = response["content"]["application/problem+json"]["examples"]
                documented_codes |= set(examples)
                assert {PROBLEMS[code].status for code in examples} == {int(status)}, path
        assert "500" in item["get"]["responses"], path
    entry = document["paths"]["/api/v1/journal/entries/{index}"]["get"]["responses"]
    assert (
        "journal_entry_not_found" in entry["404"]["content"]["application/problem+json"]["examples"]
    )
    assert documented_codes >= set(PROBLEMS) - {"path_not_found", "method_not_allowed"}


def test_proof_parameters_are_bounded_by_the_tree(client: Client, document: dict) -> None:
    inclusion = _parameters(document["paths"]["/api/v1/journal/proof/inclusion"]["get"])
    assert inclusion["leaf_index"]["schema"]["minimum"] == 0
    consistency = _parameters(document["paths"]["/api/v1/journal/proof/consistency"]["get"])
    assert consistency["first"]["schema"]["minimum"] == 1


def test_browsable_docs_are_served_from_the_project_own_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn." not in html
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert finders.find(asset), asset
