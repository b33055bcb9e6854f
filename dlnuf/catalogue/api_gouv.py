"""Turning the api.gouv.fr catalogue facts into the project's own seed file.

The input is a JSON document ``{"apis": [...], "producers": [...]}`` holding the front matter of
api.gouv.fr's catalogue pages (title, producer, themes, keywords, openness, links, contact…). Only
facts are kept; the output is a YAML file of the catalogue seed (sections
``public_api_producers`` and ``public_apis``) that ``load_catalogue`` reads like the others, so
the product needs no copy of api.gouv.fr at run time.
"""

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dlnuf.catalogue.services import DEFAULT_DATA_DIR

DEFAULT_SEED_FILE = DEFAULT_DATA_DIR / "api-gouv" / "public-apis.yaml"
SITE = "https://api.gouv.fr"

# api.gouv.fr producers that are the same administration as a provider of the gateway.
PROVIDER_OF_PRODUCER = {
    "ademe": "ademe",
    "cnaf-msa": "cnaf-msa",
    "cnous": "cnous",
    "dgfip": "dgfip",
    "djepva": "djepva",
    "france-travail": "france-travail",
    "insee": "insee",
    "menj": "men",
    "mesri": "mesri",
    "securite_sociale": "securite-sociale",
    "urssaf": "urssaf",
}

_PARTICULIER_DATASETS = [
    "quotient-familial",
    "statut-etudiant",
    "statut-demandeur-emploi",
    "complementaire-sante-solidaire",
    "scolarite",
    "etudiant-boursier",
    "revenu-solidarite-active",
    "prime-activite",
    "allocation-adulte-handicape",
]
_ENTREPRISE_DATASETS = [
    "unite-legale",
    "etablissement",
    "attestation-vigilance",
    "attestation-fiscale",
    "certification-rge",
    "association",
]
# api.gouv.fr entries whose data the gateway also serves, through these datasets.
GATEWAY_DATASETS_OF_API = {
    "api-particulier": _PARTICULIER_DATASETS,
    "api-entreprise": _ENTREPRISE_DATASETS,
    "api_quotient_familial_msa_caf": ["quotient-familial"],
    "api-statut-etudiant": ["statut-etudiant"],
    "api-statut-etudiant-boursier": ["etudiant-boursier"],
    "api-statut-demandeur-emploi": ["statut-demandeur-emploi"],
    "api_complementaire_sante_solidaire": ["complementaire-sante-solidaire"],
    "api-scolarite-ministere-education-nationale": ["scolarite"],
    "sirene_v3": ["unite-legale", "etablissement"],
    "api_association": ["association"],
    "api_professionnels_rge": ["certification-rge"],
    "impot-particulier": ["impot-particulier"],
}

# The subject an API is about, read from api.gouv.fr's themes (left empty when both or neither).
_PERSON_THEMES = {"Particulier"}
_COMPANY_THEMES = {"Entreprise", "Professionnels"}

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})")
MAX_INPUT_BYTES = 5 * 1024 * 1024


