from typing import Any

import pytest

from dlnuf.toolbox.accessibility.scoring import (
    COMPLIANT,
    MANUAL,
    NOT_APPLICABLE,
    NOT_COMPLIANT,
    PRESUMED_NOT_APPLICABLE,
    REVIEW,
    UNDECIDED,
    assess,
    automatic_statuses,
    conformity_level,
    issues_by_page,
    sample_verdict,
)
from tests.toolbox.accessibility.factories import complete_audit_results, quick_audit_results


def _rule(rule: str, tests: list[str], impact: str = "serious", count: int = 1) -> dict[str, Any]:
    return {"rule": rule, "rgaa": tests, "impact": impact, "count": count, "nodes": []}


def _page(url: str, **kinds: list[dict[str, Any]]) -> dict[str, Any]:
    page: dict[str, Any] = {"label": url, "url": url, "error": ""}
    for kind in ("violations", "incomplete", "passes", "inapplicable"):
        page[kind] = kinds.get(kind, [])
    return page


def test_a_criterion_fails_when_any_page_fails_it() -> None:
    pages = [
        _page("/a", passes=[_rule("image-alt", ["1.1.1"])]),
        _page("/b", violations=[_rule("image-alt", ["1.1.1"], "critical", 3)]),
    ]

    verdict = automatic_statuses(pages)["1.1"]

    assert verdict["status"] == NOT_COMPLIANT
    assert verdict["issues"] == 3
    assert verdict["impacts"] == {"critical": 3}
    assert verdict["pages"] == ["/b"]


def test_automated_checks_never_make_a_criterion_conforming() -> None:
    pages = [
        _page(
            "/a",
            passes=[_rule("document-title", ["8.5.1"]), _rule("image-alt", ["1.1.1"])],
            incomplete=[_rule("color-contrast", ["3.2.1"])],
            inapplicable=[_rule("frame-title", ["2.1.1"])],
        ),
        _page("/broken"),
    ]
    pages[1]["error"] = "La page n'a pas pu être chargée."
    pages[1]["violations"] = [_rule("document-title", ["8.5.1"])]  # ignored: page not audited

    statuses = {key: value["status"] for key, value in automatic_statuses(pages).items()}
    rows = {row.id: row for row in assess({"grid": "full", "pages": pages}).rows}

    # 8.5 has one test, about presence only, covered and passed: still only a hint.
    assert statuses["8.5"] == REVIEW
    assert rows["8.5"].status == UNDECIDED
    assert statuses["1.1"] == REVIEW
    assert statuses["3.2"] == REVIEW
    assert statuses["2.1"] == PRESUMED_NOT_APPLICABLE
    assert rows["2.1"].status == UNDECIDED
    assert statuses["12.1"] == MANUAL
    assert len(statuses) == 106
    assert not any(row.status == COMPLIANT for row in rows.values())


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["c", "c"], COMPLIANT),
        (["c", "na"], COMPLIANT),
        (["na", "na"], NOT_APPLICABLE),
        (["na", "nc"], NOT_COMPLIANT),
        (["nc", None], NOT_COMPLIANT),  # failing one page settles it
        (["c", None], UNDECIDED),
        (["na", None], UNDECIDED),
        ([], UNDECIDED),
    ],
)
def test_a_criterion_over_the_sample(verdicts: list[str | None], expected: str) -> None:
    assert sample_verdict(verdicts) == expected


def test_levels_compare_counts_not_a_rounded_rate() -> None:
    assert conformity_level(4, 0) == "totalement conforme"
    assert conformity_level(3, 1) == "partiellement conforme"
    assert conformity_level(1, 1) == "partiellement conforme"  # 50 % exactly
    # 999 / 1999 = 49.97 %, shown "50,0 %" once rounded, and still under half.
    assert conformity_level(999, 1000) == "non conforme"
    assert conformity_level(0, 0) == ""  # nothing applicable: nothing measured


