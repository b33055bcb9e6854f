import pytest

from dlnuf.organisations.validators import is_valid_siren, is_valid_siret


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("130025265", True),  # DINUM
        ("130025266", False),  # wrong check digit
        ("13002526", False),  # too short
        ("13002526a", False),
        ("١٣٠٠٢٥٢٦٥", False),  # non-ASCII digits
    ],
)
def test_siren(value: str, expected: bool) -> None:
    assert is_valid_siren(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13002526500013", True),
        ("13002526500014", False),
        ("1300252650001", False),
        ("35600000000048", True),  # La Poste: digits sum to a multiple of 5
    ],
)
def test_siret(value: str, expected: bool) -> None:
    assert is_valid_siret(value) is expected
