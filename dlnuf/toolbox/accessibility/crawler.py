"""Crawling the portal's own pages: from a few start pages, follow every link a visitor sees,
on the same site, and run axe-core on each page reached.

Used by ``manage.py audit_portal_accessibility`` (the audit behind the portal's accessibility
statement) and by the test suite, which checks every page a demonstration role can reach. Unlike
the audits of other people's sites (``audit.py``), the address here is the portal's own, given
by its operator, often on loopback: the browser is kept on that one origin instead of being kept
off private networks.
"""

import queue
import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from dlnuf.toolbox.accessibility.audit import (
    AXE_RUN,
    AXE_SCRIPT,
    PAGE_TIMEOUT_MS,
    AuditRun,
    chromium_executable,
    launch_browser,
    page_result,
)
from dlnuf.toolbox.accessibility.fetching import MAX_PAGES, SamplePage

# Links never followed: other faces of the product (software callers, files) and actions.
SKIPPED_PREFIXES = ("/api/", "/sandbox/", "/static/", "/deconnexion/", "/oidc/")
LINKS_SCRIPT = "links => links.map(link => link.href)"
LINKS_SELECTOR = "a[href]:not([download])"


def route_name(url: str) -> str:
    """The URL pattern a page belongs to: pages of one pattern share their template."""
    from django.urls import Resolver404, resolve

    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return urlsplit(url).path


class CrawlFrontier:
    """The pages still to visit, in the order they were found. With ``per_route``, at most that
    many pages of one URL pattern are queued besides the start pages: 170 dataset pages share one
    template, and an audit sample should cover different templates."""

    def __init__(self, base_url: str, start: Iterable[str], *, per_route: int | None = None):
        self.host = urlsplit(base_url).netloc
        self.per_route = per_route
        self._queue: deque[str] = deque(urljoin(base_url, path) for path in start)
        self._seen = set(self._queue)
        self._routes: Counter[str] = Counter()

    def __iter__(self) -> Iterator[str]:
        while self._queue:
            yield self._queue.popleft()

    def add_links(self, hrefs: Iterable[str]) -> None:
        for href in hrefs:
            target, _ = urldefrag(href)
            parts = urlsplit(target)
            if parts.netloc != self.host or parts.path.startswith(SKIPPED_PREFIXES):
                continue
            if target in self._seen:
                continue
            if self.per_route is not None:
                route = route_name(target)
                if self._routes[route] >= self.per_route:
                    continue
                self._routes[route] += 1
            self._seen.add(target)
            self._queue.append(target)


def page_links(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(LINKS_SELECTOR, LINKS_SCRIPT))


@dataclass
class PortalCrawl:
    run: AuditRun
    # Pages reached but left out of the sample (error answer, not HTML): address and reason.
    skipped: list[dict[str, str]] = field(default_factory=list)


def _label(title: str, url: str) -> str:
    # Titles read « Catalogue — Guichet DLNUF »: the site's name adds nothing in a sample list.
    return (title.split(" — ")[0].strip() or urlsplit(url).path)[:120]


def _keep_on_origin(origin: str) -> Any:
    def handle(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or url.startswith(origin + "/") or url == origin:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    return handle


def _crawl(
    base_url: str, start: list[str], max_pages: int, per_route: int, executable: str
) -> PortalCrawl:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    crawl = PortalCrawl(run=AuditRun())
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    frontier = CrawlFrontier(base_url, start, per_route=per_route)
    with sync_playwright() as playwright:
        browser = launch_browser(playwright, executable)
        try:
            crawl.run.browser_version = f"Chromium {browser.version}"
            context = browser.new_context(locale="fr-FR", service_workers="block")
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            context.route("**/*", _keep_on_origin(origin))
            context.add_init_script(path=str(AXE_SCRIPT))
            page = context.new_page()
            for url in frontier:
                if len(crawl.run.pages) >= max_pages:
                    break
                try:
                    response = page.goto(url, wait_until="load")
                except PlaywrightError as error:
                    reason = str(error).splitlines()[0][:200]
                    crawl.skipped.append({"url": url, "reason": f"non chargée ({reason})"})
                    continue
                status = response.status if response else 0
                content_type = response.headers.get("content-type", "") if response else ""
                if status != 200 or "text/html" not in content_type:
                    crawl.skipped.append({"url": url, "reason": f"réponse {status}"})
                    continue
                axe = page.evaluate(AXE_RUN)
                title = page.title()
                sample = SamplePage(label=_label(title, page.url), url=url)
                crawl.run.pages.append(page_result(sample, page.url, title, axe))
                crawl.run.axe_version = str(axe["version"])
                frontier.add_links(page_links(page))
            context.close()
        finally:
            browser.close()
    return crawl


def crawl_portal(
    base_url: str,
    *,
    start: Iterable[str] = ("/",),
    max_pages: int = MAX_PAGES,
    per_route: int = 1,
) -> PortalCrawl:
    """Audit with axe-core up to ``max_pages`` pages of the portal at ``base_url``, reached by
    links from ``start`` as an anonymous visitor.

    The browser runs in a thread of its own: Playwright's synchronous API refuses to start in a
    thread that already runs an event loop, and Django refuses database access in one."""
    executable = chromium_executable()
    outcome: queue.Queue[PortalCrawl | BaseException] = queue.Queue()

    def work() -> None:
        try:
            outcome.put(_crawl(base_url, list(start), max_pages, per_route, executable))
        except BaseException as error:  # handed back to the caller's thread below
            outcome.put(error)

    thread = threading.Thread(target=work, name="portal-accessibility-crawl", daemon=True)
    thread.start()
    thread.join()
    result = outcome.get()
    if isinstance(result, BaseException):
        raise result
    return result
