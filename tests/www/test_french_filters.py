from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from dlnuf.www.templatetags.french import centile, nombre, pluriel, svgnum

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (160.0, "160"),
        (12.5, "12.5"),
        (Decimal("3.14159"), "3.142"),
        (-0.0001, "0"),
        (1234567.25, "1234567.25"),
        (7, "7"),
        ("42.5", "42.5"),
    ],
)
def test_svgnum_writes_locale_free_numbers(value: object, expected: str) -> None:
    assert svgnum(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "160,0", None, "", True])
def test_svgnum_refuses_what_is_not_a_finite_number(value: object) -> None:
    with pytest.raises(ValueError, match="svgnum"):
        svgnum(value)


def test_svgnum_stays_plain_under_the_french_locale() -> None:
    template = Template('{% load french %}<line x1="{{ x|svgnum }}" y1="{{ x }}"/>')
    with translation.override("fr"):
        rendered = template.render(Context({"x": 160.0}))
    # The unfiltered value shows the bug svgnum prevents.
    assert rendered == '<line x1="160" y1="160,0"/>'


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234567, None, f"1{NNBSP}234{NNBSP}567"),
        (1234567.891, None, f"1{NNBSP}234{NNBSP}567,89"),
        (Decimal("0.5"), None, "0,5"),
        (12.0, None, "12"),
        (12, 2, "12,00"),
        (-98765.4321, 1, f"-98{NNBSP}765,4"),
        (None, None, ""),
        (float("nan"), None, "—"),
    ],
)
def test_nombre_writes_french_numbers(value: object, decimals: object, expected: str) -> None:
    assert nombre(value, decimals) == expected


def test_nombre_in_a_template() -> None:
    template = Template("{% load french %}{{ cost|nombre }} € ; {{ rate|nombre:1 }} %")
    assert template.render(Context({"cost": 1250000, "rate": 4})) == (
        f"1{NNBSP}250{NNBSP}000 € ; 4,0 %"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0 an"),
        (1, "1 an"),
        (1.5, "1,5 an"),
        (2, "2 ans"),
        (12, "12 ans"),
        (1000, f"1{NNBSP}000 ans"),
    ],
)
def test_pluriel_follows_the_french_rule(value: object, expected: str) -> None:
    assert pluriel(value, "an,ans") == expected


def test_pluriel_in_a_template() -> None:
    template = Template('{% load french %}{{ n|pluriel:"projet,projets" }}')
    assert template.render(Context({"n": 3})) == "3 projets"
    assert template.render(Context({"n": 1})) == "1 projet"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "1er"), (2, "2e"), (25, "25e"), (50, "50e"), (99, "99e"), (0.3, "1er"), (24.6, "25e")],
)
def test_centile_ordinal(value: int, expected: str) -> None:
    assert centile(value) == expected
