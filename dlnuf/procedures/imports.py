"""Reading the field labels of a form export (CSV with a label column, or a JSON list).

Everything is checked before anything is saved: a file that cannot be read entirely is refused
with one French message, so a procedure never receives half a file.
"""

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from dlnuf.catalogue.text import fold

MAX_FILE_BYTES = 200 * 1024
MAX_LABELS = 200
MAX_LABEL_LENGTH = 255
ALLOWED_EXTENSIONS = (".csv", ".json")
# Header names (folded) that mark the column holding the labels, best first.
LABEL_COLUMNS = ("libelle", "label", "intitule", "libelle du champ", "champ", "question", "nom")
_JSON_LABEL_KEYS = ("label", "libelle", "libellé", "intitule", "intitulé")


class ImportRefused(Exception):
    """The file cannot be imported; the message says why, in French."""


@dataclass(frozen=True)
class ImportedLabels:
    labels: tuple[str, ...]
    duplicates: int  # labels met more than once in the file, kept once


def read_form_export(*, name: str, content: bytes) -> ImportedLabels:
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise ImportRefused("Le fichier doit être un export CSV (.csv) ou JSON (.json).")
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(
            f"Le fichier dépasse {MAX_FILE_BYTES // 1024} Ko ({len(content) // 1024} Ko)."
        )
    if not content.strip():
        raise ImportRefused("Le fichier est vide.")
    text = _decode(content)
    raw = _json_labels(text) if extension == ".json" else _csv_labels(text)
    return _clean(raw)


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise ImportRefused("Ce fichier n'est pas un fichier texte (CSV ou JSON).")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Spreadsheets on Windows still save CSV in this encoding.
        return content.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ImportRefused("Encodage du fichier non reconnu : enregistrez-le en UTF-8.") from error


def _json_labels(text: str) -> list[str]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(
            f"JSON illisible (ligne {error.lineno}, colonne {error.colno})."
        ) from error
    if not isinstance(document, list):
        raise ImportRefused(
            "Le JSON doit être une liste de libellés, par exemple "
            '["Avis d\'imposition", "Justificatif de domicile"].'
        )
    labels = []
    for index, entry in enumerate(document, start=1):
        labels.append(_json_label(entry, index))
    return labels


def _json_label(entry: Any, index: int) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        for key in _JSON_LABEL_KEYS:
            if isinstance(entry.get(key), str):
                return str(entry[key])
    raise ImportRefused(
        f"Élément n° {index} du JSON : attendu un libellé (texte) ou un objet avec une clé "
        "« label » ou « libelle »."
    )


def _csv_labels(text: str) -> list[str]:
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise ImportRefused(f"CSV illisible ({error}).") from error
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ImportRefused("Le fichier ne contient aucune ligne.")
    header = [fold(cell) for cell in rows[0]]
    column = next((header.index(name) for name in LABEL_COLUMNS if name in header), None)
    if column is None:
        if len(header) == 1:
            column = 0
        else:
            raise ImportRefused(
                "Colonne des libellés introuvable : nommez-la « libellé » sur la première ligne "
                "(colonnes lues : " + ", ".join(cell.strip() for cell in rows[0]) + ")."
            )
    return [row[column] if column < len(row) else "" for row in rows[1:]]


def _clean(raw: list[str]) -> ImportedLabels:
    labels: list[str] = []
    seen: set[str] = set()
    duplicates = 0
    for index, value in enumerate(raw, start=1):
        label = " ".join(value.split())
        if not any(char.isalnum() for char in label):
            continue
        if len(label) > MAX_LABEL_LENGTH:
            raise ImportRefused(
                f"Libellé n° {index} trop long ({len(label)} caractères, "
                f"{MAX_LABEL_LENGTH} au plus)."
            )
        key = fold(label)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        labels.append(label)
    if not labels:
        raise ImportRefused("Aucun libellé trouvé dans le fichier.")
    if len(labels) > MAX_LABELS:
        raise ImportRefused(f"Trop de libellés ({len(labels)}, {MAX_LABELS} au plus).")
    return ImportedLabels(tuple(labels), duplicates)
