"""The background run of an accessibility audit: check the sample, audit each page in the
browser, map the results to RGAA criteria."""

from typing import Any

from dlnuf.toolbox.accessibility.audit import BrowserUnavailable, audit_pages
from dlnuf.toolbox.accessibility.fetching import SamplePage, SampleRefused, parse_sample
from dlnuf.toolbox.accessibility.scoring import assess, automatic_statuses
from dlnuf.toolbox.jobs import Progress, ToolError
from dlnuf.toolbox.models import ToolReport


def run(report: ToolReport, progress: Progress) -> dict[str, Any]:
    inputs = report.inputs
    try:
        # Checked again at run time: an address public when the form was sent may no longer be.
        pages = parse_sample("\n".join(f"{p['label']} | {p['url']}" for p in inputs["pages"]))
    except SampleRefused as error:
        raise ToolError(str(error)) from error
    progress(5, "Démarrage du navigateur")

    def page_done(index: int, page: SamplePage) -> None:
        percent = 10 + round(80 * (index + 1) / len(pages))
        progress(percent, f"Page {index + 1} sur {len(pages)} auditée : {page.label}")

    try:
        audit = audit_pages(pages, page_done)
    except BrowserUnavailable as error:
        raise ToolError(str(error)) from error
    if all(page["error"] for page in audit.pages):
        raise ToolError(
            "Aucune page de l'échantillon n'a pu être auditée. "
            + " ".join(f"{page['url']} : {page['error']}" for page in audit.pages)
        )
    progress(95, "Rapprochement avec les critères du RGAA")
    results: dict[str, Any] = {
        "grid": inputs.get("grid", "full"),
        "pages": audit.pages,
        "refused_requests": audit.refused,
        "axe_version": audit.axe_version,
        "browser_version": audit.browser_version,
        "criteria": automatic_statuses(audit.pages),
        "decisions": {},
    }
    results["summary"] = assess(results).summary()
    return results
