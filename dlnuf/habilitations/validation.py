"""Rules on the content of a request, shared by the form and the services (French messages)."""

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from dlnuf.catalogue.selectors import current_terms
from dlnuf.french import date_fr

if TYPE_CHECKING:
    from dlnuf.habilitations.models import AuthorizationRequest

# Personal data kept longer than this needs a written justification.
RETENTION_WITHOUT_JUSTIFICATION_MONTHS = 36
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_PDF_MAGIC = b"%PDF-"
# Bytes read to find the signature: PDF readers accept it within the first kilobyte.
_PDF_MAGIC_WINDOW = 1024


def field_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """Errors of the fields that depend on each other or on today, by field name."""
    errors: dict[str, str] = {}
    retention = values.get("retention_months")
    if (
        retention is not None
        and retention > RETENTION_WITHOUT_JUSTIFICATION_MONTHS
        and not str(values.get("retention_justification") or "").strip()
    ):
        errors["retention_justification"] = (
            f"Une conservation de plus de {RETENTION_WITHOUT_JUSTIFICATION_MONTHS} mois doit "
            "être justifiée par écrit."
        )
    go_live = values.get("go_live_date")
    if isinstance(go_live, date) and go_live < timezone.localdate():
        errors["go_live_date"] = "La date de mise en production prévue ne peut pas être passée."
    return errors


def check_pdf_upload(upload: UploadedFile) -> None:
    """A PDF of at most 10 Mo, recognised by its content (not by its name or declared type)."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            "Le fichier dépasse 10 Mo (%(size)s Mo) : joignez un PDF plus léger.",
            code="too_large",
            params={"size": f"{upload.size / 1024 / 1024:.1f}".replace(".", ",")},
        )
    upload.seek(0)
    head = upload.read(_PDF_MAGIC_WINDOW)
    upload.seek(0)
    if _PDF_MAGIC not in head:
        raise ValidationError(
            "Le fichier n'est pas un PDF : seuls les documents PDF sont acceptés.",
            code="not_pdf",
        )


def safe_display_name(name: str) -> str:
    """The name a person gave a file, reduced to something harmless to show and to send back."""
    base = PurePath(name.replace("\\", "/")).name
    if base.lower().endswith(".pdf"):
        base = base[:-4]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._-") or "document"
    return f"{stem[:100]}.pdf"


def terms_problem(request: "AuthorizationRequest") -> str | None:
    """Why the request cannot be submitted as to the dataset's terms of use, or None.

    Only the current version counts: a version published after the applicant accepted an
    earlier one must be accepted again.
    """
    current = current_terms(request.dataset)
    if current is None or request.terms_version_id == current.pk:
        return None
    version = f"version {current.number} du {date_fr(current.published_on)}"
    if request.terms_version_id is None:
        return (
            f"Acceptez les conditions d'utilisation de « {request.dataset.title} » ({version}) "
            "pour soumettre la demande."
        )
    return (
        f"Les conditions d'utilisation de « {request.dataset.title} » ont changé ({version}) : "
        "lisez la nouvelle version et acceptez-la pour soumettre la demande."
    )
