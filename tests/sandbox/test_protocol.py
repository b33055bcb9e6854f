"""The sandbox speaks the upstream protocol: token, trace parameters, formats, error envelope.

None of these tests may touch the database: the sandbox is a provider of its own.
"""

import json

import pytest
from django.test import Client

from dlnuf.sandbox import views

from .conftest import RECIPIENT, endpoint_for_path, errors_of, sandbox_url

QF = endpoint_for_path("/v3/dss/quotient_familial/identite")
UNITE_LEGALE = endpoint_for_path("/v3/insee/sirene/unites_legales/{siren}")
SCOLARITE = endpoint_for_path("/v3/men/scolarites/identite")
BOURSIER_INE = endpoint_for_path("/v3/cnous/etudiant_boursier/ine")
IMPOT = endpoint_for_path("/v1/impot_particulier/numero_fiscal")

NOMINAL = {
    "nomNaissance": "LEFEBVRE",
    "prenoms": ["ALEXIS", "GÉRÔME", "JEAN-PHILIPPE"],
    "sexeEtatCivil": "F",
    "anneeDateNaissance": 1982,
    "moisDateNaissance": 12,
    "jourDateNaissance": 27,
    "codeCogInseeCommuneNaissance": "08480",
    "codeCogInseePaysNaissance": "99100",
}
TAXPAYER = {
    "numeroFiscal": "9900000000001",
    "nomNaissance": "BERNARD",
    "prenoms": ["CLAIRE"],
    "anneeDateNaissance": 1985,
    "moisDateNaissance": 4,
    "jourDateNaissance": 12,
}


def _nominal_payload(client) -> dict:
    response = client.get(sandbox_url(QF, NOMINAL))
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.parametrize("header", [None, "Bearer ", "Basic dXNlcjpwYXNz", "jeton-sans-schema"])
def test_a_bearer_token_is_required(header):
    client = Client(HTTP_AUTHORIZATION=header) if header is not None else Client()
    response = client.get(sandbox_url(UNITE_LEGALE, {"siren": "552049447"}))

    assert response.status_code == 401
    assert errors_of(response)[0]["code"] == "00101"
    assert errors_of(response)[0]["source"] == {"parameter": "token"}


def test_recipient_is_required(client):
    response = client.get(sandbox_url(QF, NOMINAL, recipient=None))
    assert response.status_code == 422
    assert [e["code"] for e in errors_of(response)] == ["00203"]


@pytest.mark.parametrize("recipient", ["13002526500014", "1300252650001", "abc"])
def test_recipient_must_be_a_siret(client, recipient):
    response = client.get(sandbox_url(QF, NOMINAL, recipient=recipient))
    assert response.status_code == 422
    assert [e["code"] for e in errors_of(response)] == ["00210"]


def test_api_entreprise_also_requires_context_and_object(client):
    response = client.get(
        sandbox_url(UNITE_LEGALE, {"siren": "552049447"}, context=None, object=None)
    )
    assert response.status_code == 422
    assert [e["code"] for e in errors_of(response)] == ["00201", "00202"]


def test_api_particulier_does_not_need_context(client):
    response = client.get(sandbox_url(QF, NOMINAL, context=None, object=None))
    assert response.status_code == 200


def test_recipient_cannot_be_the_queried_company(client):
    response = client.get(sandbox_url(UNITE_LEGALE, {"siren": RECIPIENT[:9]}))
    assert response.status_code == 422
    assert errors_of(response)[0]["code"] == "00211"


@pytest.mark.parametrize(
    ("endpoint", "params", "code", "parameter"),
    [
        (UNITE_LEGALE, {"siren": "55204944"}, "00301", "siren"),
        (
            endpoint_for_path("/v3/insee/sirene/etablissements/{siret}"),
            {"siret": "5520"},
            "00302",
            "siret",
        ),
        (
            endpoint_for_path("/v4/djepva/api-association/associations/{siren_or_rna}"),
            {"siren_or_rna": "X12"},
            "00333",
            "siren_or_rna",
        ),
        (BOURSIER_INE, {"ine": "123"}, "00360", "ine"),
        (QF, {**NOMINAL, "sexeEtatCivil": "X"}, "00364", "sexeEtatCivil"),
        (QF, {k: v for k, v in NOMINAL.items() if k != "nomNaissance"}, "00361", "nomNaissance"),
        (QF, {k: v for k, v in NOMINAL.items() if k != "prenoms"}, "00367", "prenoms"),
        (QF, {**NOMINAL, "codeCogInseePaysNaissance": "FR"}, "00400", "codeCogInseePaysNaissance"),
        (
            QF,
            {**NOMINAL, "jourDateNaissance": 31, "moisDateNaissance": 2},
            "00425",
            "jourDateNaissance",
        ),
        (QF, {**NOMINAL, "mois": 13}, "00354", "mois"),
        (
            SCOLARITE,
            {**NOMINAL, "anneeScolaire": "2024", "codeEtablissement": "089003V"},
            "00410",
            "codeEtablissement",
        ),
        (SCOLARITE, {**NOMINAL, "anneeScolaire": "24"}, "00411", "anneeScolaire"),
        (
            endpoint_for_path("/v3/mesri/statut_etudiant/identite"),
            {k: v for k, v in NOMINAL.items() if k != "jourDateNaissance"},
            "00424",
            "jourDateNaissance",
        ),
        # The numéro fiscal has exactly 13 digits.
        (IMPOT, {**TAXPAYER, "numeroFiscal": "990000000001"}, "00450", "numeroFiscal"),
        (IMPOT, {**TAXPAYER, "numeroFiscal": "99000000000012"}, "00450", "numeroFiscal"),
        (IMPOT, {**TAXPAYER, "numeroFiscal": "99000000000A1"}, "00450", "numeroFiscal"),
        (
            IMPOT,
            {k: v for k, v in TAXPAYER.items() if k != "numeroFiscal"},
            "00451",
            "numeroFiscal",
        ),
        (IMPOT, {**TAXPAYER, "anneeRevenus": "25"}, "00452", "anneeRevenus"),
    ],
)
def test_bad_parameters_get_the_upstream_code(client, endpoint, params, code, parameter):
    response = client.get(sandbox_url(endpoint, params))

    assert response.status_code == 422
    errors = errors_of(response)
    assert [e["code"] for e in errors] == [code]
    assert errors[0]["source"] == {"parameter": parameter}
    assert errors[0]["title"] == "Entité non traitable"


