"""The toolbox on a run-time install, which has no Playwright: the audits say so in French, and
nothing else fails."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dlnuf.toolbox import jobs
from dlnuf.toolbox.accessibility.audit import BrowserUnavailable, audit_pages
from dlnuf.toolbox.accessibility.crawler import crawl_portal
from dlnuf.toolbox.accessibility.fetching import SamplePage
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.support.factories import UserFactory
from tests.toolbox.accessibility.pages import GOOD_PAGE
from tests.toolbox.accessibility.served import Site

ROOT = Path(__file__).resolve().parents[3]
MISSING_DRIVER = "Le pilote du navigateur Chromium (Playwright) est introuvable"


@pytest.fixture
def without_playwright(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Playwright not installed (an import of it fails), Chromium present: any executable
    stands for it, the audit stops before starting it."""
    for name in [name for name in sys.modules if name.split(".")[0] == "playwright"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "playwright", None)
    settings.DLNUF_CHROMIUM_PATH = sys.executable


@pytest.mark.usefixtures("without_playwright")
def test_an_audit_without_playwright_is_refused_in_french() -> None:
    with pytest.raises(BrowserUnavailable, match=re.escape(MISSING_DRIVER)) as refused:
        audit_pages([SamplePage("Accueil", "https://example.org/")])
    assert "paquet Python « playwright »" in str(refused.value)


@pytest.mark.usefixtures("without_playwright")
def test_a_portal_crawl_without_playwright_is_refused_in_french() -> None:
    with pytest.raises(BrowserUnavailable, match=re.escape(MISSING_DRIVER)):
        crawl_portal("http://127.0.0.1:1/")


@pytest.mark.django_db
@pytest.mark.usefixtures("without_playwright")
def test_the_report_tells_the_person_what_is_missing(site: Site) -> None:
    site.pages["/"] = (200, {}, GOOD_PAGE)
    report = ToolReport.objects.create(
        kind=ToolKind.ACCESSIBILITY,
        title="Cantine en ligne",
        created_by=UserFactory(),
        inputs={"grid": "full", "pages": [{"label": "Accueil", "url": site.url("/")}]},
    )

    jobs.run_tool_report.call(report.pk)

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith(MISSING_DRIVER)
    # Refused before any browser started: the site was never fetched.
    assert site.hits == []


def test_every_module_of_the_product_loads_without_playwright() -> None:
    """What a web process or a command imports, in a process where Playwright cannot load."""
    program = (
        "import importlib, pkgutil, sys\n"
        "sys.modules['playwright'] = None\n"
        "import django\n"
        "django.setup()\n"
        "import dlnuf\n"
        "for module in pkgutil.walk_packages(dlnuf.__path__, 'dlnuf.'):\n"
        "    importlib.import_module(module.name)\n"
        "importlib.import_module('config.urls')\n"
        "print('loaded')\n"
    )
    loaded = subprocess.run(  # noqa: S603 - this interpreter with a fixed program
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.test_settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.strip() == "loaded"
