"""The parameters of an exchange: trace parameters and the subject's identifiers.

Subject parameters carry the upstream names (``nomNaissance``, ``prenoms[]``, ``siren`` …) and
are checked here by the gateway's own rules; a dataset's own extra parameters are checked by the
``pattern`` its catalogue entry gives. Each rule is one declarative description: the gateway
checks values with it and the OpenAPI document publishes it as JSON Schema, so what the document
promises is what the gateway accepts. Error details never repeat the value received: it may be
personal data.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.utils import timezone

from dlnuf.exchange.errors import ExchangeRefused
from dlnuf.organisations.validators import is_valid_siren, is_valid_siret

TRACE_PARAMETERS = ("recipient", "context", "object")
TRACE_MAX_LENGTH = 255
EXTRA_MAX_LENGTH = 255

CIVIL_STATUS_PARAMETERS = (
    "nomNaissance",
    "prenoms[]",
    "sexeEtatCivil",
    "anneeDateNaissance",
    "moisDateNaissance",
    "jourDateNaissance",
    "codeCogInseeCommuneNaissance",
    "codeCogInseePaysNaissance",
)
COMPANY_PARAMETERS = ("siren", "siret", "siren_or_rna")
IDENTITY_PARAMETERS = (*CIVIL_STATUS_PARAMETERS, "ine", "identifiant", *COMPANY_PARAMETERS)

# Patterns are written in the common subset of Python and ECMA-262 regular expressions, since
# the OpenAPI document publishes them as they are. Civil-status names use the Latin letters.
_LETTER = r"[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F]"
_NAME_PATTERN = rf"^{_LETTER}+(?:[ '\u2019-]{_LETTER}+)*$"
# Commune names may hold digits (« Paris 15e Arrondissement »).
_PLACE_PATTERN = rf"^[0-9{_LETTER[1:-1]}]+(?:[ '\u2019-]+[0-9{_LETTER[1:-1]}]+)*$"
# Free text may be journaled, shown and sent upstream: no control, format or line-separator
# character that could hide or forge content.
_TEXT_CHARACTER = r"[^\x00-\x1F\x7F-\x9F\u00AD\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF]"
_NAME_MAX_LENGTH = 100
_MAX_FIRST_NAMES = 3
# Bounds the upstream APIs set on the quotient familial's year and on a list's length.
_EARLIEST_QUOTIENT_YEAR = 2000
_LARGEST_LIMIT = 10000
# The upstream civil-status APIs refuse earlier years.
_EARLIEST_BIRTH_YEAR = 1900


_VISIBLE_CHARACTER = _TEXT_CHARACTER[:-1] + r"\s]"
# Upstream APIs refuse a text made of spaces only; the length is bounded by ``max_length``.
TEXT_PATTERN = f"^{_TEXT_CHARACTER}*{_VISIBLE_CHARACTER}{_TEXT_CHARACTER}*$"


def _siren_or_rna_checksum(value: str) -> bool:
    # An RNA number has no check digit; a SIREN has one.
    return not value.isdigit() or is_valid_siren(value)


@dataclass(frozen=True)
class ParameterRule:
    """How one parameter is checked and documented.

    A value is accepted when it fully matches ``pattern`` and is at most ``max_length`` long;
    ``minimum``/``maximum`` make it an integer within bounds (``maximum_is_this_year`` bounds it by
    the current year), ``upper`` sends it upper-cased, and ``checksum`` adds a check digit test
    that JSON Schema cannot express (the expectation text says it).
    """

    name: str
    label: str
    expectation: str
    pattern: str
    max_length: int
    max_values: int = 1
    minimum: int | None = None
    maximum: int | None = None
    maximum_is_this_year: bool = False
    upper: bool = False
    checksum: Callable[[str], bool] | None = None

    @property
    def is_integer(self) -> bool:
        return self.minimum is not None

    def upper_bound(self) -> int | None:
        return timezone.now().year if self.maximum_is_this_year else self.maximum

    def check(self, value: str) -> str | None:
        """The value to send upstream, or None when the value is refused."""
        if len(value) > self.max_length or not re.fullmatch(self.pattern, value):
            return None
        if self.is_integer:
            number = int(value)
            upper_bound = self.upper_bound()
            if number < (self.minimum or 0) or (upper_bound is not None and number > upper_bound):
                return None
            return str(number)
        candidate = value.upper() if self.upper else value
        if self.checksum is not None and not self.checksum(candidate):
            return None
        return candidate

    def value_schema(self) -> dict[str, Any]:
        """The JSON Schema of one value."""
        if self.is_integer:
            schema: dict[str, Any] = {"type": "integer", "minimum": self.minimum}
            upper_bound = self.upper_bound()
            if upper_bound is not None:
                schema["maximum"] = upper_bound
            return schema
        return {"type": "string", "pattern": self.pattern, "maxLength": self.max_length}

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the parameter: one value, or an array of repeated values (never
        empty: an empty array is no parameter at all in a query string)."""
        if self.max_values == 1:
            return self.value_schema()
        return {
            "type": "array",
            "items": self.value_schema(),
            "minItems": 1,
            "maxItems": self.max_values,
        }

    def without_checksum(self) -> "ParameterRule":
        return replace(self, checksum=None)


