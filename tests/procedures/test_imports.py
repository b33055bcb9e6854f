"""Reading a form export: CSV with a label column or a JSON list; bad files refused whole."""

import json

import pytest

from dlnuf.procedures.imports import (
    MAX_FILE_BYTES,
    MAX_LABELS,
    ImportRefused,
    read_form_export,
)


def _read(name: str, content: bytes):
    return read_form_export(name=name, content=content)


def test_csv_with_a_label_column_among_others():
    content = (
        "Identifiant;Libellé du champ;Type\n"
        "1;Nom;texte\n"
        "2;Avis d'imposition;pièce justificative\n"
        "3;Justificatif de domicile;pièce justificative\n"
    ).encode()
    # The column is found by its folded name, whatever the separator.
    assert _read("export.csv", content.replace(b"Libell\xc3\xa9 du champ", b"libelle")).labels == (
        "Nom",
        "Avis d'imposition",
        "Justificatif de domicile",
    )


def test_csv_comma_separated_with_quotes_and_bom():
    content = '\ufefflabel,obligatoire\n"Quotient familial, CAF",oui\nRIB,non\n'.encode()
    assert _read("champs.csv", content).labels == ("Quotient familial, CAF", "RIB")


def test_csv_of_one_column_without_a_known_header():
    content = b"Champs\nAvis d'imposition\nRIB\n"
    assert _read("export.csv", content).labels == ("Avis d'imposition", "RIB")


def test_csv_saved_by_a_spreadsheet_in_windows_encoding():
    content = "libellé\nCertificat de scolarité\n".encode("cp1252")
    assert _read("export.csv", content).labels == ("Certificat de scolarité",)


def test_duplicates_and_blank_lines_are_dropped_and_counted():
    content = b"libelle\nRIB\n\n  rib \nAvis d'imposition\n;\n"
    result = _read("export.csv", content)
    assert result.labels == ("RIB", "Avis d'imposition")
    assert result.duplicates == 1


def test_json_list_of_strings_or_of_objects():
    strings = json.dumps(["Avis d'imposition", "RIB"]).encode()
    objects = json.dumps([{"label": "Avis d'imposition"}, {"libelle": "RIB", "type": "x"}]).encode()
    assert _read("f.json", strings).labels == ("Avis d'imposition", "RIB")
    assert _read("f.JSON", objects).labels == ("Avis d'imposition", "RIB")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("export.xlsx", b"PK\x03\x04", "CSV (.csv) ou JSON (.json)"),
        ("export", b"libelle\nRIB\n", "CSV (.csv) ou JSON (.json)"),
        ("export.csv", b"", "Le fichier est vide."),
        ("export.csv", b"libelle\nRIB\x00\n", "n'est pas un fichier texte"),
        ("export.json", b'["RIB",', "JSON illisible (ligne 1"),
        ("export.json", b'{"labels": ["RIB"]}', "doit être une liste de libellés"),
        ("export.json", b'["RIB", 3]', "Élément n° 2 du JSON"),
        ("export.json", b'[{"name": "RIB"}]', "clé « label » ou « libelle »"),
        ("export.json", b'["", "  "]', "Aucun libellé trouvé"),
        ("export.csv", b"code;type\nRIB;texte\n", "Colonne des libellés introuvable"),
        ("export.csv", b"libelle\n" + b"x" * 300 + b"\n", "Libellé n° 1 trop long (300"),
    ],
)
def test_bad_files_are_refused_with_a_french_message(name, content, message):
    with pytest.raises(ImportRefused) as raised:
        _read(name, content)
    assert message in str(raised.value)


def test_size_and_count_limits():
    too_big = b"libelle\n" + b"RIB\n" * (MAX_FILE_BYTES // 4 + 1)
    with pytest.raises(ImportRefused, match="dépasse 200 Ko"):
        _read("export.csv", too_big)
    many = ("libelle\n" + "\n".join(f"Champ {n}" for n in range(MAX_LABELS + 1))).encode()
    with pytest.raises(ImportRefused, match=r"Trop de libellés \(201, 200 au plus\)"):
        _read("export.csv", many)
