"""Shared fixtures. Factories live beside the tests of each app (tests/<app>/factories.py)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

REFERENCE_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "reference"


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    # Rate limits, breakers and sign-in throttles live in the cache: no test inherits another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _outbox_email_backend(settings: Any) -> None:
    # Django's test environment replaces EMAIL_BACKEND with its in-memory one; the product's
    # e-mails go through the outbox, whose delivery backend is the in-memory one in tests.
    settings.EMAIL_BACKEND = "dlnuf.outbox.backend.OutboxBackend"


@pytest.fixture(autouse=True)
def _private_media_root(settings: Any, tmp_path: Path) -> None:
    # Uploads (guichet attachments, toolbox archives) go to a folder of the test's own, never the
    # development media folder that every test process of a parallel run would share.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def reference_dir() -> Path:
    """The public reference data, when present beside the project; skips the test otherwise."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip("reference data not present")
    return REFERENCE_DIR
