"""The gateway's own checks of the upstream parameter names."""

from typing import Any

import pytest
from hypothesis import given, settings, strategies

from dlnuf.exchange.errors import ExchangeRefused
from dlnuf.exchange.parameters import (
    TRACE_RULES,
    WELL_KNOWN_RULES,
    birth_date_consistent,
    check_values,
    extra_rule,
    recipient_is_not_subject,
    subject_identity,
)

ACCEPTED = {
    "nomNaissance": ["DUPONT", "Dupré", "ANO'NYMOS-LONS", "De Carvalho", "N’Diaye"],
    "prenoms[]": ["JEAN-PHILIPPE", "Gérôme", "Anne Laure"],
    "sexeEtatCivil": ["M", "F", "f"],
    "anneeDateNaissance": ["1945", "2018"],
    "moisDateNaissance": ["1", "09", "12"],
    "jourDateNaissance": ["1", "05", "31"],
    "codeCogInseeCommuneNaissance": ["08480", "75056", "2A004", "2b033"],
    "codeCogInseePaysNaissance": ["99100", "99404"],
    "ine": ["1234567890A", "0100007108D"],
    "identifiant": ["jean.dupont33", "123458A"],
    "siren": ["130025265", "552049447"],
    "siret": ["13002526500013", "55204944776279"],
    "siren_or_rna": ["424179364", "W604004799"],
}
REFUSED = {
    "nomNaissance": ["", "DUP0NT", "DUPONT  ", "-DUPONT", "<script>", "X" * 101],
    "prenoms[]": ["", "JEAN2", "JEAN_PIERRE"],
    "sexeEtatCivil": ["", "H", "MF", "1"],
    "anneeDateNaissance": ["", "82", "19820", "1849", "2999", "abcd"],
    "moisDateNaissance": ["", "0", "13", "-1", "un"],
    "jourDateNaissance": ["", "0", "32", "1.5"],
    "codeCogInseeCommuneNaissance": ["", "8480", "084800", "2C004", "ABCDE"],
    "codeCogInseePaysNaissance": ["", "99", "10099", "9910A"],
    "ine": ["", "123456789", "1234567890AB", "12345 7890A"],
    "identifiant": ["", "jean dupont", "x" * 65],
    "siren": ["", "130025266", "13002526", "A30025265"],
    "siret": ["", "13002526500014", "1300252650001"],
    "siren_or_rna": ["", "130025266", "W60400479", "X604004799"],
}


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in ACCEPTED.items() for v in vs])
def test_well_known_parameter_accepts(name: str, value: str) -> None:
    assert check_values(WELL_KNOWN_RULES[name], [value])


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in REFUSED.items() for v in vs])
def test_well_known_parameter_refuses_naming_itself(name: str, value: str) -> None:
    with pytest.raises(ExchangeRefused) as refused:
        check_values(WELL_KNOWN_RULES[name], [value])

    assert refused.value.code == "invalid_parameter"
    assert refused.value.parameter == name


def test_values_are_normalised_for_the_provider() -> None:
    assert check_values(WELL_KNOWN_RULES["moisDateNaissance"], ["09"]) == ["9"]
    assert check_values(WELL_KNOWN_RULES["sexeEtatCivil"], ["f"]) == ["F"]
    assert check_values(WELL_KNOWN_RULES["siren_or_rna"], ["w604004799"]) == ["W604004799"]


def test_repeats_are_refused_except_for_first_names_up_to_three() -> None:
    assert check_values(WELL_KNOWN_RULES["prenoms[]"], ["A", "B", "C"]) == ["A", "B", "C"]
    with pytest.raises(ExchangeRefused) as too_many:
        check_values(WELL_KNOWN_RULES["prenoms[]"], ["A", "B", "C", "D"])
    with pytest.raises(ExchangeRefused) as repeated:
        check_values(WELL_KNOWN_RULES["siren"], ["130025265", "130025265"])

    assert too_many.value.code == "invalid_parameter"
    assert repeated.value.code == "repeated_parameter"


@pytest.mark.parametrize("value", ["", "x" * 256, "ligne\nsuivante", "nul\x00"])
def test_context_and_object_must_be_short_printable_text(value: str) -> None:
    for name in ("context", "object"):
        with pytest.raises(ExchangeRefused):
            check_values(TRACE_RULES[name], [value])
    assert check_values(TRACE_RULES["object"], ["Marché n° 2024-17 (lot 3)"])


