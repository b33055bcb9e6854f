"""From a person's FranceConnect identity (the « identité pivot ») to their journal subject keys.

The gateway keys an access with what the consumer sent about the person: the civil-status
parameters of the endpoint it called, canonicalised by ``dlnuf.journal.subjects`` (see
``dlnuf.exchange.parameters.subject_identity``). The same person is therefore keyed differently
depending on which optional parameters a consumer sent. From the pivot identity this module
computes the key of every civil-status form a catalogue endpoint accepts, written exactly as the
gateway would write it, so that the person finds every access made with their identity.

Only forms that pin a person down are used: birth name, first names and the full date of birth,
plus whatever else the form holds (sex, places of birth). A form without the full date of birth
(« MARTIN Marie, née en France ») would match namesakes, so accesses made that way, and accesses
made with an identifier FranceConnect does not give (INE, identifiant France Travail…), cannot be
linked; ``datasets_not_linkable`` names them so that the page can say so.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Any

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.selectors import DatasetRules, EndpointRule, dataset_with_rules
from dlnuf.exchange.parameters import (
    CIVIL_STATUS_PARAMETERS,
    IDENTITY_PARAMETERS,
    WELL_KNOWN_RULES,
    normalised_name,
)
from dlnuf.journal.subjects import subject_key

_FULL_BIRTH_DATE = frozenset({"anneeDateNaissance", "moisDateNaissance", "jourDateNaissance"})
# What every key derived from a pivot holds: without it a key would match namesakes.
_PINNING_PARAMETERS = frozenset({"nomNaissance", "prenoms[]"}) | _FULL_BIRTH_DATE
_GENDERS = {"male": "M", "female": "F"}
_BIRTHDATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_COMMUNE = re.compile(r"^(?:[0-9]{5}|2[AB][0-9]{3})$")
_COUNTRY = re.compile(r"^99[0-9]{3}$")


class PivotIdentityInvalid(ValueError):
    """The identity provider sent claims that are not a usable pivot identity."""


@dataclass(frozen=True)
class PivotIdentity:
    """The identity FranceConnect vouches for (its claims, checked and typed)."""

    given_names: tuple[str, ...]
    family_name: str
    birthdate: date
    # "M" or "F" as the civil-status APIs write it.
    sex: str
    # COG code of the commune of birth; empty for a person born abroad.
    birthplace: str
    # COG code of the country of birth (99100: France).
    birthcountry: str
    preferred_username: str = ""

    @property
    def display_name(self) -> str:
        """« Marie Claire DUPONT », with the usage name when the person gave one."""
        return f"{' '.join(self.given_names)} {self.preferred_username or self.family_name}"

    def parameter_values(self) -> dict[str, str | list[str]]:
        """The civil-status parameters the pivot fills, as a consumer would send them."""
        values: dict[str, str | list[str]] = {
            "nomNaissance": self.family_name,
            "prenoms[]": list(self.given_names),
            "sexeEtatCivil": self.sex,
            "anneeDateNaissance": str(self.birthdate.year),
            "moisDateNaissance": str(self.birthdate.month),
            "jourDateNaissance": str(self.birthdate.day),
            "codeCogInseePaysNaissance": self.birthcountry,
        }
        if self.birthplace:
            values["codeCogInseeCommuneNaissance"] = self.birthplace
        return values


def _text_claim(claims: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = claims.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise PivotIdentityInvalid(f"claim {name!r} missing or not a text")
    return " ".join(value.split())


def pivot_from_claims(claims: Mapping[str, Any]) -> PivotIdentity:
    """The pivot identity of FranceConnect's claims, or PivotIdentityInvalid naming the claim."""
    match = _BIRTHDATE.fullmatch(_text_claim(claims, "birthdate"))
    try:
        birthdate = date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        birthdate = None
    if birthdate is None:
        raise PivotIdentityInvalid("claim 'birthdate' is not a full date YYYY-MM-DD")
    sex = _GENDERS.get(_text_claim(claims, "gender"))
    if sex is None:
        raise PivotIdentityInvalid("claim 'gender' is neither 'male' nor 'female'")
    birthplace = _text_claim(claims, "birthplace", required=False).upper()
    if birthplace and not _COMMUNE.fullmatch(birthplace):
        raise PivotIdentityInvalid("claim 'birthplace' is not a COG commune code")
    birthcountry = _text_claim(claims, "birthcountry")
    if not _COUNTRY.fullmatch(birthcountry):
        raise PivotIdentityInvalid("claim 'birthcountry' is not a COG country code")
    return PivotIdentity(
        given_names=tuple(_text_claim(claims, "given_name").split(" ")),
        family_name=_text_claim(claims, "family_name"),
        birthdate=birthdate,
        sex=sex,
        birthplace=birthplace,
        birthcountry=birthcountry,
        preferred_username=_text_claim(claims, "preferred_username", required=False),
    )


