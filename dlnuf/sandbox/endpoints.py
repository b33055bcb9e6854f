"""The upstream endpoints the sandbox serves, with their parameters and provider error codes.

Paths, parameters (required or not), provider names and error codes follow the public OpenAPI
documents of API Particulier and API Entreprise (datagouv/apistration, MIT licence). The sandbox
checks parameters the way upstream does and answers with the upstream error envelope.

DGFiP's API Impôt particulier publishes no such document here: its family speaks the same
envelope, with the DGFiP's provider prefix (03) and parameter names of this project.
"""

import re
from dataclasses import dataclass, field

PARTICULIER = "api-particulier"
ENTREPRISE = "api-entreprise"
IMPOT_PARTICULIER = "api-impot-particulier"


@dataclass(frozen=True)
class Parameter:
    name: str  # as the caller spells it, without the "[]" of repeated parameters
    kind: str  # one of the checks in dlnuf.sandbox.validation
    required: bool
    repeated: bool = False


@dataclass(frozen=True)
class SandboxEndpoint:
    family: str
    path_template: str
    dataset: str  # catalogue slug of the dataset the endpoint serves
    provider: str  # provider name in the error envelope's meta
    error_prefix: str  # two digits that start the provider's error codes
    not_found_detail: str
    parameters: tuple[Parameter, ...]
    path_pattern: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path_template))
        object.__setattr__(self, "path_pattern", re.compile(f"^{regex}$"))

    @property
    def key(self) -> tuple[str, str]:
        return (self.family, self.path_template)

    @property
    def needs_context(self) -> bool:
        return self.family == ENTREPRISE

    def parameter(self, name: str) -> Parameter | None:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        return None


def _civil_status(
    *,
    birth_date_required: bool,
    sex_required: bool = True,
    country_required: bool = False,
    country: bool = True,
    usage_name: bool = True,
) -> tuple[Parameter, ...]:
    parameters = [
        Parameter("nomNaissance", "name", True),
        Parameter("prenoms", "first_names", True, repeated=True),
        Parameter("sexeEtatCivil", "sex", sex_required),
        Parameter("anneeDateNaissance", "birth_year", birth_date_required),
        Parameter("moisDateNaissance", "birth_month", birth_date_required),
        Parameter("jourDateNaissance", "birth_day", birth_date_required),
        Parameter("codeCogInseeCommuneNaissance", "cog_commune", False),
        Parameter("nomCommuneNaissance", "name", False),
        Parameter("codeCogInseeDepartementNaissance", "departement", False),
    ]
    if usage_name:
        parameters.append(Parameter("nomUsage", "name", False))
    if country:
        parameters.append(Parameter("codeCogInseePaysNaissance", "cog_pays", country_required))
    return tuple(parameters)


_DSS_CIVIL_STATUS = _civil_status(birth_date_required=False, country_required=True)
_ALLOCATAIRE_ABSENT = "Le dossier allocataire n'a pas été trouvé auprès de la CNAV."
_ENTITY_ABSENT = (
    "Le ou les paramètre(s) d'entrée n'existent pas, ne sont pas connus, ou ne comportent aucune "
    "information pour cet appel. Veuillez vérifier que votre recherche est couverte par le "
    "périmètre de l'API."
)

