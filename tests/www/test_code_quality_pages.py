"""The code quality pages: the form, the report (own 200, someone else's 404, experts 200), its
PDF, and a whole run from an uploaded archive."""

import io
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dlnuf.toolbox.code_quality.runner import analyse
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from tests.support.factories import ExpertUserFactory, UserFactory
from tests.toolbox.code_quality.repos import FAKE_AWS_KEY, bad_repository, good_repository
from tests.www.pdf import render_pdf

pytestmark = pytest.mark.django_db


def finished_report(owner: Any, root: Path, *, title: str = "Portail") -> ToolReport:
    results = analyse(root, lambda percent, message: None)
    results["source"] = {
        "kind": "archive",
        "label": "portail.zip",
        "skipped": [],
        "nested_archives": [],
    }
    return ToolReport.objects.create(
        kind=ToolKind.CODE_QUALITY,
        title=title,
        created_by=owner,
        inputs={"source": "archive"},
        results=results,
        status=ReportStatus.DONE,
        progress=100,
    )


def zip_of(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def test_the_form_is_for_signed_in_people(client: Client) -> None:
    url = reverse("www:code_quality_new")
    assert client.get(url).status_code == 302
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 200
    assert "Adresse du dépôt Git" in response.content.decode()
    # No directory configured: the local choice is not offered.
    assert "ouvert par l'exploitant" not in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "git", "url": ""}, "Indiquez l&#x27;adresse du dépôt"),
        ({"source": "git", "url": "http://127.0.0.1/depot.git"}, "https://"),
        ({"source": "git", "url": "https://10.0.0.1/depot.git"}, "adresse interne"),
        ({"source": "git", "url": "file:///etc/passwd"}, "https://"),
        ({"source": "archive"}, "Déposez l&#x27;archive du code."),
    ],
)
def test_the_form_refuses_bad_sources(client: Client, data: dict, message: str) -> None:
    client.force_login(UserFactory())
    response = client.post(reverse("www:code_quality_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ToolReport.objects.exists()


def test_a_non_archive_upload_is_refused(client: Client) -> None:
    client.force_login(UserFactory())
    upload = SimpleUploadedFile("notes.txt", b"hello")
    response = client.post(
        reverse("www:code_quality_new"), {"source": "archive", "archive": upload}
    )
    assert response.status_code == 400
    assert "Déposez un fichier .zip" in response.content.decode()


def test_a_local_directory_is_picked_in_a_list_only(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "depots" / "portail").mkdir(parents=True)
    settings.DLNUF_TOOLBOX_LOCAL_ROOTS = [str(tmp_path / "depots")]
    client.force_login(UserFactory())
    response = client.post(
        reverse("www:code_quality_new"), {"source": "local", "path": str(tmp_path)}
    )
    assert response.status_code == 400
    assert "depots/portail" in response.content.decode()


def test_an_uploaded_archive_runs_and_shows_its_report(
    client: Client, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    owner = UserFactory()
    client.force_login(owner)
    upload = SimpleUploadedFile("portail.zip", zip_of(bad_repository(tmp_path / "bad")))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("www:code_quality_new"), {"source": "archive", "archive": upload}
        )
    report = ToolReport.objects.get()
    assert response.url == reverse("www:code_quality_report", args=[report.pk])
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.title == "portail.zip"
    page = client.get(response.url).content.decode()
    assert "Les dix endroits à corriger d'abord" in page
    assert "app/router.py:1" in page
    assert "Clé d&#x27;accès AWS" in page
    assert FAKE_AWS_KEY not in page
    assert "C'est le premier projet analysé" in page


def test_a_report_is_read_by_its_owner_and_experts_only(client: Client, tmp_path: Path) -> None:
    owner = UserFactory()
    report = finished_report(owner, good_repository(tmp_path / "good"))
    url = reverse("www:code_quality_report", args=[report.pk])
    pdf = reverse("www:code_quality_pdf", args=[report.pk])

    client.force_login(owner)
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(pdf).status_code == 404
    client.force_login(ExpertUserFactory())
    response = client.get(url)
    assert response.status_code == 200
    assert "Enregistrer le rattachement" in response.content.decode()


def test_the_report_compares_with_the_other_projects(client: Client, tmp_path: Path) -> None:
    owner = UserFactory()
    finished_report(owner, bad_repository(tmp_path / "bad"), title="Ancien")
    report = finished_report(owner, good_repository(tmp_path / "good"))
    client.force_login(owner)
    page = client.get(reverse("www:code_quality_report", args=[report.pk])).content.decode()
    # One other project: the tidy one has no complex function (0 % against 33.3 %), so it does
    # better than 100 % of them on complexity.
    assert "1 autre projet analysé" in page
    assert "100 % des projets" in page


def test_a_running_report_shows_its_progress(client: Client) -> None:
    owner = UserFactory()
    report = ToolReport.objects.create(
        kind=ToolKind.CODE_QUALITY,
        title="En cours",
        created_by=owner,
        inputs={"source": "git", "url": "https://example.org/x.git"},
        status=ReportStatus.RUNNING,
        progress=40,
        progress_message="Mesure de la complexité (120/450 fichiers)",
    )
    client.force_login(owner)
    page = client.get(reverse("www:code_quality_report", args=[report.pk])).content.decode()
    assert "Mesure de la complexité (120/450 fichiers)" in page
    # The PDF of an unfinished report leads back to its page.
    response = client.get(reverse("www:code_quality_pdf", args=[report.pk]))
    assert response.status_code == 302


def test_the_pdf_renders(client: Client, tmp_path: Path) -> None:
    owner = UserFactory()
    report = finished_report(owner, bad_repository(tmp_path / "bad"))
    client.force_login(owner)
    response = client.get(reverse("www:code_quality_pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    rendered = render_pdf(response.content)
    assert rendered.dark_pixels_in_title > 200
    text = rendered.text
    assert "Portail" in text
    assert "router" in text
    assert FAKE_AWS_KEY not in text


def test_a_huge_report_is_drawn_bounded_on_the_page_and_in_the_pdf(
    client: Client, tmp_path: Path
) -> None:
    owner = UserFactory()
    report = finished_report(owner, bad_repository(tmp_path / "bad"))
    # As stored by a report of a tar of 60 000 links and a manifest of 100 000 dependencies.
    results = report.results
    results["source"]["skipped"] = [f"d{n} (lien symbolique, ignoré)" for n in range(60_000)]
    results["dependencies"]["manifests"] = [
        {
            "path": "package.json",
            "components": [
                {"name": f"paquet-{n}", "version": "1.0.0", "ecosystem": "npm"}
                for n in range(100_000)
            ],
        }
    ]
    results["secrets"]["env_files"] = [f"module-{n}/.env" for n in range(5_000)]
    report.results = results
    report.save()
    client.force_login(owner)

    page = client.get(reverse("www:code_quality_report", args=[report.pk])).content.decode()
    assert "et 59\u202f900 autres éléments ignorés" in page
    assert "Et 99\u202f900 autres composants" in page
    assert "et 4\u202f900 autres." in page
    assert "paquet-99" in page
    assert "paquet-100<" not in page
    assert len(page) < 300_000

    started = time.monotonic()
    response = client.get(reverse("www:code_quality_pdf", args=[report.pk]))
    elapsed = time.monotonic() - started
    rendered = render_pdf(response.content)
    assert "et 59 900 autres éléments ignorés" in " ".join(rendered.text.split())
    assert rendered.pages < 40
    assert elapsed < 60


def test_the_report_reads_in_french_dates_numbers_and_rule_explanations(client: Client) -> None:
    owner = UserFactory()
    known_truth = Path(__file__).parents[1] / "toolbox/code_quality/fixtures/known_truth"
    report = finished_report(owner, known_truth)
    results = report.results
    # As a large cloned repository would store them: ISO dates, big counts.
    results["activity"] = {
        "commits": 1_250,
        "contributors": 1,
        "commits_90_days": 0,
        "commits_365_days": 12,
        "last_commit": "2026-12-04",
        "shallow": False,
    }
    results["size"]["nloc"] = 129_558
    report.results = results
    report.save()
    client.force_login(owner)
    page = client.get(reverse("www:code_quality_report", args=[report.pk])).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split(" "))
    assert "dernier commit le 4 décembre 2026" in text
    assert "1\u202f250 commits récupérés" in text
    assert "1 contributeur," in text
    assert "0 commit ces 90 derniers jours" in text
    assert "relevé des cycles de vie du 1 juin 2025" in text
    assert "129\u202f558 lignes de code" in text
    assert "47,1 % du code est dupliqué (40 lignes sur 85), en 1 bloc copié" in text
    assert "70,6 pour 1\u202f000 lignes de Python" in text
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text)
    # Each rule: its French explanation, then ruff's own message marked as English.
    assert "Module importé mais jamais utilisé." in page
    assert '<td lang="en">`datetime.date` imported but unused</td>' in page
