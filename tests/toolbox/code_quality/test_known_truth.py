"""Every axis of the code quality report against a repository whose truth was counted by hand.

The repository is fixtures/known_truth, zipped the way a forge serves a download: everything
inside one top-level folder, ``known-truth-main/``. It is analysed once, through the same path
as an uploaded archive.

Hand count of its Python (lizard's lines of code: no blank line, no comment, no docstring):
  src/known/pricing.py    22 = compute_totals (20) + format_amount (2)
  src/known/invoices.py   23 = import (1) + invoice_number (2) + compute_totals (20)
  src/known/rules.py      33 = classify_request (25) + route (6) + is_closed (2)
  src/known/client.py      3 = constant (1) + authorisation_header (2)
  src/known/__init__.py    0
  tests/pricing_checks.py  4 = import (1) + check_one_order (3)
  total                   85, of which 81 of code and 4 of tests.

Cyclomatic complexity, 1 + one per decision point (if, elif, for, while, and, or…):
  classify_request  1 + if + 10 elif                    = 12
  compute_totals    1 + for + if + if (each copy)       = 4
  route             1 + if + if                         = 3
  is_closed         1 + or                              = 2
  format_amount, invoice_number, authorisation_header   = 1
Eight functions outside the tests, one above 10: 12.5 %; mean 28 / 8 = 3.5.
"""

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File

from dlnuf.toolbox.code_quality import measures
from dlnuf.toolbox.code_quality.ruff_rules import EXPLANATIONS
from dlnuf.toolbox.code_quality.runner import analyse, run
from dlnuf.toolbox.models import ToolKind, ToolReport

KNOWN_TRUTH = Path(__file__).parent / "fixtures" / "known_truth"
TOP_FOLDER = "known-truth-main"
# The fake credentials planted in the fixture; none may appear whole in a report.
PLANTED_VALUES = (
    "AKIAFAKEEXAMPLEKEY00",
    "ghp_FAKE00000000000000000000000000000000",
    "github_pat_11FAKE0000000000000000_FAKE",
    "glpat-FAKE0000000000000000",
    "xoxb-000000000000-0000000000000-FAKE",
    "sk_live_FAKE00000000000000000000",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlLXVzZXIifQ",
    "fake-not-a-real-pass",
    "dlnuf_sbx_FAKE000000000000000000000000000000000000000",
    "dlnuf_prd_FAKE000000000000000000000000000000000000000",
    "FAKEKEYFAKEKEYFAKEKEY",
)


def forge_zip(source: Path, archive: Path, *, top_folder: str = TOP_FOLDER) -> Path:
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{top_folder}/{path.relative_to(source).as_posix()}")
    return archive


def analysed_archive(archive: Path) -> dict[str, Any]:
    """The results of the background run on ``archive``, uploaded as a person would."""
    with archive.open("rb") as handle:
        report = ToolReport(
            kind=ToolKind.CODE_QUALITY,
            inputs={"source": "archive"},
            source_name=archive.name,
            source_file=File(handle, name=str(archive)),
        )
        return run(report, lambda percent, message: None)


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("forge")
    return analysed_archive(forge_zip(KNOWN_TRUTH, folder / f"{TOP_FOLDER}.zip"))


def test_the_archive_s_single_top_folder_is_the_project_root(known: dict[str, Any]) -> None:
    assert known["licence"] == {"files": [{"file": "LICENSE", "spdx": "MIT"}], "licences": ["MIT"]}
    assert known["grades"]["licence"]["grade"] == "A"
    assert known["grades"]["licence"]["figure"] == 1.0
    assert not any("Aucun fichier de licence" in item["reason"] for item in known["priorities"])
    # Paths are the project's own, without the forge's folder.
    assert known["complexity"]["worst"][0]["file"] == "src/known/rules.py"
    # Eleven files, six of them Python (the package's empty __init__.py included).
    assert (known["size"]["all_files"], known["size"]["files"]) == (11, 6)
    assert known["size"]["nloc"] == 85
    # An archive has no Git history: activity does not apply.
    assert (known["grades"]["activity"]["grade"], known["key_figures"]["activity"]) == ("", None)


