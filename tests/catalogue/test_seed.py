"""The seed holds the datasets the product promises, faithful to the upstream APIs."""

import re
from pathlib import Path

import pytest
import yaml

from dlnuf.catalogue.models import Dataset, Endpoint, Scope

pytestmark = pytest.mark.django_db

CIVIL_STATUS = {"nomNaissance", "prenoms[]"}

# slug -> provider, connector, {endpoint path: parameters required to identify the subject}
EXPECTED = {
    "quotient-familial": (
        "cnaf-msa",
        "api-particulier",
        {
            "/v3/dss/quotient_familial/identite": CIVIL_STATUS
            | {"sexeEtatCivil", "codeCogInseePaysNaissance"}
        },
    ),
    "statut-etudiant": (
        "mesri",
        "api-particulier",
        {
            "/v3/mesri/statut_etudiant/identite": CIVIL_STATUS
            | {"sexeEtatCivil", "anneeDateNaissance", "moisDateNaissance", "jourDateNaissance"},
            "/v3/mesri/statut_etudiant/ine": {"ine"},
        },
    ),
    "statut-demandeur-emploi": (
        "france-travail",
        "api-particulier",
        {"/v3/france_travail/statut/identifiant": {"identifiant"}},
    ),
    "complementaire-sante-solidaire": (
        "securite-sociale",
        "api-particulier",
        {
            "/v3/dss/complementaire_sante_solidaire/identite": CIVIL_STATUS
            | {"sexeEtatCivil", "codeCogInseePaysNaissance"}
        },
    ),
    "scolarite": (
        "men",
        "api-particulier",
        {
            "/v3/men/scolarites/identite": CIVIL_STATUS
            | {
                "sexeEtatCivil",
                "anneeDateNaissance",
                "moisDateNaissance",
                "jourDateNaissance",
                "anneeScolaire",
            }
        },
    ),
    "etudiant-boursier": (
        "cnous",
        "api-particulier",
        {
            "/v3/cnous/etudiant_boursier/ine": {"ine"},
            "/v3/cnous/etudiant_boursier/identite": CIVIL_STATUS
            | {"anneeDateNaissance", "moisDateNaissance", "jourDateNaissance"},
        },
    ),
    "revenu-solidarite-active": (
        "cnav",
        "api-particulier",
        {
            "/v3/dss/revenu_solidarite_active/identite": CIVIL_STATUS
            | {"sexeEtatCivil", "codeCogInseePaysNaissance"}
        },
    ),
    "prime-activite": (
        "cnav",
        "api-particulier",
        {
            "/v3/dss/prime_activite/identite": CIVIL_STATUS
            | {"sexeEtatCivil", "codeCogInseePaysNaissance"}
        },
    ),
    "allocation-adulte-handicape": (
        "cnav",
        "api-particulier",
        {
            "/v3/dss/allocation_adulte_handicape/identite": CIVIL_STATUS
            | {"sexeEtatCivil", "codeCogInseePaysNaissance"}
        },
    ),
    "unite-legale": (
        "insee",
        "api-entreprise",
        {"/v3/insee/sirene/unites_legales/{siren}": {"siren"}},
    ),
    "etablissement": (
        "insee",
        "api-entreprise",
        {"/v3/insee/sirene/etablissements/{siret}": {"siret"}},
    ),
    "attestation-vigilance": (
        "urssaf",
        "api-entreprise",
        {"/v4/urssaf/unites_legales/{siren}/attestation_vigilance": {"siren"}},
    ),
    "attestation-fiscale": (
        "dgfip",
        "api-entreprise",
        {"/v4/dgfip/unites_legales/{siren}/attestation_fiscale": {"siren"}},
    ),
    "certification-rge": (
        "ademe",
        "api-entreprise",
        {"/v3/ademe/etablissements/{siret}/certification_rge": {"siret"}},
    ),
    "association": (
        "djepva",
        "api-entreprise",
        {"/v4/djepva/api-association/associations/{siren_or_rna}": {"siren_or_rna"}},
    ),
}


@pytest.mark.usefixtures("loaded_catalogue")
@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_every_promised_dataset_is_seeded(slug):
    provider, connector, endpoints = EXPECTED[slug]
    dataset = Dataset.objects.get(slug=slug)

    assert dataset.provider.slug == provider
    assert dataset.connector.slug == connector
    found = {
        endpoint.path_template: {p["name"] for p in endpoint.parameters if p["required"]}
        for endpoint in dataset.endpoints.all()
    }
    assert found == endpoints
    assert dataset.scopes.exists()
    assert dataset.legal_bases.exists()
    assert dataset.supporting_documents.exists()
    assert dataset.themes
    if dataset.holds_personal_data:
        assert dataset.cache_seconds == 0
    expected_kind = "person" if connector == "api-particulier" else "company"
    assert dataset.subject_kind == expected_kind


@pytest.mark.usefixtures("loaded_catalogue")
def test_connectors_follow_the_shared_contract():
    dataset = Dataset.objects.select_related("connector").get(slug="quotient-familial")
    connector = dataset.connector
    assert connector.kind == "api_particulier"
    assert connector.base_url_env == "DLNUF_API_PARTICULIER_URL"
    assert connector.auth_secret_env == "DLNUF_API_PARTICULIER_TOKEN"
    assert connector.sandbox_path == "api-particulier"
    entreprise = Dataset.objects.get(slug="unite-legale").connector
    assert (entreprise.kind, entreprise.base_url_env, entreprise.sandbox_path) == (
        "api_entreprise",
        "DLNUF_API_ENTREPRISE_URL",
        "api-entreprise",
    )


