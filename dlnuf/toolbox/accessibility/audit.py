"""Running axe-core on the pages of a sample, in Debian's headless Chromium.

The browser runs in a thread of its own: Playwright's synchronous API keeps an event loop in the
thread it runs in, where Django refuses database access, and the report's progress is written to
the database as pages are done. Each audit gets a fresh browser context (no cookies or storage
carried over), JavaScript on (services need it), downloads and service workers off, and every
request checked by the ``RequestGuard``.
"""

import contextlib
import os
import queue
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from dlnuf.toolbox.accessibility.fetching import RequestGuard, SamplePage
from dlnuf.toolbox.netguard import AddressRefused, check_public_url

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    # WebRTC would let an audited page send UDP (STUN) to any address, internal ones included,
    # outside the request guard; with no proxy configured this leaves it no UDP at all.
    # (Chromium 156 honours this switch; "--force-webrtc-ip-handling-policy" it ignores.)
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
]
PAGE_TIMEOUT_MS = 30_000
SETTLE_TIMEOUT_MS = 5_000
# Enough examples for the person fixing the page; the counts keep the whole figure.
MAX_NODES = 15
MAX_HTML = 300
MAX_SUMMARY = 600
AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations", "incomplete"]});
  return {version: axe.version, violations: results.violations,
          incomplete: results.incomplete, passes: results.passes,
          inapplicable: results.inapplicable};
}"""


class BrowserUnavailable(Exception):
    """Chromium cannot be started; the message says why, in French."""


@dataclass
class AuditRun:
    pages: list[dict[str, Any]] = field(default_factory=list)
    axe_version: str = ""
    browser_version: str = ""
    refused: list[dict[str, str]] = field(default_factory=list)


def chromium_executable() -> str:
    """The browser every audit drives, checked in the caller's thread before the audit starts,
    with Playwright which drives it: either one missing is told in French."""
    configured = str(getattr(settings, "DLNUF_CHROMIUM_PATH", "/usr/bin/chromium"))
    found = shutil.which(configured) if not os.path.isabs(configured) else configured
    if not found or not os.access(found, os.X_OK):
        raise BrowserUnavailable(
            f"Le navigateur Chromium est introuvable ({configured}) : l'audit automatique ne "
            "peut pas être lancé. L'administrateur du service doit installer Chromium "
            "(paquet « chromium ») ou renseigner DLNUF_CHROMIUM_PATH."
        )
    # `make run` installs no Playwright (useless without Chromium): the toolbox must still load.
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        raise BrowserUnavailable(
            "Le pilote du navigateur Chromium (Playwright) est introuvable : l'audit automatique "
            "ne peut pas être lancé. L'administrateur du service doit installer le paquet "
            "Python « playwright » en plus de Chromium (paquet « chromium »)."
        ) from error
    return found


def rgaa_tests(tags: list[str]) -> list[str]:
    """axe-core tags a rule with the RGAA tests it checks: "RGAA-1.1.1" → "1.1.1"."""
    return [tag.removeprefix("RGAA-") for tag in tags if tag.startswith("RGAA-")]


def _node(node: dict[str, Any]) -> dict[str, str]:
    target = " ".join(
        " ".join(part) if isinstance(part, list) else str(part) for part in node.get("target", [])
    )
    return {
        "target": target[:300],
        "html": str(node.get("html", ""))[:MAX_HTML],
        "summary": str(node.get("failureSummary") or "")[:MAX_SUMMARY],
    }


def _detailed(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "rule": rule["id"],
            "impact": rule.get("impact") or "",
            "help": rule.get("help", ""),
            "help_url": rule.get("helpUrl", ""),
            "rgaa": rgaa_tests(rule.get("tags", [])),
            "count": len(rule.get("nodes", [])),
            "nodes": [_node(node) for node in rule.get("nodes", [])[:MAX_NODES]],
        }
        for rule in rules
    ]


def _brief(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"rule": rule["id"], "rgaa": rgaa_tests(rule.get("tags", []))} for rule in rules]


def page_result(
    sample: SamplePage, final_url: str, title: str, axe: dict[str, Any]
) -> dict[str, Any]:
    """One audited page, as stored in the report: violations and "needs review" results in
    detail, passed and inapplicable rules by name."""
    return {
        "label": sample.label,
        "url": sample.url,
        "final_url": final_url,
        "title": title[:200],
        "error": "",
        "violations": _detailed(axe["violations"]),
        "incomplete": _detailed(axe["incomplete"]),
        "passes": _brief(axe["passes"]),
        "inapplicable": _brief(axe["inapplicable"]),
    }


def _failed_page(sample: SamplePage, error: str) -> dict[str, Any]:
    return {
        "label": sample.label,
        "url": sample.url,
        "final_url": "",
        "title": "",
        "error": error,
        "violations": [],
        "incomplete": [],
        "passes": [],
        "inapplicable": [],
    }


def _audit_page(page: Any, guard: RequestGuard, sample: SamplePage) -> tuple[dict[str, Any], str]:
    from playwright.sync_api import Error as PlaywrightError

    try:
        response = page.goto(sample.url, wait_until="load")
        if sample.url in guard.redirected:
            # The guard followed the redirects itself; load the final address directly so that
            # the page's relative links and scripts resolve against it.
            response = page.goto(guard.redirected[sample.url], wait_until="load")
    except PlaywrightError as error:
        message = str(error).splitlines()[0][:200]
        return _failed_page(sample, f"La page n'a pas pu être chargée ({message})."), ""
    try:
        check_public_url(page.url)
    except AddressRefused as error:
        return _failed_page(sample, f"Adresse finale refusée : {error}"), ""
    if response is not None and response.status >= 400:
        return _failed_page(sample, f"Le serveur a répondu par une erreur {response.status}."), ""
    # A page that keeps polling is audited as it stands once the settling time is over.
    with contextlib.suppress(PlaywrightError):
        page.wait_for_load_state("networkidle", timeout=SETTLE_TIMEOUT_MS)
    axe = page.evaluate(AXE_RUN)
    return page_result(sample, page.url, page.title(), axe), str(axe["version"])


def launch_browser(playwright: Any, executable: str) -> Any:
    """Headless Chromium as every audit runs it (see CHROMIUM_ARGS)."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
    except PlaywrightError as error:
        raise BrowserUnavailable(
            "Le navigateur Chromium n'a pas pu démarrer : l'audit automatique n'a pas été "
            "réalisé. Réessayez plus tard ou prévenez l'administrateur du service."
        ) from error


