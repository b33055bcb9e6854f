import shutil
from pathlib import Path

import pytest

from dlnuf.catalogue.services import DEFAULT_DATA_DIR, catalogue_load


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A writable copy of the project's seed, to alter in a test."""
    target = tmp_path / "seed"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


@pytest.fixture
def loaded_catalogue(db):
    return catalogue_load()