def _person_dataset_rules() -> Iterator[DatasetRules]:
    slugs = Dataset.objects.filter(subject_kind="person", is_active=True).order_by("slug")
    for slug in slugs.values_list("slug", flat=True):
        rules = dataset_with_rules(slug)
        if rules is not None:
            yield rules


@dataclass(frozen=True)
class _EndpointForms:
    """The identity parameters of one endpoint, as the gateway keys them."""

    required: frozenset[str]
    optional: frozenset[str]

    @classmethod
    def of(cls, endpoint: EndpointRule) -> "_EndpointForms":
        names = {normalised_name(name) for name in endpoint.names}
        required = {normalised_name(name) for name in endpoint.required_names}
        identity = names & set(IDENTITY_PARAMETERS)
        return cls(
            required=frozenset(required & identity),
            optional=frozenset((identity - required) & set(CIVIL_STATUS_PARAMETERS)),
        )

    @property
    def civil_status_only(self) -> bool:
        # Without any identity parameter the gateway keys the dataset's own parameters.
        return bool(self.required) and self.required <= set(CIVIL_STATUS_PARAMETERS)

    def forms(self) -> Iterator[frozenset[str]]:
        """Every set of parameter names a consumer may send to this endpoint."""
        optional = sorted(self.optional)
        for size in range(len(optional) + 1):
            for chosen in combinations(optional, size):
                yield self.required | frozenset(chosen)


def _first_names_variants(given_names: tuple[str, ...]) -> Iterator[list[str]]:
    # Consumers send all first names, or only the first ones (an upstream API taking a single
    # first name, a form with fewer fields): each leading part is a way the person was keyed.
    for count in range(len(given_names), 0, -1):
        yield list(given_names[:count])


def _keyed_forms(pivot: PivotIdentity, datasets: Iterable[DatasetRules]) -> set[frozenset[str]]:
    held = frozenset(pivot.parameter_values())
    forms: set[frozenset[str]] = set()
    for rules in datasets:
        for endpoint in rules.endpoints:
            shape = _EndpointForms.of(endpoint)
            if not shape.civil_status_only:
                continue
            forms.update(
                form for form in shape.forms() if form >= _PINNING_PARAMETERS and form <= held
            )
    return forms


def subject_keys_for_pivot(pivot: PivotIdentity) -> tuple[str, ...]:
    """The journal subject keys of every access the gateway could have made with this identity."""
    values = pivot.parameter_values()
    keys: set[str] = set()
    for form in _keyed_forms(pivot, _person_dataset_rules()):
        for first_names in _first_names_variants(pivot.given_names):
            identity = {
                # The gateway's subject identity names the repeatable parameter without "[]".
                "prenoms" if name == "prenoms[]" else name: (
                    first_names if name == "prenoms[]" else values[name]
                )
                for name in form
            }
            keys.add(subject_key(identity))
    return tuple(sorted(keys))


def _parameter_label(endpoint: EndpointRule, name: str) -> str:
    known = WELL_KNOWN_RULES.get(normalised_name(name))
    if known is not None:
        return known.label
    return next((p.label for p in endpoint.parameters if p.name == name and p.label), name)


def datasets_not_linkable() -> list[str]:
    """The person datasets whose accesses, made in some way, cannot be found from FranceConnect:
    « Statut demandeur d'emploi : consultations faites avec « Identifiant France Travail » »."""
    described: list[str] = []
    for rules in sorted(_person_dataset_rules(), key=lambda item: item.title):
        reasons: list[str] = []
        for endpoint in rules.endpoints:
            shape = _EndpointForms.of(endpoint)
            if not shape.civil_status_only:
                identifiers = sorted(shape.required) or sorted(endpoint.required_names)
                labels = ", ".join(
                    f"« {_parameter_label(endpoint, name)} »" for name in identifiers
                )
                reasons.append(f"consultations faites avec {labels}")
            elif not shape.required >= _FULL_BIRTH_DATE:
                reasons.append("consultations faites sans la date de naissance complète")
        if reasons:
            described.append(f"{rules.title} : {' ; '.join(dict.fromkeys(reasons))}")
    return described
