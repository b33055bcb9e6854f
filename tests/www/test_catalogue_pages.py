"""The public catalogue pages: search, filters, pagination, one page per dataset, document,
provider and public API; readable without signing in."""

import html
import re

import pytest
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from tests.procedures.factories import applicant, organisation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catalogue(db):
    catalogue_load()


def _text(response) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_the_index_lists_everything_with_an_accessible_count_and_pages(client):
    response = client.get(reverse("www:catalogue"))
    assert response.status_code == 200
    text = _text(response)
    assert "186 résultats" in text
    assert "(page 1 sur 10)" in text
    assert response.context["title"] == "Catalogue des données (page 1 sur 10)"
    assert text.count("Servie par la passerelle") == 16
    assert 'aria-current="page"' in response.content.decode()

    last = client.get(reverse("www:catalogue"), {"page": 10})
    assert "(page 10 sur 10)" in _text(last)
    assert "Non servie par la passerelle" in _text(last)


def test_search_and_filters_by_get_parameters(client):
    response = client.get(reverse("www:catalogue"), {"q": "avis d'imposition", "passerelle": "oui"})
    text = _text(response)
    assert response.context["title"] == "Catalogue des données : 1 résultat"
    assert "Impôt particulier (revenu fiscal de référence)" in text
    assert "Effacer les filtres" in text

    company = client.get(
        reverse("www:catalogue"), {"usager": "company", "fournisseur": "dgfip", "passerelle": "oui"}
    )
    assert [entry.slug for entry in company.context["page_obj"].object_list] == [
        "attestation-fiscale"
    ]
    by_document = client.get(reverse("www:catalogue"), {"piece": "certificat-scolarite"})
    assert [entry.slug for entry in by_document.context["page_obj"].object_list] == ["scolarite"]


def test_page_links_keep_the_search_and_filters(client):
    response = client.get(reverse("www:catalogue"), {"passerelle": "non", "page": "2"})
    page = response.content.decode()
    assert response.context["title"] == "Catalogue des données : 170 résultats (page 2 sur 9)"
    assert 'href="?passerelle=non&amp;page=3"' in page
    assert 'href="?passerelle=non&amp;page=1"' in page
    # The current page is marked, and unavailable links are announced as disabled.
    assert 'aria-current="page" title="Page 2"' in page
    last = client.get(reverse("www:catalogue"), {"passerelle": "non", "page": "9"})
    assert 'aria-disabled="true" role="link">Page suivante' in last.content.decode()


def test_a_stale_filter_value_is_ignored_and_shown_as_an_error(client):
    response = client.get(reverse("www:catalogue"), {"fournisseur": "inconnu", "q": "sirene"})
    assert response.status_code == 200
    assert "sirene_v3" in [entry.slug for entry in response.context["page_obj"].object_list]
    assert "fr-select-group--error" in response.content.decode()
    assert "Sélectionnez un choix valide" in _text(response)


def test_no_result_says_what_to_do(client):
    text = _text(client.get(reverse("www:catalogue"), {"q": "zzzz"}))
    assert "0 résultat" in text
    assert "Aucune donnée ne correspond" in text


def test_a_dataset_page_shows_everything_a_consumer_needs(client):
    response = client.get(reverse("www:dataset_detail", kwargs={"slug": "quotient-familial"}))
    assert response.status_code == 200
    page = response.content.decode()
    text = _text(response)
    # Scopes, each with what it reveals and its fields.
    assert "cnaf_quotient_familial" in text
    assert "Révèle l'adresse postale du foyer" in text
    assert "<code>adresse</code>" in page
    # Legal bases with links.
    assert "Articles L114-8 et R114-9-3" in text
    assert 'href="https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000031366350"' in page
    # Supporting documents replaced, linked to their pages.
    assert (
        reverse("www:supporting_document_detail", kwargs={"slug": "justificatif-domicile"}) in page
    )
    # How to get access: the request link carries the dataset.
    assert "Obtenir l'accès" in text
    assert f"{reverse('www:request_new')}?dataset=quotient-familial" in page
    # Sandbox identities and a call example with trace parameters and a Bearer placeholder.
    assert "Allocataire CAF, QF 2550, sans enfant (cas nominal)" in text
    assert "nomNaissance=LEFEBVRE" in text
    assert "usager ou entité introuvable" in text
    assert "curl --get http://" in text
    assert "Authorization: Bearer VOTRE_JETON" in text
    assert "recipient=SIRET_DE_VOTRE_ORGANISATION" in text
    # Live status.
    assert "24 dernières heures" in text
    assert "aucun appel" in text
    assert "Liaison avec le bac à sable intégré" in text
    # The public APIs of api.gouv.fr from the same source.
    assert reverse("www:public_api_detail", kwargs={"slug": "api-particulier"}) in page


def test_a_signed_in_applicant_gets_examples_with_the_siret_of_their_organisation(client):
    agent = applicant(organisation())
    client.force_login(agent)
    text = _text(client.get(reverse("www:dataset_detail", kwargs={"slug": "unite-legale"})))
    assert "recipient=21690123100011" in text
    assert "siren=" in text


def test_a_public_api_page_is_clearly_not_served(client):
    response = client.get(reverse("www:public_api_detail", kwargs={"slug": "impot-particulier"}))
    text = _text(response)
    assert "API non servie par la passerelle du guichet" in text
    assert "ne peut pas être demandé sur ce portail" in text
    assert "Accès restreint, sur habilitation" in text
    assert "https://datapass.api.gouv.fr/api-impot-particulier-sandbox" in text
    assert 'href="mailto:dtnum.donnees.demande-acces@dgfip.finances.gouv.fr"' in (
        response.content.decode()
    )
    assert response.context["title"].endswith("(API non servie par la passerelle)")
    assert "request_new" not in response.content.decode()
    assert "Demander l'accès" not in text


def test_document_and_provider_pages(client):
    document = client.get(
        reverse("www:supporting_document_detail", kwargs={"slug": "extrait-kbis"})
    )
    assert "Unité légale (répertoire Sirene)" in _text(document)
    listing = _text(client.get(reverse("www:supporting_documents")))
    assert "Avis d'imposition" in listing
    provider = _text(client.get(reverse("www:provider_detail", kwargs={"slug": "dgfip"})))
    assert "Données servies par la passerelle Attestation de régularité fiscale" in provider
    assert "API Impôt particulier" in provider


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("www:dataset_detail", "inconnu"),
        ("www:public_api_detail", "inconnue"),
        ("www:supporting_document_detail", "inconnue"),
        ("www:provider_detail", "inconnu"),
    ],
)
def test_unknown_entries_are_404(client, name, slug):
    assert client.get(reverse(name, kwargs={"slug": slug})).status_code == 404


def test_an_inactive_dataset_has_no_page(client):
    from dlnuf.catalogue.models import Dataset

    Dataset.objects.filter(slug="prime-activite").update(is_active=False)
    assert (
        client.get(reverse("www:dataset_detail", kwargs={"slug": "prime-activite"})).status_code
        == 404
    )
