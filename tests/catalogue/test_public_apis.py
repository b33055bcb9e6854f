"""The api.gouv.fr public APIs: imported into the project's own seed, loaded with the catalogue,
kept apart from the datasets the gateway serves."""

import json
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from dlnuf.catalogue.api_gouv import (
    DEFAULT_SEED_FILE,
    ApiGouvImportError,
    convert,
    read_facts,
    write_seed,
)
from dlnuf.catalogue.models import Dataset, Openness, PublicApi, PublicApiProducer
from dlnuf.catalogue.services import CatalogueError, catalogue_load

pytestmark = pytest.mark.django_db

FACTS = Path("api-gouv-catalogue") / "catalogue-facts.json"


def test_the_committed_seed_lists_every_public_api_and_producer():
    report = catalogue_load()

    assert report.counts["public_apis"].created == 170
    assert report.counts["public_api_producers"].created == 60
    assert PublicApi.objects.count() == 170
    assert Dataset.objects.count() == 16  # the public APIs are not datasets of the gateway
    assert "  API publiques hors passerelle : 170 créés, 0 modifiés, 0 inchangés" in report.lines()
    assert {value for value, _ in Openness.choices} == set(
        PublicApi.objects.values_list("openness", flat=True)
    )


def test_loading_again_changes_nothing():
    catalogue_load()
    second = catalogue_load()
    assert not second.changed
    assert second.counts["public_apis"].unchanged == 170
    assert second.counts["public_api_producers"].unchanged == 60


def test_facts_of_one_api_and_its_links_to_the_gateway():
    catalogue_load()
    api = PublicApi.objects.select_related("producer__provider").get(slug="impot-particulier")
    assert api.title == "API Impôt particulier"
    assert api.openness == Openness.RESTRICTED
    assert api.get_openness_display() == "accès restreint, sur habilitation"
    assert api.habilitation_url == "https://datapass.api.gouv.fr/api-impot-particulier-sandbox"
    # Relative documentation links of api.gouv.fr point to its site.
    assert api.documentation_url == "https://api.gouv.fr/swaggers/api-impot-particulier.json"
    assert api.source_url == "https://api.gouv.fr/les-api/impot-particulier"
    assert api.subject_kind == "person"
    assert api.producer.provider.slug == "dgfip"
    # The gateway serves the same source as its dataset « impot-particulier ».
    assert list(api.gateway_datasets.values_list("slug", flat=True)) == ["impot-particulier"]

    family = PublicApi.objects.get(slug="api_quotient_familial_msa_caf")
    assert list(family.gateway_datasets.values_list("slug", flat=True)) == ["quotient-familial"]
    assert PublicApi.objects.get(slug="api-entreprise").gateway_datasets.count() == 6