class ApiGouvImportError(Exception):
    """The facts file cannot be converted; ``problems`` says why, in French."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Conversion:
    producers: list[dict[str, Any]] = field(default_factory=list)
    apis: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def seed(self) -> dict[str, Any]:
        return {"public_api_producers": self.producers, "public_apis": self.apis}


def read_facts(path: Path) -> Mapping[str, Any]:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ApiGouvImportError([f"{path} : fichier illisible ({error.strerror})"]) from error
    if size > MAX_INPUT_BYTES:
        raise ApiGouvImportError([f"{path} : fichier trop gros ({size} octets, 5 Mo au plus)"])
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiGouvImportError([f"{path} : JSON illisible ({error})"]) from error
    if not isinstance(facts, dict):
        raise ApiGouvImportError([f"{path} : la racine doit contenir « apis » et « producers »"])
    return facts


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _url(value: Any) -> str:
    text = _text(value)
    if text.startswith("/"):
        return SITE + text
    return text if text.startswith(("https://", "http://")) else ""


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def _iso_date(value: Any) -> str | None:
    match = _DATE.match(_text(value))
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def _subject_kind(themes: list[str]) -> str:
    person = bool(_PERSON_THEMES & set(themes))
    company = bool(_COMPANY_THEMES & set(themes))
    if person == company:
        return ""
    return "person" if person else "company"


def _without_empty(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value not in ("", [], None)}


def convert(facts: Mapping[str, Any]) -> Conversion:
    """The seed sections for these facts; entries that cannot be used are listed in ``skipped``."""
    raw_producers = facts.get("producers")
    raw_apis = facts.get("apis")
    if not isinstance(raw_producers, list) or not isinstance(raw_apis, list):
        raise ApiGouvImportError(["« apis » et « producers » doivent être des listes"])

    conversion = Conversion()
    producer_slugs: set[str] = set()
    for index, raw in enumerate(raw_producers):
        slug = _text(raw.get("slug")) if isinstance(raw, dict) else ""
        name = _text(raw.get("name")) if isinstance(raw, dict) else ""
        if not _SLUG.match(slug) or not name or slug in producer_slugs:
            conversion.skipped.append(
                f"producteur n° {index + 1} ({slug or 'sans identifiant'}) ignoré : identifiant "
                "invalide ou en double, ou nom absent"
            )
            continue
        producer_slugs.add(slug)
        conversion.producers.append(
            _without_empty(
                {
                    "slug": slug,
                    "name": name,
                    "acronym": _text(raw.get("acronym")),
                    "kind": _text(raw.get("type")),
                    "website": _url(raw.get("site")),
                    "provider": PROVIDER_OF_PRODUCER.get(slug, ""),
                }
            )
        )

    api_slugs: set[str] = set()
    for index, raw in enumerate(raw_apis):
        if not isinstance(raw, dict):
            conversion.skipped.append(f"API n° {index + 1} ignorée : ce n'est pas un objet")
            continue
        slug = _text(raw.get("slug"))
        title = _text(raw.get("title"))
        producer = _text(raw.get("producer"))
        openness = raw.get("is_open")
        if (
            not _SLUG.match(slug)
            or slug in api_slugs
            or not title
            or producer not in producer_slugs
            or isinstance(openness, bool)
            or openness not in (-1, 0, 1)
        ):
            conversion.skipped.append(
                f"API n° {index + 1} ({slug or 'sans identifiant'}) ignorée : identifiant, "
                "intitulé, producteur ou conditions d'accès invalides"
            )
            continue
        api_slugs.add(slug)
        themes = _texts(raw.get("themes"))
        uptime = raw.get("uptime")
        conversion.apis.append(
            _without_empty(
                {
                    "slug": slug,
                    "title": title,
                    "producer": producer,
                    "partners": _texts(raw.get("partners")),
                    "themes": themes,
                    "keywords": _texts(raw.get("keywords")),
                    "subject_kind": _subject_kind(themes),
                    "openness": openness,
                    "habilitation_url": _url(raw.get("datapass_link")),
                    "documentation_url": _url(raw.get("doc_tech_link")),
                    "website": _url(raw.get("external_site")),
                    "contact": _text(raw.get("contact_link")),
                    "rate_limit": _text(raw.get("rate_limiting_resume")),
                    "uptime_percent": (
                        uptime
                        if isinstance(uptime, int | float) and not isinstance(uptime, bool)
                        else None
                    ),
                    "monitoring_url": _url(raw.get("monitoring_link")),
                    "last_update": _iso_date(raw.get("last_update")),
                    "source_url": f"{SITE}/les-api/{slug}",
                    "gateway_datasets": GATEWAY_DATASETS_OF_API.get(slug, []),
                }
            )
        )
    conversion.producers.sort(key=lambda entry: entry["slug"])
    conversion.apis.sort(key=lambda entry: entry["slug"])
    return conversion


_HEADER = """\
# API publiques référencées par api.gouv.fr, NON servies par la passerelle.
# Fichier écrit par `python manage.py import_api_gouv_catalogue FICHIER` : ne pas le modifier à la
# main, relancer la commande. Faits repris des fiches du catalogue api.gouv.fr (producteur,
# thèmes, mots-clés, conditions d'accès, liens, contact) ; aucune description n'est reprise.
# Conditions d'accès (openness) : -1 accès restreint sur habilitation, 0 ouverte avec compte,
# 1 ouverte. gateway_datasets : jeux de données que la passerelle sert à partir de la même source.
"""


class _SeedDumper(yaml.SafeDumper):
    """One key per line; lists of words on one line, as in the other seed files."""


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str | int | float) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


_SeedDumper.add_representer(list, _represent_list)


def write_seed(conversion: Conversion, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(
        conversion.seed(),
        Dumper=_SeedDumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )
    path.write_text(_HEADER + body, encoding="utf-8")
