"""In Chromium (fr-FR), each access's proof is checked in the page with WebCrypto, downloaded, and
refused when the bundle received was altered; the proof block passes axe-core.

The accesses are shown by a minimal page of this module that includes the real partial, so that the
proof block is tested whatever the page around it."""

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path, reverse
from django.utils import timezone

from config.urls import urlpatterns as portal_urlpatterns
from dlnuf.habilitations.models import Habilitation
from dlnuf.journal import verify_bundle
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.services import journal_entries_append
from dlnuf.journal.subjects import subject_key
from dlnuf.journal.tlog import journal_origin
from dlnuf.people.viewers import person_sign_in
from tests.exchange.factories import DatasetFactory, OrganisationFactory
from tests.journal.factories import ExchangeRecordFactory
from tests.journal.test_verify_bundle import (
    swap_bundled_key,
    tamper_entry_byte,
    tamper_proof_hash,
    tamper_signature,
    tamper_tree_size,
)
from tests.www.browser import axe_violations, describe, verify_in_page

pytestmark = pytest.mark.django_db(transaction=True)

MARIE = subject_key({"nomNaissance": "DUPONT", "prenoms": ["MARIE"], "anneeDateNaissance": "1980"})

PAGE = engines["django"].from_string(
    """{% extends "www/base.html" %}
{% block page %}
<h1>Preuves de mes accès</h1>
<ul class="fr-raw-list">
{% for entry in entries %}
  <li class="fr-mb-3w">
    <h2 class="fr-h6">Consultation n° {{ entry.index }}</h2>
    {% include "www/my_data/_entry_proof.html" %}
  </li>
{% endfor %}
</ul>
{% endblock page %}"""
)


@login_not_required
def proofs_page(request: HttpRequest) -> HttpResponse:
    person_sign_in(
        request, display_name="Marie Dupont", subject_keys=(MARIE,), signed_in_with="demo"
    )
    entries = JournalEntry.objects.filter(subject_key=MARIE).order_by("index")
    return HttpResponse(PAGE.render({"entries": entries, "title": "Preuves de mes accès"}, request))


urlpatterns = [path("essai/preuves/", proofs_page), *portal_urlpatterns]


@pytest.fixture
def proofs_url(live_server: Any, settings: Any) -> str:
    settings.ROOT_URLCONF = __name__
    shown = Habilitation.objects.create(
        organisation=OrganisationFactory(),
        dataset=DatasetFactory(),
        expires_at=timezone.now() + timedelta(days=365),
        subject_sees_case_reference=True,
    )
    others = ExchangeRecordFactory.build_batch(4)
    journal_entries_append(
        records=[
            *others[:2],
            ExchangeRecordFactory(subject_key=MARIE, habilitation_id=shown.pk),
            *others[2:],
            ExchangeRecordFactory(subject_key=MARIE, habilitation_id=None),
        ]
    )
    return f"{live_server.url}/essai/preuves/"


def test_the_page_checks_each_proof_and_offers_it_for_download(
    page: Any, proofs_url: str, tmp_path: Any
) -> None:
    page.goto(proofs_url)
    assert describe(proofs_url, axe_violations(page)) == ""

    assert verify_in_page(page, 2) == (
        f"Preuve vérifiée : l'accès n° 2 figure dans le journal signé « {journal_origin()} » "
        "de 6 entrées."
    )
    # The case reference of the last access is not for her: the proof covers its leaf hash.
    assert verify_in_page(page, 5).endswith(
        "La référence du dossier n'étant pas communiquée, la preuve porte sur l'empreinte de "
        "l'accès."
    )
    assert describe(proofs_url, axe_violations(page)) == ""

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger la preuve de la consultation n° 2 JSON").click()
    download = download_info.value
    assert download.suggested_filename == "preuve-consultation-2.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert verify_bundle.main([str(saved)]) == 0

    # The same block on « Mes données » itself, for the person the minimal page signed in.
    my_data_url = proofs_url.replace("/essai/preuves/", reverse("www:my_data"))
    page.goto(my_data_url)
    assert verify_in_page(page, 2).startswith("Preuve vérifiée : l'accès n° 2 figure")
    assert describe(my_data_url, axe_violations(page)) == ""


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            tamper_entry_byte,
            "Échec de la vérification : l'empreinte de l'accès et son chemin d'inclusion ne "
            "mènent pas à la racine signée du journal.",
        ),
        (
            tamper_proof_hash,
            "Échec de la vérification : l'empreinte de l'accès et son chemin d'inclusion ne "
            "mènent pas à la racine signée du journal.",
        ),
        (
            tamper_tree_size,
            "Échec de la vérification : la taille de l'arbre ne correspond pas au point de "
            "contrôle signé.",
        ),
        (
            tamper_signature,
            "Échec de la vérification : la signature du point de contrôle est invalide.",
        ),
        (
            swap_bundled_key,
            "Échec de la vérification : le point de contrôle n'est pas signé par la clé du "
            "journal.",
        ),
    ],
    ids=lambda item: item.__name__ if callable(item) else None,
)
def test_an_altered_proof_is_refused_in_the_page(
    page: Any, proofs_url: str, tamper: Any, message: str
) -> None:
    def altered(route: Any) -> None:
        response = route.fetch()
        bundle = copy.deepcopy(response.json())
        tamper(bundle)
        route.fulfill(response=response, body=json.dumps(bundle))

    page.route("**/acces/2/preuve.json", altered)
    page.goto(proofs_url)

    assert verify_in_page(page, 2) == message


def test_a_bundle_that_is_not_json_is_refused_and_the_server_s_refusal_is_told(
    page: Any, proofs_url: str
) -> None:
    page.route("**/acces/2/preuve.json", lambda route: route.fulfill(status=200, body="{"))
    page.goto(proofs_url)
    assert (
        verify_in_page(page, 2) == "Échec de la vérification : la preuve reçue n'est pas du JSON."
    )

    page.unroute("**/acces/2/preuve.json")
    page.route("**/acces/2/preuve.json", lambda route: route.fulfill(status=404, body=""))
    assert verify_in_page(page, 2) == (
        "Vérification impossible : la preuve n'a pas pu être obtenue (erreur 404)."
    )
