"""Reads the published editions of the Panorama of the State's large IT projects (DISIC,
editions 2016-2017, June 2017 and March 2018) into the project's own file, ``data/panorama.csv``.

The CSV editions are read as they are; the March 2018 edition is only published as a workbook,
read here with the standard library (a workbook is a zip of XML sheets), so that no spreadsheet
library is needed. Rows without a project name (blank lines of the exports) are skipped; a cost
or a duration written as text ("En cadrage", "NA") is left empty.
"""

import csv
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree

from dlnuf.toolbox.costing.reference import PANORAMA_FIELDS, PANORAMA_FILE

EDITIONS = {
    "panorama_projets_si_2016-2017.csv": "2016-2017",
    "panorama_projets_si_2017-06.csv": "2017-06",
    "panorama_projets_si_2018-03.xlsx": "2018-03",
}
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
EXCEL_EPOCH = date(1899, 12, 30)


def _number(text: str) -> str:
    cleaned = text.strip().replace(",", ".").replace(" ", "")
    try:
        return f"{float(cleaned):g}"
    except ValueError:
        return ""


def _iso_date(text: str) -> str:
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", text)
    if match:
        day, month, year = match.groups()
        return f"{year}-{month}-{day}"
    if re.fullmatch(r"\d+(\.0+)?", text):
        return (EXCEL_EPOCH + timedelta(days=int(float(text)))).isoformat()
    return ""


def _row(edition: str, record: dict[str, str]) -> dict[str, str] | None:
    # Headers of one edition end with a space: keys are compared stripped.
    fields = {key.strip(): (value or "").strip() for key, value in record.items() if key}
    project = fields.get("Nom du projet", "")
    if not project:
        return None
    return {
        "edition": edition,
        "ministry": fields.get("Ministère porteur", ""),
        "ministry_name": fields.get("Ministère nom complet", ""),
        "project": " ".join(project.split()),
        "interministerial": "oui" if fields.get("Projet interministériel") == "Oui" else "non",
        "start": _iso_date(fields.get("Début", "")),
        "planned_duration_years": _number(fields.get("Durée prévisionnelle en année", "")),
        "phase": fields.get("Phase du projet en cours", ""),
        "cost_meur": _number(fields.get("Coût estimé", "")),
    }


def read_csv_edition(path: Path, edition: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = (_row(edition, record) for record in csv.DictReader(handle))
        return [row for row in rows if row is not None]


def _parse(content: bytes) -> ElementTree.Element:
    # Spreadsheet XML never needs a DTD: refusing one rules out entity expansion attacks.
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise ValueError("Classeur refusé : déclaration DOCTYPE ou ENTITY.")
    return ElementTree.fromstring(content)  # noqa: S314 — DOCTYPE and ENTITY refused above


def _sheet_rows(path: Path) -> Iterator[list[str]]:
    with zipfile.ZipFile(path) as archive:
        shared = [
            "".join(node.text or "" for node in item.iter(f"{SHEET_NS}t"))
            for item in _parse(archive.read("xl/sharedStrings.xml")).iter(f"{SHEET_NS}si")
        ]
        sheet = _parse(archive.read("xl/worksheets/sheet1.xml"))
    for row in sheet.iter(f"{SHEET_NS}row"):
        cells: dict[int, str] = {}
        for cell in row.iter(f"{SHEET_NS}c"):
            column = _column_index(cell.get("r", "A1"))
            value = cell.find(f"{SHEET_NS}v")
            text = value.text or "" if value is not None else ""
            if cell.get("t") == "s" and text:
                text = shared[int(text)]
            elif cell.get("t") == "inlineStr":
                text = "".join(node.text or "" for node in cell.iter(f"{SHEET_NS}t"))
            cells[column] = text
        width = max(cells, default=-1) + 1
        yield [cells.get(index, "") for index in range(width)]


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    index = 0
    for letter in letters.group(0) if letters else "A":
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def read_xlsx_edition(path: Path, edition: str) -> list[dict[str, str]]:
    rows = _sheet_rows(path)
    header = next(rows, [])
    found = (_row(edition, dict(zip(header, values, strict=False))) for values in rows)
    return [row for row in found if row is not None]


def read_editions(source_dir: Path) -> dict[str, list[dict[str, str]]]:
    """Rows of each edition found in ``source_dir``, by edition."""
    editions: dict[str, list[dict[str, str]]] = {}
    for name, edition in EDITIONS.items():
        path = source_dir / name
        if not path.exists():
            continue
        reader = read_xlsx_edition if path.suffix == ".xlsx" else read_csv_edition
        editions[edition] = reader(path, edition)
    return editions


def write_panorama(rows: Iterable[dict[str, str]], target: Path = PANORAMA_FILE) -> int:
    written = 0
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=PANORAMA_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            written += 1
    return written
