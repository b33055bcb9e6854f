import io
import subprocess
import tempfile
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo
from dlnuf.organisations.models import User
from dlnuf.toolbox.code_quality import grades, sources
from dlnuf.toolbox.code_quality.runner import run
from dlnuf.toolbox.models import ReportStatus, ToolKind
from dlnuf.toolbox.services import tool_report_create
from tests.toolbox.code_quality.repos import bad_repository, commit_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent() -> User:
    catalogue_load()
    load_demo(stdout=StringIO())
    return User.objects.get(email="agent.lyon@demo.dlnuf.fr")


def _zip_of(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def test_an_uploaded_archive_is_analysed_in_the_background(
    agent: User, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("projet.zip", _zip_of(bad_repository(tmp_path / "bad")))
    with django_capture_on_commit_callbacks(execute=True):
        report = tool_report_create(
            kind=ToolKind.CODE_QUALITY,
            actor=agent,
            title="Projet",
            inputs={"source": "archive"},
            source_file=upload,
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.results["source"]["label"] == "projet.zip"
    assert report.results["complexity"]["worst"][0]["name"] == "router"
    assert report.results["grades"]["secrets"]["grade"] == "E"


def test_progress_is_reported_in_french_and_the_work_directory_removed(
    agent: User, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_repository(tmp_path / "depots" / "projet")
    settings.DLNUF_TOOLBOX_LOCAL_ROOTS = [str(tmp_path / "depots")]
    work = tmp_path / "travail"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    report = tool_report_create(
        kind=ToolKind.CODE_QUALITY,
        actor=agent,
        title="Local",
        inputs={"source": "local", "path": str(tmp_path / "depots" / "projet")},
        results={},
    )
    messages: list[tuple[int, str]] = []
    results = run(report, lambda percent, message: messages.append((percent, message)))
    assert results["source"]["label"] == "projet"
    assert messages[0] == (2, "Lecture du dossier")
    # Four source files: one complexity message at the end of the pass.
    assert (60, "Mesure de la complexité (4/4 fichiers)") in messages
    assert [percent for percent, _ in messages] == sorted(percent for percent, _ in messages)
    assert list(work.iterdir()) == []


def test_a_refused_archive_fails_the_report_with_the_reason(
    agent: User, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("../evil.py", "x")
    work = tmp_path / "travail"
    work.mkdir()
    with django_capture_on_commit_callbacks(execute=True):
        report = tool_report_create(
            kind=ToolKind.CODE_QUALITY,
            actor=agent,
            title="Piège",
            inputs={"source": "archive"},
            source_file=SimpleUploadedFile("piege.zip", buffer.getvalue()),
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "Archive refusée" in report.error
    assert "remonte l'arborescence" in report.error


def test_a_directory_outside_the_roots_fails_the_report(
    agent: User, tmp_path: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DLNUF_TOOLBOX_LOCAL_ROOTS = [str(tmp_path / "depots")]
    (tmp_path / "depots").mkdir()
    with django_capture_on_commit_callbacks(execute=True):
        report = tool_report_create(
            kind=ToolKind.CODE_QUALITY,
            actor=agent,
            title="Évasion",
            inputs={"source": "local", "path": str(tmp_path / "depots" / ".." / "etc")},
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert "remonter" in report.error


def test_grades_thresholds_and_the_comparison() -> None:
    complexity = grades.AXES_BY_KEY["complexity"]
    assert [grades.grade_for(complexity, v) for v in (0, 2, 2.1, 10, 20, 20.1)] == list("AABCDE")
    tests = grades.AXES_BY_KEY["tests"]
    assert [grades.grade_for(tests, v) for v in (80, 30, 15, 1, 0)] == list("ABCDE")
    # Own 5 against 2, 5, 10, 20 (lower is better): better than 10 and 20, tied with 5:
    # (2 + 0.5) / 4 = 62.5 %.
    assert grades.percentile_better_than(5, [2, 5, 10, 20], lower_is_better=True) == 62.5
    assert grades.percentile_better_than(5, [], lower_is_better=True) is None
    rows = grades.comparison({"complexity": 5.0, "lint": None}, [{"complexity": 2.0}])
    assert rows[0] == {
        "key": "complexity",
        "label": "Complexité",
        "figure": 5.0,
        "compared": 1,
        "better_than": 0.0,
    }
    assert rows[2]["better_than"] is None


def _git_borrowing_from(other: Path) -> dict[str, bytes]:
    """The members of a ``.git`` that has no object of its own: its history is ``other``'s,
    through ``objects/info/alternates``."""
    head = subprocess.run(
        ["/usr/bin/git", "rev-parse", "HEAD"],
        cwd=other,
        capture_output=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(other)},
    ).stdout
    return {
        ".git/HEAD": b"ref: refs/heads/main\n",
        ".git/config": b"[core]\n\trepositoryformatversion = 0\n\tbare = false\n",
        ".git/refs/heads/main": head,
        ".git/objects/info/alternates": f"{other / '.git' / 'objects'}\n".encode(),
    }


def test_the_git_history_of_an_uploaded_archive_is_never_read(
    agent: User, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    server_repository = tmp_path / "depot-du-serveur"
    server_repository.mkdir()
    (server_repository / "secret.py").write_text("TOKEN = 1\n")
    commit_all(server_repository)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app.py", "def f():\n    return 1\n")
        for name, data in _git_borrowing_from(server_repository).items():
            bundle.writestr(name, data)
    with django_capture_on_commit_callbacks(execute=True):
        report = tool_report_create(
            kind=ToolKind.CODE_QUALITY,
            actor=agent,
            title="Emprunt",
            inputs={"source": "archive"},
            source_file=SimpleUploadedFile("emprunt.zip", buffer.getvalue()),
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.results["activity"] is None
    assert report.results["source"]["skipped"] == [".git (historique Git de l'archive, non lu)"]


def test_git_is_not_run_on_a_clone_borrowing_objects_from_elsewhere(tmp_path: Path) -> None:
    server_repository = tmp_path / "depot-du-serveur"
    server_repository.mkdir()
    (server_repository / "secret.py").write_text("TOKEN = 1\n")
    commit_all(server_repository)
    clone = tmp_path / "clone"
    for name, data in _git_borrowing_from(server_repository).items():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        (clone / name).write_bytes(data)
    (clone / ".git" / "objects" / "pack").mkdir()
    assert sources.git_activity(clone) is None
    (clone / ".git" / "objects" / "info" / "alternates").unlink()
    # Without the borrowed objects the same directory is read as an empty history, not another's.
    activity = sources.git_activity(clone)
    assert activity is None or activity.commits == 0


def test_a_file_and_a_folder_of_the_same_name_fail_the_report_in_french(
    agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("a", "fichier")
        bundle.writestr("a/b", "dans un dossier du même nom")
    with django_capture_on_commit_callbacks(execute=True):
        report = tool_report_create(
            kind=ToolKind.CODE_QUALITY,
            actor=agent,
            title="Conflit",
            inputs={"source": "archive"},
            source_file=SimpleUploadedFile("conflit.zip", buffer.getvalue()),
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error.startswith("Archive refusée : « a/b » ne peut pas être créé")
