"""Minimisation is an allow-list: only what a granted scope names leaves, in the described shape."""

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlnuf.exchange.minimisation import Minimiser

STUDENT_SCOPES = {
    "mesri_identite": ["identite"],
    "mesri_admissions": ["admissions[].date_debut", "admissions[].date_fin"],
    "mesri_admission_inscrit": ["admissions[].est_inscrit"],
    "mesri_admission_regime_formation": ["admissions[].regime_formation"],
}
STUDENT_SHAPE = [
    "identite.nom_naissance",
    "identite.prenoms[]",
    "admissions[].date_debut",
    "admissions[].date_fin",
    "admissions[].est_inscrit",
    "admissions[].regime_formation.code",
    "admissions[].regime_formation.libelle",
    "admissions[].code_cog_insee_commune",
]
STUDENT = {
    "identite": {"nom_naissance": "MARTIN", "prenoms": ["LUCIE", "ANNE"]},
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
QUOTIENT_SCOPES = {"qf": ["quotient_familial"], "adresse": ["adresse"]}
QUOTIENT_SHAPE = ["quotient_familial.valeur", "quotient_familial.annee", "adresse.ville"]


def student(granted: list[str], data: Any = STUDENT) -> Any:
    return Minimiser(STUDENT_SCOPES, granted, STUDENT_SHAPE).minimise(data)


def test_a_scope_naming_an_object_reveals_the_leaves_of_the_shape_below_it_only() -> None:
    answer = Minimiser(QUOTIENT_SCOPES, ["qf"], QUOTIENT_SHAPE).minimise(
        {
            "quotient_familial": {"valeur": 2550, "annee": 2024, "nested_secret": "X"},
            "adresse": {"ville": "PARIS"},
        }
    )

    assert answer.data == {"quotient_familial": {"valeur": 2550, "annee": 2024}}
    assert answer.fields_returned == ("quotient_familial.valeur", "quotient_familial.annee")
    assert answer.unexpected == ("quotient_familial.nested_secret",)


def test_a_value_of_the_wrong_kind_is_removed_and_reported() -> None:
    minimiser = Minimiser(QUOTIENT_SCOPES, ["qf", "adresse"], QUOTIENT_SHAPE)

    answer = minimiser.minimise(
        {"quotient_familial": "2550 €, allocataire MARTIN", "adresse": {"ville": {"nom": "X"}}}
    )

    assert answer.data == {"adresse": {}}
    assert answer.unexpected == ("quotient_familial", "adresse.ville")
    assert answer.fields_returned == ("adresse",)


def test_upstream_links_never_leave_and_are_reported() -> None:
    answer = Minimiser(QUOTIENT_SCOPES, ["qf"], QUOTIENT_SHAPE).minimise(
        {"quotient_familial": {"valeur": 1}},
        links={"leak": [{"nom": "MARTIN"}], "adresse": {"ville": "PARIS"}},
    )

    assert answer.links == {}
    assert answer.unexpected == ("links.leak", "links.adresse")
    assert answer.fields_returned == ("quotient_familial.valeur",)


def test_known_links_are_dropped_without_a_report_and_others_are_reported() -> None:
    answer = Minimiser(QUOTIENT_SCOPES, ["qf"], QUOTIENT_SHAPE, known_links=["siege"]).minimise(
        {"quotient_familial": {"valeur": 1}},
        links={"siege": "https://exemple.fr/siege", "dirigeants": "https://exemple.fr/d"},
    )

    assert answer.links == {}
    assert answer.unexpected == ("links.dirigeants",)


def test_an_empty_object_or_list_outside_the_shape_is_removed_without_a_report() -> None:
    answer = Minimiser(QUOTIENT_SCOPES, ["qf"], QUOTIENT_SHAPE).minimise(
        {
            "quotient_familial": {"valeur": 1, "meta": {}},
            "links": {},
            "notes": [],
            "autre": {"a": 1},
        }
    )

    assert answer.data == {"quotient_familial": {"valeur": 1}}
    assert answer.unexpected == ("autre",)


def test_a_key_outside_the_shape_is_removed_at_every_level() -> None:
    answer = student(
        list(STUDENT_SCOPES),
        {**STUDENT, "secret": 1, "admissions": [{**STUDENT["admissions"][0], "junk": [1]}]},
    )

    assert "secret" not in answer.data
    assert "junk" not in answer.data["admissions"][0]
    assert "code_cog_insee_commune" not in answer.data["admissions"][0]
    assert set(answer.unexpected) == {"secret", "admissions[].junk"}


def test_a_well_formed_answer_reports_nothing_unexpected() -> None:
    assert student(list(STUDENT_SCOPES)).unexpected == ()


def test_list_elements_keep_only_granted_keys_and_the_list_needs_its_base_scope() -> None:
    assert student(["mesri_admissions"]).data == {
        "admissions": [
            {"date_debut": "2024-09-01", "date_fin": "2025-08-31"},
            {"date_debut": "2023-09-01", "date_fin": "2024-08-31"},
        ]
    }
    assert student(["mesri_admissions", "mesri_admission_inscrit"]).data == {
        "admissions": [
            {"date_debut": "2024-09-01", "date_fin": "2025-08-31", "est_inscrit": True},
            {"date_debut": "2023-09-01", "date_fin": "2024-08-31", "est_inscrit": False},
        ]
    }
    assert student(["mesri_admission_inscrit"]).data == {}


def test_a_scope_naming_a_list_is_its_base_and_leaves_the_others_their_keys() -> None:
    scopes = {"inscrit": ["admissions[].est_inscrit"], "base": ["admissions"]}
    minimiser = Minimiser(scopes, ["base"], STUDENT_SHAPE)

    first = minimiser.minimise(STUDENT).data["admissions"][0]

    assert first == {
        "date_debut": "2024-09-01",
        "date_fin": "2025-08-31",
        "regime_formation": {"code": "RF1", "libelle": "formation initiale"},
        "code_cog_insee_commune": "75056",
    }
    assert Minimiser(scopes, ["inscrit"], STUDENT_SHAPE).minimise(STUDENT).data == {}


def test_a_list_of_plain_values_is_kept_only_where_the_shape_says_so() -> None:
    assert student(["mesri_identite"]).data == {"identite": STUDENT["identite"]}
    nested = student(["mesri_identite"], {"identite": {"prenoms": [{"a": 1}]}})
    assert nested.data == {"identite": {}}
    assert nested.unexpected == ("identite.prenoms",)


def test_whole_answer_scope_without_a_shape_passes_the_answer_as_it_comes() -> None:
    data = [{"a": 1}, {"b": 2}]
    answer = Minimiser({"tout": ["*"]}, ["tout"]).minimise(data)

    assert answer.data is data
    assert answer.fields_returned == ("*",)
    siren = Minimiser({"t": ["*"]}, ["t"]).minimise({"siren": "1", "rna": None})
    assert siren.fields_returned == ("siren", "rna")


def test_whole_answer_scope_with_a_shape_is_the_shape() -> None:
    answer = Minimiser({"tout": ["*"]}, ["tout"], QUOTIENT_SHAPE).minimise(
        {"quotient_familial": {"valeur": 1}, "autre": 2}
    )

    assert answer.data == {"quotient_familial": {"valeur": 1}}
    assert answer.unexpected == ("autre",)


def test_a_key_governed_by_its_own_scope_stays_hidden_under_a_wider_scope() -> None:
    scopes = {"general": ["*"], "sensible": ["personne_physique_attributs.nom"]}
    data = {"siren": "130025265", "personne_physique_attributs": {"nom": "X"}}

    assert Minimiser(scopes, ["general"]).minimise(data).data == {
        "siren": "130025265",
        "personne_physique_attributs": {},
    }
    assert Minimiser(scopes, ["general", "sensible"]).minimise(data).data == data
    assert Minimiser(scopes, ["sensible"]).minimise(data).data == {
        "personne_physique_attributs": {"nom": "X"}
    }


def test_null_passes_where_a_value_is_expected() -> None:
    minimiser = Minimiser(QUOTIENT_SCOPES, ["adresse"], QUOTIENT_SHAPE)

    assert minimiser.minimise({"adresse": None}).data == {"adresse": None}
    assert minimiser.minimise(None).data is None
    assert minimiser.minimise(None).fields_returned == ()


def test_fields_returned_names_paths_without_values() -> None:
    answer = student(["mesri_identite", "mesri_admissions", "mesri_admission_inscrit"])

    assert answer.fields_returned == (
        "identite.nom_naissance",
        "identite.prenoms",
        "admissions[].date_debut",
        "admissions[].date_fin",
        "admissions[].est_inscrit",
    )


# --- property: nothing outside the granted set ever leaves ---------------------------------------

NAMES = st.sampled_from(["a", "b", "c", "d"])
PLAIN = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3))
JUNK: st.SearchStrategy[Any] = st.recursive(
    PLAIN,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
    max_leaves=12,
)
PATHS = st.lists(NAMES, min_size=1, max_size=3).flatmap(
    lambda names: st.tuples(*(st.booleans() for _ in names)).map(
        lambda lists: ".".join(
            name + ("[]" if is_list else "") for name, is_list in zip(names, lists, strict=True)
        )
    )
)
SCOPES = st.dictionaries(
    st.sampled_from(["s1", "s2", "s3", "s4"]), st.lists(PATHS, min_size=1, max_size=3), min_size=1
)


