"""Refresh the reference data from its public sources: endoflife.date (one JSON document per
product) and the SILL's catalogue.

Every address goes through ``check_public_url`` (redirects too, one by one), answers are read
within a size limit, and a file is replaced only by a complete, valid new version written beside
it and renamed (atomic on the same file system). A product or a catalogue whose answer is not
valid keeps its previous data.
"""

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from dlnuf.toolbox.netguard import AddressRefused, check_public_url
from dlnuf.toolbox.tech_review.catalogues import EOL_FILE, SILL_FILE, read_json

EOL_BASE_URL = "https://endoflife.date/api"
SILL_URL = "https://code.gouv.fr/sill/api/sill.json"
TIMEOUT_SECONDS = 20.0
MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 3
EOL_FIELDS = ("cycle", "releaseDate", "eol", "latest", "lts", "codename", "extendedSupport")


class RefreshError(Exception):
    """A source that could not be read or did not hold what we expect; message in French."""


@dataclass
class RefreshOutcome:
    updated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def fetch_json(url: str, *, client: httpx.Client, max_bytes: int = MAX_BYTES) -> Any:
    for _ in range(MAX_REDIRECTS + 1):
        try:
            checked = check_public_url(url)
        except AddressRefused as error:
            raise RefreshError(str(error)) from error
        try:
            with client.stream("GET", checked, follow_redirects=False) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(checked, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise RefreshError(f"{checked} a répondu {response.status_code}.")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise RefreshError(f"{checked} : réponse de plus de {max_bytes} octets.")
        except httpx.HTTPError as error:
            raise RefreshError(f"{checked} injoignable ({type(error).__name__}).") from error
        try:
            return json.loads(bytes(body))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise RefreshError(f"{checked} : la réponse n'est pas du JSON valable.") from error
    raise RefreshError(f"Trop de redirections depuis {url}.")


def clean_eol_cycles(data: Any) -> list[dict[str, Any]]:
    """The cycles of an endoflife.date answer, with the fields we use; RefreshError when the
    answer is not a list of cycles."""
    if not isinstance(data, list):
        raise RefreshError("le relevé attendu est une liste de cycles.")
    cycles = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("cycle"), str | int | float):
            raise RefreshError("un cycle du relevé n'a pas de numéro.")
        cycle = {key: item[key] for key in EOL_FIELDS if key in item}
        cycle["cycle"] = str(item["cycle"])
        if not isinstance(cycle.get("eol"), str | bool):
            cycle["eol"] = False if "eol" not in item else bool(item["eol"])
        cycles.append(cycle)
    if not cycles:
        raise RefreshError("le relevé ne contient aucun cycle.")
    return cycles


def _first_text(item: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return ""


def clean_sill_entries(data: Any) -> list[dict[str, Any]]:
    """Id, name, description and licence of each software of the SILL's catalogue. The format
    has changed over time: the list may be the document itself or under a key, and the fields
    have carried several names, so each is looked for under its known names."""
    if isinstance(data, dict):
        data = next(
            (data[k] for k in ("softwares", "catalog", "software", "items") if k in data), None
        )
    if not isinstance(data, list):
        raise RefreshError("le catalogue du SILL attendu est une liste de logiciels.")
    entries = []
    for item in data:
        if not isinstance(item, dict):
            continue
        name = _first_text(item, "name", "softwareName")
        if not name:
            continue
        identifier = item.get("id", item.get("softwareId"))
        entries.append(
            {
                "id": identifier if isinstance(identifier, int | str) else None,
                "name": name[:200],
                "description": _first_text(item, "description", "softwareDescription", "function")[
                    :500
                ],
                "licence": _first_text(item, "license", "licence", "softwareLicense")[:100],
            }
        )
    if not entries:
        raise RefreshError("le catalogue du SILL ne contient aucun logiciel lisible.")
    return entries


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False, indent=1)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def refresh_eol(
    products: list[str], *, folder: Path, base_url: str, today: date, client: httpx.Client
) -> RefreshOutcome:
    outcome = RefreshOutcome()
    current = read_json(folder / EOL_FILE)
    known = current.get("products") if isinstance(current.get("products"), dict) else {}
    assert isinstance(known, dict)
    updated = dict(known)
    for product in products:
        url = f"{base_url.rstrip('/')}/{product}.json"
        try:
            cycles = clean_eol_cycles(fetch_json(url, client=client))
        except RefreshError as error:
            outcome.failed[product] = str(error)
            continue
        updated[product] = {"fetched": today.isoformat(), "cycles": cycles}
        outcome.updated.append(product)
    if outcome.updated:
        dates = [str(entry.get("fetched", "")) for entry in updated.values()]
        write_json_atomically(
            folder / EOL_FILE,
            {
                "source": current.get("source")
                or "https://endoflife.date (données sous licence MIT)",
                # The oldest product's date: the report never claims fresher data than it has.
                "snapshot_date": min(d for d in dates if d) if any(dates) else today.isoformat(),
                "products": dict(sorted(updated.items())),
            },
        )
    return outcome


def refresh_sill(*, folder: Path, url: str, today: date, client: httpx.Client) -> RefreshOutcome:
    outcome = RefreshOutcome()
    try:
        entries = clean_sill_entries(fetch_json(url, client=client))
    except RefreshError as error:
        outcome.failed["sill"] = str(error)
        return outcome
    write_json_atomically(
        folder / SILL_FILE,
        {
            "source": "https://code.gouv.fr/sill (Licence Ouverte / Etalab 2.0)",
            "snapshot_date": today.isoformat(),
            "partial": False,
            "entries": entries,
        },
    )
    outcome.updated.append("sill")
    return outcome


def make_client() -> httpx.Client:
    return httpx.Client(
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        headers={"User-Agent": "guichet-dlnuf (revue des technologies)"},
        trust_env=False,
    )
