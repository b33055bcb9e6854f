import ast
import importlib
import inspect
import pkgutil
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from dlnuf.www.numbers import (
    NARROW_NO_BREAK_SPACE,
    NO_BREAK_SPACE,
    FrenchDecimalField,
    FrenchIntegerField,
    FrenchPercentField,
    format_french_number,
    parse_french_number,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4,5", Decimal("4.5")),
        ("4.5", Decimal("4.5")),
        ("0,5", Decimal("0.5")),
        (",5", Decimal("0.5")),
        ("250000", Decimal("250000")),
        ("250 000", Decimal("250000")),
        (f"250{NO_BREAK_SPACE}000", Decimal("250000")),
        (f"1{NARROW_NO_BREAK_SPACE}234{NARROW_NO_BREAK_SPACE}567,89", Decimal("1234567.89")),
        ("  12  ", Decimal("12")),
        ("-3,25", Decimal("-3.25")),
        ("\u22123,25", Decimal("-3.25")),
        ("+7", Decimal("7")),
    ],
)
def test_french_and_plain_writings_are_read(text: str, expected: Decimal) -> None:
    assert parse_french_number(text) == expected


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("1.234,5", "ambiguous", "ambigu"),
        ("1,234.5", "ambiguous", "ambigu"),
        ("1,2,3", "ambiguous", "plusieurs séparateurs"),
        ("1.2.3", "ambiguous", "plusieurs séparateurs"),
        ("12 00", "grouping", "groupes de trois"),
        ("1234 567", "grouping", "groupes de trois"),
        ("1 2345", "grouping", "groupes de trois"),
        ("abc", "invalid", "n'est pas un nombre"),
        ("4,5 €", "invalid", "n'est pas un nombre"),
        ("1e5", "invalid", "n'est pas un nombre"),
        ("NaN", "invalid", "n'est pas un nombre"),
        ("inf", "invalid", "n'est pas un nombre"),
        ("5,", "invalid", "décimales après la virgule"),
        ("", "required", "Saisissez un nombre"),
        ("\u0663", "invalid", "n'est pas un nombre"),
        ("9" * 41, "invalid", "trop long"),
    ],
)
def test_ambiguous_or_foreign_writings_are_refused_in_french(
    text: str, code: str, words: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_french_number(text)
    assert raised.value.code == code
    assert words in raised.value.messages[0]


def test_the_percent_sign_is_accepted_only_for_percentages() -> None:
    assert parse_french_number("4,5 %", percent=True) == Decimal("4.5")
    assert parse_french_number(f"4,5{NARROW_NO_BREAK_SPACE}%", percent=True) == Decimal("4.5")
    assert parse_french_number("4,5", percent=True) == Decimal("4.5")
    with pytest.raises(ValidationError, match="n'est pas attendu"):
        parse_french_number("4,5 %")
    with pytest.raises(ValidationError, match="après le nombre"):
        parse_french_number("% 4,5", percent=True)


def test_integers_refuse_decimals() -> None:
    assert parse_french_number("12 000", integer=True) == Decimal(12000)
    assert parse_french_number("12,0", integer=True) == Decimal(12)
    with pytest.raises(ValidationError, match="nombre entier") as raised:
        parse_french_number("0,5", integer=True)
    assert raised.value.code == "not_integer"


def test_out_of_range_values_name_the_range_the_french_way() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_french_number("1 500 000,5", minimum=0, maximum=1_000_000)
    assert raised.value.messages == [
        "Saisissez une valeur comprise entre 0 et 1\u202f000\u202f000."
    ]
    assert raised.value.code == "max_value"
    with pytest.raises(ValidationError) as raised:
        parse_french_number("-1", minimum=Decimal("0.5"))
    assert raised.value.messages == ["Saisissez une valeur supérieure ou égale à 0,5."]
    with pytest.raises(ValidationError) as raised:
        parse_french_number("120", maximum=100, percent=True)
    assert raised.value.messages == [
        f"Saisissez une valeur inférieure ou égale à 100{NARROW_NO_BREAK_SPACE}%."
    ]


def test_french_writing() -> None:
    sep = NARROW_NO_BREAK_SPACE
    assert format_french_number(Decimal("1234567.50")) == f"1{sep}234{sep}567,5"
    assert format_french_number(12.5, decimals=2) == "12,50"
    assert format_french_number(-1234) == f"-1{sep}234"
    assert format_french_number(-0.0) == "0"
    assert format_french_number(Decimal("250000"), thousands="") == "250000"
    with pytest.raises(ValueError, match="French number"):
        format_french_number(float("nan"))


finite_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=4).filter(
    lambda value: abs(value) < Decimal("1e20")
)