def _leaf_paths(value: Any, path: str, out: dict[str, list[Any]]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _leaf_paths(item, f"{path}.{key}" if path else key, out)
    elif (
        isinstance(value, list)
        and value
        and all(item is None or isinstance(item, dict | list) for item in value)
    ):
        for item in value:
            _leaf_paths(item, path + "[]", out)
    elif path:
        out.setdefault(path, []).append(value)


def _names(path: str) -> list[str]:
    return [part.removesuffix("[]") for part in path.replace("[]", "").split(".")]


def _dotted(path: str) -> str:
    return ".".join(_names(path))


def _granted_leaves(
    scopes: dict[str, list[str]], granted: set[str], shape: list[str]
) -> list[list[str]]:
    """Every name path some granted scope path leads to (a shape leaf or the path itself)."""
    return [
        _names(leaf)
        for slug in granted
        for path in scopes.get(slug, [])
        for leaf in [path, *shape]
        if _names(leaf)[: len(_names(path))] == _names(path)
    ]


@settings(max_examples=200, deadline=None)
@given(
    scopes=SCOPES,
    granted=st.sets(st.sampled_from(["s1", "s2", "s3", "s4"])),
    shape=st.lists(PATHS, max_size=5),
    data=st.dictionaries(NAMES, JUNK, max_size=4),
    links=st.dictionaries(NAMES, JUNK, max_size=2),
)
# Found by the search: a null where another scope's list of objects would be, under a granted base.
@example(
    scopes={"s1": ["c"], "s2": ["c[].a[].a"]},
    granted={"s1"},
    shape=[],
    data={"a": None, "c": [{"a": None}]},
    links={},
)
def test_no_path_outside_the_granted_scopes_ever_leaves(
    scopes: dict[str, list[str]],
    granted: set[str],
    shape: list[str],
    data: dict[str, Any],
    links: dict[str, Any],
) -> None:
    answer = Minimiser(scopes, granted, shape).minimise(data, links=links)

    allowed = _granted_leaves(scopes, granted, shape)
    returned: dict[str, list[Any]] = {}
    _leaf_paths(answer.data, "", returned)
    for path, values in returned.items():
        names = _names(path)
        if names in allowed:
            continue
        # Otherwise only a container on the way to a granted leaf, with nothing in it.
        assert any(leaf[: len(names)] == names for leaf in allowed), path
        assert all(value in (None, {}, []) for value in values), path
    assert answer.links == {}
    assert {_dotted(path) for path in answer.fields_returned} >= {
        _dotted(path) for path in returned
    }
