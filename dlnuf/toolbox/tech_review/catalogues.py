"""The dated reference data of the technology review: release cycles and end-of-life dates (from
endoflife.date), the SILL (the State's recommended free software), and the hand-kept rules that
tie package names to both (``rules.json``).

The data lives in ``data/`` beside this module, or in ``settings.DLNUF_TECH_DATA_DIR`` when an
operator keeps refreshed copies elsewhere; ``manage.py refresh_tech_data`` rewrites it.
"""

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"
EOL_FILE = "eol.json"
SILL_FILE = "sill.json"
RULES_FILE = "rules.json"


def data_dir() -> Path:
    configured = getattr(settings, "DLNUF_TECH_DATA_DIR", None)
    return Path(configured) if configured else PACKAGE_DATA_DIR


@dataclass(frozen=True)
class Catalogues:
    eol_products: dict[str, dict[str, Any]]
    eol_date: str
    sill_entries: list[dict[str, Any]]
    sill_date: str
    sill_partial: bool
    rules: dict[str, Any]

    def product_for(self, key: str) -> str | None:
        """The endoflife.date product of ``ecosystem:name`` (patterns like ``maven:g:*`` too)."""
        return _lookup(self.rules.get("products", {}), key)

    def cycles(self, product: str) -> list[dict[str, Any]]:
        entry = self.eol_products.get(product) or {}
        cycles = entry.get("cycles")
        return [c for c in cycles if isinstance(c, dict)] if isinstance(cycles, list) else []

    def product_date(self, product: str) -> str:
        entry = self.eol_products.get(product) or {}
        return str(entry.get("fetched") or self.eol_date)

    def sill_entry_for(self, key: str) -> dict[str, Any] | None:
        name = _lookup(self.rules.get("sill", {}), key)
        return self.sill_by_name(name) if name else None

    def sill_by_name(self, name: str) -> dict[str, Any] | None:
        wanted = name.casefold()
        return next(
            (e for e in self.sill_entries if str(e.get("name", "")).casefold() == wanted), None
        )

    def licence_for(self, key: str) -> str | None:
        return _lookup(self.rules.get("licences", {}), key)


def _lookup(table: dict[str, str], key: str) -> str | None:
    if key in table:
        return table[key]
    lowered = key.lower()
    for pattern, value in table.items():
        if pattern.lower() == lowered or ("*" in pattern and fnmatchcase(lowered, pattern.lower())):
            return value
    return None


def read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        # A data folder set up before its first refresh: the snapshot shipped with the code.
        path = PACKAGE_DATA_DIR / path.name
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


@cache
def _load(folder: str, stamps: tuple[float, ...]) -> Catalogues:
    # Cached per folder and modification times: a refresh is seen without a restart.
    root = Path(folder)
    eol = read_json(root / EOL_FILE)
    sill = read_json(root / SILL_FILE)
    rules = read_json(PACKAGE_DATA_DIR / RULES_FILE)
    products = eol.get("products")
    entries = sill.get("entries")
    return Catalogues(
        eol_products=products if isinstance(products, dict) else {},
        eol_date=str(eol.get("snapshot_date", "")),
        sill_entries=[e for e in entries if isinstance(e, dict)]
        if isinstance(entries, list)
        else [],
        sill_date=str(sill.get("snapshot_date", "")),
        sill_partial=bool(sill.get("partial", False)),
        rules=rules,
    )


def load_catalogues() -> Catalogues:
    folder = data_dir()
    stamps = tuple(
        (folder / name).stat().st_mtime if (folder / name).exists() else 0.0
        for name in (EOL_FILE, SILL_FILE)
    )
    return _load(str(folder), stamps)