@pytest.mark.usefixtures("loaded_catalogue")
def test_scolarite_extra_parameters_have_the_upstream_formats():
    parameters = {p["name"]: p for p in Endpoint.objects.get(dataset__slug="scolarite").parameters}
    assert parameters["anneeScolaire"]["required"] is True
    assert parameters["codeEtablissement"]["required"] is False
    assert re.match(parameters["codeEtablissement"]["pattern"], "0890003V")
    assert not re.match(parameters["codeEtablissement"]["pattern"], "089003V")
    assert re.match(parameters["anneeScolaire"]["pattern"], "2022")
    assert re.match(parameters["anneeScolaire"]["pattern"], "2022-2023")
    assert not re.match(parameters["anneeScolaire"]["pattern"], "22")


# Upstream family in the reference table -> dataset slug.
PARTICULIER_FAMILIES = {
    "quotient_familial": "quotient-familial",
    "statut_etudiant": "statut-etudiant",
    "statut_france_travail": "statut-demandeur-emploi",
    "complementaire_sante_solidaire": "complementaire-sante-solidaire",
    "scolarites": "scolarite",
    "etudiant_boursier": "etudiant-boursier",
    "revenu_solidarite_active": "revenu-solidarite-active",
    "prime_activite": "prime-activite",
    "allocation_adulte_handicape": "allocation-adulte-handicape",
}
# The reference notes that the admissions scope keeps each admission's dates while the other
# admission scopes add keys inside; the catalogue spells that out as nested paths.
DOCUMENTED_REFINEMENTS = {
    ("statut-etudiant", "mesri_admissions"): (
        ["admissions"],
        ["admissions[].date_debut", "admissions[].date_fin"],
    )
}


@pytest.mark.usefixtures("loaded_catalogue")
def test_particulier_scopes_equal_the_reference_table(reference_dir: Path):
    table = yaml.safe_load(
        (reference_dir / "scopes" / "api-particulier-v3-scope-fields.yaml").read_text()
    )
    assert set(table) == set(PARTICULIER_FAMILIES)
    for family, slug in PARTICULIER_FAMILIES.items():
        seeded = {scope.slug: scope.fields for scope in Scope.objects.filter(dataset__slug=slug)}
        expected = {}
        for scope_slug, fields in table[family].items():
            refinement = DOCUMENTED_REFINEMENTS.get((slug, scope_slug))
            if refinement is not None:
                assert fields == refinement[0]
                fields = refinement[1]
            expected[scope_slug] = fields
        assert seeded == expected, family


# Upstream authorisation key -> dataset slug (API Entreprise authorises per endpoint).
ENTREPRISE_AUTHORISATIONS = {
    "api_entreprise/v3_and_more/insee/unites_legales": "unite-legale",
    "api_entreprise/v3_and_more/insee/etablissements": "etablissement",
    "api_entreprise/v3_and_more/acoss/attestations_sociales": "attestation-vigilance",
    "api_entreprise/v3_and_more/dgfip/attestations_fiscales": "attestation-fiscale",
    "api_entreprise/v3_and_more/ademe/certificats_rge": "certification-rge",
    "api_entreprise/v3_and_more/mi/unites_legales": "association",
}


@pytest.mark.usefixtures("loaded_catalogue")
def test_entreprise_scopes_equal_the_upstream_authorisations(reference_dir: Path):
    authorisations = yaml.safe_load(
        (reference_dir / "apistration" / "commons" / "data" / "authorizations.yml").read_text()
    )["shared"]
    for key, slug in ENTREPRISE_AUTHORISATIONS.items():
        scopes = Scope.objects.filter(dataset__slug=slug)
        assert {scope.slug for scope in scopes} == set(authorisations[key]), key
        assert all(scope.fields == ["*"] for scope in scopes)


@pytest.mark.usefixtures("loaded_catalogue")
def test_endpoints_and_required_flags_match_the_upstream_specs(reference_dir: Path):
    specs = {
        "api-particulier": "openapi-particulier.yaml",
        "api-entreprise": "openapi-entreprise.yaml",
    }
    for connector, filename in specs.items():
        spec = yaml.safe_load(
            (reference_dir / "apistration" / "commons" / "swagger" / filename).read_text()
        )

        def resolve(node, spec=spec):
            while "$ref" in node:
                target = spec
                for part in node["$ref"].split("/")[1:]:
                    target = target[part]
                node = target
            return node

        for endpoint in Endpoint.objects.filter(dataset__connector__slug=connector):
            operation = spec["paths"][endpoint.path_template]["get"]
            upstream = {
                p["name"]: bool(p.get("required"))
                for p in map(resolve, operation["parameters"])
                if p["in"] in ("query", "path")
                and p["name"] not in ("recipient", "context", "object")
            }
            seeded = {p["name"]: p["required"] for p in endpoint.parameters}
            for name, required in seeded.items():
                assert name in upstream, (endpoint.path_template, name)
                assert upstream[name] == required, (endpoint.path_template, name)
            missing_required = {n for n, r in upstream.items() if r} - set(seeded)
            assert not missing_required, (endpoint.path_template, missing_required)
