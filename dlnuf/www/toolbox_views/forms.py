from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from dlnuf.support.models import Mission, MissionState
from dlnuf.toolbox.code_quality import sources
from dlnuf.toolbox.jobs import ToolError
from dlnuf.www.forms import PortalForm


class MissionChoiceForm(PortalForm):
    """Attach a report to an ongoing or closed mission (experts only)."""

    mission = forms.ModelChoiceField(
        label="Mission",
        queryset=Mission.objects.exclude(state=MissionState.CANCELLED).order_by("-opened_at"),
        required=False,
        empty_label="Aucune (rapport autonome)",
    )


MAX_ARCHIVE_BYTES = 100 * 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


def clean_repository_source(form: forms.Form, data: dict[str, Any]) -> None:
    """Check the Git URL or the archive of the tools that read a whole repository, adding the
    errors to ``form``; a valid URL is replaced by its cleaned form."""
    source = data.get("source")
    if source == "git":
        url = (data.get("url") or "").strip()
        if not url:
            form.add_error("url", "Indiquez l'adresse du dépôt, commençant par https://.")
            return
        try:
            data["url"] = sources.git_url(url)
        except ToolError as error:
            form.add_error("url", str(error))
    elif source == "archive":
        upload: UploadedFile | None = data.get("archive")
        if upload is None:
            form.add_error("archive", "Déposez l'archive du code.")
        elif not (upload.name or "").lower().endswith(ARCHIVE_SUFFIXES):
            form.add_error("archive", "Déposez un fichier .zip, .tar, .tar.gz ou .tgz.")
        elif (upload.size or 0) > MAX_ARCHIVE_BYTES:
            form.add_error("archive", "L'archive dépasse 100 Mo.")
