"""The public page of the journal: reachable from every page's footer, its links lead to the log's
files, and it passes axe-core with witnesses up to date, late, and never heard from."""

import re
import time
from html import unescape
from typing import Any

import pytest
from django.test import Client

from dlnuf.journal.cosignatures import WITNESS_LATE_AFTER_SECONDS, cosignatures_submit
from dlnuf.journal.notes import cosignature_line
from dlnuf.journal.tlog import checkpoint_current
from tests.journal.factories import append, private, witness_vkey
from tests.www.browser import crawl

WITNESSES = {
    "cnil.example.org/temoin": "55" * 32,
    "cnaf.example.org/temoin": "56" * 32,
    "jamais.example.org/temoin": "57" * 32,
}


@pytest.fixture
def witnessed(settings) -> None:
    settings.DLNUF_JOURNAL_WITNESSES = [
        witness_vkey(name, hex_key) for name, hex_key in WITNESSES.items()
    ]
    append(300, 0)
    note = checkpoint_current()
    text = note[: note.rindex("\n\n") + 1]
    now = int(time.time())
    for name, moment in (
        ("cnil.example.org/temoin", now - 120),
        ("cnaf.example.org/temoin", now - WITNESS_LATE_AFTER_SECONDS - 3600),
    ):
        cosignatures_submit(
            note=note + cosignature_line(text, name, private(WITNESSES[name]), moment)
        )
    append(10, 300)


@pytest.mark.django_db
def test_the_footer_links_the_page_and_its_links_lead_to_the_log_files(client, witnessed):
    home = client.get("/").content.decode()
    assert 'href="/journal/"' in home
    page = client.get("/journal/")
    html = unescape(page.content.decode())
    assert "310 entrées" in html
    assert "il y a 2\xa0minutes" in html
    assert "10 entrées ajoutées depuis" in html
    assert html.count("En retard") == 2  # the late witness and the one never heard from
    assert "aucune cosignature reçue" in html
    links = set(re.findall(r'href="(/journal/[^"]+)"', html))
    assert links == {"/journal/checkpoint", "/journal/vkey"}
    # Binary tiles are named, not linked: a browser following the link would only download.
    assert "<code>/journal/tile/0/000</code>" in html
    for link in [*links, "/journal/tile/0/000"]:
        assert Client().get(link).status_code == 200, link


@pytest.mark.django_db(transaction=True)
def test_the_page_passes_axe(page: Any, live_server: Any, witnessed: None) -> None:
    report = crawl(page, live_server.url, ["/journal/"], limit=1)
    assert report.statuses == {f"{live_server.url}/journal/": 200}
    assert not report.failures(), report.failures()
