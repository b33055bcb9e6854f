"""What a technology review run stores: the figures of the whole project, the detail of its
first components, manifests and warnings only, with counts of what was left out."""

import json

import pytest

from dlnuf.toolbox.models import ToolKind, ToolReport
from dlnuf.toolbox.tech_review.review import (
    MAX_STORED_COMPONENTS,
    MAX_STORED_FINDING_ITEMS,
    MAX_STORED_MANIFESTS,
    MAX_STORED_WARNINGS,
)
from dlnuf.toolbox.tech_review.runner import run
from tests.support.factories import UserFactory
from tests.toolbox.tech_review.large_project import (
    COMPONENTS,
    MANIFESTS,
    MISSING_INCLUDES,
    UNPINNED,
    large_project_files,
)

pytestmark = pytest.mark.django_db


def test_a_large_project_stores_capped_lists_and_whole_figures() -> None:
    report = ToolReport.objects.create(
        kind=ToolKind.TECH_REVIEW,
        title="Grand projet",
        created_by=UserFactory(),
        inputs={"source": "files", "distribution": "libre", "files": large_project_files()},
    )
    results = run(report, lambda percent, message: None)

    summary = results["summary"]
    assert summary["components"] == COMPONENTS == 3_000
    # None of the generated names has a life cycle in the snapshot.
    assert (summary["unknown"], summary["eol"], summary["soon"], summary["ok"]) == (3_000, 0, 0, 0)
    assert summary["findings"] == 1

    assert len(results["components"]) == MAX_STORED_COMPONENTS == 500
    assert results["components_left_out"] == 3_000 - 500
    assert results["components"][0]["name"] == "paquet-0000"
    assert results["components"][-1]["name"] == "paquet-0499"

    (unpinned,) = results["findings"]
    assert unpinned["rule"] == "unpinned"
    assert len(unpinned["components"]) == MAX_STORED_FINDING_ITEMS == 100
    assert unpinned["components_left_out"] == UNPINNED - 100 == 450
    assert unpinned["components"][0] == "paquet-0000 (requirements.txt)"

    assert len(results["manifests"]) == MAX_STORED_MANIFESTS == 100
    assert results["manifests_left_out"] == MANIFESTS - 100 == 152
    assert len(results["warnings"]) == MAX_STORED_WARNINGS == 100
    assert results["warnings_left_out"] == MISSING_INCLUDES - 100 == 200
    assert results["warnings"][0] == "absent-000.txt : fichier absent ou trop volumineux, ignoré."

    # Stored whole, this project took 1.2 MB of JSON (about 400 bytes a component).
    assert len(json.dumps(results)) < 250_000