def _name_rule(name: str, label: str, expectation: str, *, max_values: int = 1) -> ParameterRule:
    return ParameterRule(
        name, label, expectation, _NAME_PATTERN, _NAME_MAX_LENGTH, max_values=max_values
    )


def _integer_rule(
    name: str, label: str, expectation: str, low: int, high: int | None
) -> ParameterRule:
    """An integer parameter; no ``high`` bound means the current year."""
    return ParameterRule(
        name,
        label,
        expectation,
        "^[0-9]{1,5}$",
        5,
        minimum=low,
        maximum=high,
        maximum_is_this_year=high is None,
    )


WELL_KNOWN_RULES: dict[str, ParameterRule] = {
    rule.name: rule
    for rule in (
        _name_rule(
            "nomNaissance",
            "Nom de naissance",
            "un nom de naissance (lettres latines, espaces, traits d'union, apostrophes ; 100 "
            "caractères au plus)",
        ),
        _name_rule(
            "nomUsage",
            "Nom d'usage",
            "un nom d'usage (lettres latines, espaces, traits d'union, apostrophes ; 100 "
            "caractères au plus)",
        ),
        _name_rule(
            "prenoms[]",
            "Prénoms (paramètre répétable)",
            f"un prénom par valeur (lettres latines, espaces, traits d'union, apostrophes), "
            f"{_MAX_FIRST_NAMES} valeurs au plus",
            max_values=_MAX_FIRST_NAMES,
        ),
        ParameterRule("sexeEtatCivil", "Sexe à l'état civil", "M ou F", "^[MFmf]$", 1, upper=True),
        ParameterRule(
            "anneeDateNaissance",
            "Année de naissance",
            f"une année sur 4 chiffres, de {_EARLIEST_BIRTH_YEAR} à l'année en cours",
            "^[0-9]{4}$",
            4,
            minimum=_EARLIEST_BIRTH_YEAR,
            maximum_is_this_year=True,
        ),
        _integer_rule("moisDateNaissance", "Mois de naissance", "un mois de 1 à 12", 1, 12),
        _integer_rule("jourDateNaissance", "Jour de naissance", "un jour de 1 à 31", 1, 31),
        ParameterRule(
            "codeCogInseeCommuneNaissance",
            "Code COG Insee de la commune de naissance",
            "un code commune Insee à 5 caractères (par exemple 08480 ou 2A004)",
            "^(?:[0-9]{5}|2[ABab][0-9]{3})$",
            5,
            upper=True,
        ),
        ParameterRule(
            "nomCommuneNaissance",
            "Nom de la commune de naissance",
            "un nom de commune (lettres latines, chiffres, espaces, traits d'union, apostrophes ; "
            "100 caractères au plus)",
            _PLACE_PATTERN,
            _NAME_MAX_LENGTH,
        ),
        ParameterRule(
            "codeCogInseePaysNaissance",
            "Code COG Insee du pays de naissance",
            "un code pays Insee à 5 chiffres commençant par 99 (99100 pour la France)",
            "^99[0-9]{3}$",
            5,
        ),
        ParameterRule(
            "ine",
            "Identifiant national étudiant (INE)",
            "11 chiffres ou lettres",
            "^[0-9A-Za-z]{11}$",
            11,
        ),
        ParameterRule(
            "identifiant",
            "Identifiant France Travail",
            "l'identifiant choisi par la personne (lettres, chiffres, . _ @ + -, 64 caractères "
            "au plus)",
            "^[A-Za-z0-9._@+-]{1,64}$",
            64,
        ),
        ParameterRule(
            "numeroFiscal",
            "Numéro fiscal (SPI)",
            "les 13 chiffres du numéro fiscal, sans espace (en haut de l'avis d'imposition)",
            "^[0-9]{13}$",
            13,
        ),
        _integer_rule(
            "annee",
            "Année du quotient familial",
            f"une année de {_EARLIEST_QUOTIENT_YEAR} à l'année en cours",
            _EARLIEST_QUOTIENT_YEAR,
            None,
        ),
        _integer_rule(
            "limit",
            "Nombre maximal de résultats",
            f"un entier de 1 à {_LARGEST_LIMIT}",
            1,
            _LARGEST_LIMIT,
        ),
        ParameterRule(
            "siren",
            "SIREN",
            "9 chiffres avec une clé de contrôle valide",
            "^[0-9]{9}$",
            9,
            checksum=is_valid_siren,
        ),
        ParameterRule(
            "siret",
            "SIRET",
            "14 chiffres avec une clé de contrôle valide",
            "^[0-9]{14}$",
            14,
            checksum=is_valid_siret,
        ),
        ParameterRule(
            "siren_or_rna",
            "SIREN ou numéro RNA",
            "un SIREN (9 chiffres, clé valide) ou un numéro RNA (W suivi de 9 caractères)",
            "^(?:[0-9]{9}|[Ww][0-9A-Za-z]{9})$",
            10,
            upper=True,
            checksum=_siren_or_rna_checksum,
        ),
    )
}


