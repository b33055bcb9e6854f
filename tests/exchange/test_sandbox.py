"""The gateway against the real seed and the built-in sandbox served on loopback.

Every seeded dataset is minimised for every single scope, all scopes and some pairs, with the
expected keys written out here from the upstream scope tables; every sandbox outcome maps to its
problem; the upstream mock cases of the reference replay through the gateway; concurrent
exchanges on PostgreSQL leave a gapless journal that verifies.
"""

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from django.db import connection
from django.test import Client

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.exchange.datasets import dataset_lookup
from dlnuf.exchange.errors import ExchangeRefused
from dlnuf.exchange.parameters import check_values
from dlnuf.habilitations.models import Environment
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.services import journal_writer_stop
from dlnuf.journal.verification import verify_journal
from dlnuf.sandbox.cases import SandboxIdentity, sandbox_identities
from dlnuf.sandbox.endpoints import UPSTREAM_MOCK_FOLDERS
from tests.exchange.factories import credential_for
from tests.exchange.providers import refused_url

WHOLE = "*"
OTHER_RECIPIENT = "21750001600019"
# Scope -> top-level keys of data it reveals (upstream scope tables); "*" for endpoint scopes.
EXPECTED_KEYS: dict[str, dict[str, list[str]]] = {
    "quotient-familial": {
        "cnaf_quotient_familial": ["quotient_familial"],
        "cnaf_allocataires": ["allocataires"],
        "cnaf_enfants": ["enfants"],
        "cnaf_adresse": ["adresse"],
    },
    "statut-demandeur-emploi": {
        "pole_emploi_identifiant": ["identifiant"],
        "pole_emploi_identite": ["identite"],
        "pole_emploi_contact": ["contact"],
        "pole_emploi_inscription": ["inscription"],
        "pole_emploi_adresse": ["adresse"],
    },
    "complementaire-sante-solidaire": {
        "complementaire_sante_solidaire": [
            "est_beneficiaire",
            "avec_participation",
            "date_debut_droit",
        ],
    },
    "scolarite": {
        "men_statut_identite": ["identite"],
        "men_statut_scolarite": ["annee_scolaire", "est_scolarise", "statut_eleve"],
        "men_statut_etablissement": ["etablissement"],
        "men_statut_module_elementaire_formation": ["module_elementaire_formation"],
        "men_statut_boursier": ["est_boursier"],
        "men_echelon_bourse": ["echelon_bourse"],
    },
    "etudiant-boursier": {
        "cnous_identite": ["identite"],
        "cnous_email": ["email"],
        "cnous_statut_boursier": ["est_boursier"],
        "cnous_echelon_bourse": ["echelon_bourse"],
        "cnous_periode_versement": ["periode_versement_bourse"],
        "cnous_ville_etudes": ["etablissement_etudes"],
    },
    "revenu-solidarite-active": {
        "revenu_solidarite_active": ["est_beneficiaire", "date_debut_droit"],
        "revenu_solidarite_active_majoration": ["avec_majoration"],
    },
    "prime-activite": {
        "prime_activite": ["est_beneficiaire", "date_debut_droit"],
        "prime_activite_majoration": ["avec_majoration"],
    },
    "allocation-adulte-handicape": {
        "allocation_adulte_handicape": ["est_beneficiaire", "date_debut_droit"],
    },
    "unite-legale": {"unites_legales_etablissements_insee": [WHOLE], "entreprises": [WHOLE]},
    "etablissement": {"unites_legales_etablissements_insee": [WHOLE], "etablissements": [WHOLE]},
    "attestation-vigilance": {
        "attestation_sociale_urssaf": [WHOLE],
        "attestations_sociales": [WHOLE],
    },
    "attestation-fiscale": {"attestation_fiscale_dgfip": [WHOLE], "attestations_fiscales": [WHOLE]},
    "certification-rge": {"certificat_rge_ademe": [WHOLE], "open_data": [WHOLE]},
    "association": {"associations_djepva": [WHOLE], "associations_donnees_protegees": [WHOLE]},
    # API Impôt particulier (DGFiP): the project's own field names, served by its sandbox.
    "impot-particulier": {
        "dgfip_revenu_fiscal_reference": ["annee_revenus", "revenu_fiscal_reference"],
        "dgfip_nombre_parts": ["annee_revenus", "nombre_parts"],
        "dgfip_situation_familiale": ["situation_familiale", "nombre_personnes_a_charge"],
        "dgfip_adresse_fiscale": ["adresse_fiscale"],
    },
}
# Statut étudiant: mesri_admissions reveals the list with each admission's dates; the other
# admission scopes add one key inside each admission.
STUDENT_ADMISSION_KEYS = {
    "mesri_admission_inscrit": "est_inscrit",
    "mesri_admission_commune_etudes": "code_cog_insee_commune",
    "mesri_admission_regime_formation": "regime_formation",
    "mesri_admission_etablissement_etudes": "etablissement_etudes",
}
STUDENT_SCOPES = ["mesri_identite", "mesri_admissions", *STUDENT_ADMISSION_KEYS]