def _run_browser(
    pages: list[SamplePage], executable: str, done: Callable[[int, SamplePage], None]
) -> AuditRun:
    from playwright.sync_api import sync_playwright

    run = AuditRun()
    guard = RequestGuard()
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, executable)
        try:
            run.browser_version = f"Chromium {browser.version}"
            context = browser.new_context(
                accept_downloads=False,
                java_script_enabled=True,
                service_workers="block",
                locale="fr-FR",
            )
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            context.route("**/*", guard.handle_route)
            context.route_web_socket("**/*", guard.handle_web_socket)
            context.add_init_script(path=str(AXE_SCRIPT))
            for index, sample in enumerate(pages):
                # A page of its own for each sample: a failed load leaves no error page behind.
                page = context.new_page()
                result, version = _audit_page(page, guard, sample)
                page.close()
                run.pages.append(result)
                run.axe_version = version or run.axe_version
                done(index, sample)
            context.close()
        finally:
            browser.close()
    run.refused = guard.refused
    return run


def audit_pages(
    pages: list[SamplePage], on_page: Callable[[int, SamplePage], None] | None = None
) -> AuditRun:
    """Audit every page of the sample; ``on_page(index, page)`` is called in the caller's thread
    after each page."""
    executable = chromium_executable()
    events: queue.Queue[tuple[int, SamplePage] | None] = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["run"] = _run_browser(pages, executable, lambda i, p: events.put((i, p)))
        except BaseException as error:  # handed back to the caller's thread below
            outcome["error"] = error
        finally:
            events.put(None)

    thread = threading.Thread(target=work, name="accessibility-audit", daemon=True)
    thread.start()
    for event in _drain(events):
        if on_page is not None:
            on_page(*event)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    run: AuditRun = outcome["run"]
    return run


def _drain(
    events: "queue.Queue[tuple[int, SamplePage] | None]",
) -> Iterator[tuple[int, SamplePage]]:
    while (event := events.get()) is not None:
        yield event
