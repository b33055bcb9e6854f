"""The parameters of an exchange: trace parameters and the subject's identifiers.

Subject parameters carry the upstream names (``nomNaissance``, ``prenoms[]``, ``siren`` …) and
are checked here by the gateway's own rules; a dataset's own extra parameters are checked by the
``pattern`` its catalogue entry gives. Error details never repeat the value received: it may be
personal data.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

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

_NAME = re.compile(r"[^\W\d_]+(?:[ '’-][^\W\d_]+)*")
_DIGITS = re.compile(r"[0-9]{1,4}")
_COMMUNE = re.compile(r"(?:[0-9]{5}|2[AB][0-9]{3})")
_COUNTRY = re.compile(r"99[0-9]{3}")
_INE = re.compile(r"[0-9A-Za-z]{11}")
_IDENTIFIANT = re.compile(r"[A-Za-z0-9._@+-]{1,64}")
_RNA = re.compile(r"W[0-9A-Z]{9}")
_NAME_MAX_LENGTH = 100
_MAX_FIRST_NAMES = 3


@dataclass(frozen=True)
class ParameterRule:
    """How one parameter is checked; ``check`` returns the value to send upstream, or None."""

    name: str
    label: str
    expectation: str
    check: Callable[[str], str | None]
    max_values: int = 1


def _name(value: str) -> str | None:
    return value if len(value) <= _NAME_MAX_LENGTH and _NAME.fullmatch(value) else None


def _integer_between(low: int, high: int) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if not _DIGITS.fullmatch(value):
            return None
        number = int(value)
        return str(number) if low <= number <= high else None

    return check


def _birth_year(value: str) -> str | None:
    if len(value) != 4:
        return None
    return _integer_between(1850, timezone.now().year)(value)


def _sex(value: str) -> str | None:
    upper = value.upper()
    return upper if upper in {"M", "F"} else None


def _matching(pattern: re.Pattern[str], *, upper: bool = False) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        candidate = value.upper() if upper else value
        return candidate if pattern.fullmatch(candidate) else None

    return check


def _siren(value: str) -> str | None:
    return value if is_valid_siren(value) else None


def _siret(value: str) -> str | None:
    return value if is_valid_siret(value) else None


def _siren_or_rna(value: str) -> str | None:
    if is_valid_siren(value):
        return value
    upper = value.upper()
    return upper if _RNA.fullmatch(upper) else None


WELL_KNOWN_RULES: dict[str, ParameterRule] = {
    rule.name: rule
    for rule in (
        ParameterRule(
            "nomNaissance",
            "Nom de naissance",
            "un nom de naissance (lettres, espaces, traits d'union, apostrophes ; 100 caractères "
            "au plus)",
            _name,
        ),
        ParameterRule(
            "nomUsage",
            "Nom d'usage",
            "un nom d'usage (lettres, espaces, traits d'union, apostrophes ; 100 caractères au "
            "plus)",
            _name,
        ),
        ParameterRule(
            "prenoms[]",
            "Prénoms (paramètre répétable)",
            f"un prénom par valeur (lettres, espaces, traits d'union, apostrophes), "
            f"{_MAX_FIRST_NAMES} valeurs au plus",
            _name,
            max_values=_MAX_FIRST_NAMES,
        ),
        ParameterRule("sexeEtatCivil", "Sexe à l'état civil", "M ou F", _sex),
        ParameterRule(
            "anneeDateNaissance",
            "Année de naissance",
            "une année sur 4 chiffres, au plus l'année en cours",
            _birth_year,
        ),
        ParameterRule(
            "moisDateNaissance", "Mois de naissance", "un mois de 1 à 12", _integer_between(1, 12)
        ),
        ParameterRule(
            "jourDateNaissance", "Jour de naissance", "un jour de 1 à 31", _integer_between(1, 31)
        ),
        ParameterRule(
            "codeCogInseeCommuneNaissance",
            "Code COG Insee de la commune de naissance",
            "un code commune Insee à 5 caractères (par exemple 08480 ou 2A004)",
            _matching(_COMMUNE, upper=True),
        ),
        ParameterRule(
            "codeCogInseePaysNaissance",
            "Code COG Insee du pays de naissance",
            "un code pays Insee à 5 chiffres commençant par 99 (99100 pour la France)",
            _matching(_COUNTRY),
        ),
        ParameterRule(
            "ine",
            "Identifiant national étudiant (INE)",
            "11 chiffres ou lettres",
            _matching(_INE),
        ),
        ParameterRule(
            "identifiant",
            "Identifiant France Travail",
            "l'identifiant choisi par la personne (lettres, chiffres, . _ @ + -, 64 caractères "
            "au plus)",
            _matching(_IDENTIFIANT),
        ),
        ParameterRule("siren", "SIREN", "9 chiffres avec une clé de contrôle valide", _siren),
        ParameterRule("siret", "SIRET", "14 chiffres avec une clé de contrôle valide", _siret),
        ParameterRule(
            "siren_or_rna",
            "SIREN ou numéro RNA",
            "un SIREN (9 chiffres, clé valide) ou un numéro RNA (W suivi de 9 caractères)",
            _siren_or_rna,
        ),
    )
}


_SIREN_FORMAT = re.compile(r"[0-9]{9}")
_SIRET_FORMAT = re.compile(r"[0-9]{14}")


def _siren_or_rna_format(value: str) -> str | None:
    upper = value.upper()
    return upper if _SIREN_FORMAT.fullmatch(upper) or _RNA.fullmatch(upper) else None


# The sandbox's test companies, like those of the upstream test environment, do not all have a
# valid check digit: calls it serves check the format of company identifiers only.
SANDBOX_RULES: dict[str, ParameterRule] = {
    rule.name: rule
    for rule in (
        ParameterRule("siren", "SIREN", "9 chiffres", _matching(_SIREN_FORMAT)),
        ParameterRule("siret", "SIRET", "14 chiffres", _matching(_SIRET_FORMAT)),
        ParameterRule(
            "siren_or_rna",
            "SIREN ou numéro RNA",
            "un SIREN (9 chiffres) ou un numéro RNA (W suivi de 9 caractères)",
            _siren_or_rna_format,
        ),
    )
}


def _printable_text(value: str) -> str | None:
    return value if 0 < len(value) <= TRACE_MAX_LENGTH and value.isprintable() else None


TRACE_RULES: dict[str, ParameterRule] = {
    rule.name: rule
    for rule in (
        ParameterRule(
            "recipient",
            "SIRET de l'organisation destinataire des données",
            "le SIRET (14 chiffres, clé valide) de l'organisation titulaire de l'habilitation",
            _siret,
        ),
        ParameterRule(
            "context",
            "Cadre de l'appel (démarche, procédure)",
            f"un texte imprimable non vide de {TRACE_MAX_LENGTH} caractères au plus",
            _printable_text,
        ),
        ParameterRule(
            "object",
            "Objet de l'appel (référence du dossier)",
            f"un texte imprimable non vide de {TRACE_MAX_LENGTH} caractères au plus",
            _printable_text,
        ),
    )
}


def extra_rule(*, name: str, pattern: str | None, label: str | None) -> ParameterRule:
    """The rule of a dataset's own parameter, from its catalogue entry."""
    compiled = re.compile(pattern) if pattern else None

    def check(value: str) -> str | None:
        if not (0 < len(value) <= EXTRA_MAX_LENGTH and value.isprintable()):
            return None
        if compiled is not None and not compiled.fullmatch(value):
            return None
        return value

    expectation = (
        f"une valeur de la forme {pattern}"
        if pattern
        else f"un texte imprimable de {EXTRA_MAX_LENGTH} caractères au plus"
    )
    return ParameterRule(name, label or name, expectation, check)


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
