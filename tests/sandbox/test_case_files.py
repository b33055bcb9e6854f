"""Reading case files: the project's own format, upstream mock directories, and bad input."""

import json
from pathlib import Path

import pytest
import yaml

from dlnuf.sandbox.cases import (
    CaseFileError,
    CaseStore,
    case_store,
    load_case_directory,
    load_upstream_mock_directory,
    unmapped_upstream_folders,
)
from dlnuf.sandbox.endpoints import UPSTREAM_MOCK_FOLDERS, endpoint_by_key
from dlnuf.sandbox.validation import parameter_errors, trace_errors

from .conftest import TRACE, endpoint_for_path, errors_of, sandbox_url

QF = endpoint_for_path("/v3/dss/quotient_familial/identite")


def _write_cases(directory: Path, cases: list[dict], **header) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    content = {
        "family": "api-particulier",
        "path": "/v3/dss/quotient_familial/identite",
        **header,
        "cases": cases,
    }
    path = directory / "cases.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


CASE = {
    "label": "Cas ajouté",
    "params": {"nomNaissance": "AJOUT", "prenoms": ["ZOE"]},
    "status": 200,
    "payload": '{"data": {"quotient_familial": {"valeur": 42}}, "links": {}, "meta": {}}',
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"colour": "bleu"}, "cases[1].colour : clé inconnue"),
        ({"payload": "{pas du json"}, "cases[1].payload : JSON invalide"),
        ({"status": "deux cents"}, "cases[1].status : doit être un code HTTP"),
        ({"delay": "tortue"}, "cases[1].delay : seule la valeur « slow » est connue"),
        ({"outcome": "peut-être"}, "cases[1].outcome : doit valoir"),
    ],
)
def test_bad_cases_are_reported_with_file_and_key(tmp_path, change, expected):
    path = _write_cases(tmp_path, [{**CASE, **change}])
    with pytest.raises(CaseFileError) as raised:
        load_case_directory(tmp_path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_missing_payload_is_reported(tmp_path):
    _write_cases(tmp_path, [{k: v for k, v in CASE.items() if k != "payload"}])
    with pytest.raises(CaseFileError, match=r"cases\[1\]\.payload : clé obligatoire manquante"):
        load_case_directory(tmp_path)


def test_unknown_endpoint_is_reported(tmp_path):
    _write_cases(tmp_path, [CASE], path="/v3/nulle/part")
    with pytest.raises(CaseFileError, match="n'est pas un point d'accès du bac à sable"):
        load_case_directory(tmp_path)


def test_raw_payloads_are_kept_as_they_are(tmp_path):
    _write_cases(tmp_path, [{**CASE, "payload": "<html>oups</html>", "raw": True}])
    [case] = load_case_directory(tmp_path)
    assert case.body == b"<html>oups</html>"
    assert case.outcome == "malformed"


def test_the_most_specific_matching_case_wins(tmp_path):
    _write_cases(
        tmp_path,
        [
            {**CASE, "label": "large", "params": {"nomNaissance": "AJOUT"}},
            {**CASE, "label": "précis", "params": {"nomNaissance": "AJOUT", "prenoms": ["ZOE"]}},
        ],
    )
    store = CaseStore(load_case_directory(tmp_path), [])

    assert store.match(QF, {"nomNaissance": "Ajout", "prenoms": ["Zoé"]}).label == "précis"
    assert store.match(QF, {"nomNaissance": "AJOUT", "prenoms": ["LEA"]}).label == "large"
    assert store.match(QF, {"nomNaissance": "AUTRE"}) is None


def test_extra_directories_add_cases_and_win_ties(client, settings, tmp_path):
    own = next(case for case in case_store().own if case.endpoint == QF and case.status == 200)
    override = {**CASE, "params": dict(own.params), "label": "Remplacement"}
    _write_cases(tmp_path / "extra", [CASE, override])
    settings.DLNUF_SANDBOX_EXTRA_CASES_DIRS = [str(tmp_path / "extra")]

    added = client.get(
        sandbox_url(
            QF, {**CASE["params"], "sexeEtatCivil": "F", "codeCogInseePaysNaissance": "99100"}
        )
    )
    replaced = client.get(sandbox_url(QF, own.params))

    assert added.status_code == 200
    assert json.loads(added.content)["data"] == {"quotient_familial": {"valeur": 42}}
    assert json.loads(replaced.content)["data"] == {"quotient_familial": {"valeur": 42}}


def test_a_missing_extra_directory_is_a_clear_error(settings, tmp_path):
    settings.DLNUF_SANDBOX_EXTRA_CASES_DIRS = [str(tmp_path / "absent")]
    with pytest.raises(CaseFileError, match="dossier de cas introuvable"):
        case_store()


# --- Upstream mock directories ---------------------------------------------------------------


@pytest.fixture
def upstream_payloads(reference_dir: Path) -> Path:
    return reference_dir / "apistration" / "mocks" / "payloads"


def test_upstream_folders_map_to_sandbox_endpoints(upstream_payloads):
    cases = load_upstream_mock_directory(upstream_payloads)
    mapped = [p for p in upstream_payloads.iterdir() if p.name in UPSTREAM_MOCK_FOLDERS]
    files = [f for folder in mapped for f in folder.iterdir() if f.suffix in (".yaml", ".yml")]

    assert len(cases) == len(files)
    assert {c.endpoint.key for c in cases} <= {
        endpoint_by_key(*k).key for k in UPSTREAM_MOCK_FOLDERS.values()
    }
    # FranceConnect cases identify people by a FranceConnect token, not served by the sandbox.
    assert unmapped_upstream_folders(upstream_payloads) == [
        "api_particulier_v3_cnav_quotient_familial_with_france_connect",
        "france_connect",
    ]


def test_every_upstream_case_replays_through_the_sandbox(client, settings, upstream_payloads):
    settings.DLNUF_SANDBOX_EXTRA_CASES_DIRS = [str(upstream_payloads)]
    cases = load_upstream_mock_directory(upstream_payloads)
    replayed = rejected = 0
    for case in cases:
        response = client.get(sandbox_url(case.endpoint, case.params))
        sent = {name.removesuffix("[]"): value for name, value in case.params.items()}
        sent = {
            name: [str(v) for v in value] if isinstance(value, list) else str(value)
            for name, value in sent.items()
        }
        if parameter_errors(case.endpoint, sent) or trace_errors(case.endpoint, {**sent, **TRACE}):
            # A few upstream cases misspell a required parameter or omit it; upstream rejects
            # such calls too, with the same envelope.
            assert response.status_code == 422, case.origin
            assert errors_of(response), case.origin
            rejected += 1
            continue
        assert response.status_code == case.status, case.origin
        assert json.loads(response.content) == json.loads(case.body), case.origin
        replayed += 1
    assert replayed >= len(cases) - 3
    assert rejected <= 3
