"""The sandbox's test identities: cases in the upstream mock format, and how a request finds one.

A case says what a caller sends (``params``) and what the provider answers (``status`` and
``payload``, the JSON text of the answer). The project's own cases live in ``data/`` (one file per
endpoint, see data/README.md); directories of upstream mock cases (one folder per endpoint, one
case per file) can be loaded as well with ``load_upstream_mock_directory``.

Matching is forgiving: names and values are compared after normalisation (case, accents, spaces
and hyphens, leading zeros of numbers), first names may come as one parameter or several, and the
request may carry parameters the case does not name. Among the cases that match, the one naming
the most parameters wins.
"""

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dlnuf.sandbox.endpoints import (
    ENDPOINTS,
    UPSTREAM_MOCK_FOLDERS,
    SandboxEndpoint,
    endpoint_by_key,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

OUTCOMES = (
    "found",
    "partial",
    "not_found",
    "error",
    "slow",
    "malformed",
    "refused",
    "rate_limited",
)
_CASE_KEYS = frozenset(
    {"label", "outcome", "params", "status", "payload", "delay", "raw", "description", "title"}
)
_UPSTREAM_ONLY_KEYS = frozenset({"example"})


class CaseFileError(ImproperlyConfigured):
    """A case file cannot be read; the message names the file and the key."""


@dataclass(frozen=True)
class SandboxCase:
    endpoint: SandboxEndpoint
    label: str
    outcome: str
    params: Mapping[str, Any]  # as written in the case file
    status: int
    body: bytes
    slow: bool
    origin: str  # file the case comes from
    normalised: Mapping[str, str] = field(compare=False)


@dataclass(frozen=True)
class SandboxIdentity:
    """A test identity to show people or use in tests: what to send and what comes back."""

    dataset: str
    path_template: str
    label: str
    outcome: str
    status: int
    params: dict[str, str | list[str]]  # request parameter names, e.g. "prenoms[]": [...]


# --- Normalisation ---------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-'’_.,]+")


def normalise_name(name: str) -> str:
    return name.removesuffix("[]")


def normalise_value(value: Any) -> str:
    """A form of ``value`` that ignores case, accents, separators and leading zeros."""
    if isinstance(value, list | tuple):
        return " ".join(part for part in (normalise_value(item) for item in value) if part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = _SEPARATORS.sub(" ", text).strip()
    if text.isdigit():
        return str(int(text))
    return text


def _normalise_params(params: Mapping[str, Any]) -> dict[str, str]:
    return {normalise_name(name): normalise_value(value) for name, value in params.items()}


# --- Reading case files ----------------------------------------------------------------------


def _problem(origin: str, where: str, message: str) -> CaseFileError:
    return CaseFileError(f"{origin} : {where} : {message}")


def _build_case(
    endpoint: SandboxEndpoint, raw: Any, origin: str, where: str, *, upstream: bool
) -> SandboxCase:
    if not isinstance(raw, dict):
        raise _problem(origin, where, "un cas doit être un ensemble de clés et de valeurs")
    allowed = _CASE_KEYS | (_UPSTREAM_ONLY_KEYS if upstream else frozenset())
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _problem(origin, f"{where}.{unknown[0]}", "clé inconnue")
    for key in ("params", "status", "payload"):
        if key not in raw:
            raise _problem(origin, f"{where}.{key}", "clé obligatoire manquante")
    params = raw["params"] or {}
    if not isinstance(params, dict) or not all(isinstance(name, str) for name in params):
        raise _problem(
            origin, f"{where}.params", "doit associer des noms de paramètres à des valeurs"
        )
    status = raw["status"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise _problem(origin, f"{where}.status", "doit être un code HTTP")
    payload = raw["payload"]
    if not isinstance(payload, str):
        raise _problem(origin, f"{where}.payload", "doit être le texte de la réponse")
    if not raw.get("raw", False):
        try:
            json.loads(payload)
        except ValueError as error:
            raise _problem(
                origin, f"{where}.payload", f"JSON invalide ({error}) ; ajouter raw: true si voulu"
            ) from error
    delay = raw.get("delay")
    if delay not in (None, "slow"):
        raise _problem(origin, f"{where}.delay", "seule la valeur « slow » est connue")
    outcome = raw.get("outcome") or _outcome_of(status, delay, raw.get("raw", False))
    if outcome not in OUTCOMES:
        raise _problem(origin, f"{where}.outcome", "doit valoir " + ", ".join(OUTCOMES))
    label = raw.get("label") or _label_of(raw) or where
    return SandboxCase(
        endpoint=endpoint,
        label=str(label),
        outcome=outcome,
        params=params,
        status=status,
        body=payload.encode(),
        slow=delay == "slow",
        origin=origin,
        normalised=_normalise_params(params),
    )


def _outcome_of(status: int, delay: str | None, raw: bool) -> str:
    if delay == "slow":
        return "slow"
    if raw:
        return "malformed"
    if status < 300:
        return "found"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "error"
    return "refused"


def _label_of(raw: Mapping[str, Any]) -> str:
    for key in ("title", "description"):
        text = raw.get(key)
        if isinstance(text, str):
            for line in text.splitlines():
                line = line.strip().lstrip("#").strip()
                if line:
                    return line
    return ""


def _read_yaml(path: Path) -> list[Any]:
    try:
        return [
            doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None
        ]
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise CaseFileError(f"{path} : YAML illisible ({error})") from error


def load_case_directory(directory: Path) -> list[SandboxCase]:
    """Read the project's own case files: each names its endpoint and lists its cases."""
    cases: list[SandboxCase] = []
    for path in sorted(directory.rglob("*.yaml")):
        for document in _read_yaml(path):
            origin = str(path)
            if not isinstance(document, dict):
                raise _problem(origin, "racine", "doit contenir family, path et cases")
            family, template = document.get("family"), document.get("path")
            endpoint = (
                endpoint_by_key(family, template)
                if isinstance(family, str) and isinstance(template, str)
                else None
            )
            if endpoint is None:
                raise _problem(
                    origin,
                    "family/path",
                    f"« {family} {template} » n'est pas un point d'accès du bac à sable",
                )
            entries = document.get("cases")
            if not isinstance(entries, list) or not entries:
                raise _problem(origin, "cases", "doit être une liste non vide")
            for index, raw in enumerate(entries):
                cases.append(
                    _build_case(endpoint, raw, origin, f"cases[{index + 1}]", upstream=False)
                )
    return cases


def load_upstream_mock_directory(path: Path) -> list[SandboxCase]:
    """Read a directory of upstream mock cases (``<folder>/<case>.yaml``).

    Folders are mapped to sandbox endpoints by their upstream names
    (``api_particulier_v3_cnav_quotient_familial_with_civility`` …); folders for endpoints the
    sandbox does not serve are skipped (see ``unmapped_upstream_folders``).
    """
    cases: list[SandboxCase] = []
    for folder in sorted(child for child in path.iterdir() if child.is_dir()):
        key = UPSTREAM_MOCK_FOLDERS.get(folder.name)
        if key is None:
            continue
        endpoint = endpoint_by_key(*key)
        if endpoint is None:  # pragma: no cover - the mapping only names served endpoints
            continue
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
        for file in files:
            for index, document in enumerate(_read_yaml(file)):
                cases.append(
                    _build_case(endpoint, document, str(file), f"cas {index + 1}", upstream=True)
                )
    return cases


def unmapped_upstream_folders(path: Path) -> list[str]:
    return sorted(
        child.name
        for child in path.iterdir()
        if child.is_dir() and child.name not in UPSTREAM_MOCK_FOLDERS
    )


# --- The store ---------------------------------------------------------------------------------


class CaseStore:
    def __init__(self, own: Sequence[SandboxCase], extra: Sequence[SandboxCase]) -> None:
        self.own = tuple(own)
        self.extra = tuple(extra)
        self._by_endpoint: dict[tuple[str, str], list[SandboxCase]] = {}
        # Extra cases come first so that, between equally specific cases, they win.
        for case in (*self.extra, *self.own):
            self._by_endpoint.setdefault(case.endpoint.key, []).append(case)

    def match(self, endpoint: SandboxEndpoint, request: Mapping[str, Any]) -> SandboxCase | None:
        """The most specific case all of whose parameters the request carries, equal."""
        normalised = _normalise_params(request)
        best: SandboxCase | None = None
        for case in self._by_endpoint.get(endpoint.key, ()):
            if best is not None and len(case.normalised) <= len(best.normalised):
                continue
            if all(normalised.get(name) == value for name, value in case.normalised.items()):
                best = case
        return best

    def identities(self, dataset: str) -> list[SandboxIdentity]:
        return [
            _identity(case) for case in (*self.own, *self.extra) if case.endpoint.dataset == dataset
        ]


def _identity(case: SandboxCase) -> SandboxIdentity:
    params: dict[str, str | list[str]] = {}
    for name, value in case.params.items():
        parameter = case.endpoint.parameter(normalise_name(name))
        if parameter is not None and parameter.repeated:
            items = value if isinstance(value, list) else [value]
            params[f"{parameter.name}[]"] = [str(item) for item in items]
        else:
            params[name] = str(value)
    return SandboxIdentity(
        dataset=case.endpoint.dataset,
        path_template=case.endpoint.path_template,
        label=case.label,
        outcome=case.outcome,
        status=case.status,
        params=params,
    )


@functools.lru_cache(maxsize=8)
def _store_for(extra_dirs: tuple[str, ...]) -> CaseStore:
    own = load_case_directory(DATA_DIR)
    extra: list[SandboxCase] = []
    for directory in extra_dirs:
        path = Path(directory)
        if not path.is_dir():
            raise CaseFileError(
                f"{path} : dossier de cas introuvable (DLNUF_SANDBOX_EXTRA_CASES_DIRS)"
            )
        extra.extend(_load_any_directory(path))
    return CaseStore(own, extra)


def _load_any_directory(path: Path) -> list[SandboxCase]:
    # A directory holding upstream folders is read in the upstream format; otherwise it holds
    # case files in the project's own format.
    if any(child.is_dir() and child.name in UPSTREAM_MOCK_FOLDERS for child in path.iterdir()):
        return load_upstream_mock_directory(path)
    return load_case_directory(path)


def case_store() -> CaseStore:
    """The cases of this process: the project's own, then those of DLNUF_SANDBOX_EXTRA_CASES_DIRS.

    Read once per process (and per distinct setting value).
    """
    extra: Iterable[str | Path] = settings.DLNUF_SANDBOX_EXTRA_CASES_DIRS
    return _store_for(tuple(str(directory) for directory in extra))


def sandbox_identities(dataset_slug: str) -> list[SandboxIdentity]:
    """The sandbox's test identities for a dataset, own cases first, in file order."""
    return case_store().identities(dataset_slug)


def served_datasets() -> list[str]:
    return sorted({endpoint.dataset for endpoint in ENDPOINTS})
