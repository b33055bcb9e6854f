import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dlnuf.toolbox.code_quality import measures, sources
from dlnuf.toolbox.code_quality.runner import analyse
from tests.toolbox.code_quality.repos import (
    FAKE_AWS_KEY,
    ROUTER,
    bad_repository,
    commit_all,
    good_repository,
)


def _analyse(root: Path) -> dict:
    return analyse(root, lambda percent, message: None)


@pytest.fixture
def bad(tmp_path: Path) -> dict:
    return _analyse(bad_repository(tmp_path / "bad"))


@pytest.fixture
def good(tmp_path: Path) -> dict:
    return _analyse(good_repository(tmp_path / "good"))


def test_the_complex_function_is_the_worst_with_its_place(bad: dict) -> None:
    worst = bad["complexity"]["worst"][0]
    # Eleven ifs: 1 + 11 = 12.
    assert (worst["name"], worst["ccn"], worst["file"], worst["line"]) == (
        "router",
        12,
        "app/router.py",
        1,
    )
    # Functions: router (12), summarise and summarise_invoices (for + if = 3 each).
    assert bad["complexity"]["functions"] == 3
    assert bad["complexity"]["complex"] == 1
    # 1 complex function out of 3: 33.3 % > 20 % → E.
    assert bad["complexity"]["complex_share"] == 33.3
    assert bad["grades"]["complexity"]["grade"] == "E"
    assert bad["complexity"]["mean"] == round((12 + 3 + 3) / 3, 2)


def test_size_counts_lines_of_code_per_language(bad: dict) -> None:
    assert bad["size"]["languages"][0]["language"] == "Python"
    # router: 1 def + 22 lines for 11 ifs + 1 return = 24; each copy of the block: 11 lines
    # (def, 2 assignments, for, amount, if, append, total, sort, report, return); settings: 2.
    assert bad["size"]["nloc"] == 24 + 11 + 11 + 2


def test_the_duplicated_block_is_found_in_both_files(bad: dict) -> None:
    assert bad["duplication"]["blocks"] >= 1
    files = {place["file"] for place in bad["duplication"]["largest"][0]["places"]}
    assert files == {"app/billing.py", "app/invoices.py"}
    assert bad["duplication"]["rate"] > 20
    assert bad["grades"]["duplication"]["grade"] == "E"


def test_secrets_are_found_with_their_place_and_never_shown(bad: dict) -> None:
    findings = {(f["kind"], f["file"], f["line"]) for f in bad["secrets"]["findings"]}
    assert findings == {
        ("Clé d'accès AWS", "app/settings.py", 1),
        ("Clé privée", "deploy/id_rsa", 1),
    }
    aws = next(f for f in bad["secrets"]["findings"] if f["file"] == "app/settings.py")
    assert FAKE_AWS_KEY not in aws["excerpt"]
    assert aws["excerpt"].startswith('AWS_ACCESS_KEY_ID = "AKIA')
    assert "MIIE" not in str(bad["secrets"])
    assert bad["grades"]["secrets"]["grade"] == "E"


def test_licence_tests_and_dependencies(bad: dict, good: dict) -> None:
    assert bad["licence"] == {"files": [], "licences": []}
    assert bad["grades"]["licence"]["grade"] == "E"
    assert good["licence"]["licences"] == ["MIT"]
    assert good["grades"]["licence"]["grade"] == "A"

    assert bad["tests"]["test_files"] == 0
    assert bad["grades"]["tests"]["grade"] == "E"
    # Test file: import + 2 × (def, assert) = 5 lines; app/maths.py: 4 → 125 per 100 → A.
    assert (good["tests"]["test_nloc"], good["tests"]["code_nloc"]) == (5, 4)
    assert good["grades"]["tests"]["grade"] == "A"

    components = bad["dependencies"]["manifests"][0]["components"]
    assert (components[0]["name"], components[0]["version"]) == ("django", "==1.11.29")
    # Django 1.11 left support on 2020-04-01 (end-of-life snapshot of the technology review).
    assert components[0]["eol_status"] == "eol"
    assert "2020" in components[0]["eol_message"]
    assert bad["dependencies"]["end_of_life"] == 1
    # requests has no version, Django is past its end of life: 2 of 2 at risk = 100 % → E.
    assert bad["dependencies"]["unpinned_share"] == 50.0
    assert bad["dependencies"]["at_risk_share"] == 100.0
    assert bad["grades"]["dependencies"]["grade"] == "E"


