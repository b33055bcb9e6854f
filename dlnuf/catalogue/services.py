"""Loading the catalogue from its seed files.

The seed is a directory of YAML files (``data/`` by default). Each file may hold any of the
sections ``providers``, ``connectors``, ``legal_bases``, ``supporting_documents``, ``datasets``,
``public_api_producers`` and ``public_apis``; all files of the directory are read together, so a
new dataset served by a plain REST provider is one new file. Every file is checked before
anything is written, and the whole load runs in one transaction: a bad file leaves the database
untouched.

The last two sections list the public APIs of api.gouv.fr that the gateway does not serve
(``data/api-gouv/``, written by ``manage.py import_api_gouv_catalogue``): they are shown in the
catalogue for orientation and can never be requested through the portal.
"""

import copy
import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import models, transaction
from django.utils import timezone

from dlnuf.catalogue.models import (
    AuthKind,
    Connector,
    ConnectorKind,
    Dataset,
    DatasetChange,
    DatasetChangeKind,
    Endpoint,
    LegalBasis,
    Openness,
    Provider,
    PublicApi,
    PublicApiProducer,
    Scope,
    SubjectKind,
    SupportingDocument,
    TermsVersion,
    UseCaseTemplate,
)
from dlnuf.catalogue.selectors import forget_dataset_rules
from dlnuf.french import plural
from dlnuf.habilitations.models import LegalBasisNature

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_SCOPE_SLUG = re.compile(r"^[a-zA-Z0-9_][-a-zA-Z0-9_.]*$")
# A field path: "*", or names joined by dots, each name optionally marking a list with "[]".
_FIELD_PATH = re.compile(r"^(\*|[A-Za-z_][A-Za-z0-9_]*(\[\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\])?)*)$")
_PATH_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_LINK_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

SECTIONS = (
    "providers",
    "connectors",
    "legal_bases",
    "supporting_documents",
    "datasets",
    "public_api_producers",
    "public_apis",
)