def test_extra_parameter_follows_its_catalogue_pattern() -> None:
    rule = extra_rule(name="codeEtablissement", pattern="^[0-9]{7}[A-Za-z]$", label="Code UAI")

    assert check_values(rule, ["0890003V"]) == ["0890003V"]
    with pytest.raises(ExchangeRefused) as refused:
        check_values(rule, ["089003V"])
    assert refused.value.parameter == "codeEtablissement"
    assert "^[0-9]{7}[A-Za-z]$" in refused.value.detail


def test_birth_date_must_exist() -> None:
    birth_date_consistent(
        {"anneeDateNaissance": ["2024"], "moisDateNaissance": ["2"], "jourDateNaissance": ["29"]}
    )
    with pytest.raises(ExchangeRefused) as refused:
        birth_date_consistent(
            {
                "anneeDateNaissance": ["2023"],
                "moisDateNaissance": ["2"],
                "jourDateNaissance": ["29"],
            }
        )
    assert refused.value.parameter == "jourDateNaissance"


@pytest.mark.parametrize(
    "subject",
    [{"siren": ["130025265"]}, {"siret": ["13002526500013"]}, {"siren_or_rna": ["130025265"]}],
)
def test_recipient_cannot_be_the_company_asked_about(subject: dict[str, list[str]]) -> None:
    with pytest.raises(ExchangeRefused) as refused:
        recipient_is_not_subject("13002526500013", subject)

    assert refused.value.code == "recipient_is_subject"
    recipient_is_not_subject("21750001600019", subject)


def test_subject_identity_uses_upstream_names_and_falls_back_on_required_values() -> None:
    assert subject_identity(
        {"prenoms[]": ["A", "B"], "nomNaissance": ["X"], "annee": ["2024"]}, []
    ) == {
        "nomNaissance": "X",
        "prenoms": ["A", "B"],
    }
    assert subject_identity({"numeroFamille": ["12345678"]}, ["numeroFamille"]) == {
        "numeroFamille": "12345678"
    }


SCHEMA_RULES = {
    **{name: rule.without_checksum() for name, rule in WELL_KNOWN_RULES.items()},
    **TRACE_RULES,
    "recipient": TRACE_RULES["recipient"].without_checksum(),
}


@pytest.mark.parametrize("name", sorted(SCHEMA_RULES))
@settings(max_examples=25, deadline=None)
@given(data=strategies.data())
def test_every_value_the_published_schema_allows_is_accepted(name: str, data: Any) -> None:
    rule = SCHEMA_RULES[name]
    schema = rule.value_schema()
    if schema["type"] == "integer":
        value = str(data.draw(strategies.integers(schema["minimum"], schema["maximum"])))
    else:
        value = data.draw(
            strategies.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda text: len(text) <= schema["maxLength"]
            )
        )

    assert rule.check(value) is not None


def test_published_schemas_carry_patterns_ranges_and_repeats() -> None:
    assert WELL_KNOWN_RULES["siren"].json_schema() == {
        "type": "string",
        "pattern": "^[0-9]{9}$",
        "maxLength": 9,
    }
    assert WELL_KNOWN_RULES["jourDateNaissance"].json_schema() == {
        "type": "integer",
        "minimum": 1,
        "maximum": 31,
    }
    first_names = WELL_KNOWN_RULES["prenoms[]"].json_schema()
    assert (first_names["type"], first_names["minItems"], first_names["maxItems"]) == (
        "array",
        1,
        3,
    )


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("anneeDateNaissance", "1899"),
        ("annee", "1999"),
        ("limit", "0"),
        ("limit", "10001"),
        ("nomCommuneNaissance", "Lyon\x01"),
    ],
)
def test_values_the_upstream_apis_refuse_are_refused_here(name: str, refused: str) -> None:
    with pytest.raises(ExchangeRefused):
        check_values(WELL_KNOWN_RULES[name], [refused])


def test_a_trace_text_of_spaces_only_is_refused() -> None:
    with pytest.raises(ExchangeRefused):
        check_values(TRACE_RULES["context"], ["   "])
    assert check_values(TRACE_RULES["context"], [" Cantine "]) == [" Cantine "]
