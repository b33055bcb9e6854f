"""The technology review pages: the form (uploads, paste, refusals), a whole run, the report
(own 200, someone else's 404, experts 200), its PDF."""

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.tech_review.runner import run
from tests.support.factories import ExpertUserFactory, UserFactory
from tests.toolbox.tech_review.large_project import large_project_files
from tests.www.pdf import render_pdf

pytestmark = pytest.mark.django_db

REQUIREMENTS = b"Django==5.1.4\npsycopg==3.2.1\nrequests\n"
PACKAGE_JSON = b'{"dependencies": {"react": "^18.2.0", "vue": "^3.4.0"}, "engines": {"node": "16"}}'


SMALL_PROJECT = [
    {"name": "requirements.txt", "text": REQUIREMENTS.decode()},
    {"name": "package.json", "text": PACKAGE_JSON.decode()},
    {"name": "Dockerfile", "text": "FROM mysql\n"},
]


def finished_report(
    owner: Any, *, title: str = "Portail", files: list[dict[str, str]] = SMALL_PROJECT
) -> ToolReport:
    report = ToolReport.objects.create(
        kind=ToolKind.TECH_REVIEW,
        title=title,
        created_by=owner,
        inputs={
            "source": "files",
            "distribution": "proprietary",
            "long_lived": True,
            "files": files,
        },
    )
    report.results = run(report, lambda percent, message: None)
    report.status = ReportStatus.DONE
    report.progress = 100
    report.save()
    return report


