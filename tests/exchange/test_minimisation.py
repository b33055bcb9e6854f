"""Minimisation rules on plain data: exactly what the granted scopes reveal, nested rules too."""

from dlnuf.exchange.minimisation import Minimiser

STUDENT_SCOPES = {
    "mesri_identite": ["identite"],
    "mesri_admissions": ["admissions[].date_debut", "admissions[].date_fin"],
    "mesri_admission_inscrit": ["admissions[].est_inscrit"],
    "mesri_admission_regime_formation": ["admissions[].regime_formation"],
}
STUDENT = {
    "identite": {"nom_naissance": "MARTIN", "prenom": "LUCIE"},
    "admissions": [
        {
            "date_debut": "2024-09-01",
            "date_fin": "2025-08-31",
            "est_inscrit": True,
            "regime_formation": {"code": "RF1", "libelle": "formation initiale"},
            "code_cog_insee_commune": "75056",
        },
        {"date_debut": "2023-09-01", "date_fin": "2024-08-31", "est_inscrit": False},
    ],
}


def minimised(scope_fields: dict[str, list[str]], granted: list[str], data: object) -> object:
    return Minimiser(scope_fields, granted).minimise(data)


def test_whole_answer_scope_returns_the_data_untouched() -> None:
    data = [{"a": 1}, {"b": 2}]
    minimiser = Minimiser({"tout": ["*"]}, ["tout"])

    assert minimiser.minimise(data) is data
    assert minimiser.fields_returned(data) == ("*",)


def test_top_level_keys_outside_the_granted_scopes_are_removed() -> None:
    scopes = {"qf": ["quotient_familial"], "adresse": ["adresse"], "enfants": ["enfants"]}
    data = {
        "quotient_familial": {"valeur": 1},
        "adresse": {"ville": "X"},
        "enfants": [],
        "autre": 1,
    }

    assert minimised(scopes, ["qf"], data) == {"quotient_familial": {"valeur": 1}}
    assert minimised(scopes, ["enfants", "adresse"], data) == {
        "adresse": {"ville": "X"},
        "enfants": [],
    }
    assert minimised(scopes, [], data) == {}


def test_scope_on_a_nested_key_keeps_only_that_key() -> None:
    scopes = {"ville": ["adresse.code_postal_ville"], "voie": ["adresse.numero_libelle_voie"]}
    data = {
        "adresse": {
            "code_postal_ville": "75002 PARIS",
            "numero_libelle_voie": "1 RUE",
            "pays": "FR",
        }
    }

    assert minimised(scopes, ["ville"], data) == {"adresse": {"code_postal_ville": "75002 PARIS"}}
    assert minimised(scopes, ["ville", "voie"], data) == {
        "adresse": {"code_postal_ville": "75002 PARIS", "numero_libelle_voie": "1 RUE"}
    }
    assert minimised(scopes, [], data) == {}


def test_list_elements_keep_only_granted_keys_and_the_list_needs_its_base_scope() -> None:
    base_only = minimised(STUDENT_SCOPES, ["mesri_admissions"], STUDENT)
    with_enrolment = minimised(
        STUDENT_SCOPES, ["mesri_admissions", "mesri_admission_inscrit"], STUDENT
    )
    enrolment_only = minimised(STUDENT_SCOPES, ["mesri_admission_inscrit"], STUDENT)

    assert base_only == {
        "admissions": [
            {"date_debut": "2024-09-01", "date_fin": "2025-08-31"},
            {"date_debut": "2023-09-01", "date_fin": "2024-08-31"},
        ]
    }
    assert with_enrolment == {
        "admissions": [
            {"date_debut": "2024-09-01", "date_fin": "2025-08-31", "est_inscrit": True},
            {"date_debut": "2023-09-01", "date_fin": "2024-08-31", "est_inscrit": False},
        ]
    }
    assert enrolment_only == {}


def test_a_key_no_scope_names_never_leaves_a_list_element() -> None:
    everything = minimised(STUDENT_SCOPES, list(STUDENT_SCOPES), STUDENT)

    assert "code_cog_insee_commune" not in everything["admissions"][0]
    assert everything["admissions"][0]["regime_formation"] == {
        "code": "RF1",
        "libelle": "formation initiale",
    }
    assert everything["identite"] == STUDENT["identite"]


def test_a_list_named_by_its_base_scope_keeps_its_ungoverned_keys() -> None:
    scopes = {"base": ["admissions"], "inscrit": ["admissions[].est_inscrit"]}

    assert minimised(scopes, ["base"], STUDENT) == {
        "admissions": [
            {
                "date_debut": "2024-09-01",
                "date_fin": "2025-08-31",
                "regime_formation": {"code": "RF1", "libelle": "formation initiale"},
                "code_cog_insee_commune": "75056",
            },
            {"date_debut": "2023-09-01", "date_fin": "2024-08-31"},
        ]
    }
    assert minimised(scopes, ["inscrit"], STUDENT) == {}


def test_a_key_governed_by_its_own_scope_stays_hidden_under_a_wider_scope() -> None:
    scopes = {"general": ["*"], "sensible": ["personne_physique_attributs"]}
    data = {"siren": "130025265", "personne_physique_attributs": {"nom": "X"}}

    assert minimised(scopes, ["general"], data) == {"siren": "130025265"}
    assert minimised(scopes, ["general", "sensible"], data) == data
    assert minimised(scopes, ["sensible"], data) == {"personne_physique_attributs": {"nom": "X"}}


def test_null_and_scalar_values_pass_as_they_are() -> None:
    scopes = {"ville": ["adresse.code_postal_ville"]}

    assert minimised(scopes, ["ville"], {"adresse": None}) == {"adresse": None}
    assert Minimiser(scopes, ["ville"]).minimise(None) is None


def test_fields_returned_names_paths_without_values() -> None:
    minimiser = Minimiser(
        STUDENT_SCOPES, ["mesri_identite", "mesri_admissions", "mesri_admission_inscrit"]
    )

    fields = minimiser.fields_returned(minimiser.minimise(STUDENT))

    assert fields == (
        "identite",
        "admissions[].date_debut",
        "admissions[].date_fin",
        "admissions[].est_inscrit",
    )
    assert Minimiser({"t": ["*"]}, ["t"]).fields_returned({"siren": "1", "rna": None}) == (
        "siren",
        "rna",
    )
    assert minimiser.fields_returned(None) == ()
