"""Reports as PDF: the same template as the HTML page, drawn by WeasyPrint.

The PDF is made on the server from our own HTML and our own static files only: the URL fetcher
serves files under the static directories and refuses everything else, so a report that quotes a
URL from outside (an audited page, a repository) never makes the server fetch it.
"""

import mimetypes
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

STATIC_PREFIX = "/static/"


def _local_static_only(url: str, *args: Any, **kwargs: Any) -> Any:
    from weasyprint.urls import URLFetcherResponse, URLFetchingError

    path = url.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else path
    if not path.startswith(STATIC_PREFIX) or ".." in path.split("/"):
        raise URLFetchingError(f"refused: {url}")
    try:
        found = finders.find(path.removeprefix(STATIC_PREFIX))
    except SuspiciousFileOperation as error:
        raise URLFetchingError(f"refused: {url}") from error
    if not found:
        raise URLFetchingError(f"not found: {url}")
    file = Path(str(found))
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return URLFetcherResponse(url, body=file.read_bytes(), headers={"Content-Type": media_type})


def render_pdf(template: str, context: dict[str, Any], request: HttpRequest) -> bytes:
    from weasyprint import HTML  # imported on demand: drawing libraries load only for a PDF

    html = render_to_string(template, {**context, "for_pdf": True}, request=request)
    return bytes(
        HTML(
            string=html, base_url="http://rapport.local/", url_fetcher=_local_static_only
        ).write_pdf()
    )


def pdf_response(
    template: str, context: dict[str, Any], request: HttpRequest, *, filename: str
) -> HttpResponse:
    response = HttpResponse(render_pdf(template, context, request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