@pytest.mark.parametrize(
    "name", ["LICENSE", "LICENCE", "licence.md", "License.txt", "COPYING", "license-MIT"]
)
def test_a_licence_in_the_top_folder_is_found_whatever_its_usual_name(
    tmp_path: Path, name: str
) -> None:
    project = tmp_path / "projet"
    project.mkdir()
    (project / name).write_text((KNOWN_TRUTH / "LICENSE").read_text())
    (project / "main.py").write_text("print('bonjour')\n")
    results = analysed_archive(forge_zip(project, tmp_path / "projet.zip", top_folder="projet-v2"))
    assert results["licence"]["files"] == [{"file": name, "spdx": "MIT"}]
    assert results["grades"]["licence"]["grade"] == "A"


def test_complexity_axis(known: dict[str, Any]) -> None:
    complexity = known["complexity"]
    by_place = {(f["file"], f["name"]): f["ccn"] for f in complexity["worst"]}
    assert by_place == {
        ("src/known/rules.py", "classify_request"): 12,
        ("src/known/pricing.py", "compute_totals"): 4,
        ("src/known/invoices.py", "compute_totals"): 4,
        ("src/known/rules.py", "route"): 3,
        ("src/known/rules.py", "is_closed"): 2,
        ("src/known/pricing.py", "format_amount"): 1,
        ("src/known/invoices.py", "invoice_number"): 1,
        ("src/known/client.py", "authorisation_header"): 1,
    }
    assert (complexity["functions"], complexity["complex"], complexity["max"]) == (8, 1, 12)
    assert complexity["mean"] == 3.5
    # 1 of 8 = 12.5 %: above C's 10 %, within D's 20 %.
    assert complexity["complex_share"] == 12.5
    assert known["grades"]["complexity"]["grade"] == "D"


def test_duplication_axis_finds_the_copied_twenty_line_function(known: dict[str, Any]) -> None:
    duplication = known["duplication"]
    (block,) = duplication["largest"]
    assert block["lines"] == 20
    assert sorted((p["file"], p["start"], p["end"]) for p in block["places"]) == [
        ("src/known/invoices.py", 8, 27),
        ("src/known/pricing.py", 1, 20),
    ]
    # Both copies, 2 × 20 lines, of the 85 lines of code: 47.1 %, above E's 20 %.
    assert (duplication["duplicated_lines"], duplication["code_lines"]) == (40, 85)
    assert duplication["rate"] == 47.1
    assert known["grades"]["duplication"]["grade"] == "E"


def test_lint_axis_and_every_reported_rule_explained_in_french(known: dict[str, Any]) -> None:
    lint = known["lint"]
    # By hand, with the rules the tool selects:
    #   invoices.py:1  F401 `date` imported, never used
    #   invoices.py:18, pricing.py:11  PLR1730 `if amount < 0: amount = 0` is max()
    #   rules.py:29  E711 `channel == None`
    #   client.py:1  S105 a token assigned in the code
    #   tests/pricing_checks.py:6  S101 assert
    assert {row["rule"]: row["count"] for row in lint["frequent"]} == {
        "PLR1730": 2,
        "F401": 1,
        "E711": 1,
        "S105": 1,
        "S101": 1,
    }
    assert lint["findings"] == 6
    assert lint["python_nloc"] == 85
    # 6 findings for 85 lines: 70.6 per 1,000, above E's 20.
    assert lint["per_thousand_lines"] == 70.6
    assert known["grades"]["lint"]["grade"] == "E"
    for row in lint["frequent"]:
        assert row["explanation"] == EXPLANATIONS[row["rule"]]


def test_tests_axis(known: dict[str, Any]) -> None:
    assert known["tests"] == {"test_files": 1, "test_nloc": 4, "code_nloc": 81, "ratio": 0.049}
    # 4 test lines for 81 lines of code: 4.9 per 100, some tests but under C's 15.
    assert known["grades"]["tests"]["figure"] == 4.9
    assert known["grades"]["tests"]["grade"] == "D"


