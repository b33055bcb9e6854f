from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> Path:
    # Uploaded PDFs go to a throw-away folder, never the development media folder.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
