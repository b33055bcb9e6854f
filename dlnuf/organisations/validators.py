"""Checks on French company identifiers (SIREN 9 digits, SIRET 14 digits, both Luhn-checked)."""

from django.core.exceptions import ValidationError

# La Poste's establishments share one SIREN whose SIRETs do not pass Luhn; INSEE documents that
# their digits sum to a multiple of 5 instead.
_LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_valid_siren(value: str) -> bool:
    return len(value) == 9 and value.isascii() and value.isdigit() and luhn_valid(value)


def is_valid_siret(value: str) -> bool:
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        return False
    if value.startswith(_LA_POSTE_SIREN):
        return luhn_valid(value) or sum(int(c) for c in value) % 5 == 0
    return luhn_valid(value)


def validate_siret(value: str) -> None:
    if not is_valid_siret(value):
        raise ValidationError(
            "« %(value)s » n'est pas un SIRET valide (14 chiffres, clé de contrôle).",
            code="invalid_siret",
            params={"value": value},
        )