class CatalogueError(Exception):
    """The seed cannot be loaded; ``problems`` says where and why, in French."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


_KIND_LABELS = {
    "providers": "fournisseurs",
    "connectors": "connecteurs",
    "legal_bases": "cadres juridiques",
    "supporting_documents": "pièces justificatives",
    "datasets": "jeux de données",
    "endpoints": "points d'accès",
    "scopes": "périmètres",
    "terms_versions": "versions des conditions d'utilisation",
    "use_cases": "cas d'usage",
    "changes": "lignes de l'historique des changements",
    "public_api_producers": "producteurs d'API publiques",
    "public_apis": "API publiques hors passerelle",
}


@dataclass
class LoadReport:
    directory: Path
    files: list[Path] = field(default_factory=list)
    counts: dict[str, KindCounts] = field(
        default_factory=lambda: {kind: KindCounts() for kind in _KIND_LABELS}
    )

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.deleted for c in self.counts.values())

    def lines(self) -> list[str]:
        lines = [f"Catalogue chargé depuis {self.directory} ({len(self.files)} fichiers)."]
        for kind, label in _KIND_LABELS.items():
            c = self.counts[kind]
            line = f"  {label} : {c.created} créés, {c.updated} modifiés, {c.unchanged} inchangés"
            if c.deleted:
                line += f", {c.deleted} supprimés"
            lines.append(line)
        if not self.changed:
            lines.append("Aucun changement.")
        return lines


# --- Reading and checking -------------------------------------------------------------------


_NO_DEFAULT = object()


@dataclass(frozen=True)
class _Field:
    check: Callable[[Any], str | None]  # returns a French problem, or None when the value is fine
    required: bool = False
    # Value used when the key is absent; keys without a default are then simply left out.
    default: Any = _NO_DEFAULT


def _is_text(value: Any) -> str | None:
    return None if isinstance(value, str) else "doit être un texte"


def _is_nonempty_text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "doit être un texte non vide"
    return None


def _is_slug(value: Any) -> str | None:
    if not isinstance(value, str) or not _SLUG.match(value):
        return "doit être un identifiant (lettres, chiffres, tirets, soulignés)"
    return None


def _is_scope_slug(value: Any) -> str | None:
    if not isinstance(value, str) or not _SCOPE_SLUG.match(value):
        return "doit être un nom de périmètre (lettres, chiffres, soulignés, tirets, points)"
    return None


def _is_link_name(value: Any) -> str | None:
    if not isinstance(value, str) or not _LINK_NAME.match(value):
        return "doit être un nom de lien (lettres, chiffres, soulignés, ex. « siege_social »)"
    return None


def _is_url(value: Any) -> str | None:
    if not isinstance(value, str) or not (
        value == "" or value.startswith("https://") or value.startswith("http://")
    ):
        return "doit être une adresse http(s)"
    return None


def _is_env_name(value: Any) -> str | None:
    if not isinstance(value, str) or not (value == "" or _ENV_NAME.match(value)):
        return "doit être un nom de variable d'environnement (majuscules, chiffres, soulignés)"
    return None


def _is_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "doit valoir true ou false"


def _is_count(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "doit être un entier positif ou nul"
    return None


def _is_optional_duration(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return "doit être un nombre de secondes strictement positif"
    return None


def _one_of(choices: Iterable[str]) -> Callable[[Any], str | None]:
    allowed = tuple(choices)

    def check(value: Any) -> str | None:
        if value not in allowed:
            return "doit valoir " + " ou ".join(f"« {choice} »" for choice in allowed)
        return None

    return check


def _list_of(item_check: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return "doit être une liste"
        for index, item in enumerate(value):
            problem = item_check(item)
            if problem:
                return f"élément {index + 1} : {problem}"
        return None

    return check


def _is_list(value: Any) -> str | None:
    return None if isinstance(value, list) else "doit être une liste"


def _is_optional_slug(value: Any) -> str | None:
    return None if value == "" else _is_slug(value)


def _is_openness(value: Any) -> str | None:
    if isinstance(value, bool) or value not in Openness.values:
        return "doit valoir -1 (restreinte), 0 (ouverte avec compte) ou 1 (ouverte)"
    return None


def _is_optional_percent(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        return "doit être un pourcentage entre 0 et 100"
    return None


def _is_date(value: Any) -> str | None:
    return "doit être une date AAAA-MM-JJ" if value is None else _is_optional_date(value)


def _is_positive(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return "doit être un entier strictement positif"
    return None


def _as_date(value: str | datetime.date) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _is_optional_date(value: Any) -> str | None:
    if value is None or isinstance(value, datetime.date):
        return None
    if isinstance(value, str):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return None
    return "doit être une date AAAA-MM-JJ"


_PROVIDER_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "name": _Field(_is_nonempty_text, required=True),
    "acronym": _Field(_is_text, default=""),
    "website": _Field(_is_url, default=""),
}
_CONNECTOR_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "name": _Field(_is_nonempty_text, required=True),
    "kind": _Field(_one_of(ConnectorKind.values), required=True),
    "base_url": _Field(_is_url, default=""),
    "base_url_env": _Field(_is_env_name, default=""),
    "sandbox_path": _Field(_is_text, default=""),
    "auth_kind": _Field(_one_of(AuthKind.values), default=AuthKind.BEARER.value),
    "auth_header": _Field(_is_text, default=""),
    "auth_secret_env": _Field(_is_env_name, default=""),
    "sends_trace_parameters": _Field(_is_bool, default=True),
    "timeout_seconds": _Field(_is_optional_duration, default=None),
}
_LEGAL_BASIS_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "title": _Field(_is_nonempty_text, required=True),
    "reference": _Field(_is_text, default=""),
    "url": _Field(_is_url, default=""),
}
_SUPPORTING_DOCUMENT_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "name": _Field(_is_nonempty_text, required=True),
    "description": _Field(_is_text, default=""),
}
_DATASET_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "title": _Field(_is_nonempty_text, required=True),
    "description": _Field(_is_text, default=""),
    "provider": _Field(_is_slug, required=True),
    "connector": _Field(_is_slug, required=True),
    "subject_kind": _Field(_one_of(SubjectKind.values), required=True),
    "themes": _Field(_list_of(_is_nonempty_text), default=[]),
    "holds_personal_data": _Field(_is_bool, required=True),
    "cache_seconds": _Field(_is_count, default=0),
    "is_active": _Field(_is_bool, default=True),
    "legal_bases": _Field(_list_of(_is_slug), default=[]),
    "supporting_documents": _Field(_list_of(_is_slug), default=[]),
    "answer_shape": _Field(_list_of(_is_text), default=[]),
    "known_links": _Field(_list_of(_is_link_name), default=[]),
    "endpoints": _Field(_is_list, required=True),
    "scopes": _Field(_is_list, required=True),
    "terms": _Field(_is_list, default=[]),
    "use_cases": _Field(_is_list, default=[]),
    "changes": _Field(_is_list, default=[]),
}
_TERMS_FIELDS = {
    "version": _Field(_is_positive, required=True),
    "date": _Field(_is_date, required=True),
    "text": _Field(_is_nonempty_text, required=True),
}
_USE_CASE_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "name": _Field(_is_nonempty_text, required=True),
    "title": _Field(_is_nonempty_text, required=True),
    "purpose": _Field(_is_nonempty_text, required=True),
    "scopes": _Field(_list_of(_is_scope_slug), required=True),
    "legal_basis": _Field(_is_slug, required=True),
    "legal_basis_nature": _Field(_one_of(LegalBasisNature.values), required=True),
    "retention_months": _Field(_is_positive, required=True),
}
_CHANGE_FIELDS = {
    "date": _Field(_is_date, required=True),
    "kind": _Field(_one_of(DatasetChangeKind.values), required=True),
    "description": _Field(_is_nonempty_text, required=True),
}
_ENDPOINT_FIELDS = {
    "name": _Field(_is_slug, required=True),
    "path_template": _Field(_is_nonempty_text, required=True),
    "parameters": _Field(_is_list, default=[]),
}
_PARAMETER_FIELDS = {
    "name": _Field(_is_nonempty_text, required=True),
    "required": _Field(_is_bool, required=True),
    "pattern": _Field(_is_nonempty_text),
    "label": _Field(_is_text),
}
_SCOPE_FIELDS = {
    "slug": _Field(_is_scope_slug, required=True),
    "label": _Field(_is_nonempty_text, required=True),
    "description": _Field(_is_text, default=""),
    "fields": _Field(_list_of(_is_text), required=True),
}
_PUBLIC_API_PRODUCER_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "name": _Field(_is_nonempty_text, required=True),
    "acronym": _Field(_is_text, default=""),
    "kind": _Field(_is_text, default=""),
    "website": _Field(_is_url, default=""),
    "provider": _Field(_is_optional_slug, default=""),
}
_PUBLIC_API_FIELDS = {
    "slug": _Field(_is_slug, required=True),
    "title": _Field(_is_nonempty_text, required=True),
    "producer": _Field(_is_slug, required=True),
    "partners": _Field(_list_of(_is_nonempty_text), default=[]),
    "themes": _Field(_list_of(_is_nonempty_text), default=[]),
    "keywords": _Field(_list_of(_is_nonempty_text), default=[]),
    "subject_kind": _Field(_one_of(["", *SubjectKind.values]), default=""),
    "openness": _Field(_is_openness, required=True),
    "habilitation_url": _Field(_is_url, default=""),
    "documentation_url": _Field(_is_url, default=""),
    "website": _Field(_is_url, default=""),
    "contact": _Field(_is_text, default=""),
    "rate_limit": _Field(_is_text, default=""),
    "uptime_percent": _Field(_is_optional_percent, default=None),
    "monitoring_url": _Field(_is_url, default=""),
    "last_update": _Field(_is_optional_date, default=None),
    "source_url": _Field(_is_url, required=True),
    "gateway_datasets": _Field(_list_of(_is_slug), default=[]),
}
_SECTION_FIELDS = {
    "providers": _PROVIDER_FIELDS,
    "connectors": _CONNECTOR_FIELDS,
    "legal_bases": _LEGAL_BASIS_FIELDS,
    "supporting_documents": _SUPPORTING_DOCUMENT_FIELDS,
    "datasets": _DATASET_FIELDS,
    "public_api_producers": _PUBLIC_API_PRODUCER_FIELDS,
    "public_apis": _PUBLIC_API_FIELDS,
}
_SECTION_MODELS: dict[str, type[models.Model]] = {
    "providers": Provider,
    "connectors": Connector,
    "legal_bases": LegalBasis,
    "supporting_documents": SupportingDocument,
    "datasets": Dataset,
    "public_api_producers": PublicApiProducer,
    "public_apis": PublicApi,
}


@dataclass
class _Item:
    file: Path
    where: str
    values: dict[str, Any]


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: Path | str, where: str, message: str) -> None:
        self.items.append(f"{file} : {where} : {message}")


def _clean(
    raw: Any,
    spec: Mapping[str, _Field],
    model: type[models.Model] | None,
    file: Path,
    where: str,
    problems: _Problems,
) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problems.add(file, where, "doit être un ensemble de clés et de valeurs")
        return None
    ok = True
    for key in sorted(set(raw) - set(spec)):
        problems.add(file, f"{where}.{key}", "clé inconnue")
        ok = False
    cleaned: dict[str, Any] = {}
    for key, rule in spec.items():
        if key not in raw:
            if rule.required:
                problems.add(file, f"{where}.{key}", "clé obligatoire manquante")
                ok = False
            elif rule.default is not _NO_DEFAULT:
                cleaned[key] = copy.deepcopy(rule.default)
            continue
        value = raw[key]
        problem = rule.check(value)
        if problem is None and model is not None and isinstance(value, str):
            problem = _too_long(model, key, value)
        if problem:
            problems.add(file, f"{where}.{key}", problem)
            ok = False
            continue
        cleaned[key] = value
    return cleaned if ok else None


def _too_long(model: type[models.Model], key: str, value: str) -> str | None:
    try:
        model_field = model._meta.get_field(key)
    except Exception:  # the key is not a model column (lists checked elsewhere)
        return None
    max_length = getattr(model_field, "max_length", None)
    if max_length and len(value) > max_length:
        return f"trop long ({len(value)} caractères, {max_length} au plus)"
    return None


def _item_label(raw: Any, index: int) -> str:
    name = raw.get("slug") or raw.get("name") if isinstance(raw, dict) else None
    return f"[{index + 1}]" + (f" ({name})" if isinstance(name, str) else "")


def _read_files(directory: Path, problems: _Problems) -> tuple[list[Path], dict[str, list[_Item]]]:
    sections: dict[str, list[_Item]] = {section: [] for section in SECTIONS}
    if not directory.is_dir():
        problems.add(directory, "dossier", "introuvable")
        return [], sections
    files = sorted(
        path for path in directory.rglob("*") if path.suffix in (".yaml", ".yml") and path.is_file()
    )
    if not files:
        problems.add(directory, "dossier", "aucun fichier .yaml")
    for file in files:
        try:
            content = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            mark = getattr(error, "problem_mark", None)
            where = f"ligne {mark.line + 1}" if mark is not None else "fichier"
            problems.add(file, where, f"YAML illisible ({getattr(error, 'problem', error)})")
            continue
        if content is None:
            continue
        if not isinstance(content, dict):
            problems.add(
                file, "racine", "doit être un ensemble de sections (" + ", ".join(SECTIONS) + ")"
            )
            continue
        for key in sorted(set(content) - set(SECTIONS)):
            problems.add(file, key, "section inconnue (attendu : " + ", ".join(SECTIONS) + ")")
        for section in SECTIONS:
            entries = content.get(section)
            if entries is None:
                continue
            if not isinstance(entries, list):
                problems.add(file, section, "doit être une liste")
                continue
            for index, raw in enumerate(entries):
                where = f"{section}{_item_label(raw, index)}"
                values = _clean(
                    raw,
                    _SECTION_FIELDS[section],
                    _SECTION_MODELS[section],
                    file,
                    where,
                    problems,
                )
                if values is not None:
                    sections[section].append(_Item(file, where, values))
    return files, sections


def _check_unique(sections: dict[str, list[_Item]], problems: _Problems) -> None:
    for items in sections.values():
        seen: dict[str, _Item] = {}
        for item in items:
            slug = item.values["slug"]
            if slug in seen:
                first = seen[slug]
                problems.add(
                    item.file,
                    f"{item.where}.slug",
                    f"« {slug} » est déjà défini dans {first.file} ({first.where})",
                )
            else:
                seen[slug] = item


def _known_slugs(section: str, sections: dict[str, list[_Item]]) -> set[str]:
    model = _SECTION_MODELS[section]
    in_files = {item.values["slug"] for item in sections[section]}
    return in_files | set(model._default_manager.values_list("slug", flat=True))


def _check_connectors(sections: dict[str, list[_Item]], problems: _Problems) -> None:
    for item in sections["connectors"]:
        values = item.values
        if (
            not values.get("base_url")
            and not values.get("base_url_env")
            and not values.get("sandbox_path")
        ):
            problems.add(
                item.file,
                item.where,
                "indiquer au moins base_url, base_url_env ou sandbox_path pour joindre le "
                "fournisseur",
            )
        if values.get("auth_kind") == AuthKind.HEADER and not values.get("auth_header"):
            problems.add(
                item.file,
                f"{item.where}.auth_header",
                "obligatoire quand auth_kind vaut « header »",
            )
        if (
            values.get("kind") == ConnectorKind.REST
            and values.get("auth_kind") != AuthKind.NONE
            and not values.get("auth_secret_env")
        ):
            problems.add(
                item.file,
                f"{item.where}.auth_secret_env",
                "obligatoire quand le connecteur s'authentifie (sinon auth_kind: none)",
            )


def _check_datasets(sections: dict[str, list[_Item]], problems: _Problems) -> None:
    known = {
        section: _known_slugs(section, sections)
        for section in ("providers", "connectors", "legal_bases", "supporting_documents")
    }
    for item in sections["datasets"]:
        values = item.values
        for key, section in (("provider", "providers"), ("connector", "connectors")):
            if values[key] not in known[section]:
                problems.add(
                    item.file, f"{item.where}.{key}", f"« {values[key]} » n'est défini nulle part"
                )
        for key in ("legal_bases", "supporting_documents"):
            for slug in values[key]:
                if slug not in known[key]:
                    problems.add(
                        item.file, f"{item.where}.{key}", f"« {slug} » n'est défini nulle part"
                    )
            if len(set(values[key])) != len(values[key]):
                problems.add(item.file, f"{item.where}.{key}", "contient un doublon")
        if values["holds_personal_data"] and values["cache_seconds"]:
            problems.add(
                item.file,
                f"{item.where}.cache_seconds",
                "doit valoir 0 : les réponses contenant des données personnelles ne sont jamais "
                "mises en cache",
            )
        values["endpoints"] = _clean_endpoints(item, problems)
        values["scopes"] = _clean_scopes(item, problems)
        _check_answer_shape(item, problems)
        values["terms"] = _clean_terms(item, problems)
        values["use_cases"] = _clean_use_cases(item, known["legal_bases"], problems)
        values["changes"] = [
            change
            for index, raw in enumerate(values["changes"])
            if (
                change := _clean(
                    raw,
                    _CHANGE_FIELDS,
                    None,
                    item.file,
                    f"{item.where}.changes[{index + 1}]",
                    problems,
                )
            )
            is not None
        ]


def _clean_terms(item: _Item, problems: _Problems) -> list[dict[str, Any]]:
    """Versions numbered without gaps from 1, dated in the same order."""
    versions: list[dict[str, Any]] = []
    for index, raw in enumerate(item.values["terms"]):
        where = f"{item.where}.terms[{index + 1}]"
        version = _clean(raw, _TERMS_FIELDS, None, item.file, where, problems)
        if version is not None:
            version["date"] = _as_date(version["date"])
            versions.append(version)
    versions.sort(key=lambda version: version["version"])
    numbers = [version["version"] for version in versions]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.add(
            item.file,
            f"{item.where}.terms",
            "les versions doivent être numérotées 1, 2, 3… sans doublon ni trou",
        )
    dates = [version["date"] for version in versions]
    if dates != sorted(dates):
        problems.add(
            item.file, f"{item.where}.terms", "une version ne peut pas précéder la précédente"
        )
    return versions


def _clean_use_cases(
    item: _Item, known_legal_bases: set[str], problems: _Problems
) -> list[dict[str, Any]]:
    """Templates may only tick the dataset's own scopes and cite its own legal bases."""
    scope_slugs = {scope["slug"] for scope in item.values["scopes"]}
    use_cases: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(item.values["use_cases"]):
        where = f"{item.where}.use_cases{_item_label(raw, index)}"
        use_case = _clean(raw, _USE_CASE_FIELDS, UseCaseTemplate, item.file, where, problems)
        if use_case is None:
            continue
        if use_case["slug"] in seen:
            problems.add(item.file, f"{where}.slug", f"« {use_case['slug']} » apparaît deux fois")
        seen.add(use_case["slug"])
        if len(use_case["title"]) > 255:
            problems.add(item.file, f"{where}.title", "trop long (255 caractères au plus)")
        if not use_case["scopes"]:
            problems.add(item.file, f"{where}.scopes", "au moins un périmètre est nécessaire")
        for slug in use_case["scopes"]:
            if slug not in scope_slugs:
                problems.add(
                    item.file, f"{where}.scopes", f"« {slug} » n'est pas un périmètre de ce jeu"
                )
        if use_case["legal_basis"] not in item.values["legal_bases"]:
            problems.add(
                item.file,
                f"{where}.legal_basis",
                f"« {use_case['legal_basis']} » doit être un des cadres juridiques du jeu "
                "de données (legal_bases)",
            )
        elif use_case["legal_basis"] not in known_legal_bases:
            problems.add(
                item.file,
                f"{where}.legal_basis",
                f"« {use_case['legal_basis']} » n'est défini nulle part",
            )
        use_cases.append(use_case)
    return use_cases