def test_dependencies_axis(known: dict[str, Any]) -> None:
    dependencies = known["dependencies"]
    (manifest,) = dependencies["manifests"]
    assert manifest["path"] == "requirements.txt"
    assert [(c["name"], c["eol_status"]) for c in manifest["components"]] == [
        ("django", "eol"),
        ("httpx", "unknown"),
        ("attrs", "unknown"),
        ("click", "unknown"),
    ]
    # All pinned; Django 1.11 is past its end of life: 1 of 4 at risk = 25 %, within C's 30 %.
    assert (dependencies["components"], dependencies["unpinned"]) == (4, 0)
    assert dependencies["at_risk_share"] == 25.0
    assert known["grades"]["dependencies"]["grade"] == "C"


EXPECTED_SECRETS = [
    ("Clé d'accès AWS", "high", "deploy/credentials.yml", 1),
    ("Jeton GitHub", "high", "deploy/credentials.yml", 2),
    ("Jeton GitHub", "high", "deploy/credentials.yml", 3),
    ("Jeton GitLab", "high", "deploy/credentials.yml", 4),
    ("Jeton Slack", "high", "deploy/credentials.yml", 5),
    ("Clé secrète Stripe", "high", "deploy/credentials.yml", 6),
    ("Jeton JWT", "medium", "deploy/credentials.yml", 7),
    ("Mot de passe en clair", "medium", "deploy/credentials.yml", 8),
    ("Jeton du guichet DLNUF (bac à sable)", "medium", "deploy/credentials.yml", 9),
    ("Clé privée", "high", "deploy/server.key", 1),
    ("Jeton du guichet DLNUF (production)", "high", "src/known/client.py", 1),
]


def test_secrets_axis_finds_every_planted_secret_and_shows_none(known: dict[str, Any]) -> None:
    secrets = known["secrets"]
    found = [(f["kind"], f["severity"], f["file"], f["line"]) for f in secrets["findings"]]
    assert found == EXPECTED_SECRETS
    assert (secrets["high"], secrets["medium"]) == (8, 3)
    # Eleven findings, and a key or a token among them: E.
    assert known["grades"]["secrets"]["figure"] == 11.0
    assert known["grades"]["secrets"]["grade"] == "E"
    stored = json.dumps(known, ensure_ascii=False)
    for value in PLANTED_VALUES:
        assert value not in stored
    client = next(f for f in secrets["findings"] if f["file"] == "src/known/client.py")
    assert client["excerpt"] == 'DLNUF_TOKEN = "dlnu••••••••…'


SECRET_LINES = [
    (line, kind, severity)
    for line, (kind, severity, _, _) in zip(
        (KNOWN_TRUTH / "deploy" / "credentials.yml").read_text().splitlines(),
        EXPECTED_SECRETS,
        strict=False,
    )
]


@pytest.mark.parametrize(("line", "kind", "severity"), SECRET_LINES, ids=lambda v: str(v)[:24])
def test_one_planted_secret_alone_is_found_and_never_graded_a(
    tmp_path: Path, line: str, kind: str, severity: str
) -> None:
    (tmp_path / "config.yml").write_text(f"debug: false\n{line}\n")
    results = analyse(tmp_path, lambda percent, message: None)
    findings = results["secrets"]["findings"]
    assert [(f["kind"], f["severity"], f["line"]) for f in findings] == [(kind, severity, 2)]
    # A token or a key: E at once; a suspicion alone (password, JWT, sandbox token): C.
    assert results["grades"]["secrets"]["grade"] == ("E" if severity == "high" else "C")


def test_this_product_s_credential_format_is_detected_exactly(tmp_path: Path) -> None:
    issued = "dlnuf_prd_" + "Ab3-_x" * 7 + "Z"  # 43 characters, as token_urlsafe(32) gives
    (tmp_path / "a.py").write_text(
        f'TOKEN = "{issued}"\n'
        f'SHORTER = "{issued[:-1]}"\n'
        f'LONGER = "{issued}Q"\n'
        'PREFIX_ONLY = "dlnuf_prd_"\n'
    )
    findings = measures.scan_secrets(tmp_path, ["a.py"])["findings"]
    assert [(f["kind"], f["line"]) for f in findings] == [
        ("Jeton du guichet DLNUF (production)", 1)
    ]
