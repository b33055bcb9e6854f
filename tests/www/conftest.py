import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.www.browser import AXE_SCRIPT, CHROMIUM_ARGS, CHROMIUM_ENV, require_browser_tools

# The FranceConnect-like provider on loopback, for the « Mes données » sign-in tests.
from tests.www.oidc_providers import franceconnect  # noqa: F401


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = require_browser_tools()
    # Playwright's synchronous API runs an event loop in this thread; the tests still use the
    # database synchronously around it, which is safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, env={**os.environ, **CHROMIUM_ENV}
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    # Injected by the browser itself, so the pages' Content Security Policy does not block it.
    context.add_init_script(path=str(AXE_SCRIPT))
    opened = context.new_page()
    yield opened
    context.close()
