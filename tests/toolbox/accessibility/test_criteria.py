import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dlnuf.toolbox.accessibility.criteria import (
    CRITERIA_FILE,
    all_criteria,
    criterion_of_test,
    grid,
    plain_text,
    topics,
)

ROOT = Path(__file__).resolve().parents[3]


def test_the_data_holds_13_topics_106_criteria_and_258_tests() -> None:
    criteria = all_criteria()

    assert len(topics()) == 13
    assert len(criteria) == 106
    assert sum(len(criterion.tests) for criterion in criteria.values()) == 258
    assert criteria["1.1"].title == (
        "Chaque image porteuse d’information a-t-elle une alternative textuelle ?"
    )
    assert criteria["1.1"].tests[0] == "1.1.1"
    assert criteria["1.1"].wcag == ("1.1.1 Non-text Content (A)",)
    assert "](" not in "".join(criterion.title for criterion in criteria.values())


def test_grids_have_25_50_and_106_criteria_each_within_the_full_grid() -> None:
    full = set(grid("full"))

    assert len(grid("quick")) == len(set(grid("quick"))) == 25
    assert len(grid("complementary")) == len(set(grid("complementary"))) == 50
    assert len(full) == 106
    assert set(grid("quick")) <= set(grid("complementary")) <= full


def test_plain_text_keeps_the_words_of_links_and_code() -> None:
    assert plain_text("Chaque [image](#image) (balise `<img>`)  a-t-elle") == (
        "Chaque image (balise <img>) a-t-elle"
    )
    assert criterion_of_test("11.13.1") == "11.13"


def test_the_import_command_rewrites_the_same_data_from_the_reference(
    reference_dir: Path, tmp_path: Path
) -> None:
    output = tmp_path / "criteres.json"
    out = StringIO()

    call_command(
        "import_rgaa_criteria",
        str(reference_dir / "rgaa" / "criteres-rgaa-4.1.2.json"),
        output=str(output),
        stdout=out,
    )

    assert "13 thématiques, 106 critères et 258 tests" in out.getvalue()
    assert json.loads(output.read_text(encoding="utf-8")) == json.loads(
        CRITERIA_FILE.read_text(encoding="utf-8")
    )


def test_the_import_command_refuses_a_file_of_another_shape(tmp_path: Path) -> None:
    source = tmp_path / "autre.json"
    source.write_text('{"topics": [{"number": 1}]}', encoding="utf-8")

    with pytest.raises(CommandError, match="n'est pas le fichier des critères RGAA"):
        call_command("import_rgaa_criteria", str(source), output=str(tmp_path / "out.json"))


def test_vendored_axe_core_is_the_version_of_package_json() -> None:
    wanted = json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
    vendored = ROOT / "dlnuf" / "toolbox" / "accessibility" / "vendor" / "axe.min.js"

    assert vendored.read_text(encoding="utf-8")[:40].startswith(f"/*! axe v{wanted}\n")
    assert (vendored.parent / "LICENSE").read_text().startswith("Mozilla Public License")