ENDPOINTS: tuple[SandboxEndpoint, ...] = (
    SandboxEndpoint(
        PARTICULIER,
        "/v3/dss/quotient_familial/identite",
        "quotient-familial",
        "CNAV",
        "37",
        _ALLOCATAIRE_ABSENT,
        (
            *_DSS_CIVIL_STATUS,
            Parameter("annee", "qf_year", False),
            Parameter("mois", "qf_month", False),
        ),
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/mesri/statut_etudiant/identite",
        "statut-etudiant",
        "MESRI",
        "25",
        "Aucun étudiant n'a pu être trouvé avec les critères de recherche fournis.",
        _civil_status(birth_date_required=True, country=False, usage_name=False),
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/mesri/statut_etudiant/ine",
        "statut-etudiant",
        "MESRI",
        "25",
        "Aucun étudiant n'a pu être trouvé avec les critères de recherche fournis.",
        (Parameter("ine", "ine", True),),
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/france_travail/statut/identifiant",
        "statut-demandeur-emploi",
        "France Travail",
        "24",
        "Aucune situation France Travail n'a pu être trouvée avec les critères de recherche "
        "fournis.",
        (Parameter("identifiant", "identifiant", True),),
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/dss/complementaire_sante_solidaire/identite",
        "complementaire-sante-solidaire",
        "CNAV",
        "37",
        _ALLOCATAIRE_ABSENT,
        _DSS_CIVIL_STATUS,
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/men/scolarites/identite",
        "scolarite",
        "MEN",
        "30",
        "Aucun eleve n'a pu etre trouve avec les criteres de recherche fournis",
        (
            Parameter("nomNaissance", "name", True),
            Parameter("prenoms", "first_names", True, repeated=True),
            Parameter("sexeEtatCivil", "sex", True),
            Parameter("anneeDateNaissance", "birth_year", True),
            Parameter("moisDateNaissance", "birth_month", True),
            Parameter("jourDateNaissance", "birth_day", True),
            Parameter("anneeScolaire", "school_year", True),
            Parameter("codeEtablissement", "uai", False),
            Parameter("degreEtablissement", "school_degree", False),
        ),
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/cnous/etudiant_boursier/ine",
        "etudiant-boursier",
        "CNOUS",
        "26",
        "Aucun étudiant boursier n'a pu être trouvé avec les critères de recherche fournis. "
        "Veuillez vérifier que l'identifiant correspond au périmètre couvert par l'API.",
        (Parameter("ine", "ine", True),),
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/cnous/etudiant_boursier/identite",
        "etudiant-boursier",
        "CNOUS",
        "26",
        "Aucun étudiant boursier n'a pu être trouvé avec les critères de recherche fournis.",
        _civil_status(
            birth_date_required=True, sex_required=False, country=False, usage_name=False
        ),
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/dss/revenu_solidarite_active/identite",
        "revenu-solidarite-active",
        "CNAV",
        "37",
        _ALLOCATAIRE_ABSENT,
        _DSS_CIVIL_STATUS,
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/dss/prime_activite/identite",
        "prime-activite",
        "CNAV",
        "37",
        _ALLOCATAIRE_ABSENT,
        _DSS_CIVIL_STATUS,
    ),
    SandboxEndpoint(
        PARTICULIER,
        "/v3/dss/allocation_adulte_handicape/identite",
        "allocation-adulte-handicape",
        "CNAV",
        "37",
        _ALLOCATAIRE_ABSENT,
        _DSS_CIVIL_STATUS,
    ),
    SandboxEndpoint(
        IMPOT_PARTICULIER,
        "/v1/impot_particulier/numero_fiscal",
        "impot-particulier",
        "DGFIP",
        "03",
        "Aucun foyer fiscal ne correspond à ce numéro fiscal et à cet état civil, ou aucune "
        "déclaration de revenus n'a été traitée pour l'année demandée.",
        (
            Parameter("numeroFiscal", "numero_fiscal", True),
            Parameter("nomNaissance", "name", True),
            Parameter("prenoms", "first_names", True, repeated=True),
            Parameter("anneeDateNaissance", "birth_year", True),
            Parameter("moisDateNaissance", "birth_month", True),
            Parameter("jourDateNaissance", "birth_day", True),
            Parameter("anneeRevenus", "income_year", False),
        ),
    ),
    SandboxEndpoint(
        ENTREPRISE,
        "/v3/insee/sirene/unites_legales/{siren}",
        "unite-legale",
        "INSEE",
        "01",
        _ENTITY_ABSENT,
        (Parameter("siren", "siren", True),),
    ),
    SandboxEndpoint(
        ENTREPRISE,
        "/v3/insee/sirene/etablissements/{siret}",
        "etablissement",
        "INSEE",
        "01",
        _ENTITY_ABSENT,
        (Parameter("siret", "siret", True),),
    ),
    SandboxEndpoint(
        ENTREPRISE,
        "/v4/urssaf/unites_legales/{siren}/attestation_vigilance",
        "attestation-vigilance",
        "ACOSS",
        "04",
        _ENTITY_ABSENT,
        (Parameter("siren", "siren", True),),
    ),
    SandboxEndpoint(
        ENTREPRISE,
        "/v4/dgfip/unites_legales/{siren}/attestation_fiscale",
        "attestation-fiscale",
        "DGFIP - Adélie",
        "03",
        _ENTITY_ABSENT,
        (Parameter("siren", "siren", True),),
    ),
    SandboxEndpoint(
        ENTREPRISE,
        "/v3/ademe/etablissements/{siret}/certification_rge",
        "certification-rge",
        "ADEME",
        "19",
        _ENTITY_ABSENT,
        (Parameter("siret", "siret", True), Parameter("limit", "limit", False)),
    ),
    SandboxEndpoint(
        ENTREPRISE,
        "/v4/djepva/api-association/associations/{siren_or_rna}",
        "association",
        "DJEPVA",
        "29",
        _ENTITY_ABSENT,
        (Parameter("siren_or_rna", "siren_or_rna", True),),
    ),
)

