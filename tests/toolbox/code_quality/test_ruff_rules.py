"""The French explanations of ruff's rules: every entry is a real rule the tool selects, and a
rule outside the table still gets a French sentence naming it."""

import json
import subprocess

from dlnuf.toolbox.code_quality import measures
from dlnuf.toolbox.code_quality.ruff_rules import EXPLANATIONS, french_explanation


def _selected_rules() -> dict[str, str]:
    """Code → name of every stable rule of the families the tool selects."""
    executable = measures.ruff_executable()
    assert executable is not None
    listed = subprocess.run(  # noqa: S603 - the project's own ruff, fixed arguments
        [executable, "rule", "--all", "--output-format", "json"],
        capture_output=True,
        check=True,
    )
    prefixes = tuple(measures.RUFF_RULES.split(","))
    return {
        rule["code"]: rule["name"]
        for rule in json.loads(listed.stdout)
        if rule.get("code") and rule["linter"] != "Ruff" and rule["code"].startswith(prefixes)
    }


def test_every_explained_rule_exists_among_the_selected_ones() -> None:
    selected = _selected_rules()
    assert sorted(set(EXPLANATIONS) - set(selected)) == []
    # The families people meet most are covered whole: pycodestyle errors and Pyflakes.
    everyday = {code for code in selected if code.startswith(("E7", "E9", "F4", "F8"))}
    assert sorted(everyday - set(EXPLANATIONS)) == []


def test_a_rule_outside_the_table_gets_a_french_sentence_naming_it() -> None:
    assert "PLR0917" not in EXPLANATIONS
    sentence = french_explanation("PLR0917", name="too-many-positional-arguments")
    assert sentence == (
        "Règle PLR0917 « too-many-positional-arguments » de ruff (famille : Pylint, code à "
        "remanier), sans explication en français pour l'instant : voir le message de ruff, en "
        "anglais, et sa documentation."
    )
    assert "famille : flake8-comprehensions" not in french_explanation("C420")
    assert "listes, ensembles et dictionnaires" in french_explanation("C420")