@settings(max_examples=300, deadline=None)
@given(finite_decimals, st.sampled_from([NARROW_NO_BREAK_SPACE, NO_BREAK_SPACE, " ", ""]))
def test_any_decimal_written_the_french_way_reads_back_equal(
    value: Decimal, thousands: str
) -> None:
    assert parse_french_number(format_french_number(value, thousands=thousands)) == value


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_any_integer_written_the_french_way_reads_back_equal(value: int) -> None:
    assert parse_french_number(format_french_number(value), integer=True) == value


class _Sample(forms.Form):
    rate = FrenchPercentField(maximum=50)
    etpt = FrenchDecimalField(minimum=0, maximum=1000, decimal_places=2)
    volume = FrenchIntegerField(minimum=0, maximum=10**9, required=False)


def test_fields_clean_french_input() -> None:
    form = _Sample(data={"rate": "4,5", "etpt": "0,5", "volume": "12 000"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"rate": Decimal("4.5"), "etpt": Decimal("0.5"), "volume": 12000}
    assert isinstance(form.cleaned_data["volume"], int)


def test_fields_report_errors_in_french() -> None:
    form = _Sample(data={"rate": "60", "etpt": "1,234", "volume": "0,5"})
    assert not form.is_valid()
    assert form.errors["rate"] == ["Saisissez une valeur comprise entre 0\u202f% et 50\u202f%."]
    assert form.errors["etpt"] == ["2 décimales au plus."]
    assert form.errors["volume"] == ["« 0,5 » : saisissez un nombre entier, sans décimales."]


def test_fields_are_text_inputs_redisplaying_french_decimals() -> None:
    form = _Sample(initial={"rate": Decimal("4.5"), "etpt": 0.5, "volume": 250000})
    html = str(form["rate"]) + str(form["etpt"]) + str(form["volume"])
    assert 'type="text"' in html
    assert 'value="4,5"' in html
    assert 'value="0,5"' in html
    assert 'value="250000"' in html
    assert 'inputmode="decimal"' in str(form["rate"])
    assert 'inputmode="numeric"' in str(form["volume"])
    assert 'type="number"' not in html


def test_typed_text_is_redisplayed_as_typed_when_refused() -> None:
    form = _Sample(data={"rate": "4,5 pour cent", "etpt": "1"})
    assert not form.is_valid()
    assert 'value="4,5 pour cent"' in str(form["rate"])


# --- no form people fill reads numbers another way ------------------------------------------

_LOCALE_DEPENDENT_FIELDS = (forms.IntegerField, forms.DecimalField, forms.FloatField)


def _www_modules() -> list[ModuleType]:
    import dlnuf.www

    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(dlnuf.www.__path__, prefix="dlnuf.www.")
    ]


def test_no_www_form_declares_a_locale_dependent_number_field() -> None:
    offenders = []
    form_classes = 0
    for module in _www_modules():
        for name, candidate in vars(module).items():
            if not (
                inspect.isclass(candidate)
                and issubclass(candidate, forms.BaseForm)
                and candidate.__module__ == module.__name__
            ):
                continue
            form_classes += 1
            offenders += [
                f"{module.__name__}.{name}.{field_name}"
                for field_name, field in candidate.base_fields.items()  # type: ignore[attr-defined]
                if isinstance(field, _LOCALE_DEPENDENT_FIELDS)
            ]
    assert form_classes > 20
    assert offenders == []


def test_no_www_code_builds_a_locale_dependent_number_field() -> None:
    # Fields added in a form's __init__ escape base_fields: the source is checked too.
    offenders = []
    names = {field.__name__ for field in _LOCALE_DEPENDENT_FIELDS}
    for module in _www_modules():
        source = Path(inspect.getfile(module))
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in names:
                offenders.append(f"{source.name}:{node.lineno} {node.attr}")
            if isinstance(node, ast.ImportFrom) and any(a.name in names for a in node.names):
                offenders.append(f"{source.name}:{node.lineno} import")
    assert offenders == []