# The sandbox's test companies, like those of the upstream test environment, do not all have a
# valid check digit: calls it serves check the format of company identifiers only.
SANDBOX_RULES: dict[str, ParameterRule] = {
    name: replace(
        WELL_KNOWN_RULES[name].without_checksum(),
        expectation=WELL_KNOWN_RULES[name]
        .expectation.replace(", clé valide", "")
        .replace(" avec une clé de contrôle valide", ""),
    )
    for name in COMPANY_PARAMETERS
}


TRACE_RULES: dict[str, ParameterRule] = {
    rule.name: rule
    for rule in (
        ParameterRule(
            "recipient",
            "SIRET de l'organisation destinataire des données",
            "le SIRET (14 chiffres, clé valide) de l'organisation titulaire de l'habilitation",
            "^[0-9]{14}$",
            14,
            checksum=is_valid_siret,
        ),
        ParameterRule(
            "context",
            "Cadre de l'appel (démarche, procédure)",
            f"un texte non vide de {TRACE_MAX_LENGTH} caractères au plus, sans caractère de "
            f"contrôle",
            TEXT_PATTERN,
            TRACE_MAX_LENGTH,
        ),
        ParameterRule(
            "object",
            "Objet de l'appel (référence du dossier)",
            f"un texte non vide de {TRACE_MAX_LENGTH} caractères au plus, sans caractère de "
            f"contrôle",
            TEXT_PATTERN,
            TRACE_MAX_LENGTH,
        ),
    )
}


def extra_rule(*, name: str, pattern: str | None, label: str | None) -> ParameterRule:
    """The rule of a dataset's own parameter, from its catalogue entry."""
    if pattern:
        return ParameterRule(
            name, label or name, f"une valeur de la forme {pattern}", pattern, EXTRA_MAX_LENGTH
        )
    return ParameterRule(
        name,
        label or name,
        f"un texte non vide de {EXTRA_MAX_LENGTH} caractères au plus, sans caractère de contrôle",
        TEXT_PATTERN,
        EXTRA_MAX_LENGTH,
    )


def normalised_name(name: str) -> str:
    """Catalogue entries may spell the repeatable first-names parameter with or without []."""
    return "prenoms[]" if name == "prenoms" else name


@dataclass(frozen=True)
class Trace:
    recipient: str
    context: str
    object: str


def check_values(rule: ParameterRule, values: Sequence[str]) -> list[str]:
    """The checked values of one parameter, or ExchangeRefused naming it."""
    if len(values) > rule.max_values:
        if rule.max_values == 1:
            raise ExchangeRefused(
                "repeated_parameter",
                parameter=rule.name,
                detail=f"Le paramètre « {rule.name} » ne peut être donné qu'une fois.",
            )
        raise ExchangeRefused(
            "invalid_parameter",
            parameter=rule.name,
            detail=f"Le paramètre « {rule.name} » accepte {rule.max_values} valeurs au plus.",
        )
    checked = []
    for value in values:
        result = rule.check(value)
        if result is None:
            raise ExchangeRefused(
                "invalid_parameter",
                parameter=rule.name,
                detail=f"Le paramètre « {rule.name} » doit être {rule.expectation}.",
            )
        checked.append(result)
    return checked


def birth_date_consistent(values: Mapping[str, list[str]]) -> None:
    """A complete date of birth must exist in the calendar (no 31 February)."""
    try:
        year = values["anneeDateNaissance"][0]
        month = values["moisDateNaissance"][0]
        day = values["jourDateNaissance"][0]
    except KeyError:
        return
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        raise ExchangeRefused(
            "invalid_parameter",
            parameter="jourDateNaissance",
            detail="La date de naissance formée par anneeDateNaissance, moisDateNaissance et "
            "jourDateNaissance n'existe pas.",
        ) from None


def recipient_is_not_subject(recipient: str, values: Mapping[str, list[str]]) -> None:
    """The recipient is who uses the data, never the company the data is about (upstream 00211)."""
    for name in COMPANY_PARAMETERS:
        value = values.get(name)
        if not value:
            continue
        subject = value[0]
        if subject == recipient or subject == recipient[:9]:
            raise ExchangeRefused("recipient_is_subject", parameter="recipient")


def subject_identity(
    values: Mapping[str, list[str]], required: Sequence[str]
) -> dict[str, str | list[str]]:
    """What the exchange knows of its subject, for the journal's subject key (which reduces a
    SIRET to its SIREN). A dataset identified only by its own parameters is keyed by the values
    of its required parameters."""
    identity: dict[str, str | list[str]] = {}
    for name in IDENTITY_PARAMETERS:
        value = values.get(name)
        if value:
            identity["prenoms" if name == "prenoms[]" else name] = (
                list(value) if name == "prenoms[]" else value[0]
            )
    if not identity:
        identity = {name: values[name][0] for name in required if values.get(name)}
    return identity
