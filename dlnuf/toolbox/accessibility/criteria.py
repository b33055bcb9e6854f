"""The RGAA 4.1.2 criteria in the project's own compact format, and the audit grids.

``data/rgaa-4.1.2.json`` is written by ``manage.py import_rgaa_criteria`` from the reference file
published by DINUM (Licence Ouverte 2.0); ``data/grids.json`` holds the quick and complementary
grids (see ``data/README.md``). Both are read once per process.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
CRITERIA_FILE = DATA_DIR / "rgaa-4.1.2.json"
GRIDS_FILE = DATA_DIR / "grids.json"

GRID_FULL = "full"
GRID_LABELS = {
    "quick": "Audit rapide (25 critères)",
    "complementary": "Audit complémentaire (50 critères)",
    GRID_FULL: "Audit complet (106 critères)",
}

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_CODE = re.compile(r"`([^`]*)`")
_SPACES = re.compile(r"\s+")


class CriteriaDataError(Exception):
    """The reference file does not have the shape of the RGAA criteria file."""


@dataclass(frozen=True)
class Criterion:
    id: str
    topic: int
    topic_name: str
    title: str
    tests: tuple[str, ...]
    wcag: tuple[str, ...]

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.id.split("."))


def plain_text(markdown: str) -> str:
    """The reference's wording without markdown: links keep their words, code keeps its text."""
    text = _LINK.sub(r"\1", markdown)
    text = _CODE.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def convert_reference(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The reference file (``criteres-rgaa-4.1.2.json``) in the project's compact format."""
    try:
        topics = []
        for topic in raw["topics"]:
            criteria = []
            for entry in topic["criteria"]:
                criterion = entry["criterium"]
                number = f"{topic['number']}.{criterion['number']}"
                tests = []
                for test_number, lines in criterion["tests"].items():
                    wording = " ".join(plain_text(line) for line in lines)
                    tests.append({"id": f"{number}.{test_number}", "text": wording})
                wcag = [
                    item
                    for reference in criterion.get("references", [])
                    for item in reference.get("wcag", [])
                ]
                criteria.append(
                    {
                        "id": number,
                        "title": plain_text(criterion["title"]),
                        "tests": tests,
                        "wcag": wcag,
                    }
                )
            topics.append(
                {"number": int(topic["number"]), "name": topic["topic"], "criteria": criteria}
            )
    except (KeyError, TypeError, AttributeError) as error:
        raise CriteriaDataError(f"unexpected RGAA file structure: {error!r}") from error
    return {
        "version": "4.1.2",
        "source": "https://accessibilite.numerique.gouv.fr/methode/criteres-et-tests/",
        "licence": "Licence Ouverte 2.0 (Etalab) — DINUM, accessibilite.numerique.gouv.fr",
        "topics": topics,
    }


def criteria_from_data(data: Mapping[str, Any]) -> dict[str, Criterion]:
    found: dict[str, Criterion] = {}
    for topic in data["topics"]:
        for item in topic["criteria"]:
            found[item["id"]] = Criterion(
                id=item["id"],
                topic=int(topic["number"]),
                topic_name=topic["name"],
                title=item["title"],
                tests=tuple(test["id"] for test in item["tests"]),
                wcag=tuple(item["wcag"]),
            )
    return dict(sorted(found.items(), key=lambda pair: pair[1].sort_key))


@cache
def all_criteria() -> dict[str, Criterion]:
    """Every criterion by id ("1.1"), in the reference's order."""
    return criteria_from_data(json.loads(CRITERIA_FILE.read_text(encoding="utf-8")))


@cache
def topics() -> dict[int, str]:
    return {criterion.topic: criterion.topic_name for criterion in all_criteria().values()}


@cache
def _grid_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GRIDS_FILE.read_text(encoding="utf-8"))
    return data


@cache
def _grids() -> dict[str, tuple[str, ...]]:
    data = _grid_data()
    grids = {name: tuple(data["grids"][name]["criteria"]) for name in ("quick", "complementary")}
    grids[GRID_FULL] = tuple(all_criteria())
    return grids


def grid(name: str) -> tuple[str, ...]:
    """The criteria audited by a grid ("quick", "complementary" or "full"), in reference order."""
    known = all_criteria()
    return tuple(sorted(_grids()[name], key=lambda number: known[number].sort_key))


def criterion_of_test(test_id: str) -> str:
    """ "1.1.3" → "1.1"."""
    return ".".join(test_id.split(".")[:2])