def _check_public_apis(sections: dict[str, list[_Item]], problems: _Problems) -> None:
    known = {
        section: _known_slugs(section, sections)
        for section in ("providers", "datasets", "public_api_producers")
    }
    for item in sections["public_api_producers"]:
        provider = item.values["provider"]
        if provider and provider not in known["providers"]:
            problems.add(
                item.file, f"{item.where}.provider", f"« {provider} » n'est défini nulle part"
            )
    for item in sections["public_apis"]:
        values = item.values
        if values["producer"] not in known["public_api_producers"]:
            problems.add(
                item.file,
                f"{item.where}.producer",
                f"« {values['producer']} » n'est défini nulle part",
            )
        for slug in values["gateway_datasets"]:
            if slug not in known["datasets"]:
                problems.add(
                    item.file,
                    f"{item.where}.gateway_datasets",
                    f"« {slug} » n'est défini nulle part",
                )
        if len(set(values["gateway_datasets"])) != len(values["gateway_datasets"]):
            problems.add(item.file, f"{item.where}.gateway_datasets", "contient un doublon")


def _clean_endpoints(item: _Item, problems: _Problems) -> list[dict[str, Any]]:
    endpoints: list[dict[str, Any]] = []
    raw_endpoints = item.values["endpoints"]
    if not raw_endpoints:
        problems.add(
            item.file, f"{item.where}.endpoints", "au moins un point d'accès est nécessaire"
        )
    names: set[str] = set()
    for index, raw in enumerate(raw_endpoints):
        where = f"{item.where}.endpoints{_item_label(raw, index)}"
        endpoint = _clean(raw, _ENDPOINT_FIELDS, Endpoint, item.file, where, problems)
        if endpoint is None:
            continue
        if endpoint["name"] in names:
            problems.add(item.file, f"{where}.name", f"« {endpoint['name']} » apparaît deux fois")
        names.add(endpoint["name"])
        if not endpoint["path_template"].startswith("/"):
            problems.add(item.file, f"{where}.path_template", "doit commencer par « / »")
        parameters: list[dict[str, Any]] = []
        for p_index, raw_parameter in enumerate(endpoint["parameters"]):
            p_where = f"{where}.parameters{_item_label(raw_parameter, p_index)}"
            parameter = _clean(raw_parameter, _PARAMETER_FIELDS, None, item.file, p_where, problems)
            if parameter is None:
                continue
            if "pattern" in parameter:
                try:
                    re.compile(parameter["pattern"])
                except re.error as error:
                    problems.add(
                        item.file, f"{p_where}.pattern", f"expression régulière invalide ({error})"
                    )
            parameters.append(parameter)
        parameter_names = [parameter["name"] for parameter in parameters]
        if len(set(parameter_names)) != len(parameter_names):
            problems.add(item.file, f"{where}.parameters", "un paramètre apparaît deux fois")
        required = {parameter["name"] for parameter in parameters if parameter["required"]}
        for placeholder in _PATH_PLACEHOLDER.findall(endpoint["path_template"]):
            if placeholder not in required:
                problems.add(
                    item.file,
                    f"{where}.path_template",
                    f"{{{placeholder}}} doit être un paramètre obligatoire du point d'accès",
                )
        endpoint["parameters"] = [_ordered_parameter(parameter) for parameter in parameters]
        endpoints.append(endpoint)
    return endpoints


