"""The audit of the portal itself, behind its own accessibility statement.

It is an ordinary accessibility report of the toolbox (same results, same scoring, same draft
statement), marked ``inputs["portal"]``: the guichet's experts open it in the toolbox and record
there the criteria they verify by hand, and the public statement follows the latest one.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from dlnuf.organisations.models import User
from dlnuf.toolbox.accessibility.crawler import PortalCrawl
from dlnuf.toolbox.accessibility.criteria import GRID_FULL
from dlnuf.toolbox.accessibility.scoring import NOT_AT_ALL, assess, automatic_statuses
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.services import tool_report_create

PORTAL_SITE_NAME = "Guichet DLNUF"
PORTAL_PUBLISHER = "La direction interministérielle du numérique (DINUM)"


class PortalAuditEmpty(Exception):
    """No page of the portal could be audited; the message says why, in French."""


@transaction.atomic
def portal_audit_record(*, actor: User, base_url: str, crawl: PortalCrawl) -> ToolReport:
    """Store a crawl of the portal as a finished accessibility report of the full grid, with the
    automated results only: every criterion is left for a person to decide, except those a page
    visibly fails."""
    run = crawl.run
    if not run.pages:
        reasons = "; ".join(f"{page['url']} : {page['reason']}" for page in crawl.skipped)
        raise PortalAuditEmpty(
            f"Aucune page du portail n'a pu être auditée à l'adresse {base_url}"
            + (f" ({reasons})." if reasons else ".")
        )
    results: dict[str, Any] = {
        "grid": GRID_FULL,
        "pages": run.pages,
        "refused_requests": run.refused,
        "skipped_pages": crawl.skipped,
        "axe_version": run.axe_version,
        "browser_version": run.browser_version,
        "criteria": automatic_statuses(run.pages),
        "decisions": {},
    }
    results["summary"] = assess(results).summary()
    return tool_report_create(
        kind=ToolKind.ACCESSIBILITY,
        actor=actor,
        title=f"{PORTAL_SITE_NAME} (audit du portail)",
        inputs={
            "portal": True,
            "base_url": base_url,
            "site_name": PORTAL_SITE_NAME,
            "organisation": PORTAL_PUBLISHER,
            "contact_email": settings.DLNUF_SUPPORT_ADDRESS,
            "grid": GRID_FULL,
            "pages": [{"label": page["label"], "url": page["url"]} for page in run.pages],
        },
        results=results,
    )


def _portal_audits() -> QuerySet[ToolReport]:
    return ToolReport.objects.filter(
        kind=ToolKind.ACCESSIBILITY, status=ReportStatus.DONE, inputs__portal=True
    ).order_by("-finished_at", "-pk")


def portal_audit_latest() -> ToolReport | None:
    """The most recent finished audit of the portal, the one its statement is built from."""
    return _portal_audits().first()


def portal_accessibility_status() -> str:
    """The wording of the latest audit of the portal, read from its stored summary (every page
    shows it in the footer: the whole report is not loaded for it). Without a complete audit
    there is no level, and the wording is « non conforme »."""
    level = _portal_audits().values_list("results__summary__level", flat=True).first()
    return level or NOT_AT_ALL
