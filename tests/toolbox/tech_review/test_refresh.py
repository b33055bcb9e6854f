import json
import shutil
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dlnuf.toolbox.tech_review.catalogues import PACKAGE_DATA_DIR, load_catalogues

PAGES = {
    "/api/django.json": json.dumps(
        [
            {"cycle": "6.0", "releaseDate": "2025-12-03", "eol": "2027-04-30", "latest": "6.0.1",
             "lts": False, "support": "2026-08-31"},
            {"cycle": "5.2", "releaseDate": "2025-04-02", "eol": "2028-04-30", "latest": "5.2.9",
             "lts": True},
        ]
    ),
    "/api/broken.json": "[{\"cycle\": \"1\", ",
    "/api/nocycle.json": json.dumps([{"eol": False}]),
    "/api/moved.json": "",
    "/sill.json": json.dumps(
        [
            {"id": 1, "name": "PostgreSQL", "description": "Base de données",
             "license": "PostgreSQL", "referents": [{"email": "personne@example.org"}]},
            {"softwareId": 2, "softwareName": "Django", "function": "Cadriciel web",
             "softwareLicense": "BSD-3-Clause"},
            {"description": "sans nom"},
        ]
    ),
    "/bad-sill.json": "<html>maintenance</html>",
}  # fmt: skip


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/api/moved.json":
            self.send_response(302)
            self.send_header("Location", "/api/django.json")
            self.end_headers()
            return
        body = PAGES.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def data(tmp_path: Path, settings) -> Path:
    for name in ("eol.json", "sill.json"):
        shutil.copy(PACKAGE_DATA_DIR / name, tmp_path / name)
    settings.DLNUF_TECH_DATA_DIR = str(tmp_path)
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["127.0.0.1"]
    return tmp_path


def test_good_data_is_written_with_its_date(server: str, data: Path) -> None:
    today = timezone.localdate().isoformat()
    call_command(
        "refresh_tech_data", eol_products="django", sill=True, eol_base_url=f"{server}/api",
        sill_url=f"{server}/sill.json",
    )  # fmt: skip
    eol = json.loads((data / "eol.json").read_text())
    django = eol["products"]["django"]
    assert django["fetched"] == today
    assert [c["cycle"] for c in django["cycles"]] == ["6.0", "5.2"]
    assert "support" not in django["cycles"][0]  # only the fields the review uses are kept
    # The other products keep their older date, so the file's date stays the oldest one.
    assert eol["products"]["python"]["fetched"] == "2025-06-01"
    assert eol["snapshot_date"] == "2025-06-01"
    sill = json.loads((data / "sill.json").read_text())
    assert sill["snapshot_date"] == today
    assert sill["partial"] is False
    assert sill["entries"] == [
        {"id": 1, "name": "PostgreSQL", "description": "Base de données", "licence": "PostgreSQL"},
        {"id": 2, "name": "Django", "description": "Cadriciel web", "licence": "BSD-3-Clause"},
    ]
    catalogues = load_catalogues()
    assert catalogues.sill_date == today
    assert catalogues.cycles("django")[0]["latest"] == "6.0.1"
    assert not list(data.glob(".*.tmp"))


def test_a_redirect_is_checked_and_followed(server: str, data: Path) -> None:
    call_command("refresh_tech_data", eol_products="moved", eol_base_url=f"{server}/api")
    eol = json.loads((data / "eol.json").read_text())
    assert eol["products"]["moved"]["cycles"][0]["cycle"] == "6.0"


def test_bad_answers_leave_the_files_unchanged(server: str, data: Path) -> None:
    before = {name: (data / name).read_bytes() for name in ("eol.json", "sill.json")}
    for options in (
        {"eol_products": "broken", "eol_base_url": f"{server}/api"},
        {"eol_products": "nocycle,missing", "eol_base_url": f"{server}/api"},
        {"sill": True, "sill_url": f"{server}/bad-sill.json"},
    ):
        with pytest.raises(CommandError):
            call_command("refresh_tech_data", **options)
    assert {name: (data / name).read_bytes() for name in before} == before


def test_an_internal_address_not_allow_listed_is_refused(
    server: str, data: Path, settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = []
    before = (data / "sill.json").read_bytes()
    with pytest.raises(CommandError):
        call_command("refresh_tech_data", sill=True, sill_url=f"{server}/sill.json")
    assert "adresse interne" in capsys.readouterr().err
    assert (data / "sill.json").read_bytes() == before


def test_shipped_snapshot_is_dated(settings) -> None:
    settings.DLNUF_TECH_DATA_DIR = None
    catalogues = load_catalogues()
    assert date.fromisoformat(catalogues.eol_date)
    assert date.fromisoformat(catalogues.sill_date)
    django = {c["cycle"]: c for c in catalogues.cycles("django")}
    assert django["5.2"]["eol"] == "2028-04-30"
    assert django["5.2"]["lts"] is True