def test_a_taxpayer_is_found_by_numero_fiscal_and_civil_status(client):
    response = client.get(sandbox_url(IMPOT, TAXPAYER))

    assert response.status_code == 200
    data = json.loads(response.content)["data"]
    assert (data["revenu_fiscal_reference"], data["nombre_parts"]) == (38450, 3)
    other_person = client.get(sandbox_url(IMPOT, {**TAXPAYER, "nomNaissance": "DURAND"}))
    assert other_person.status_code == 404
    assert errors_of(other_person)[0]["code"] == "03003"
    assert errors_of(other_person)[0]["meta"] == {"provider": "DGFIP"}


def test_unknown_subjects_get_the_providers_not_found(client):
    unknown = {**NOMINAL, "nomNaissance": "PERSONNE", "prenoms": ["NUL"]}
    response = client.get(sandbox_url(QF, unknown))
    assert response.status_code == 404
    assert errors_of(response)[0]["code"] == "37003"
    assert errors_of(response)[0]["meta"] == {"provider": "CNAV"}

    response = client.get(sandbox_url(UNITE_LEGALE, {"siren": "987654324"}))
    assert response.status_code == 404
    assert errors_of(response)[0]["code"] == "01003"


def test_matching_forgives_case_accents_separators_and_number_forms(client):
    expected = _nominal_payload(client)
    sloppy = {
        "nomNaissance": " lefebvre ",
        "prenoms": ["alexis gerome", "Jean Philippe"],
        "sexeEtatCivil": "f",
        "anneeDateNaissance": "1982",
        "moisDateNaissance": "12",
        "jourDateNaissance": "27",
        "codeCogInseeCommuneNaissance": "08480",
        "codeCogInseePaysNaissance": "99100",
    }
    response = client.get(sandbox_url(QF, sloppy))
    assert response.status_code == 200
    assert json.loads(response.content) == expected


def test_matching_ignores_parameters_the_case_does_not_name(client):
    expected = _nominal_payload(client)
    response = client.get(sandbox_url(QF, {**NOMINAL, "nomUsage": "MARTIN", "annee": 2024}))
    assert json.loads(response.content) == expected


def test_first_names_may_be_sent_without_brackets(client):
    expected = _nominal_payload(client)
    url = sandbox_url(QF, {k: v for k, v in NOMINAL.items() if k != "prenoms"})
    response = client.get(url + "&prenoms=ALEXIS+G%C3%89R%C3%94ME+JEAN-PHILIPPE")
    assert json.loads(response.content) == expected


def test_a_different_value_does_not_match(client):
    response = client.get(sandbox_url(QF, {**NOMINAL, "jourDateNaissance": 28}))
    assert response.status_code == 404


def test_slow_cases_wait_for_the_configured_delay(client, settings, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(views.time, "sleep", waits.append)
    settings.DLNUF_SANDBOX_SLOW_SECONDS = 7

    slow = client.get(sandbox_url(UNITE_LEGALE, {"siren": "400000048"}))
    fast = client.get(sandbox_url(UNITE_LEGALE, {"siren": "552049447"}))

    assert slow.status_code == 200
    assert fast.status_code == 200
    assert waits == [7]


def test_unknown_paths_and_methods(client):
    assert client.get("/sandbox/api-particulier/v3/nothing/here?recipient=x").status_code == 404
    assert (
        client.get("/sandbox/api-inconnue/v3/insee/sirene/unites_legales/552049447").status_code
        == 404
    )
    assert client.post(sandbox_url(UNITE_LEGALE, {"siren": "552049447"})).status_code == 405
