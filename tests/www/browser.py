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
# Links the crawler never follows: other faces of the product, files, and actions.
SKIPPED_PREFIXES = ("/api/", "/sandbox/", "/static/", "/deconnexion/", "/oidc/")


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
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
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


def route_name(url: str) -> str:
    """The URL pattern a page belongs to: pages of one pattern share their template."""
    from django.urls import Resolver404, resolve

    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return urlsplit(url).path


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
    routes: dict[str, int] = {}
    host = urlsplit(base_url).netloc
    queue: deque[str] = deque(urljoin(base_url, path) for path in start)
    seen = set(queue)
    while queue and len(report.visited) < limit:
        url = queue.popleft()
        response = page.goto(url)
        report.statuses[url] = response.status if response else 0
        report.visited.append(url)
        if "text/html" not in (response.headers.get("content-type", "") if response else ""):
            continue
        report.violations[url] = axe_violations(page)
        hrefs = page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(link => link.href)"
        )
        for href in hrefs:
            target, _ = urldefrag(href)
            parts = urlsplit(target)
            if parts.netloc != host or parts.path.startswith(SKIPPED_PREFIXES):
                continue
            if target in seen:
                continue
            if per_route is not None:
                route = route_name(target)
                if routes.get(route, 0) >= per_route:
                    continue
                routes[route] = routes.get(route, 0) + 1
            seen.add(target)
            queue.append(target)
    return report


def sign_in(page: Any, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(urljoin(base_url, "/connexion/"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
