from typing import Any

from dlnuf.toolbox.accessibility.scoring import (
    COMPLIANT,
    MANUAL,
    NOT_APPLICABLE,
    NOT_COMPLIANT,
    REVIEW,
    assess,
    automatic_statuses,
    compliance_level,
    compliance_rate,
    issues_by_page,
)


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


def test_automatic_verdicts_follow_the_documented_rule() -> None:
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

    assert statuses["8.5"] == COMPLIANT  # one test, presence only, covered and passed
    assert statuses["1.1"] == REVIEW  # passes, but 1.1 has 8 tests and asks about meaning
    assert statuses["3.2"] == REVIEW  # axe needs a person to look
    assert statuses["2.1"] == NOT_APPLICABLE  # no frame on any page
    assert statuses["12.1"] == MANUAL  # no automated rule
    assert len(statuses) == 106


def test_rate_counts_only_decided_criteria() -> None:
    # 3 compliant, 1 non-compliant, 1 not applicable, 2 to verify: 3 / (3 + 1) = 75 %.
    statuses = ["c", "c", "c", "nc", "na", "review", "manual"]

    assert compliance_rate(statuses) == 75.0
    assert compliance_level(75.0) == "partiellement conforme"
    assert compliance_level(100.0) == "totalement conforme"
    assert compliance_level(49.9) == "non conforme"
    assert compliance_rate(["na", "manual"]) is None


def test_assess_applies_decisions_on_the_grid_only() -> None:
    verdicts = {number: {"status": MANUAL} for number in ("1.1", "6.2", "8.3", "8.5")}
    verdicts["6.2"] = {"status": NOT_COMPLIANT, "issues": 2, "impacts": {"serious": 2}}
    verdicts["8.5"] = {"status": COMPLIANT}
    results = {
        "grid": "quick",
        "criteria": verdicts,
        "decisions": {"1.1": {"status": "c", "note": "Alternatives vérifiées."}},
    }

    assessment = assess(results)

    # Quick grid: 25 criteria; 1.1 decided C, 8.5 C automatically, 6.2 NC: 2 / 3 = 66.7 %.
    assert len(assessment.rows) == 25
    assert round(assessment.rate or 0, 1) == 66.7
    assert assessment.level == "partiellement conforme"
    assert assessment.counts["c"] == 2
    assert assessment.counts["nc"] == 1
    assert assessment.to_verify == 22
    assert assessment.issues_by_impact["serious"] == 2
    row = next(row for row in assessment.rows if row.id == "1.1")
    assert row.decided
    assert row.label == "Conforme"
    assert row.note == "Alternatives vérifiées."


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
