"""The name of an administration from its SIRET, for the guichet's form.

The portal's own organisations come first. Failing that, the company directory is read: here the
API Entreprise data of the sandbox (the establishment by SIRET, then its legal unit by SIREN),
which stands for the directory on a machine that reaches no upstream API. Nothing is looked up
over the network, so the form never waits on a provider.
"""

import json
from dataclasses import dataclass
from typing import Any

from dlnuf.organisations.models import Organisation
from dlnuf.organisations.validators import is_valid_siret
from dlnuf.sandbox.cases import case_store
from dlnuf.sandbox.endpoints import ENTREPRISE, endpoint_by_key

ESTABLISHMENT_PATH = "/v3/insee/sirene/etablissements/{siret}"
LEGAL_UNIT_PATH = "/v3/insee/sirene/unites_legales/{siren}"


@dataclass(frozen=True)
class OrganisationFound:
    name: str
    # "portal": an organisation of the portal; "directory": the company directory.
    source: str
    organisation: Organisation | None = None

    @property
    def source_label(self) -> str:
        if self.source == "portal":
            return "organisation connue du portail"
        return "répertoire des entreprises et des établissements"


def organisation_by_siret(siret: str) -> OrganisationFound | None:
    """Who holds this SIRET, or None when it is invalid or nobody is known under it."""
    siret = siret.strip()
    if not is_valid_siret(siret):
        return None
    organisation = Organisation.objects.filter(siret=siret).first()
    if organisation is not None and organisation.name:
        return OrganisationFound(organisation.name, "portal", organisation)
    name = _directory_establishment_name(siret) or _directory_legal_unit_name(siret[:9])
    if name:
        return OrganisationFound(name, "directory", organisation)
    return None


def _directory_payload(path: str, params: dict[str, str]) -> dict[str, Any] | None:
    endpoint = endpoint_by_key(ENTREPRISE, path)
    if endpoint is None:
        return None
    case = case_store().match(endpoint, params)
    if case is None or case.status != 200:
        return None
    try:
        payload = json.loads(case.body)
    except ValueError:
        return None
    data = payload.get("data") if isinstance(payload, dict) else None
    return data if isinstance(data, dict) else None


def _directory_establishment_name(siret: str) -> str:
    data = _directory_payload(ESTABLISHMENT_PATH, {"siret": siret})
    if data is None or str(data.get("siret", "")) != siret:
        return ""
    unit = data.get("unite_legale")
    return _legal_unit_name(unit) if isinstance(unit, dict) else ""


def _directory_legal_unit_name(siren: str) -> str:
    data = _directory_payload(LEGAL_UNIT_PATH, {"siren": siren})
    if data is None or str(data.get("siren", "")) != siren:
        return ""
    return _legal_unit_name(data)


def _legal_unit_name(unit: dict[str, Any]) -> str:
    # Administrations are legal persons; a sole trader's name is personal data the form has no
    # use for, so it is never shown.
    moral = unit.get("personne_morale_attributs")
    if isinstance(moral, dict) and moral.get("raison_sociale"):
        return str(moral["raison_sociale"]).strip()
    return ""