# Folder names of the upstream sandbox cases (mock format) -> the endpoint they describe.
UPSTREAM_MOCK_FOLDERS: dict[str, tuple[str, str]] = {
    "api_particulier_v3_cnav_quotient_familial_with_civility": (
        PARTICULIER,
        "/v3/dss/quotient_familial/identite",
    ),
    "api_particulier_v3_mesri_statut_etudiant_with_civility": (
        PARTICULIER,
        "/v3/mesri/statut_etudiant/identite",
    ),
    "api_particulier_v3_mesri_statut_etudiant_with_ine": (
        PARTICULIER,
        "/v3/mesri/statut_etudiant/ine",
    ),
    "api_particulier_v3_france_travail_statut_with_identifiant": (
        PARTICULIER,
        "/v3/france_travail/statut/identifiant",
    ),
    "api_particulier_v3_cnav_complementaire_sante_solidaire_with_civility": (
        PARTICULIER,
        "/v3/dss/complementaire_sante_solidaire/identite",
    ),
    "api_particulier_v3_men_scolarites_with_civility": (
        PARTICULIER,
        "/v3/men/scolarites/identite",
    ),
    "api_particulier_v3_cnous_etudiant_boursier_with_ine": (
        PARTICULIER,
        "/v3/cnous/etudiant_boursier/ine",
    ),
    "api_particulier_v3_cnous_etudiant_boursier_with_civility": (
        PARTICULIER,
        "/v3/cnous/etudiant_boursier/identite",
    ),
    "api_particulier_v3_cnav_revenu_solidarite_active_with_civility": (
        PARTICULIER,
        "/v3/dss/revenu_solidarite_active/identite",
    ),
    "api_particulier_v3_cnav_prime_activite_with_civility": (
        PARTICULIER,
        "/v3/dss/prime_activite/identite",
    ),
    "api_particulier_v3_cnav_allocation_adulte_handicape_with_civility": (
        PARTICULIER,
        "/v3/dss/allocation_adulte_handicape/identite",
    ),
    "api_entreprise_v3_insee_unites_legales": (
        ENTREPRISE,
        "/v3/insee/sirene/unites_legales/{siren}",
    ),
    "api_entreprise_v3_insee_etablissements": (
        ENTREPRISE,
        "/v3/insee/sirene/etablissements/{siret}",
    ),
    "api_entreprise_v4_acoss_attestations_sociales": (
        ENTREPRISE,
        "/v4/urssaf/unites_legales/{siren}/attestation_vigilance",
    ),
    "api_entreprise_v4_dgfip_attestations_fiscales": (
        ENTREPRISE,
        "/v4/dgfip/unites_legales/{siren}/attestation_fiscale",
    ),
    "api_entreprise_v3_ademe_certificats_rge": (
        ENTREPRISE,
        "/v3/ademe/etablissements/{siret}/certification_rge",
    ),
    "api_entreprise_v4_mi_unites_legales": (
        ENTREPRISE,
        "/v4/djepva/api-association/associations/{siren_or_rna}",
    ),
}

_BY_KEY = {endpoint.key: endpoint for endpoint in ENDPOINTS}
_STATIC = {endpoint.key: endpoint for endpoint in ENDPOINTS if "{" not in endpoint.path_template}
_TEMPLATED = [endpoint for endpoint in ENDPOINTS if "{" in endpoint.path_template]


def endpoint_by_key(family: str, path_template: str) -> SandboxEndpoint | None:
    return _BY_KEY.get((family, path_template))


def resolve(family: str, path: str) -> tuple[SandboxEndpoint, dict[str, str]] | None:
    """The endpoint serving ``path`` in ``family`` and the values of its path parameters."""
    endpoint = _STATIC.get((family, path))
    if endpoint is not None:
        return endpoint, {}
    for candidate in _TEMPLATED:
        if candidate.family != family:
            continue
        match = candidate.path_pattern.match(path)
        if match:
            return candidate, match.groupdict()
    return None