def test_the_quick_audit_of_the_defect_gives_no_conformity_level() -> None:
    assessment = assess(quick_audit_results())

    # 25 criteria: 3 decided conforming, 5 with nothing found by axe, 17 never looked at.
    # Only the 3 decided count: 3 of 106 evaluated, 103 remain; no level, rate provisional.
    assert len(assessment.rows) == 25
    assert assessment.level == ""
    assert not assessment.complete
    assert assessment.evaluated == 3
    assert assessment.remaining_count == 103
    assert assessment.counts == {"c": 3, "nc": 0, "na": 0, "todo": 22}
    assert assessment.rate == 100.0
    assert assessment.applicable_decided == 3
    assert assessment.summary()["provisional"] is True
    in_grid = {c.id for topic in assessment.remaining_in_grid for c in topic.criteria}
    outside = {c.id for topic in assessment.remaining_outside_grid for c in topic.criteria}
    assert len(in_grid) == 22
    assert len(outside) == 81
    assert "1.1" not in in_grid | outside
    assert {"8.3", "8.5", "6.2"} <= in_grid  # axe passed them; no person decided them
    assert "12.1" in outside
    # Both link criteria (6.1, 6.2) are in the quick grid: topic 6 has none outside it.
    assert [topic.number for topic in assessment.remaining_outside_grid] == [
        1,
        2,
        3,
        4,
        5,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
    ]


def test_a_complete_audit_gives_the_rate_and_level_computed_by_hand() -> None:
    assessment = assess(complete_audit_results())

    # By hand, RGAA's method over the two pages:
    # - not applicable everywhere: 2.1, 2.2 and 4.2 to 4.13 = 14 criteria, left out;
    # - 4.1 (N/A on the home page, NC on the form) and 3.2, 10.7, 11.1 = 4 non-conforming;
    # - 5.1 (C on one page, N/A on the other) and 1.1 (axe flagged it, the auditor overrode
    #   the false positive) conform, with the 86 others conforming on both pages: 88;
    # rate = 88 / (88 + 4) = 95.65 % → partiellement conforme (≥ 50 %, < 100 %).
    assert assessment.complete
    assert assessment.counts == {"c": 88, "nc": 4, "na": 14, "todo": 0}
    assert assessment.rate == pytest.approx(100 * 88 / 92)
    assert round(assessment.rate or 0, 1) == 95.7
    assert assessment.level == "partiellement conforme"
    rows = {row.id: row for row in assessment.rows}
    assert rows["4.1"].status == NOT_COMPLIANT
    assert rows["5.1"].status == COMPLIANT
    assert rows["2.1"].status == NOT_APPLICABLE
    assert rows["1.1"].status == COMPLIANT
    assert [row.id for row in assessment.not_compliant] == ["3.2", "4.1", "10.7", "11.1"]
    assert assessment.remaining_in_grid == assessment.remaining_outside_grid == []


def test_one_page_left_unverified_keeps_the_audit_incomplete() -> None:
    results = complete_audit_results()
    del results["decisions"]["8.5"]["pages"]["https://www.testville.fr/inscription"]

    assessment = assess(results)

    assert not assessment.complete
    assert assessment.level == ""
    assert assessment.remaining_count == 1
    assert [c.id for topic in assessment.remaining_in_grid for c in topic.criteria] == ["8.5"]
    # 87 / (87 + 4) = 95.6 %, provisional.
    assert round(assessment.rate or 0, 1) == 95.6


def test_assess_applies_decisions_on_the_grid_only() -> None:
    pages = [_page("/a", violations=[_rule("link-name", ["6.2.1"], "serious", 2)])]
    results = {
        "grid": "quick",
        "pages": pages,
        "decisions": {
            "1.1": {"status": "c", "note": "Alternatives vérifiées."},
            "12.1": {"status": "c"},  # outside the grid: not counted
        },
    }

    assessment = assess(results)

    # Quick grid: 25 criteria; 1.1 decided C, 6.2 failed by axe: 1 / 2 = 50 %, provisional.
    assert len(assessment.rows) == 25
    assert assessment.rate == 50.0
    assert assessment.level == ""
    assert assessment.counts == {"c": 1, "nc": 1, "na": 0, "todo": 23}
    assert assessment.issues_by_impact["serious"] == 2
    row = next(row for row in assessment.rows if row.id == "1.1")
    assert row.decided_by_person
    assert row.label == "Conforme"
    assert row.note == "Alternatives vérifiées."
    failing = next(row for row in assessment.rows if row.id == "6.2")
    assert failing.label == "Non conforme (erreur relevée automatiquement)"


def test_issues_by_page_list_the_most_severe_first() -> None:
    page = _page(
        "/a",
        violations=[
            _rule("region", [], "moderate", 4),
            _rule("image-alt", ["1.1.1", "1.1.2"], "critical", 2),
        ],
    )

    listed = issues_by_page([page])[0]

    assert [rule["rule"] for rule in listed["violations"]] == ["image-alt", "region"]
    assert listed["violations"][0]["criteria"] == ["1.1"]
    assert listed["violations"][0]["impact_label"] == "critique"
    assert listed["issues"] == 6
