"""Diagnostics stored before coverage keep adding up to their own totals."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("procedures", "0001_initial")]
AFTER = [("procedures", "0002_coverage")]


@pytest.mark.django_db(transaction=True)
def test_earlier_snapshots_count_each_replaceable_item_for_the_whole_volume():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    user = apps.get_model("organisations", "User").objects.create(
        email="agent@ville.fr", password="!"
    )
    organisation = apps.get_model("organisations", "Organisation").objects.create(
        siret="21690123100011", name="Ville de Lyon"
    )
    procedure = apps.get_model("procedures", "Procedure").objects.create(
        organisation=organisation, name="Cantine", yearly_volume=18_000, created_by=user
    )
    diagnostic = apps.get_model("procedures", "Diagnostic").objects.create(
        procedure=procedure,
        run_by=user,
        run_at=timezone.now(),
        yearly_volume=18_000,
        items_count=3,
        replaceable_count=1,
        prefilled_count=1,
        to_check_count=0,
        level="optimal",
        documents_avoidable_per_year=18_000,
        documents_avoided_per_year=18_000,
    )
    item_model = apps.get_model("procedures", "DiagnosticItem")
    for position, (confidence, still_asked) in enumerate(
        [("sure", True), ("likely", False), ("none", True)]
    ):
        item_model.objects.create(
            diagnostic=diagnostic,
            label=f"Élément {position}",
            source="typed",
            still_asked=still_asked,
            confidence=confidence,
            position=position,
        )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps

    migrated = apps.get_model("procedures", "DiagnosticItem").objects.order_by("position")
    assert list(migrated.values_list("documents_per_year", "covered_share")) == [
        (18_000, 100),
        (18_000, 100),
        (0, 100),
    ]
