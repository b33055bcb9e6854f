"""The background run of a technology review: read the manifests (pasted, uploaded, or found in a
cloned repository or an uploaded archive), then review the components they declare."""

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone

from dlnuf.toolbox.code_quality import sources
from dlnuf.toolbox.code_quality.archives import unpack_archive
from dlnuf.toolbox.jobs import ToolError
from dlnuf.toolbox.models import ToolReport
from dlnuf.toolbox.tech_review.catalogues import load_catalogues
from dlnuf.toolbox.tech_review.manifests import ManifestScan, scan_files, scan_tree
from dlnuf.toolbox.tech_review.review import (
    MAX_STORED_LINE,
    MAX_STORED_MANIFESTS,
    MAX_STORED_TEXT,
    MAX_STORED_WARNINGS,
    keep_first,
    review_components,
)

Progress = Callable[[int, str], None]

SOURCE_FILES = "files"
SOURCE_GIT = "git"
SOURCE_ARCHIVE = "archive"


def run(report: ToolReport, progress: Progress) -> dict[str, Any]:
    inputs = report.inputs
    source = inputs.get("source")
    if source == SOURCE_FILES:
        progress(10, "Lecture des manifestes")
        scan = _scan_given(inputs.get("files"))
        described = {"kind": SOURCE_FILES, "label": ", ".join(scan.manifests)[:MAX_STORED_LINE]}
    elif source in {SOURCE_GIT, SOURCE_ARCHIVE}:
        workdir = Path(tempfile.mkdtemp(prefix="dlnuf-tech-"))
        try:
            root = workdir / "code"
            if source == SOURCE_GIT:
                progress(5, "Clonage du dépôt")
                sources.clone_repository(str(inputs.get("url", "")), root)
                described = {"kind": SOURCE_GIT, "label": str(inputs.get("url", ""))}
            else:
                progress(5, "Décompression de l'archive")
                root.mkdir()
                _unpack_uploaded(report, workdir, root)
                described = {"kind": SOURCE_ARCHIVE, "label": report.source_name}
            progress(40, "Recherche des manifestes")
            scan = scan_tree(root)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    else:
        raise ToolError("Source inconnue : relancez la revue depuis le formulaire.")
    if not scan.components:
        raise ToolError(
            "Aucun composant trouvé : aucun manifeste reconnu (requirements.txt, package.json, "
            "pom.xml, composer.json, Gemfile, go.mod, *.csproj, Dockerfile…) ou manifestes "
            "vides. " + " ".join(scan.warnings[:5])
        )
    progress(70, "Confrontation aux cycles de vie et au SILL")
    results = review_components(
        scan.components,
        catalogues=load_catalogues(),
        today=timezone.localdate(),
        distribution=str(inputs.get("distribution", "libre")),
        long_lived=bool(inputs.get("long_lived", True)),
    )
    results["source"] = described
    # Up to 500 manifests, and a warning per include a requirements file names: both are cut
    # like the components (see review_components).
    manifests, results["manifests_left_out"] = keep_first(scan.manifests, MAX_STORED_MANIFESTS)
    results["manifests"] = [path[:MAX_STORED_TEXT] for path in manifests]
    warnings, results["warnings_left_out"] = keep_first(scan.warnings, MAX_STORED_WARNINGS)
    results["warnings"] = [warning[:MAX_STORED_LINE] for warning in warnings]
    return results


def _scan_given(files: Any) -> ManifestScan:
    texts = {
        str(item.get("name")): str(item.get("text", ""))
        for item in (files if isinstance(files, list) else [])
        if isinstance(item, dict) and item.get("name")
    }
    return scan_files(list(texts), texts.get)


def _unpack_uploaded(report: ToolReport, workdir: Path, root: Path) -> None:
    if not report.source_file:
        raise ToolError("L'archive déposée est introuvable : déposez-la de nouveau.")
    copy = workdir / "upload"
    # Copied first: the storage may not be a local disk, and archives need to seek.
    with report.source_file.open("rb") as uploaded, copy.open("wb") as local:
        shutil.copyfileobj(uploaded, local)
    unpack_archive(copy, root)
