"""The background run of a code quality report: get the code into a temporary directory, measure
it, grade it. The temporary directory is removed whatever happens."""

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlnuf.toolbox.code_quality import grades, measures, sources
from dlnuf.toolbox.code_quality.archives import project_root, unpack_archive
from dlnuf.toolbox.jobs import ToolError
from dlnuf.toolbox.models import ToolReport

Progress = Callable[[int, str], None]

SOURCE_GIT = "git"
SOURCE_LOCAL = "local"
SOURCE_ARCHIVE = "archive"
# How often the complexity pass reports progress, in files: often enough for the page, rarely
# enough not to write to the database for every file.
PROGRESS_EVERY = 50


def run(report: ToolReport, progress: Progress) -> dict[str, Any]:
    inputs = report.inputs
    source = inputs.get("source")
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-code-"))
    try:
        if source == SOURCE_GIT:
            progress(2, "Clonage du dépôt")
            root = workdir / "depot"
            sources.clone_repository(str(inputs.get("url", "")), root)
            described: dict[str, Any] = {"kind": SOURCE_GIT, "label": str(inputs.get("url", ""))}
        elif source == SOURCE_LOCAL:
            progress(2, "Lecture du dossier")
            root = sources.resolve_local(str(inputs.get("path", "")))
            described = {"kind": SOURCE_LOCAL, "label": root.name}
        elif source == SOURCE_ARCHIVE:
            progress(2, "Décompression de l'archive")
            root = workdir / "archive"
            root.mkdir()
            unpacked = _unpack_uploaded(report, workdir, root)
            root = project_root(root)
            described = {
                "kind": SOURCE_ARCHIVE,
                "label": report.source_name,
                "skipped": unpacked.skipped,
                "skipped_more": unpacked.skipped_more,
                "nested_archives": unpacked.nested_archives,
                "nested_archives_more": unpacked.nested_archives_more,
            }
        else:
            raise ToolError("Source du code inconnue : relancez l'analyse depuis le formulaire.")
        # Git is run only on a clone made here: the .git of a directory or of an archive could
        # borrow objects or configuration from anywhere on the server.
        results = analyse(root, progress, cloned=source == SOURCE_GIT)
        results["source"] = {"skipped": [], "nested_archives": [], **described}
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _unpack_uploaded(report: ToolReport, workdir: Path, root: Path) -> Any:
    if not report.source_file:
        raise ToolError("L'archive déposée est introuvable : déposez-la de nouveau.")
    copy = workdir / "upload"
    # Copied first: the storage may not be a local disk, and archives need to seek.
    with report.source_file.open("rb") as uploaded, copy.open("wb") as local:
        shutil.copyfileobj(uploaded, local)
    return unpack_archive(copy, root)


def analyse(root: Path, progress: Progress, *, cloned: bool = False) -> dict[str, Any]:
    """Every measure of the tree at ``root``, its grades and its places to fix first; the Git
    activity only when ``root`` is a clone this tool made (``cloned``)."""
    progress(5, "Inventaire des fichiers")
    every_path = [relative for relative, _ in measures.walk(root)]
    files = measures.source_files(root)

    def complexity_progress(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            progress(
                10 + int(50 * done / max(total, 1)),
                f"Mesure de la complexité ({done}/{total} fichiers)",
            )

    code = measures.measure_code(files, complexity_progress)
    progress(62, "Recherche des duplications")
    duplication = measures.duplication_summary(code)
    progress(65, "Analyse du code Python (ruff)")
    lint = measures.lint_python(root, code.nloc_by_language.get("Python", 0))
    progress(78, "Indice de maintenabilité (Python)")
    maintainability = measures.maintainability(code.python_files)
    progress(85, "Recherche de secrets publiés par erreur")
    secrets = measures.scan_secrets(root, every_path)
    progress(93, "Dépendances, licence et activité")
    dependencies = measures.dependencies_summary(root)
    activity = sources.git_activity(root) if cloned else None
    results: dict[str, Any] = {
        "size": {
            "files": code.files,
            "all_files": len(every_path),
            "nloc": sum(code.nloc_by_language.values()),
            "languages": [
                {"language": language, "nloc": nloc, "files": code.files_by_language[language]}
                for language, nloc in code.nloc_by_language.most_common()
            ],
        },
        "complexity": measures.complexity_summary(code.functions),
        "duplication": duplication,
        "lint": lint,
        "maintainability": maintainability,
        "tests": measures.tests_summary(code),
        "dependencies": dependencies,
        "licence": measures.licence_summary(root),
        "secrets": secrets,
        "activity": activity.as_dict() if activity else None,
    }
    results["grades"] = grades.grade_all(results)
    results["key_figures"] = grades.key_figures(results)
    results["priorities"] = grades.priorities(results)
    progress(99, "Rédaction du rapport")
    return results