def as_minimised(slug: str, raw: Any) -> Any:
    """The provider's data as the whole-answer scope lets it leave: each RGE certificate's
    ``links`` and ``meta`` envelopes are outside the dataset's shape and always empty, so the
    allow-list drops them (without flagging them: they hold nothing)."""
    if slug != "certification-rge" or not isinstance(raw, list):
        return raw
    return [
        {key: value for key, value in item.items() if not (key in {"links", "meta"} and not value)}
        for item in raw
    ]


def expected_data(slug: str, raw: Any, scopes: list[str]) -> Any:
    if slug == "statut-etudiant":
        expected: dict[str, Any] = {}
        if "mesri_identite" in scopes and "identite" in raw:
            expected["identite"] = raw["identite"]
        if "mesri_admissions" in scopes and "admissions" in raw:
            keys = ["date_debut", "date_fin"] + [
                key for scope, key in STUDENT_ADMISSION_KEYS.items() if scope in scopes
            ]
            expected["admissions"] = [
                {key: admission[key] for key in admission if key in keys}
                for admission in raw["admissions"]
            ]
        return expected
    keys = [key for scope in scopes for key in EXPECTED_KEYS[slug][scope]]
    if WHOLE in keys:
        return as_minimised(slug, raw)
    return {key: value for key, value in raw.items() if key in keys}


def scope_combinations(scopes: list[str]) -> list[list[str]]:
    combinations = [[scope] for scope in scopes] + [list(scopes)]
    if len(scopes) > 2:
        combinations += [scopes[:2], scopes[-2:], [scopes[0], scopes[-1]]]
    return combinations


def seeded_scopes(slug: str) -> list[str]:
    if slug == "statut-etudiant":
        return STUDENT_SCOPES
    return list(EXPECTED_KEYS[slug])


SEEDED = sorted([*EXPECTED_KEYS, "statut-etudiant"])


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> str:
    """The seed loaded and every provider family served by the sandbox of the live server."""
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_API_PARTICULIER_URL = ""
    settings.DLNUF_API_ENTREPRISE_URL = ""
    catalogue_load()
    return live_server.url + "/sandbox"


def query_of(identity: SandboxIdentity, recipient: str) -> dict[str, Any]:
    return {
        **identity.params,
        "recipient": recipient,
        "context": "Vérification de la démarche",
        "object": "dossier-sandbox-1",
    }


def exchange(client: Client, slug: str, scopes: list[str], params: dict[str, Any]) -> Any:
    secret, credential = credential_for(Dataset.objects.get(slug=slug), scopes)
    query = {**params, "recipient": credential.habilitation.organisation.siret}
    return client.get(f"/api/v1/data/{slug}", query, headers={"Authorization": f"Bearer {secret}"})


