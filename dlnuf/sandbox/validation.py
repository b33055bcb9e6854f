"""Parameter checks of the sandbox, answering with the upstream error codes.

Like the upstream staging environment, identifiers are checked for their format only: the test
SIREN and SIRET numbers of the upstream sandbox cases do not all pass the Luhn check. The
``recipient`` trace parameter, which names a real public body, is Luhn-checked.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from dlnuf.organisations.validators import is_valid_siret
from dlnuf.sandbox.endpoints import SandboxEndpoint

UNPROCESSABLE = "Entité non traitable"

RequestValues = Mapping[str, str | list[str]]


@dataclass(frozen=True)
class _Check:
    is_valid: Callable[[Any], bool]
    invalid_code: str
    invalid_detail: str
    missing_code: str | None = None
    missing_detail: str | None = None


def _matches(pattern: str) -> Callable[[Any], bool]:
    compiled = re.compile(pattern)
    return lambda value: isinstance(value, str) and compiled.fullmatch(value) is not None


def _int_between(low: int, high: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return isinstance(value, str) and value.isdigit() and low <= int(value) <= high

    return check


def _first_names(value: Any) -> bool:
    return (
        isinstance(value, list)
        and 1 <= len(value) <= 3
        and all(name.strip() and len(name) <= 100 for name in value)
    )


_CIVILITY = "Un ou plusieurs paramètres de civilité ne sont pas correctement formatés"
_BIRTH_DATE = "La date de naissance n'est pas correctement formatté"

_CHECKS: dict[str, _Check] = {
    "name": _Check(
        _matches(r"\s*\S.{0,99}"), "00366", _CIVILITY, "00361", "Le nom de famille est manquant"
    ),
    "first_names": _Check(
        _first_names, "00366", _CIVILITY, "00367", "Le ou les prénoms sont manquants."
    ),
    "sex": _Check(
        _matches(r"[MFmf]"),
        "00364",
        "Le sexe n'est pas correctement formaté (m ou f)",
        "00427",
        "Le sexe de l'état civil est manquant",
    ),
    "birth_year": _Check(
        _int_between(1900, 2100),
        "00363",
        _BIRTH_DATE,
        "00422",
        "L'annee de naissance est manquante",
    ),
    "birth_month": _Check(
        _int_between(1, 12), "00363", _BIRTH_DATE, "00423", "Le mois de naissance est manquant"
    ),
    "birth_day": _Check(
        _int_between(1, 31), "00363", _BIRTH_DATE, "00424", "Le jour de naissance est manquant"
    ),
    "cog_commune": _Check(
        _matches(r"[0-9][0-9AaBb][0-9]{3}"),
        "00306",
        "Le code INSEE commune n'est pas correctement formaté",
        "00426",
        "Le code cog de la commune de naissance est manquant",
    ),
    "cog_pays": _Check(
        _matches(r"99[0-9]{3}"), "00400", "Le code pays INSEE n'est pas correctement formaté"
    ),
    "departement": _Check(
        _matches(r"[0-9]{2,3}|2[AaBb]"),
        "00428",
        "Le code cog du département de naissance est manquant ou invalide",
    ),
    "qf_year": _Check(
        _int_between(2000, 2100),
        "00353",
        "L'année demandée n'est pas correctement formatée ou est dans le futur.",
    ),
    "qf_month": _Check(
        _int_between(1, 12), "00354", "Le mois demandé est incorrect ou est dans le futur."
    ),
    "ine": _Check(
        _matches(r"[0-9A-Za-z]{11}"), "00360", "Le numéro d'INE n'est pas correctement formatté"
    ),
    "identifiant": _Check(
        _matches(r"\s*\S.{0,99}"),
        "00380",
        "L'identifiant est manquant",
        "00380",
        "L'identifiant est manquant",
    ),
    "school_year": _Check(
        _matches(r"[0-9]{4}(-[0-9]{4})?"),
        "00411",
        "L'année scolaire n'est pas correctement formatée: doit être sur le format YYYY ou "
        "YYYY-YYYY)",
    ),
    "uai": _Check(
        _matches(r"[0-9]{7}[A-Za-z]"),
        "00410",
        "Le code établissement n'est pas correctement formaté: celui doit être composé de 7 "
        "chiffres et 1 lettre",
    ),
    "school_degree": _Check(
        _matches(r"[12][Dd]"),
        "00412",
        "Le degré d'établissement n'est pas correctement formaté: doit être 1D ou 2D",
    ),
    "siren": _Check(
        _matches(r"[0-9]{9}"), "00301", "Le numéro de siren n'est pas correctement formatté"
    ),
    "siret": _Check(
        _matches(r"[0-9]{14}"), "00302", "Le numéro de siret n'est pas correctement formatté"
    ),
    "siren_or_rna": _Check(
        _matches(r"[0-9]{9}|W[0-9A-Za-z]{9}"),
        "00333",
        "Le numéro de siren ou le numéro d'association indiqué n'est pas correctement formatté",
    ),
    "limit": _Check(
        _int_between(1, 10000), "00313", "Le paramètre limit n'est pas correctement formatté"
    ),
    # Codes of this sandbox's own: the numéro fiscal (SPI) has 13 digits.
    "numero_fiscal": _Check(
        _matches(r"[0-9]{13}"),
        "00450",
        "Le numéro fiscal doit comporter 13 chiffres",
        "00451",
        "Le numéro fiscal est manquant",
    ),
    "income_year": _Check(
        _int_between(2000, 2100),
        "00452",
        "L'année des revenus n'est pas correctement formatée",
    ),
}

KINDS = frozenset(_CHECKS)


def error(
    code: str, detail: str, *, parameter: str | None = None, title: str = UNPROCESSABLE
) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "detail": detail,
        "source": {"parameter": parameter} if parameter else None,
        "meta": {},
    }


def trace_errors(endpoint: SandboxEndpoint, values: RequestValues) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    recipient = values.get("recipient")
    if not isinstance(recipient, str) or not recipient.strip():
        errors.append(
            error("00203", "Le paramètre recipient est obligatoire", parameter="recipient")
        )
    elif not is_valid_siret(recipient.strip()):
        errors.append(
            error(
                "00210", "Le paramètre recipient n'est pas un siret valide", parameter="recipient"
            )
        )
    elif _recipient_is_subject(recipient.strip(), values):
        errors.append(
            error(
                "00211",
                "Le paramètre recipient est identique au SIRET/SIREN appelé, or ce paramètre de "
                "traçabilité doit correspondre au SIRET de l'organisation publique habilitée à "
                "utiliser la donnée.",
                parameter="recipient",
                title="Le paramètre recipient est identique au SIRET/SIREN appelé.",
            )
        )
    if endpoint.needs_context:
        for name, code in (("context", "00201"), ("object", "00202")):
            value = values.get(name)
            if not isinstance(value, str) or not value.strip():
                errors.append(error(code, f"Le paramètre {name} est obligatoire", parameter=name))
    return errors


def _recipient_is_subject(recipient: str, values: RequestValues) -> bool:
    for name in ("siren", "siret", "siren_or_rna"):
        value = values.get(name)
        if isinstance(value, str) and value.isdigit() and recipient[:9] == value[:9]:
            return True
    return False


def parameter_errors(endpoint: SandboxEndpoint, values: RequestValues) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for parameter in endpoint.parameters:
        check = _CHECKS[parameter.kind]
        value = values.get(parameter.name)
        if value is None or value == "" or value == []:
            if parameter.required:
                errors.append(
                    error(
                        check.missing_code or check.invalid_code,
                        check.missing_detail or f"Le paramètre {parameter.name} est obligatoire",
                        parameter=parameter.name,
                    )
                )
            continue
        if not check.is_valid(value):
            errors.append(error(check.invalid_code, check.invalid_detail, parameter=parameter.name))
    if not errors and _has_impossible_birth_date(values):
        errors.append(
            error("00425", "La date de naissance n'est pas valide", parameter="jourDateNaissance")
        )
    return errors


def _has_impossible_birth_date(values: RequestValues) -> bool:
    parts = [
        values.get(name)
        for name in ("anneeDateNaissance", "moisDateNaissance", "jourDateNaissance")
    ]
    if not all(isinstance(part, str) and part.isdigit() for part in parts):
        return False
    year, month, day = (int(str(part)) for part in parts)
    try:
        date(year, month, day)
    except ValueError:
        return True
    return False