def _ordered_parameter(parameter: Mapping[str, Any]) -> dict[str, Any]:
    ordered = {"name": parameter["name"], "required": parameter["required"]}
    for key in ("pattern", "label"):
        if key in parameter:
            ordered[key] = parameter[key]
    return ordered


def _clean_scopes(item: _Item, problems: _Problems) -> list[dict[str, Any]]:
    scopes: list[dict[str, Any]] = []
    raw_scopes = item.values["scopes"]
    if not raw_scopes:
        problems.add(item.file, f"{item.where}.scopes", "au moins un périmètre est nécessaire")
    slugs: set[str] = set()
    for index, raw in enumerate(raw_scopes):
        where = f"{item.where}.scopes{_item_label(raw, index)}"
        scope = _clean(raw, _SCOPE_FIELDS, Scope, item.file, where, problems)
        if scope is None:
            continue
        if scope["slug"] in slugs:
            problems.add(item.file, f"{where}.slug", f"« {scope['slug']} » apparaît deux fois")
        slugs.add(scope["slug"])
        fields = scope["fields"]
        if not fields:
            problems.add(item.file, f"{where}.fields", "au moins un champ est nécessaire")
        for path in fields:
            if not _FIELD_PATH.match(path):
                problems.add(
                    item.file,
                    f"{where}.fields",
                    f"« {path} » n'est pas un chemin de champ (ex. « quotient_familial », "
                    "« admissions[].est_inscrit », « a.b » ou « * »)",
                )
        if "*" in fields and len(fields) > 1:
            problems.add(
                item.file, f"{where}.fields", "« * » ouvre toute la réponse et s'emploie seul"
            )
        scopes.append(scope)
    return scopes