def test_the_places_to_fix_start_with_secrets_then_licence_and_tests(bad: dict) -> None:
    places = [item["place"] for item in bad["priorities"]]
    assert set(places[:2]) == {"app/settings.py:1", "deploy/id_rsa:1"}
    assert places[2:4] == ["racine du dépôt", "ensemble du projet"]
    assert "app/router.py:1" in places
    assert len(places) <= 10
    assert all(item["reason"] for item in bad["priorities"])


def test_ruff_findings_are_counted_by_family(tmp_path: Path) -> None:
    root = tmp_path / "lint"
    root.mkdir()
    # F401 (unused import) twice, E711 (comparison to None) once.
    (root / "mod.py").write_text("import os\nimport sys\n\n\ndef f(x):\n    return x == None\n")
    lint = measures.lint_python(root, python_nloc=5)
    assert lint["findings"] == 3
    assert {row["family"]: row["count"] for row in lint["families"]} == {"F": 2, "E": 1}
    assert lint["frequent"][0] == {
        "rule": "F401",
        "count": 2,
        "explanation": "Module importé mais jamais utilisé.",
        "message": "`os` imported but unused",
    }
    assert lint["hotspots"] == [{"file": "mod.py", "count": 3}]
    # 3 findings for 5 lines: 600 per 1 000.
    assert lint["per_thousand_lines"] == 600.0


def test_ruff_ignores_the_project_configuration(tmp_path: Path) -> None:
    root = tmp_path / "configured"
    root.mkdir()
    # A configuration that would silence everything, and a plugin it could try to load.
    (root / "pyproject.toml").write_text('[tool.ruff.lint]\nignore = ["ALL"]\n')
    (root / "mod.py").write_text("import os\n")
    assert measures.lint_python(root, python_nloc=1)["findings"] == 1


def test_maintainability_index_of_python(good: dict) -> None:
    assert 0 < good["maintainability"]["index"] <= 100
    assert good["maintainability"]["unreadable"] == 0


def test_test_paths_by_convention() -> None:
    assert measures.is_test_path("tests/test_a.py")
    assert measures.is_test_path("src/test/java/FooTest.java")
    assert measures.is_test_path("web/app.spec.ts")
    assert measures.is_test_path("pkg/server_test.go")
    assert measures.is_test_path("spec/models/user_spec.rb")
    assert not measures.is_test_path("app/contest.py")


def test_symbolic_links_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(ROUTER)
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "dir").symlink_to(outside)
    assert list(measures.walk(root)) == []


def test_git_activity_counts_authors_and_recent_commits(tmp_path: Path) -> None:
    root = good_repository(tmp_path / "repo")
    commit_all(root)
    activity = sources.git_activity(root, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert activity is not None
    # Two commits on 2026-01-15, 45 days before 2026-03-01: both within 90 and 365 days.
    assert activity.as_dict() == {
        "commits": 2,
        "contributors": 2,
        "commits_90_days": 2,
        "commits_365_days": 2,
        "last_commit": "2026-01-15",
        "shallow": False,
    }
    assert sources.git_activity(tmp_path / "repo" / "app") is None


def test_the_report_keeps_a_bounded_sample_of_the_dependencies(tmp_path: Path) -> None:
    dependencies = {f"paquet-{number}": "^1.0.0" for number in range(1_200)}
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": dependencies}))
    summary = measures.dependencies_summary(tmp_path)
    assert summary["components"] == 1_200
    assert len(summary["manifests"][0]["components"]) == 500
    assert summary["components_left_out"] == 700