def provider_data(sandbox_url: str, slug: str, identity: SandboxIdentity) -> Any:
    """What the sandbox itself answers, asked directly without the gateway."""
    dataset = Dataset.objects.select_related("connector").get(slug=slug)
    path_values = {
        k: v for k, v in identity.params.items() if "{" + k + "}" in identity.path_template
    }
    path = identity.path_template.format(**path_values)
    query = {k: v for k, v in identity.params.items() if k not in path_values}
    response = httpx.get(
        f"{sandbox_url}/{dataset.connector.sandbox_path}{path}",
        params={**query, "recipient": OTHER_RECIPIENT, "context": "test", "object": "test"},
        headers={"Authorization": "Bearer test"},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_the_expectations_cover_every_seeded_dataset_and_scope(sandbox: str) -> None:
    seeded = {
        dataset.slug: sorted(dataset.scopes.values_list("slug", flat=True))
        for dataset in Dataset.objects.all()
    }
    assert seeded == {slug: sorted(seeded_scopes(slug)) for slug in SEEDED}


@pytest.mark.parametrize("slug", SEEDED)
def test_minimisation_for_every_scope_combination(sandbox: str, client: Client, slug: str) -> None:
    identity = next(i for i in sandbox_identities(slug) if i.outcome == "found" and i.status == 200)
    raw = provider_data(sandbox, slug, identity)
    params = query_of(identity, "")

    for scopes in scope_combinations(seeded_scopes(slug)):
        response = exchange(client, slug, scopes, params)

        assert response.status_code == 200, (scopes, response.content)
        assert response.json()["data"] == expected_data(slug, raw, scopes), scopes


def test_student_admissions_need_their_base_scope(sandbox: str, client: Client) -> None:
    identity = next(
        i
        for i in sandbox_identities("statut-etudiant")
        if i.outcome == "found" and "ine" in i.params
    )
    raw = provider_data(sandbox, "statut-etudiant", identity)
    assert raw["admissions"], "the identity must have admissions"

    without_base = exchange(
        client, "statut-etudiant", ["mesri_admission_inscrit"], query_of(identity, "")
    )
    with_base = exchange(
        client,
        "statut-etudiant",
        ["mesri_admissions", "mesri_admission_inscrit"],
        query_of(identity, ""),
    )

    assert without_base.json()["data"] == {}
    assert with_base.json()["data"]["admissions"] == [
        {k: a[k] for k in ("date_debut", "date_fin", "est_inscrit") if k in a}
        for a in raw["admissions"]
    ]


OUTCOME_PROBLEMS = {
    "not_found": {"subject_not_found"},
    "slow": {"provider_timeout"},
    "malformed": {"provider_malformed_answer"},
    "rate_limited": {"provider_rate_limited"},
    "error": {
        "provider_error",
        "provider_unavailable",
        "provider_timeout",
        "provider_partial_answer",
    },
    "refused": {
        "provider_conflict",
        "provider_unprocessable",
        "provider_access_denied",
        "provider_error",
    },
}


@pytest.mark.parametrize("slug", SEEDED)
def test_every_sandbox_outcome_maps_to_its_answer(
    sandbox: str, client: Client, settings: Any, slug: str
) -> None:
    settings.DLNUF_SANDBOX_SLOW_SECONDS = 1.0
    settings.DLNUF_PROVIDER_TIMEOUT_SECONDS = 0.3
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 1000
    identities = sandbox_identities(slug)
    assert {i.outcome for i in identities} >= {"found", "not_found"}

    for identity in identities:
        response = exchange(client, slug, seeded_scopes(slug), query_of(identity, ""))

        if identity.outcome in ("found", "partial"):
            assert response.status_code == 200, (identity.label, response.content)
        else:
            assert response.json()["code"] in OUTCOME_PROBLEMS[identity.outcome], identity.label
    assert JournalEntry.objects.count() == len(identities)


def test_breaker_opens_on_a_failing_sandbox_provider(
    sandbox: str, client: Client, settings: Any
) -> None:
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 2
    identity = next(i for i in sandbox_identities("unite-legale") if i.outcome == "error")
    found = next(i for i in sandbox_identities("unite-legale") if i.outcome == "found")
    scopes = seeded_scopes("unite-legale")

    failures = [exchange(client, "unite-legale", scopes, query_of(identity, "")) for _ in range(2)]
    refused = exchange(client, "unite-legale", scopes, query_of(found, ""))

    assert [r.status_code for r in failures] == [502, 502]
    assert (refused.status_code, refused.json()["code"]) == (503, "circuit_open")


def test_sandbox_credentials_use_the_sandbox_even_when_upstream_is_configured(
    sandbox: str, client: Client, settings: Any
) -> None:
    settings.DLNUF_API_PARTICULIER_URL = refused_url()
    settings.DLNUF_API_PARTICULIER_TOKEN = "jeton-amont"
    identity = next(i for i in sandbox_identities("quotient-familial") if i.outcome == "found")
    dataset = Dataset.objects.get(slug="quotient-familial")
    answers = []
    for environment in (Environment.SANDBOX, Environment.PRODUCTION):
        secret, credential = credential_for(
            dataset, ["cnaf_quotient_familial"], environment=environment
        )
        query = query_of(identity, credential.habilitation.organisation.siret)
        answers.append(
            client.get(
                "/api/v1/data/quotient-familial",
                query,
                headers={"Authorization": f"Bearer {secret}"},
            )
        )

    assert answers[0].status_code == 200
    assert (answers[1].status_code, answers[1].json()["code"]) == (503, "provider_unavailable")


@pytest.mark.parametrize("slug", SEEDED)
def test_a_bad_value_of_any_parameter_is_refused_naming_it(
    sandbox: str, client: Client, slug: str
) -> None:
    runtime = dataset_lookup(slug).runtime
    assert runtime is not None
    identity = next(i for i in sandbox_identities(slug) if i.outcome == "found")
    params = query_of(identity, "")

    for name in sorted(runtime.rules):
        response = exchange(client, slug, seeded_scopes(slug), {**params, name: "\x01"})

        assert response.status_code == 400, name
        assert (response.json()["code"], response.json()["parameter"]) == (
            "invalid_parameter",
            name,
        )


def test_impot_particulier_is_served_end_to_end_by_numero_fiscal(
    sandbox: str, client: Client
) -> None:
    identity = next(
        i
        for i in sandbox_identities("impot-particulier")
        if i.params.get("numeroFiscal") == "9900000000001"
    )
    params = query_of(identity, "")

    answer = exchange(client, "impot-particulier", ["dgfip_revenu_fiscal_reference"], params)

    assert answer.status_code == 200, answer.content
    assert answer.json()["data"] == {"annee_revenus": 2025, "revenu_fiscal_reference": 38450}
    for bad in ("990000000000", "99000000000012", "9900 0000 0000 1"):
        refused = exchange(
            client,
            "impot-particulier",
            ["dgfip_revenu_fiscal_reference"],
            {**params, "numeroFiscal": bad},
        )
        assert refused.status_code == 400, bad
        problem = refused.json()
        assert (problem["code"], problem["parameter"]) == ("invalid_parameter", "numeroFiscal")
        assert "13 chiffres du numéro fiscal" in problem["detail"]


# --- replay of the upstream mock cases -------------------------------------------------------

UPSTREAM_STATUS_ANSWERS = {
    200: {200},
    404: {404},
    409: {409},
    422: {422},
    401: {502},
    403: {502},
    429: {503},
    500: {502},
    502: {502, 503, 504},
    503: {503},
    504: {504},
}


def _replay_query(params: dict[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {"context": "Rejeu des cas amont", "object": "cas-amont"}
    for name, value in params.items():
        if name in ("prenoms", "prenoms[]"):
            query["prenoms[]"] = [
                str(item) for item in (value if isinstance(value, list) else [value])
            ]
        else:
            query[name] = str(value)
    return query


def _gateway_refuses(slug: str, query: dict[str, Any]) -> bool:
    """Whether the gateway's documented parameter rules refuse this query before any call."""
    runtime = dataset_lookup(slug).runtime
    assert runtime is not None
    subject = {name: value for name, value in query.items() if name not in ("context", "object")}
    if any(name not in runtime.accepted for name in subject):
        return True
    try:
        values = {
            name: check_values(
                runtime.sandbox_rules[name], value if isinstance(value, list) else [value]
            )
            for name, value in subject.items()
        }
    except ExchangeRefused:
        return True
    return runtime.endpoint_for(values) is None


def _mock_cases(reference_dir: Path) -> list[tuple[str, str, Path, dict[str, Any]]]:
    payloads = reference_dir / "apistration" / "mocks" / "payloads"
    cases = []
    for folder in sorted(payloads.iterdir()):
        key = UPSTREAM_MOCK_FOLDERS.get(folder.name)
        if key is None:
            continue
        family, path = key
        dataset = Dataset.objects.filter(
            endpoints__path_template=path, connector__sandbox_path=family
        ).first()
        if dataset is None:
            continue
        for file in sorted(folder.iterdir()):
            if file.suffix in (".yaml", ".yml"):
                cases.append(
                    (
                        dataset.slug,
                        folder.name,
                        file,
                        yaml.safe_load(file.read_text(encoding="utf-8")),
                    )
                )
    return cases


def test_upstream_mock_cases_replay_through_the_gateway(
    sandbox: str, client: Client, settings: Any, reference_dir: Path
) -> None:
    payloads = reference_dir / "apistration" / "mocks" / "payloads"
    settings.DLNUF_SANDBOX_EXTRA_CASES_DIRS = [str(payloads)]
    settings.DLNUF_BREAKER_FAILURE_THRESHOLD = 1000
    cases = _mock_cases(reference_dir)
    assert len(cases) > 150
    replayed_ok = 0

    for slug, folder, file, case in cases:
        query = _replay_query(case.get("params") or {})
        response = exchange(client, slug, seeded_scopes(slug), query)
        where = f"{folder}/{file.name}"

        if _gateway_refuses(slug, query):
            assert response.status_code == 400, where
            continue
        assert response.status_code in UPSTREAM_STATUS_ANSWERS[case["status"]], (
            where,
            response.content,
        )
        if case["status"] == 200:
            upstream = json.loads(case["payload"])["data"]
            assert response.json()["data"] == as_minimised(slug, upstream), where
            replayed_ok += 1
    assert replayed_ok > 100


# --- concurrency on PostgreSQL ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("batching", [False, True])
def test_concurrent_exchanges_leave_a_gapless_journal_that_verifies(
    sandbox: str, live_server: Any, settings: Any, batching: bool
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    settings.DLNUF_JOURNAL_BATCHING = batching
    slug = "quotient-familial"
    identity = next(i for i in sandbox_identities(slug) if i.outcome == "found")
    secret, credential = credential_for(Dataset.objects.get(slug=slug), seeded_scopes(slug))
    query = query_of(identity, credential.habilitation.organisation.siret)
    threads, calls = 8, 12
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            for _ in range(calls):
                response = http.get(
                    f"/api/v1/data/{slug}",
                    params=query,
                    headers={"Authorization": f"Bearer {secret}"},
                )
                with lock:
                    statuses.append(response.status_code)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if batching:
        journal_writer_stop()

    assert statuses == [200] * (threads * calls)
    indices = list(JournalEntry.objects.order_by("index").values_list("index", flat=True))
    assert indices == list(range(threads * calls))
    report = verify_journal()
    assert report.ok, report.problems
    assert report.entries_checked == threads * calls
    exchange_ids = JournalEntry.objects.values_list("exchange_id", flat=True)
    assert len(set(exchange_ids)) == threads * calls
