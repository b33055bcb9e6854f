"""Headless Chromium for the portal's tests: sign in, crawl every page, run axe-core on each.

Chromium is the one from the operating system (Debian's ``chromium`` package); no browser is
downloaded. axe-core comes from ``node_modules`` (``npm ci``). Without them the browser tests
skip, unless DLNUF_REQUIRE_BROWSER is set (CI sets it), where they fail instead.
"""

import os
import shutil
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from dlnuf.toolbox.accessibility.crawler import CrawlFrontier, page_links
from dlnuf.toolbox.accessibility.crawler import (
    route_name as route_name,
)  # re-exported for the page tests

ROOT = Path(__file__).resolve().parent.parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The browser's own widgets (date fields « jj/mm/aaaa », file pickers) in French, as a French
# person sees them: the contexts' locale only sets the language the pages are asked in, the
# widgets follow the process's locale (and Debian's chromium-l10n for their words).
CHROMIUM_ENV = {"LANG": "fr_FR.UTF-8", "LANGUAGE": "fr"}


def chromium_path() -> str | None:
    return os.environ.get("DLNUF_CHROMIUM") or shutil.which("chromium")


def require_browser_tools() -> str:
    """Path of Chromium, or skip (fail when DLNUF_REQUIRE_BROWSER is set) when tools are missing."""
    missing = []
    executable = chromium_path()
    if executable is None:
        missing.append("Chromium (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        missing.append("axe-core (npm ci)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("DLNUF_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    assert executable is not None
    return executable


def rgaa_tests(violation: dict[str, Any]) -> list[str]:
    """The RGAA 4.1 test ids axe-core tags a rule with (``RGAA-1.1.1`` → ``1.1.1``)."""
    return [
        tag.removeprefix("RGAA-") for tag in violation.get("tags", []) if tag.startswith("RGAA-")
    ]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page once it has loaded.

    A click that follows a link returns when the navigation commits, before the new document
    has loaded, and sometimes before it commits; axe-core run in between reads a document that
    is going away. Waiting for the load event, and auditing again once when the document changed
    under the audit, makes it run on the page the test means."""
    from playwright.sync_api import Error as PlaywrightError

    script = "async () => await axe.run(document, {resultTypes: ['violations']})"
    page.wait_for_load_state("load")
    try:
        result = page.evaluate(script)
    except PlaywrightError:
        # The navigation had not committed when the load state was read: the old document
        # went away under axe-core. Audit the new one once it has loaded.
        page.wait_for_load_state("load")
        result = page.evaluate(script)
    return list(result["violations"])


def describe(url: str, violations: Iterable[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        rgaa = ", ".join(rgaa_tests(violation)) or "sans test RGAA associé"
        targets = "; ".join(
            " ".join(str(part) for part in node.get("target", [])) for node in violation["nodes"]
        )
        lines.append(
            f"{url}: {violation['id']} ({violation.get('impact')}, RGAA {rgaa}) — "
            f"{violation['help']} — {targets}"
        )
    return "\n".join(lines)


@dataclass
class CrawlReport:
    visited: list[str] = field(default_factory=list)
    violations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)

    def failures(self) -> str:
        return "\n".join(describe(url, found) for url, found in self.violations.items() if found)


def crawl(
    page: Any,
    base_url: str,
    start: Iterable[str],
    *,
    limit: int = 300,
    per_route: int | None = None,
) -> CrawlReport:
    """Visit every page reachable by links from ``start`` (same site, GET only), run axe on each.

    With ``per_route``, at most that many pages of one URL pattern are visited (170 API pages of
    the catalogue share one template).
    """
    report = CrawlReport()
    frontier = CrawlFrontier(base_url, start, per_route=per_route)
    for url in frontier:
        if len(report.visited) >= limit:
            break
        response = page.goto(url)
        report.statuses[url] = response.status if response else 0
        report.visited.append(url)
        if "text/html" not in (response.headers.get("content-type", "") if response else ""):
            continue
        report.violations[url] = axe_violations(page)
        frontier.add_links(page_links(page))
    return report


def sign_in(page: Any, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(urljoin(base_url, "/connexion/"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def documentation_picture(page: Any, name: str, *, part: Any = None) -> None:
    """Save the page (or one element of it) as a documentation picture when
    DLNUF_SCREENSHOTS_DIR is set (``make screenshots``); otherwise do nothing."""
    folder = os.environ.get("DLNUF_SCREENSHOTS_DIR", "")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = str(Path(folder) / name)
    if part is not None:
        part.screenshot(path=path, animations="disabled")
    else:
        page.screenshot(path=path, full_page=True, animations="disabled")


def verify_in_page(page: Any, index: int) -> str:
    """Check the proof of access ``index`` in the page (« Mes données »); the outcome read."""
    block = page.locator(f'[data-proof-url$="/acces/{index}/preuve.json"]')
    block.get_by_role("button", name=f"Vérifier la preuve de la consultation n° {index}").click()
    result = block.get_by_role("status")
    result.locator("xpath=self::*[@data-proof-outcome]").wait_for()
    return str(result.inner_text())


def crawl_within(
    page: Any, base_url: str, prefixes: tuple[str, ...], starts: tuple[str, ...] = ()
) -> CrawlReport:
    """Every page under ``prefixes`` reachable by links from ``starts`` (the first prefix by
    default), with axe run."""
    report = CrawlReport()
    host = urlsplit(base_url).netloc
    queue = deque(urljoin(base_url, path) for path in starts or prefixes[:1])
    seen = set(queue)
    while queue:
        url = queue.popleft()
        response = page.goto(url)
        report.statuses[url] = response.status if response else 0
        report.visited.append(url)
        report.violations[url] = axe_violations(page)
        for href in page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(link => link.href)"
        ):
            target, _ = urldefrag(href)
            parts = urlsplit(target)
            if parts.netloc == host and parts.path.startswith(prefixes) and target not in seen:
                seen.add(target)
                queue.append(target)
    return report
