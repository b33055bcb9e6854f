"""The rules every file sent to the guichet goes through, from the form or from an e-mail."""

import hashlib

import pytest

from dlnuf.support import attachments
from dlnuf.support.attachments import (
    IncomingFile,
    display_name,
    media_type,
    refusal,
    size_refusal,
    stored_content,
)

ZIP = b"PK\x03\x04" + b"\x00" * 20


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("note.pdf", b"%PDF-1.7\n", "application/pdf"),
        ("schema.PNG", b"\x89PNG\r\n\x1a\n", "image/png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0", "image/jpeg"),
        ("compte-rendu.odt", ZIP, "application/vnd.oasis.opendocument.text"),
        (
            "budget.xlsx",
            ZIP,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("liste.csv", b"nom;siret\nLyon;216\n", "text/csv"),
        ("notes.txt", "Pièces à supprimer".encode("cp1252"), "text/plain"),
    ],
)
def test_accepted_files_get_the_media_type_of_their_extension(
    name: str, data: bytes, kind: str
) -> None:
    incoming = IncomingFile(name, data)

    assert refusal(incoming) is None
    assert media_type(incoming) == kind


@pytest.mark.parametrize(
    ("incoming", "reason"),
    [
        (IncomingFile("vide.pdf", b""), "« vide.pdf » est vide."),
        (IncomingFile("outil.exe", b"MZ"), "« outil.exe » : ce type de fichier n'est pas accepté"),
        (IncomingFile("sans-extension", b"texte"), "ce type de fichier n'est pas accepté"),
        (IncomingFile("faux.pdf", b"<html>"), "« faux.pdf » : son contenu ne correspond pas"),
        (IncomingFile("image.png", b"%PDF-1.4"), "son contenu ne correspond pas à son extension"),
        (IncomingFile("binaire.txt", b"abc\x00def"), "« binaire.txt » n'est pas un fichier texte"),
    ],
)
def test_refused_files_are_named_with_the_reason(incoming: IncomingFile, reason: str) -> None:
    found = refusal(incoming)

    assert found is not None
    assert reason in found


def test_size_is_checked_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", 2 * 1024 * 1024)

    assert size_refusal("gros.pdf", 2 * 1024 * 1024) is None
    assert size_refusal("gros.pdf", 2 * 1024 * 1024 + 1) == "« gros.pdf » dépasse 2 Mo."
    assert size_refusal("vide.pdf", 0) == "« vide.pdf » est vide."
    big = IncomingFile("gros.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024))
    assert refusal(big) == "« gros.pdf » dépasse 2 Mo."


def test_the_shown_name_keeps_no_directory_nor_control_character() -> None:
    assert display_name("../../etc/passwd.txt") == "passwd.txt"
    assert display_name("C:\\Users\\agent\\note.pdf") == "note.pdf"
    assert display_name("rap\x00port\u202e.pdf") == "rapport.pdf"
    assert display_name("   ") == "piece-jointe"
    assert len(display_name("a" * 300 + ".pdf")) == 255


def test_stored_content_is_hashed() -> None:
    content, digest = stored_content(IncomingFile("note.pdf", b"%PDF-1.4"))

    assert content.read() == b"%PDF-1.4"
    assert digest == hashlib.sha256(b"%PDF-1.4").hexdigest()
