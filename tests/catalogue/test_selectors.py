from pathlib import Path

import pytest
import yaml

from dlnuf.catalogue.selectors import (
    dataset_scope_slugs,
    dataset_with_rules,
    datasets_for_catalogue,
)
from dlnuf.catalogue.services import catalogue_load

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("loaded_catalogue")
def test_rules_carry_what_the_gateway_needs():
    rules = dataset_with_rules("statut-etudiant")

    assert rules is not None
    assert rules.provider_slug == "mesri"
    assert rules.connector.slug == "api-particulier"
    assert rules.connector.sandbox_path == "api-particulier"
    assert rules.holds_personal_data
    assert rules.cache_seconds == 0
    assert [endpoint.name for endpoint in rules.endpoints] == ["ine", "identite"]
    assert rules.fields_for(["mesri_admissions", "mesri_admission_inscrit"]) == (
        "admissions[].date_debut",
        "admissions[].date_fin",
        "admissions[].est_inscrit",
    )
    assert rules.fields_for(["no_such_scope"]) == ()


@pytest.mark.usefixtures("loaded_catalogue")
def test_the_endpoint_is_chosen_from_the_parameters_present():
    rules = dataset_with_rules("etudiant-boursier")
    assert rules is not None

    by_ine = rules.endpoint_for({"ine", "recipient"})
    by_civil_status = rules.endpoint_for(
        {
            "nomNaissance",
            "prenoms[]",
            "anneeDateNaissance",
            "moisDateNaissance",
            "jourDateNaissance",
        }
    )

    assert by_ine is not None
    assert by_ine.path_template == "/v3/cnous/etudiant_boursier/ine"
    assert by_civil_status is not None
    assert by_civil_status.name == "identite"
    assert rules.endpoint_for({"nomNaissance"}) is None


def test_unknown_dataset_has_no_rules():
    assert dataset_with_rules("nothing-here") is None


def test_loading_the_catalogue_refreshes_cached_rules(
    seed_copy: Path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_load(directory=seed_copy)
    assert dataset_with_rules("prime-activite").title == "Prime d'activité"

    path = seed_copy / "datasets" / "prime-activite.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content["datasets"][0]["title"] = "Prime d'activité, nouvel intitulé"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_load(directory=seed_copy)

    assert dataset_with_rules("prime-activite").title == "Prime d'activité, nouvel intitulé"


@pytest.mark.usefixtures("loaded_catalogue")
def test_catalogue_listing_and_scope_slugs(django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        datasets = list(datasets_for_catalogue())
        assert len(datasets) == 16
        assert all(dataset.scopes.all() for dataset in datasets)
    assert dataset_scope_slugs("revenu-solidarite-active") == [
        "revenu_solidarite_active",
        "revenu_solidarite_active_majoration",
    ]
