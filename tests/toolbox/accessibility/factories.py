"""A finished accessibility report built from hand-written axe results (no browser)."""

from typing import Any

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
