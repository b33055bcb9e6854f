from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dlnuf.habilitations.validation import check_pdf_upload, field_errors, safe_display_name
from tests.habilitations.factories import PDF_BYTES


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("..\\..\\Windows\\system32\\config.PDF", "config.pdf"),
        ("arrêté préfectoral n°12.pdf", "arrete_prefectoral_n12.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "img_src_x_onerror_alert_1.pdf"),
        ("rapport.pdf.exe", "rapport.pdf.exe.pdf"),
        ("", "document.pdf"),
        ("....pdf", "document.pdf"),
        ("a" * 300 + ".pdf", "a" * 100 + ".pdf"),
    ],
)
def test_names_given_to_files_are_made_harmless(given: str, shown: str) -> None:
    assert safe_display_name(given) == shown


def test_only_pdf_content_is_accepted_whatever_the_declared_type() -> None:
    check_pdf_upload(SimpleUploadedFile("x.bin", PDF_BYTES, content_type="application/zip"))
    with pytest.raises(ValidationError) as refused:
        check_pdf_upload(SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf"))
    assert refused.value.code == "not_pdf"


def test_field_rules() -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    assert field_errors({"retention_months": 36}) == {}
    assert set(field_errors({"retention_months": 37, "go_live_date": yesterday})) == {
        "retention_justification",
        "go_live_date",
    }
    assert field_errors({"retention_months": 37, "retention_justification": "Archives"}) == {}