def test_a_changed_api_is_updated_and_a_dropped_gateway_link_removed(seed_copy: Path):
    catalogue_load(directory=seed_copy)
    path = seed_copy / "api-gouv" / "public-apis.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    sirene = next(api for api in content["public_apis"] if api["slug"] == "sirene_v3")
    sirene["title"] = "API Sirene (nouvel intitulé)"
    sirene["gateway_datasets"] = ["unite-legale"]
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")

    report = catalogue_load(directory=seed_copy)

    assert report.counts["public_apis"].updated == 1
    assert report.counts["public_apis"].unchanged == 169
    api = PublicApi.objects.get(slug="sirene_v3")
    assert api.title == "API Sirene (nouvel intitulé)"
    assert list(api.gateway_datasets.values_list("slug", flat=True)) == ["unite-legale"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"producer": "inconnu"}, "producer : « inconnu » n'est défini nulle part"),
        ({"openness": 2}, "openness : doit valoir -1 (restreinte)"),
        ({"openness": True}, "openness : doit valoir -1"),
        ({"gateway_datasets": ["pas-servi"]}, "gateway_datasets : « pas-servi »"),
        ({"last_update": "31/12/2024"}, "last_update : doit être une date AAAA-MM-JJ"),
        ({"uptime_percent": 120}, "uptime_percent : doit être un pourcentage"),
    ],
)
def test_a_bad_public_api_entry_leaves_the_database_untouched(
    seed_copy: Path, entry: dict, expected: str
):
    base = {
        "slug": "api-test",
        "title": "API de test",
        "producer": "dinum",
        "openness": 1,
        "source_url": "https://api.gouv.fr/les-api/api-test",
    }
    (seed_copy / "zz-extra.yaml").write_text(
        yaml.safe_dump({"public_apis": [{**base, **entry}]}), encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as raised:
        catalogue_load(directory=seed_copy)
    assert "zz-extra.yaml" in str(raised.value)
    assert expected in str(raised.value)
    assert not PublicApi.objects.exists()
    assert not PublicApiProducer.objects.exists()


def test_the_import_reproduces_the_committed_seed(reference_dir: Path, tmp_path: Path):
    conversion = convert(read_facts(reference_dir / FACTS))
    assert len(conversion.apis) == 170
    assert len(conversion.producers) == 60
    assert conversion.skipped == [
        "producteur n° 60 (template.fournisseur.md.exam) ignoré : identifiant invalide ou en "
        "double, ou nom absent"
    ]
    written = tmp_path / "public-apis.yaml"
    write_seed(conversion, written)
    assert written.read_text(encoding="utf-8") == DEFAULT_SEED_FILE.read_text(encoding="utf-8")


def test_the_import_command_writes_a_loadable_file(reference_dir: Path, tmp_path: Path, capsys):
    seed = tmp_path / "seed"
    seed.mkdir()
    output = seed / "public-apis.yaml"
    call_command("import_api_gouv_catalogue", str(reference_dir / FACTS), "--output", str(output))
    assert "170 API et 60 producteurs écrits" in capsys.readouterr().out
    # A directory holding only the public APIs loads on top of the project's seed.
    catalogue_load()
    report = catalogue_load(directory=seed)
    assert report.counts["public_apis"].unchanged == 170


def test_conversion_skips_unusable_entries_and_reads_the_facts():
    facts = {
        "producers": [
            {"slug": "dinum", "name": "DINUM", "site": "https://numerique.gouv.fr"},
            {"slug": "bad.slug", "name": "X"},
        ],
        "apis": [
            {
                "slug": "api-ok",
                "title": "API correcte",
                "producer": "dinum",
                "is_open": 0,
                "themes": ["Entreprise", "Particulier"],
                "last_update": "10/10/2023 /TODO",
                "contact_link": "contact@exemple.gouv.fr",
            },
            {"slug": "api-sans-producteur", "title": "X", "producer": "bad.slug", "is_open": 1},
            {"slug": "api-ouverture", "title": "X", "producer": "dinum", "is_open": "oui"},
            "pas un objet",
        ],
    }
    conversion = convert(facts)
    assert [api["slug"] for api in conversion.apis] == ["api-ok"]
    api = conversion.apis[0]
    assert api["openness"] == 0
    assert api["last_update"] == "2023-10-10"
    assert "subject_kind" not in api  # both person and company themes: left empty
    assert len(conversion.skipped) == 4


def test_unreadable_facts_are_refused_before_anything_is_written(tmp_path: Path):
    bad = tmp_path / "facts.json"
    bad.write_text("{pas du json", encoding="utf-8")
    with pytest.raises(ApiGouvImportError, match="JSON illisible"):
        read_facts(bad)
    bad.write_text(json.dumps({"apis": {}, "producers": []}), encoding="utf-8")
    with pytest.raises(ApiGouvImportError, match="doivent être des listes"):
        convert(read_facts(bad))
    output = tmp_path / "out.yaml"
    with pytest.raises(CommandError, match="aucun fichier écrit"):
        call_command("import_api_gouv_catalogue", str(bad), "--output", str(output))
    assert not output.exists()
