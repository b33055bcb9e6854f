"""A finished accessibility report built from hand-written axe results (no browser)."""

from typing import Any

from dlnuf.toolbox.accessibility.criteria import grid
from dlnuf.toolbox.accessibility.scoring import assess, automatic_statuses
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport

INPUTS = {
    "site_name": "Cantine en ligne",
    "organisation": "Mairie de Testville",
    "contact_email": "accessibilite@testville.fr",
    "grid": "full",
    "pages": [
        {"label": "Accueil", "url": "https://www.testville.fr/"},
        {"label": "Formulaire", "url": "https://www.testville.fr/inscription"},
    ],
}


def _rule(rule: str, tests: list[str], impact: str = "", count: int = 1) -> dict[str, Any]:
    return {
        "rule": rule,
        "impact": impact,
        "help": f"Aide de {rule}",
        "help_url": "",
        "rgaa": tests,
        "count": count,
        "nodes": [{"target": "img", "html": "<img src=plan.png>", "summary": "Corriger"}],
    }


def audit_results(grid: str = "full") -> dict[str, Any]:
    pages = [
        {
            "label": "Accueil",
            "url": "https://www.testville.fr/",
            "final_url": "https://www.testville.fr/",
            "title": "Accueil",
            "error": "",
            "violations": [_rule("image-alt", ["1.1.1"], "critical", 2)],
            "incomplete": [],
            "passes": [_rule("document-title", ["8.5.1"]), _rule("html-has-lang", ["8.3.1"])],
            "inapplicable": [_rule("frame-title", ["2.1.1"])],
        },
        {
            "label": "Formulaire",
            "url": "https://www.testville.fr/inscription",
            "final_url": "https://www.testville.fr/inscription",
            "title": "Inscription",
            "error": "",
            "violations": [_rule("label", ["11.1.1"], "serious", 1)],
            "incomplete": [],
            "passes": [_rule("document-title", ["8.5.1"]), _rule("html-has-lang", ["8.3.1"])],
            "inapplicable": [],
        },
    ]
    results: dict[str, Any] = {
        "grid": grid,
        "pages": pages,
        "refused_requests": [{"url": "http://10.0.0.1/x.png", "reason": "adresse interne"}],
        "axe_version": "4.14.1",
        "browser_version": "Chromium 150.0",
        "criteria": automatic_statuses(pages),
        "decisions": {},
    }
    results["summary"] = assess(results).summary()
    return results


def finished_report(owner: Any, grid: str = "full") -> ToolReport:
    return ToolReport.objects.create(
        kind=ToolKind.ACCESSIBILITY,
        title=INPUTS["site_name"],
        created_by=owner,
        inputs={**INPUTS, "grid": grid},
        results=audit_results(grid),
        status=ReportStatus.DONE,
        progress=100,
    )


def _blank_page(label: str, url: str) -> dict[str, Any]:
    return {
        "label": label,
        "url": url,
        "final_url": url,
        "title": label,
        "error": "",
        "violations": [],
        "incomplete": [],
        "passes": [],
        "inapplicable": [],
    }


QUICK_DECIDED = ("1.1", "7.1", "11.1")


def quick_audit_results() -> dict[str, Any]:
    """The quick audit of the defect: 25 criteria, 3 decided conforming by a person, 5 on which
    the automated checks found nothing (the title, language and link-name rules pass; the
    autoplay and table rules find nothing to check), 17 never looked at."""
    page = _blank_page("Accueil", "https://www.testville.fr/")
    page["passes"] = [
        _rule("document-title", ["8.5.1"]),
        _rule("html-has-lang", ["8.3.1"]),
        _rule("link-name", ["6.2.1"]),
    ]
    page["inapplicable"] = [
        _rule("no-autoplay-audio", ["4.10.1"]),
        _rule("td-headers-attr", ["5.7.1", "5.7.4"]),
    ]
    results: dict[str, Any] = {
        "grid": "quick",
        "pages": [page],
        "refused_requests": [],
        "axe_version": "4.14.1",
        "browser_version": "Chromium 150.0",
        "criteria": automatic_statuses([page]),
        # One status for the whole sample: the shape decisions were stored in at first.
        "decisions": {
            number: {
                "status": "c",
                "note": "",
                "by": "Auditrice",
                "at": "2026-12-04T09:00:00+00:00",
            }
            for number in QUICK_DECIDED
        },
    }
    results["summary"] = assess(results).summary()
    return results


HOME = "https://www.testville.fr/"
FORM = "https://www.testville.fr/inscription"
# The complete audit's verdict matrix, by exception to "conforme on both pages":
NOT_APPLICABLE_EVERYWHERE = ("2.1", "2.2", *(f"4.{n}" for n in range(2, 14)))  # 14 criteria
NOT_APPLICABLE_HERE_NOT_COMPLIANT_THERE = "4.1"  # no video on the home page, one failing there
COMPLIANT_HERE_NOT_APPLICABLE_THERE = "5.1"  # a complex table on the home page only
NOT_COMPLIANT_ON_ONE_PAGE = ("3.2", "10.7", "11.1")  # the other page conforme
FALSE_POSITIVE = "1.1"  # axe flags the form's image; the auditor found its alternative right


def complete_audit_results() -> dict[str, Any]:
    """All 106 criteria decided by a person on both pages of the sample."""
    home, form = _blank_page("Accueil", HOME), _blank_page("Formulaire", FORM)
    form["violations"] = [_rule("image-alt", ["1.1.1"], "critical", 1)]
    verdicts: dict[str, dict[str, str]] = {
        number: {HOME: "c", FORM: "c"} for number in grid("full")
    }
    for number in NOT_APPLICABLE_EVERYWHERE:
        verdicts[number] = {HOME: "na", FORM: "na"}
    verdicts[NOT_APPLICABLE_HERE_NOT_COMPLIANT_THERE] = {HOME: "na", FORM: "nc"}
    verdicts[COMPLIANT_HERE_NOT_APPLICABLE_THERE] = {HOME: "c", FORM: "na"}
    for number in NOT_COMPLIANT_ON_ONE_PAGE:
        verdicts[number] = {HOME: "c", FORM: "nc"}
    pages = [home, form]
    results: dict[str, Any] = {
        "grid": "full",
        "pages": pages,
        "refused_requests": [],
        "axe_version": "4.14.1",
        "browser_version": "Chromium 150.0",
        "criteria": automatic_statuses(pages),
        "decisions": {
            number: {
                "pages": by_page,
                "note": "",
                "by": "Auditrice",
                "at": "2026-12-09T10:00:00+00:00",
            }
            for number, by_page in verdicts.items()
        },
    }
    results["summary"] = assess(results).summary()
    return results


def report_with(owner: Any, results: dict[str, Any], finished_at: Any) -> ToolReport:
    return ToolReport.objects.create(
        kind=ToolKind.ACCESSIBILITY,
        title=INPUTS["site_name"],
        created_by=owner,
        inputs={
            **INPUTS,
            "grid": results["grid"],
            "pages": [{"label": page["label"], "url": page["url"]} for page in results["pages"]],
        },
        results=results,
        status=ReportStatus.DONE,
        progress=100,
        finished_at=finished_at,
    )
