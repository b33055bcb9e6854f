from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from dlnuf.catalogue.models import (
    Connector,
    Dataset,
    Endpoint,
    LegalBasis,
    Provider,
    Scope,
    SupportingDocument,
)
from dlnuf.catalogue.selectors import dataset_with_rules
from dlnuf.catalogue.services import CatalogueError, catalogue_load
from dlnuf.habilitations.services import habilitation_grant
from dlnuf.organisations.services import organisation_get_or_create

pytestmark = pytest.mark.django_db

MODELS = (Provider, Connector, LegalBasis, SupportingDocument, Dataset, Endpoint, Scope)


def _row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _edit_yaml(path: Path, edit) -> None:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_first_load_creates_everything_and_second_changes_nothing():
    first = catalogue_load()
    assert first.counts["datasets"].created == 16
    assert first.changed
    rows = _row_counts()

    second = catalogue_load()

    assert not second.changed
    assert second.counts["datasets"].unchanged == 16
    assert second.counts["scopes"].unchanged == rows["Scope"]
    assert second.counts["endpoints"].unchanged == rows["Endpoint"]
    assert _row_counts() == rows
    assert "Aucun changement." in second.lines()


def test_a_changed_title_is_updated_in_place(seed_copy: Path):
    catalogue_load(directory=seed_copy)
    before = Dataset.objects.get(slug="prime-activite").pk

    def retitle(content):
        content["datasets"][0]["title"] = "Prime d'activité (nouvel intitulé)"

    _edit_yaml(seed_copy / "datasets" / "prime-activite.yaml", retitle)
    report = catalogue_load(directory=seed_copy)

    dataset = Dataset.objects.get(slug="prime-activite")
    assert dataset.pk == before
    assert dataset.title == "Prime d'activité (nouvel intitulé)"
    assert report.counts["datasets"].updated == 1
    assert report.counts["datasets"].unchanged == 15


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        (
            "unknown-key.yaml",
            {"providers": [{"slug": "x", "name": "X", "colour": "bleu"}]},
            "providers[1] (x).colour : clé inconnue",
        ),
        (
            "missing-key.yaml",
            {"legal_bases": [{"slug": "sans-titre"}]},
            "legal_bases[1] (sans-titre).title : clé obligatoire manquante",
        ),
        (
            "unknown-section.yaml",
            {"jeux": []},
            "jeux : section inconnue",
        ),
        (
            "bad-kind.yaml",
            {"connectors": [{"slug": "c", "name": "C", "kind": "soap", "base_url": "https://x"}]},
            "connectors[1] (c).kind : doit valoir",
        ),
    ],
)
def test_bad_files_are_rejected_with_file_and_key(seed_copy: Path, filename, content, expected):
    (seed_copy / filename).write_text(yaml.safe_dump(content), encoding="utf-8")

    with pytest.raises(CatalogueError) as raised:
        catalogue_load(directory=seed_copy)

    message = str(raised.value)
    assert filename in message
    assert expected in message
    assert all(count == 0 for count in _row_counts().values())


def _dataset_problem(seed_copy: Path, edit) -> str:
    _edit_yaml(seed_copy / "datasets" / "quotient-familial.yaml", lambda c: edit(c["datasets"][0]))
    with pytest.raises(CatalogueError) as raised:
        catalogue_load(directory=seed_copy)
    return str(raised.value)


def test_unknown_provider_is_named(seed_copy: Path):
    message = _dataset_problem(seed_copy, lambda d: d.update(provider="caf-inconnue"))
    assert "quotient-familial.yaml" in message
    assert (
        "datasets[1] (quotient-familial).provider : « caf-inconnue » n'est défini nulle part"
        in (message)
    )


def test_personal_data_cannot_be_cached(seed_copy: Path):
    message = _dataset_problem(seed_copy, lambda d: d.update(cache_seconds=60))
    assert "(quotient-familial).cache_seconds : doit valoir 0" in message


def test_field_paths_are_checked(seed_copy: Path):
    message = _dataset_problem(seed_copy, lambda d: d["scopes"][0].update(fields=["a..b"]))
    assert "scopes[1] (cnaf_quotient_familial).fields : « a..b » n'est pas un chemin" in message


def test_known_links_must_be_link_names(seed_copy: Path):
    message = _dataset_problem(seed_copy, lambda d: d.update(known_links=["siege social"]))
    assert "(quotient-familial).known_links : élément 1 : doit être un nom de lien" in message


def test_known_links_reach_the_dataset_rules(seed_copy: Path):
    _edit_yaml(
        seed_copy / "datasets" / "quotient-familial.yaml",
        lambda c: c["datasets"][0].update(known_links=["allocataire"]),
    )
    catalogue_load(directory=seed_copy)

    rules = dataset_with_rules("quotient-familial")
    assert rules is not None
    assert rules.known_links == ("allocataire",)


def test_path_placeholders_must_be_required_parameters(seed_copy: Path):
    def edit(dataset):
        dataset["endpoints"][0]["path_template"] = "/v3/dss/quotient_familial/{numero}"

    message = _dataset_problem(seed_copy, edit)
    assert "{numero} doit être un paramètre obligatoire" in message


def test_parameter_patterns_must_compile(seed_copy: Path):
    def edit(dataset):
        dataset["endpoints"][0]["parameters"][1]["pattern"] = "^[0-9"

    message = _dataset_problem(seed_copy, edit)
    assert "pattern : expression régulière invalide" in message