def test_the_form_is_for_signed_in_people(client: Client) -> None:
    url = reverse("www:tech_review_new")
    assert client.get(url).status_code == 302
    client.force_login(UserFactory())
    page = client.get(url).content.decode()
    assert "Coller le contenu d&#x27;un manifeste" in page
    assert 'enctype="multipart/form-data"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "files", "distribution": "libre"}, "Déposez au moins un manifeste."),
        (
            {"source": "paste", "pasted_name": "package.json", "distribution": "libre"},
            "Collez le contenu du manifeste.",
        ),
        (
            {"source": "paste", "pasted_name": "secrets.txt", "pasted_text": "x"},
            "Sélectionnez un choix valide",
        ),
        ({"source": "git", "url": "https://10.0.0.1/depot.git"}, "adresse interne"),
        ({"source": "archive", "distribution": "libre"}, "Déposez l&#x27;archive du code."),
        ({"source": "files"}, "Indiquez comment le logiciel est mis à disposition."),
    ],
)
def test_the_form_refuses_bad_input(client: Client, data: dict, message: str) -> None:
    client.force_login(UserFactory())
    response = client.post(reverse("www:tech_review_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ToolReport.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.txt", b"x"), "n&#x27;est pas un manifeste reconnu"),
        (SimpleUploadedFile("package.json", b"\x00\x01binary"), "n&#x27;est pas un fichier texte"),
        (SimpleUploadedFile("go.mod", "é".encode("latin-1")), "n&#x27;est pas un texte en UTF-8"),
        (SimpleUploadedFile("pom.xml", b"x" * (200 * 1024 + 1)), "dépasse 200 Ko"),
    ],
)
def test_uploaded_files_are_checked(client: Client, upload: Any, message: str) -> None:
    client.force_login(UserFactory())
    response = client.post(
        reverse("www:tech_review_new"),
        {"source": "files", "distribution": "libre", "manifests": [upload]},
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_uploaded_manifests_run_and_show_their_report(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    owner = UserFactory()
    client.force_login(owner)
    uploads = [
        SimpleUploadedFile("requirements.txt", REQUIREMENTS),
        SimpleUploadedFile("package.json", PACKAGE_JSON),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("www:tech_review_new"),
            {"source": "files", "distribution": "libre", "long_lived": "on", "manifests": uploads},
        )
    report = ToolReport.objects.get()
    assert response.url == reverse("www:tech_review_report", args=[report.pk])
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert report.title == "requirements.txt, package.json"
    assert not report.source_file
    page = client.get(response.url).content.decode()
    # Node.js 16 ended on 2023-09-11, before any day these tests run.
    assert "Composants en fin de vie" in page
    assert "nodejs 16 (package.json)" in page
    assert "cadriciels d&#x27;interface JavaScript" in page
    assert "Versions non fixées" in page
    assert "relevé endoflife.date du 1 juin 2025" in page


def test_a_pasted_manifest_is_reviewed(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("www:tech_review_new"),
            {
                "source": "paste",
                "pasted_name": "Dockerfile",
                "pasted_text": "FROM postgres:latest\n",
                "distribution": "service",
            },
        )
    report = ToolReport.objects.get()
    assert report.status == ReportStatus.DONE, report.error
    assert report.results["summary"]["on_sill"] == 1
    assert [f["rule"] for f in report.results["findings"]] == ["docker_latest"]


def test_an_archive_is_searched_for_manifests(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app/composer.json", '{"require": {"php": "^7.4"}}')
        bundle.writestr("node_modules/x/package.json", '{"dependencies": {"a": "*"}}')
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("www:tech_review_new"),
            {
                "source": "archive",
                "distribution": "libre",
                "archive": SimpleUploadedFile("code.zip", buffer.getvalue()),
            },
        )
    report = ToolReport.objects.get()
    assert report.status == ReportStatus.DONE, report.error
    assert report.results["manifests"] == ["app/composer.json"]
    # PHP 7.4 ended on 2022-11-28.
    assert report.results["components"][0]["eol_status"] == "eol"


def test_nothing_recognised_fails_with_a_french_message(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("www:tech_review_new"),
            {
                "source": "paste",
                "pasted_name": "package.json",
                "pasted_text": "{ pas du json",
                "distribution": "libre",
            },
        )
    report = ToolReport.objects.get()
    assert report.status == ReportStatus.FAILED
    assert "Aucun composant trouvé" in report.error
    assert "JSON invalide" in report.error


def test_a_report_is_read_by_its_owner_and_experts_only(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner)
    url = reverse("www:tech_review_report", args=[report.pk])
    pdf = reverse("www:tech_review_pdf", args=[report.pk])
    client.force_login(owner)
    page = client.get(url)
    assert page.status_code == 200
    assert "Enregistrer le rattachement" not in page.content.decode()
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(pdf).status_code == 404
    client.force_login(ExpertUserFactory())
    response = client.get(url)
    assert response.status_code == 200
    assert "Enregistrer le rattachement" in response.content.decode()


def test_the_report_shows_findings_and_snapshot_dates(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner)
    client.force_login(owner)
    page = client.get(reverse("www:tech_review_report", args=[report.pk])).content.decode()
    assert "Hors SILL alors qu&#x27;une solution du SILL existe" in page
    assert "PostgreSQL, MariaDB" in page
    assert "Licences à réciprocité" in page  # psycopg is LGPL, the project proprietary
    assert "psycopg ==3.2.1 (requirements.txt) — LGPL-3.0-only" in page
    assert "oui : Django" in page
    assert "partiel" in page
    assert "Graphique « Composants par état de leur cycle de vie »" in page


def test_a_running_report_shows_progress_and_no_pdf(client: Client) -> None:
    owner = UserFactory()
    report = ToolReport.objects.create(
        kind=ToolKind.TECH_REVIEW,
        title="En cours",
        created_by=owner,
        inputs={"source": "git", "url": "https://example.org/x.git"},
        status=ReportStatus.RUNNING,
        progress=40,
        progress_message="Recherche des manifestes",
    )
    client.force_login(owner)
    page = client.get(reverse("www:tech_review_report", args=[report.pk])).content.decode()
    assert "Recherche des manifestes" in page
    assert client.get(reverse("www:tech_review_pdf", args=[report.pk])).status_code == 302


def test_the_pdf_renders(client: Client) -> None:
    owner = UserFactory()
    report = finished_report(owner, title="Portail des démarches")
    client.force_login(owner)
    response = client.get(reverse("www:tech_review_pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    rendered = render_pdf(response.content)
    assert rendered.dark_pixels_in_title > 200
    text = rendered.text
    assert "Portail des démarches" in text
    assert "Choix à questionner" in text
    assert "Enregistrer le rattachement" not in text


def test_a_large_review_says_what_it_did_not_keep(client: Client) -> None:
    # 3,000 components (550 unpinned) in 252 manifests, 300 missing includes: see large_project.
    owner = UserFactory()
    report = finished_report(owner, title="Grand projet", files=large_project_files())
    assert len(report.results["components"]) == 500
    client.force_login(owner)
    page = client.get(reverse("www:tech_review_report", args=[report.pk])).content.decode()
    assert "3\u202f000 composants" in page
    # 500 rows stored, 100 drawn, 2,500 not stored.
    assert "Et 400 autres composants conservés dans le rapport" in page
    assert "Et 2\u202f500 autres composants non conservés" in page
    assert "portent sur les 3\u202f000." in page
    # The unpinned finding: 100 stored and drawn, 450 not stored.
    assert "paquet-0000 (requirements.txt)" in page
    assert "<li>et 450 autres</li>" in page
    # Manifests: 100 stored and drawn of 252; warnings: 100 of 300.
    assert "outils/o097/requirements.txt et 152 autres</li>" in page
    assert "<li>et 200 autres</li>" in page

    pdf = client.get(reverse("www:tech_review_pdf", args=[report.pk]))
    text = " ".join(render_pdf(pdf.content).text.split())
    assert "Et 2 500 autres composants non conservés" in text.replace("\xa0", " ")


def test_a_review_stored_before_lists_were_cut_still_renders(client: Client) -> None:
    owner = UserFactory()
    row = {
        "ecosystem": "pypi",
        "name": "paquet",
        "version": "",
        "resolved": "",
        "manifest": "requirements.txt",
        "dev": False,
        "product": "",
        "cycle": "",
        "lts": False,
        "match_note": "produit sans relevé de cycles de vie",
        "eol_status": "unknown",
        "eol_message": "inconnue",
        "eol_date": "",
        "latest": "",
        "outdated": False,
        "product_lts": False,
        "sill": None,
        "licence": "",
    }
    # As stored until lists were cut: every row and item, no count of what was left out.
    results = {
        "today": "2025-06-02",
        "distribution": "libre",
        "long_lived": True,
        "components": [{**row, "name": f"paquet-{i:03d}"} for i in range(150)],
        "findings": [
            {
                "rule": "unpinned",
                "severity": "attention",
                "title": "Versions non fixées",
                "detail": "Sans version, chaque installation peut prendre une version différente.",
                "components": [f"paquet-{i:03d} (requirements.txt)" for i in range(120)],
            }
        ],
        "summary": {
            "components": 150,
            "eol": 0,
            "soon": 0,
            "ok": 0,
            "unknown": 150,
            "on_sill": 0,
            "outdated": 0,
            "licence_known": 0,
            "findings": 1,
        },
        "snapshots": {"eol_date": "2025-06-01", "sill_date": "2025-06-01", "products": {}},
        "matching_rule": "Règle de rapprochement d'alors.",
        "source": {"kind": "files", "label": "requirements.txt"},
        "manifests": ["requirements.txt"],
        "warnings": [],
    }
    report = ToolReport.objects.create(
        kind=ToolKind.TECH_REVIEW,
        title="Ancienne revue",
        created_by=owner,
        inputs={"source": "files", "distribution": "libre", "long_lived": True},
        status=ReportStatus.DONE,
        progress=100,
        results=results,
    )
    client.force_login(owner)
    response = client.get(reverse("www:tech_review_report", args=[report.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "150 composants" in page
    assert "Revue faite le 2 juin 2025" in page
    assert "relevé endoflife.date du 1 juin 2025" in page
    assert "Et 50 autres composants conservés dans le rapport" in page
    assert "<li>et 20 autres</li>" in page
    assert "non conservés" not in page
    pdf = client.get(reverse("www:tech_review_pdf", args=[report.pk]))
    assert "Ancienne revue" in render_pdf(pdf.content).text
