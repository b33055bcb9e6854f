import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.procedures.matching import Matcher
from dlnuf.procedures.selectors import catalogue_matcher


@pytest.fixture
def catalogue(db):
    return catalogue_load()


@pytest.fixture
def matcher(catalogue) -> Matcher:
    return catalogue_matcher()