def test_unreadable_yaml_is_reported_with_its_line(seed_copy: Path):
    (seed_copy / "broken.yaml").write_text("datasets:\n  - slug: [x\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        catalogue_load(directory=seed_copy)
    assert "broken.yaml : ligne" in str(raised.value)
    assert "YAML illisible" in str(raised.value)


def test_duplicate_slugs_across_files_are_rejected(seed_copy: Path):
    (seed_copy / "again.yaml").write_text(
        yaml.safe_dump({"providers": [{"slug": "insee", "name": "Insee bis"}]}), encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as raised:
        catalogue_load(directory=seed_copy)
    assert "« insee » est déjà défini dans" in str(raised.value)


def test_one_bad_file_leaves_an_existing_catalogue_untouched(seed_copy: Path):
    catalogue_load(directory=seed_copy)
    rows = _row_counts()

    def retitle(content):
        content["datasets"][0]["title"] = "Changé"

    _edit_yaml(seed_copy / "datasets" / "scolarite.yaml", retitle)
    (seed_copy / "zz-bad.yaml").write_text("providers: oops\n", encoding="utf-8")

    with pytest.raises(CatalogueError):
        catalogue_load(directory=seed_copy)

    assert Dataset.objects.get(slug="scolarite").title == "Scolarité de l'élève"
    assert _row_counts() == rows


def _remove_scope(seed_copy: Path, dataset_file: str, scope_slug: str) -> None:
    def edit(content):
        dataset = content["datasets"][0]
        dataset["scopes"] = [s for s in dataset["scopes"] if s["slug"] != scope_slug]
        dataset["title"] = "Intitulé modifié dans le même chargement"

    _edit_yaml(seed_copy / "datasets" / dataset_file, edit)


def test_a_scope_removed_from_the_files_is_deleted(seed_copy: Path):
    catalogue_load(directory=seed_copy)
    _remove_scope(seed_copy, "quotient-familial.yaml", "cnaf_adresse")

    report = catalogue_load(directory=seed_copy)

    assert report.counts["scopes"].deleted == 1
    assert not Scope.objects.filter(dataset__slug="quotient-familial", slug="cnaf_adresse").exists()


def test_a_scope_still_held_by_a_habilitation_is_not_deleted(seed_copy: Path):
    catalogue_load(directory=seed_copy)
    organisation = organisation_get_or_create(siret="13002526500013", name="DINUM")
    habilitation_grant(
        organisation=organisation,
        dataset=Dataset.objects.get(slug="quotient-familial"),
        scope_slugs=["cnaf_quotient_familial", "cnaf_adresse"],
    )
    _remove_scope(seed_copy, "quotient-familial.yaml", "cnaf_adresse")

    with pytest.raises(CatalogueError) as raised:
        catalogue_load(directory=seed_copy)

    assert "« cnaf_adresse »" in str(raised.value)
    assert "1 habilitation l'utilise encore" in str(raised.value)
    assert Scope.objects.filter(dataset__slug="quotient-familial", slug="cnaf_adresse").exists()
    # The refusal rolls back the whole load, including the other change of the same file.
    assert Dataset.objects.get(slug="quotient-familial").title == "Quotient familial CAF et MSA"


def test_a_new_rest_dataset_is_a_data_change_only(tmp_path: Path):
    catalogue_load()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "cantine.yaml").write_text(
        """
providers:
  - {slug: ville-exemple, name: Ville d'Exemple}
connectors:
  - slug: ville-exemple-rest
    name: API de la ville d'Exemple
    kind: rest
    base_url: https://api.exemple.fr
    auth_kind: header
    auth_header: X-Api-Key
    auth_secret_env: DLNUF_VILLE_EXEMPLE_KEY
    sends_trace_parameters: false
    timeout_seconds: 3
datasets:
  - slug: tarif-cantine
    title: Tarif de cantine
    provider: ville-exemple
    connector: ville-exemple-rest
    subject_kind: person
    holds_personal_data: true
    legal_bases: [crpa-l114-8-r114-9-3]
    endpoints:
      - name: identifiant
        path_template: /v1/familles/{identifiant}/tarif
        parameters:
          - {name: identifiant, required: true, pattern: '^[0-9]{8}$', label: Numéro de famille}
    scopes:
      - {slug: tarif, label: Tarif, fields: [tranche, montant]}
      - {slug: enfants, label: Enfants, fields: ["enfants[].prenom"]}
""",
        encoding="utf-8",
    )

    report = catalogue_load(directory=extra)

    assert report.counts["datasets"].created == 1
    rules = dataset_with_rules("tarif-cantine")
    assert rules is not None
    assert rules.connector.kind == "rest"
    assert rules.connector.base_url == "https://api.exemple.fr"
    assert rules.connector.auth_header == "X-Api-Key"
    assert rules.connector.timeout_seconds == 3
    assert rules.endpoints[0].path_template == "/v1/familles/{identifiant}/tarif"
    assert rules.fields_for(["tarif", "enfants"]) == ("tranche", "montant", "enfants[].prenom")
    assert list(
        Dataset.objects.get(slug="tarif-cantine").legal_bases.values_list("slug", flat=True)
    ) == ["crpa-l114-8-r114-9-3"]
    # Loading only that directory left the seeded datasets alone.
    assert Dataset.objects.count() == 17


def test_the_command_prints_the_report(capsys):
    call_command("load_catalogue")
    call_command("load_catalogue")
    output = capsys.readouterr().out
    assert "jeux de données : 16 créés" in output
    assert "jeux de données : 0 créés, 0 modifiés, 16 inchangés" in output
    assert output.rstrip().endswith("Aucun changement.")


def test_the_command_fails_clearly_on_a_bad_directory(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text("datasets: 3\n", encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("load_catalogue", "--directory", str(tmp_path))
    assert "rien n'a été modifié" in str(raised.value)
    assert "bad.yaml : datasets : doit être une liste" in str(raised.value)