def _path_names(path: str) -> tuple[str, ...]:
    return tuple(part.removesuffix("[]") for part in path.split("."))


def _check_answer_shape(item: _Item, problems: _Problems) -> None:
    """The shape lists leaves; every path a scope names must lead to at least one of them."""
    shape = item.values["answer_shape"]
    where = f"{item.where}.answer_shape"
    for path in shape:
        if path == "*" or not _FIELD_PATH.match(path):
            problems.add(
                item.file,
                where,
                f"« {path} » n'est pas un chemin de champ (ex. « quotient_familial.valeur », "
                "« admissions[].est_inscrit » ou « prenoms[] »)",
            )
    if not shape:
        return
    leaves = [_path_names(path) for path in shape]
    for scope in item.values["scopes"]:
        for path in scope["fields"]:
            names = _path_names(path)
            if path != "*" and not any(leaf[: len(names)] == names for leaf in leaves):
                problems.add(
                    item.file,
                    where,
                    f"le champ « {path} » du périmètre « {scope['slug']} » ne mène à aucun "
                    "chemin de la forme de la réponse",
                )


# --- Writing ---------------------------------------------------------------------------------


def _sync_fields(instance: models.Model, values: Mapping[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(instance, key) != value:
            setattr(instance, key, value)
            changed = True
    return changed


def _upsert_by_slug(
    model: type[models.Model], values: Mapping[str, Any], counts: KindCounts
) -> models.Model:
    slug = values["slug"]
    instance = model._default_manager.filter(slug=slug).first()
    attributes = {key: value for key, value in values.items() if key != "slug"}
    if instance is None:
        counts.created += 1
        return model._default_manager.create(slug=slug, **attributes)
    if _sync_fields(instance, attributes):
        instance.save()
        counts.updated += 1
    else:
        counts.unchanged += 1
    return instance


def _write_dataset(values: Mapping[str, Any], report: LoadReport, refusals: list[str]) -> None:
    provider = Provider.objects.get(slug=values["provider"])
    connector = Connector.objects.get(slug=values["connector"])
    attributes = {
        key: values[key]
        for key in (
            "title",
            "description",
            "subject_kind",
            "themes",
            "holds_personal_data",
            "cache_seconds",
            "is_active",
            "answer_shape",
            "known_links",
        )
    }
    dataset = Dataset.objects.filter(slug=values["slug"]).first()
    counts = report.counts["datasets"]
    before = _published_shape(dataset) if dataset is not None else None
    if dataset is None:
        dataset = Dataset.objects.create(
            slug=values["slug"], provider=provider, connector=connector, **attributes
        )
        changed, created = True, True
    else:
        created = False
        changed = _sync_fields(dataset, attributes)
        if dataset.provider_id != provider.pk or dataset.connector_id != connector.pk:
            dataset.provider, dataset.connector = provider, connector
            changed = True
        if changed:
            dataset.save()
    changed |= _sync_relation(dataset.legal_bases, LegalBasis, values["legal_bases"])
    changed |= _sync_relation(
        dataset.supporting_documents, SupportingDocument, values["supporting_documents"]
    )
    changed |= _sync_endpoints(dataset, values["endpoints"], report.counts["endpoints"])
    changed |= _sync_scopes(dataset, values["scopes"], report.counts["scopes"], refusals)
    changed |= _sync_terms(dataset, values["terms"], report.counts["terms_versions"], refusals)
    changed |= _sync_use_cases(dataset, values["use_cases"], report.counts["use_cases"])
    changed |= _record_seeded_changes(dataset, values["changes"], report.counts["changes"])
    if before is not None:
        changed |= _record_detected_changes(
            dataset, before, _published_shape(dataset), report.counts["changes"]
        )
    if created:
        counts.created += 1
    elif changed:
        counts.updated += 1
    else:
        counts.unchanged += 1


def _sync_relation(manager: Any, model: type[models.Model], slugs: list[str]) -> bool:
    current = set(manager.values_list("slug", flat=True))
    if current == set(slugs):
        return False
    manager.set(model._default_manager.filter(slug__in=slugs))
    return True


def _sync_children(
    existing: dict[str, Any],
    items: list[dict[str, Any]],
    *,
    key: str,
    attributes: Callable[[dict[str, Any], int], dict[str, Any]],
    create: Callable[[str, dict[str, Any]], object],
    counts: KindCounts,
) -> bool:
    """Create or update a dataset's endpoints or scopes in file order; ``existing`` keeps the
    ones the files no longer name, for the caller to decide about."""
    changed = False
    for position, values in enumerate(items):
        wanted = attributes(values, position)
        child = existing.pop(values[key], None)
        if child is None:
            create(values[key], wanted)
            counts.created += 1
            changed = True
        elif _sync_fields(child, wanted):
            child.save()
            counts.updated += 1
            changed = True
        else:
            counts.unchanged += 1
    return changed


def _sync_endpoints(dataset: Dataset, endpoints: list[dict[str, Any]], counts: KindCounts) -> bool:
    existing = {endpoint.name: endpoint for endpoint in dataset.endpoints.all()}
    changed = _sync_children(
        existing,
        endpoints,
        key="name",
        attributes=lambda values, position: {
            "path_template": values["path_template"],
            "parameters": values["parameters"],
            "position": position,
        },
        create=lambda name, attributes: Endpoint.objects.create(
            dataset=dataset, name=name, **attributes
        ),
        counts=counts,
    )
    for endpoint in existing.values():
        endpoint.delete()
        counts.deleted += 1
        changed = True
    return changed


def _sync_scopes(
    dataset: Dataset, scopes: list[dict[str, Any]], counts: KindCounts, refusals: list[str]
) -> bool:
    existing = {scope.slug: scope for scope in dataset.scopes.all()}
    changed = _sync_children(
        existing,
        scopes,
        key="slug",
        attributes=lambda values, position: {
            "label": values["label"],
            "description": values["description"],
            "fields": values["fields"],
            "position": position,
        },
        create=lambda slug, attributes: Scope.objects.create(
            dataset=dataset, slug=slug, **attributes
        ),
        counts=counts,
    )
    for scope in existing.values():
        holders = scope.habilitations.count()
        if holders:
            refusals.append(
                f"Le périmètre « {scope.slug} » du jeu de données « {dataset.slug} » a disparu des "
                "fichiers mais "
                + plural(holders, "habilitation l'utilise", "habilitations l'utilisent")
                + " encore : il n'est pas "
                "supprimé. Remettez-le dans les fichiers ou retirez-le d'abord des habilitations."
            )
            continue
        scope.delete()
        counts.deleted += 1
        changed = True
    return changed


def _sync_terms(
    dataset: Dataset, versions: list[dict[str, Any]], counts: KindCounts, refusals: list[str]
) -> bool:
    """Add the new versions; a published version is never rewritten (applicants accepted it)."""
    existing = {version.number: version for version in dataset.terms_versions.all()}
    changed = False
    for values in versions:
        version = existing.get(values["version"])
        if version is None:
            TermsVersion.objects.create(
                dataset=dataset,
                number=values["version"],
                published_on=values["date"],
                text=values["text"].strip(),
            )
            counts.created += 1
            changed = True
        elif version.text != values["text"].strip() or version.published_on != values["date"]:
            refusals.append(
                f"La version {version.number} des conditions d'utilisation de « {dataset.slug} » "
                "est déjà publiée et ne peut plus changer : ajoutez une nouvelle version."
            )
        else:
            counts.unchanged += 1
    return changed


def _sync_use_cases(dataset: Dataset, use_cases: list[dict[str, Any]], counts: KindCounts) -> bool:
    # Requests keep a copy of what a template prefilled, so removing one loses nothing.
    legal_bases = dict(LegalBasis.objects.values_list("slug", "pk"))
    existing = {use_case.slug: use_case for use_case in dataset.use_cases.all()}
    changed = _sync_children(
        existing,
        use_cases,
        key="slug",
        attributes=lambda values, position: {
            "name": values["name"],
            "request_title": values["title"],
            "purpose": values["purpose"].strip(),
            "scope_slugs": values["scopes"],
            "legal_basis_id": legal_bases[values["legal_basis"]],
            "legal_basis_nature": values["legal_basis_nature"],
            "retention_months": values["retention_months"],
            "position": position,
        },
        create=lambda slug, attributes: UseCaseTemplate.objects.create(
            dataset=dataset, slug=slug, **attributes
        ),
        counts=counts,
    )
    for use_case in existing.values():
        use_case.delete()
        counts.deleted += 1
        changed = True
    return changed


@dataclass(frozen=True)
class _PublishedShape:
    """What consumers of a dataset rely on, compared before and after a reload."""

    scopes: dict[str, tuple[str, tuple[str, ...]]]  # slug -> (label, fields)
    endpoints: dict[str, str]  # name -> path template
    terms: dict[int, datetime.date]  # version number -> publication date


def _published_shape(dataset: Dataset) -> _PublishedShape:
    return _PublishedShape(
        scopes={
            scope.slug: (scope.label, tuple(scope.fields))
            for scope in Scope.objects.filter(dataset=dataset)
        },
        endpoints=dict(
            Endpoint.objects.filter(dataset=dataset).values_list("name", "path_template")
        ),
        terms=dict(
            TermsVersion.objects.filter(dataset=dataset).values_list("number", "published_on")
        ),
    )


def _record_detected_changes(
    dataset: Dataset, before: _PublishedShape, after: _PublishedShape, counts: KindCounts
) -> bool:
    """Write a changelog line for each change a consumer must know about.

    Comparing the database before and after the reload (rather than the files with the
    database) makes a second load of the same files record nothing.
    """
    today = timezone.localdate()
    lines: list[tuple[datetime.date, DatasetChangeKind, str]] = []
    for slug in after.scopes.keys() - before.scopes.keys():
        lines.append(
            (today, DatasetChangeKind.SCOPE_ADDED, f"Périmètre « {after.scopes[slug][0]} » ajouté.")
        )
    for slug in before.scopes.keys() - after.scopes.keys():
        lines.append(
            (
                today,
                DatasetChangeKind.SCOPE_REMOVED,
                f"Périmètre « {before.scopes[slug][0]} » retiré.",
            )
        )
    for slug in before.scopes.keys() & after.scopes.keys():
        label, old_fields = before.scopes[slug]
        new_fields = after.scopes[slug][1]
        for path in sorted(set(old_fields) - set(new_fields)):
            lines.append(
                (
                    today,
                    DatasetChangeKind.FIELD_REMOVED,
                    f"Champ « {path} » retiré du périmètre « {label} ».",
                )
            )
        for path in sorted(set(new_fields) - set(old_fields)):
            lines.append(
                (
                    today,
                    DatasetChangeKind.FIELD_ADDED,
                    f"Champ « {path} » ajouté au périmètre « {label} ».",
                )
            )
    for name in sorted(before.endpoints.keys() & after.endpoints.keys()):
        if before.endpoints[name] != after.endpoints[name]:
            lines.append(
                (
                    today,
                    DatasetChangeKind.ADDRESS,
                    f"Adresse du point d'accès « {name} » : {before.endpoints[name]} devient "
                    f"{after.endpoints[name]}.",
                )
            )
    for number in sorted(after.terms.keys() - before.terms.keys()):
        # The files often announce a new version in their own words: one line is enough.
        if DatasetChange.objects.filter(
            dataset=dataset, kind=DatasetChangeKind.TERMS, occurred_on=after.terms[number]
        ).exists():
            continue
        lines.append(
            (
                after.terms[number],
                DatasetChangeKind.TERMS,
                f"Version {number} des conditions d'utilisation publiée : les demandes en cours "
                "doivent l'accepter de nouveau.",
            )
        )
    for occurred_on, kind, description in sorted(lines):
        DatasetChange.objects.create(
            dataset=dataset,
            occurred_on=occurred_on,
            kind=kind,
            description=description,
            detected=True,
        )
        counts.created += 1
    return bool(lines)


def _record_seeded_changes(
    dataset: Dataset, changes: list[dict[str, Any]], counts: KindCounts
) -> bool:
    """Lines written in the files are added once; the changelog is never rewritten."""
    changed = False
    for values in changes:
        _, created = DatasetChange.objects.get_or_create(
            dataset=dataset,
            occurred_on=_as_date(values["date"]),
            kind=values["kind"],
            description=values["description"].strip(),
            defaults={"detected": False},
        )
        if created:
            counts.created += 1
            changed = True
        else:
            counts.unchanged += 1
    return changed


def _write_public_api_producers(items: list[_Item], report: LoadReport) -> None:
    counts = report.counts["public_api_producers"]
    providers = dict(Provider.objects.values_list("slug", "pk"))
    existing = {producer.slug: producer for producer in PublicApiProducer.objects.all()}
    for item in items:
        values = dict(item.values)
        provider_slug = values.pop("provider")
        values["provider_id"] = providers[provider_slug] if provider_slug else None
        producer = existing.get(values["slug"])
        if producer is None:
            PublicApiProducer.objects.create(**values)
            counts.created += 1
        elif _sync_fields(producer, values):
            producer.save()
            counts.updated += 1
        else:
            counts.unchanged += 1


def _write_public_apis(items: list[_Item], report: LoadReport) -> None:
    """Bulk writes: the api.gouv.fr list is long and loaded on every ``load_catalogue``."""
    counts = report.counts["public_apis"]
    producers = dict(PublicApiProducer.objects.values_list("slug", "pk"))
    datasets = dict(Dataset.objects.values_list("slug", "pk"))
    existing = {api.slug: api for api in PublicApi.objects.all()}
    links = PublicApi.gateway_datasets.through
    current_links: dict[int, set[int]] = {}
    for api_id, dataset_id in links.objects.values_list("publicapi_id", "dataset_id"):
        current_links.setdefault(api_id, set()).add(dataset_id)

    to_create: list[PublicApi] = []
    wanted_links: dict[str, set[int]] = {}
    changed_slugs: set[str] = set()
    for item in items:
        values = dict(item.values)
        slug = values["slug"]
        wanted_links[slug] = {datasets[name] for name in values.pop("gateway_datasets")}
        values["producer_id"] = producers[values.pop("producer")]
        if isinstance(values["last_update"], str):
            values["last_update"] = datetime.date.fromisoformat(values["last_update"])
        api = existing.get(slug)
        if api is None:
            to_create.append(PublicApi(**values))
        elif _sync_fields(api, values):
            api.save()
            changed_slugs.add(slug)
    PublicApi.objects.bulk_create(to_create)
    counts.created += len(to_create)

    ids = dict(PublicApi.objects.filter(slug__in=wanted_links).values_list("slug", "pk"))
    new_links: list[Any] = []
    for slug, dataset_ids in wanted_links.items():
        api_id = ids[slug]
        current = current_links.get(api_id, set())
        if current == dataset_ids:
            continue
        if slug in existing:
            changed_slugs.add(slug)
        if current - dataset_ids:
            links.objects.filter(publicapi_id=api_id, dataset_id__in=current - dataset_ids).delete()
        new_links.extend(
            links(publicapi_id=api_id, dataset_id=dataset_id)
            for dataset_id in dataset_ids - current
        )
    links.objects.bulk_create(new_links)
    counts.updated += len(changed_slugs)
    counts.unchanged += sum(1 for slug in wanted_links if slug in existing) - len(changed_slugs)


@transaction.atomic
def catalogue_load(*, directory: Path | None = None) -> LoadReport:
    """Create or update the catalogue from the seed files of ``directory`` (``data/`` by default).

    Idempotent: a second run with the same files changes nothing. Entries are matched by slug;
    endpoints and scopes missing from a dataset's file are removed, except scopes still held by
    a habilitation (the whole load is then refused). Datasets absent from the files are left
    alone, so a directory may hold only part of the catalogue; so are public APIs. Raises
    CatalogueError, with every problem found, before anything is written.
    """
    directory = (directory or DEFAULT_DATA_DIR).resolve()
    problems = _Problems()
    files, sections = _read_files(directory, problems)
    _check_unique(sections, problems)
    _check_connectors(sections, problems)
    _check_datasets(sections, problems)
    _check_public_apis(sections, problems)
    if problems.items:
        raise CatalogueError(problems.items)

    report = LoadReport(directory=directory, files=files)
    for section in ("providers", "connectors", "legal_bases", "supporting_documents"):
        for item in sections[section]:
            _upsert_by_slug(_SECTION_MODELS[section], item.values, report.counts[section])
    refusals: list[str] = []
    for item in sections["datasets"]:
        _write_dataset(item.values, report, refusals)
    if refusals:
        # Raising inside the atomic block rolls back everything written above.
        raise CatalogueError(refusals)
    _write_public_api_producers(sections["public_api_producers"], report)
    _write_public_apis(sections["public_apis"], report)
    slugs = [item.values["slug"] for item in sections["datasets"]]
    transaction.on_commit(lambda: forget_dataset_rules(slugs))
    return report
