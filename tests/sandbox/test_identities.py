"""Every seeded dataset has test identities for every outcome, and each is served as written."""

import json

import pytest

from dlnuf.sandbox.cases import case_store, sandbox_identities, served_datasets

from .conftest import endpoint_for_path, sandbox_url

CATALOGUE_DATASETS = [
    "quotient-familial",
    "statut-etudiant",
    "statut-demandeur-emploi",
    "complementaire-sante-solidaire",
    "scolarite",
    "etudiant-boursier",
    "revenu-solidarite-active",
    "prime-activite",
    "allocation-adulte-handicape",
    "unite-legale",
    "etablissement",
    "attestation-vigilance",
    "attestation-fiscale",
    "certification-rge",
    "association",
    "impot-particulier",
]


def test_the_sandbox_serves_every_catalogue_dataset():
    assert served_datasets() == sorted(CATALOGUE_DATASETS)


@pytest.mark.parametrize("slug", CATALOGUE_DATASETS)
def test_every_dataset_has_every_outcome(slug):
    identities = sandbox_identities(slug)
    outcomes = [identity.outcome for identity in identities]

    assert outcomes.count("found") >= 2
    assert "not_found" in outcomes
    assert "partial" in outcomes
    assert "slow" in outcomes
    assert any(i.outcome == "not_found" and i.status == 404 for i in identities)
    assert any(i.outcome == "error" and i.status == 502 for i in identities)
    assert all(i.label for i in identities)


@pytest.mark.parametrize("family", ["api-particulier", "api-entreprise", "api-impot-particulier"])
def test_each_family_has_a_malformed_answer(family):
    malformed = [case for case in case_store().own if case.outcome == "malformed"]
    assert any(case.endpoint.family == family for case in malformed)
    for case in malformed:
        with pytest.raises(json.JSONDecodeError):
            json.loads(case.body)


def test_identities_name_parameters_as_callers_send_them():
    nominal = next(
        identity
        for identity in sandbox_identities("quotient-familial")
        if identity.params.get("nomNaissance") == "LEFEBVRE" and identity.status == 200
    )
    assert nominal.params["prenoms[]"] == ["ALEXIS", "GÉRÔME", "JEAN-PHILIPPE"]
    assert nominal.params["anneeDateNaissance"] == "1982"
    assert nominal.path_template == "/v3/dss/quotient_familial/identite"
    dinum = next(
        i for i in sandbox_identities("unite-legale") if i.params == {"siren": "130025265"}
    )
    assert dinum.outcome == "found"


OWN_CASES = case_store().own


@pytest.mark.parametrize(
    "case", OWN_CASES, ids=[f"{c.endpoint.dataset}:{c.label}" for c in OWN_CASES]
)
def test_every_own_case_is_served_as_written(client, case):
    response = client.get(sandbox_url(case.endpoint, case.params))

    assert response.status_code == case.status
    assert response["Content-Type"].startswith("application/json")
    if case.outcome == "malformed":
        assert response.content == case.body
    else:
        assert json.loads(response.content) == json.loads(case.body)


def test_identities_are_reachable_through_their_request_parameters(client):
    for slug in CATALOGUE_DATASETS:
        for identity in sandbox_identities(slug):
            endpoint = endpoint_for_path(identity.path_template)
            response = client.get(sandbox_url(endpoint, identity.params))
            assert response.status_code == identity.status, (slug, identity.label)
