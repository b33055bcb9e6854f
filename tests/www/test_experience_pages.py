"""Experience sharing pages: the knowledge base and its search, the cases similar to a request
with their reasons and the introduction form, and the public answer page of an introduction.
Experts and administrators only (403 for others), contact details never shown."""

import html
import re
from io import StringIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo
from dlnuf.organisations.models import Organisation, User
from dlnuf.procedures.models import ItemSource, Procedure
from dlnuf.procedures.services import diagnostic_run, procedure_items_add
from dlnuf.support.introductions import Side, consent_token, introduction_consent
from dlnuf.support.models import (
    HelpKind,
    Introduction,
    IntroductionState,
    KnowledgeEntry,
    KnowledgeSource,
    Ministry,
    SupportRequest,
)
from tests.support.factories import SupportRequestFactory

pytestmark = pytest.mark.django_db

EXPERT = "expert@demo.dlnuf.fr"
ADMIN = "admin@demo.dlnuf.fr"
NOT_ON_THE_DESK = [
    "agent.lyon@demo.dlnuf.fr",
    "agent.paris@demo.dlnuf.fr",
    "instructeur.cnaf@demo.dlnuf.fr",
    "instructeur.insee@demo.dlnuf.fr",
    "rapporteur.cnaf@demo.dlnuf.fr",
]
CONTACTS = ("Camille Durand", "camille.durand@montval.fr", "Lou Garnier", "lou.garnier@ccas.fr")
REQUESTER = ("Noé Lambert", "noe.lambert@saint-aubin.fr")


@pytest.fixture
def cases(db: None) -> dict[str, KnowledgeEntry]:
    catalogue_load()
    load_demo(stdout=StringIO())
    return {
        "cantine": KnowledgeEntry.objects.create(
            source=KnowledgeSource.MISSION,
            organisation_name="Ville de Montval",
            contact_name=CONTACTS[0],
            contact_email=CONTACTS[1],
            title="Tarif de la cantine selon le quotient familial",
            problem="L'inscription à la cantine exigeait l'attestation CAF des familles.",
            solution="Le quotient familial est lu par API Particulier à l'inscription.",
            dataset_slugs=["quotient-familial"],
        ),
        "ccas": KnowledgeEntry.objects.create(
            source=KnowledgeSource.DIAGNOSTIC,
            organisation_name="CCAS de Saint-Martin",
            contact_name=CONTACTS[2],
            contact_email=CONTACTS[3],
            title="Aides facultatives sans attestation de RSA",
            problem="Le CCAS demandait l'attestation de paiement du RSA.",
            solution="Les droits RSA sont vérifiés par API pendant l'entretien.",
            dataset_slugs=["revenu-solidarite-active"],
        ),
    }


@pytest.fixture
def support_request(cases: dict[str, KnowledgeEntry]) -> SupportRequest:
    return SupportRequestFactory(
        organisation_name="Mairie de Saint-Aubin",
        ministry=Ministry.LOCAL_AUTHORITY,
        requester_name=REQUESTER[0],
        requester_email=REQUESTER[1],
        help_kinds=[HelpKind.EXPERIENCE.value],
        subject="Cantine : ne plus demander l'avis d'imposition",
        context="Les familles joignent l'attestation CAF ou l'avis d'imposition.",
        need="Obtenir le quotient familial directement.",
    )


def _client(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _text(response: Any) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _similar_url(support_request: SupportRequest) -> str:
    return reverse("www:experience_similar", kwargs={"pk": support_request.pk})


def _consent_url(introduction: Introduction, side: Side) -> str:
    token = consent_token(introduction, side)
    return reverse("www:introduction_consent", kwargs={"token": token})


def _propose(support_request: SupportRequest, entry: KnowledgeEntry) -> Introduction:
    client = _client(EXPERT)
    response = client.post(
        _similar_url(support_request),
        {"cas": entry.pk, f"cas-{entry.pk}-reason": "Même besoin autour de la cantine."},
    )
    assert response.status_code == 302
    return Introduction.objects.get(request=support_request, knowledge=entry)


# --- Permissions -----------------------------------------------------------------------------


def test_signed_out_people_are_sent_to_sign_in(support_request: SupportRequest) -> None:
    for url in (reverse("www:experience_list"), _similar_url(support_request)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("email", NOT_ON_THE_DESK)
def test_people_outside_the_guichet_are_refused(
    support_request: SupportRequest, email: str
) -> None:
    client = _client(email)
    assert client.get(reverse("www:experience_list")).status_code == 403
    assert client.get(_similar_url(support_request)).status_code == 403
    entry = KnowledgeEntry.objects.first()
    assert entry is not None
    response = client.post(
        _similar_url(support_request), {"cas": entry.pk, f"cas-{entry.pk}-reason": "x"}
    )
    assert response.status_code == 403
    assert not Introduction.objects.exists()


@pytest.mark.parametrize("email", [EXPERT, ADMIN])
def test_experts_and_administrators_see_both_pages(
    support_request: SupportRequest, email: str
) -> None:
    client = _client(email)
    assert client.get(reverse("www:experience_list")).status_code == 200
    assert client.get(_similar_url(support_request)).status_code == 200
    missing = reverse("www:experience_similar", kwargs={"pk": support_request.pk + 1000})
    assert client.get(missing).status_code == 404
    assert client.put(_similar_url(support_request)).status_code == 405


# --- The similar cases of a request -------------------------------------------------------------


def test_the_similar_page_shows_the_cases_their_reasons_and_no_contact_details(
    support_request: SupportRequest,
) -> None:
    response = _client(EXPERT).get(_similar_url(support_request))
    text = _text(response)

    assert "Demande " + support_request.reference in text
    assert "Méthode : modèle" in text
    assert text.index("Tarif de la cantine selon le quotient familial") < text.index(
        "Aides facultatives sans attestation de RSA"
    )
    assert "Ville de Montval" in text
    assert "Par le sens : 1er" in text
    assert "Mêmes données : « Quotient familial CAF et MSA »" in text
    assert "Mots en commun : " in text
    assert "Vos deux administrations ont rencontré un problème proche." in text
    page = html.unescape(response.content.decode())
    for detail in (*CONTACTS, *REQUESTER):
        assert detail not in page


def test_the_page_says_when_only_the_lexical_similarity_ran(
    support_request: SupportRequest, settings: Any
) -> None:
    settings.DLNUF_SIMILARITY_MODEL = "lexical"
    text = _text(_client(EXPERT).get(_similar_url(support_request)))

    assert "Méthode : lexicale" in text
    assert "Le modèle de langue n'est pas disponible" in text
    assert "Méthode : modèle" not in text


def test_an_expert_proposes_an_introduction_and_follows_its_state(
    support_request: SupportRequest, cases: dict[str, KnowledgeEntry]
) -> None:
    introduction = _propose(support_request, cases["cantine"])
    client = _client(EXPERT)

    text = _text(client.get(_similar_url(support_request)))
    assert introduction.state == IntroductionState.PROPOSED
    assert "Mises en relation de cette demande (1)" in text
    assert "Proposée, en attente des deux accords" in text

    introduction_consent(introduction=introduction, side=Side.PEER, agreed=False)
    text = _text(client.get(_similar_url(support_request)))
    assert "Déclinée" in text
    assert "par l'administration du cas" in text
    page = html.unescape(client.get(_similar_url(support_request)).content.decode())
    for detail in (*CONTACTS, *REQUESTER):
        assert detail not in page


def test_a_proposal_without_reason_or_made_twice_shows_the_refusal(
    support_request: SupportRequest, cases: dict[str, KnowledgeEntry]
) -> None:
    client = _client(EXPERT)
    entry = cases["cantine"]

    response = client.post(_similar_url(support_request), {"cas": entry.pk})
    assert response.status_code == 400
    assert "Expliquez en quelques mots pourquoi ce rapprochement est utile." in _text(response)
    assert not Introduction.objects.exists()

    _propose(support_request, entry)
    response = client.post(
        _similar_url(support_request), {"cas": entry.pk, f"cas-{entry.pk}-reason": "Encore."}
    )
    assert response.status_code == 400
    assert "ne peut pas l'être une seconde fois" in _text(response)
    assert Introduction.objects.count() == 1


def test_an_unknown_case_is_refused(support_request: SupportRequest) -> None:
    client = _client(EXPERT)
    assert client.post(_similar_url(support_request), {"cas": "abc"}).status_code == 400
    assert client.post(_similar_url(support_request), {"cas": "999999"}).status_code == 404


# --- The answer page of an introduction ---------------------------------------------------------


def test_each_side_reads_about_the_other_without_contact_details(
    support_request: SupportRequest, cases: dict[str, KnowledgeEntry]
) -> None:
    introduction = _propose(support_request, cases["cantine"])

    requester_page = Client().get(_consent_url(introduction, Side.REQUESTER))
    peer_page = Client().get(_consent_url(introduction, Side.PEER))

    assert requester_page.status_code == peer_page.status_code == 200
    assert "Ville de Montval" in _text(requester_page)
    assert "Tarif de la cantine selon le quotient familial" in _text(requester_page)
    assert "Mairie de Saint-Aubin" in _text(peer_page)
    assert "Cantine : ne plus demander l'avis d'imposition" in _text(peer_page)
    for page in (requester_page, peer_page):
        assert "J'accepte" in _text(page)
        for detail in (*CONTACTS, *REQUESTER):
            assert detail not in html.unescape(page.content.decode())


def test_a_link_answers_for_its_own_side_only(
    support_request: SupportRequest, cases: dict[str, KnowledgeEntry]
) -> None:
    introduction = _propose(support_request, cases["cantine"])
    url = _consent_url(introduction, Side.REQUESTER)
    client = Client()

    response = client.post(url, {"decision": "accepter", "side": "peer"})

    assert response.status_code == 302
    introduction.refresh_from_db()
    assert introduction.requester_agreed_at is not None
    assert introduction.peer_agreed_at is None
    text = _text(client.get(url))
    assert "votre accord est enregistré" in text
    assert "Vous avez accepté le" in text
    assert "J'accepte" not in text


def test_both_agreed_then_the_page_says_so_and_still_shows_no_details(
    support_request: SupportRequest, cases: dict[str, KnowledgeEntry]
) -> None:
    introduction = _propose(support_request, cases["cantine"])
    for side in Side:
        Client().post(_consent_url(introduction, side), {"decision": "accepter"})

    introduction.refresh_from_db()
    assert introduction.state == IntroductionState.ACCEPTED
    page = Client().get(_consent_url(introduction, Side.REQUESTER))
    assert "Les deux parties ont accepté" in _text(page)
    for detail in (*CONTACTS, *REQUESTER):
        assert detail not in html.unescape(page.content.decode())


def test_declining_is_final_on_the_page(
    support_request: SupportRequest, cases: dict[str, KnowledgeEntry]
) -> None:
    introduction = _propose(support_request, cases["cantine"])
    client = Client()
    client.post(_consent_url(introduction, Side.PEER), {"decision": "decliner"})

    response = client.post(_consent_url(introduction, Side.REQUESTER), {"decision": "accepter"})
    text = _text(client.get(response["Location"]))

    introduction.refresh_from_db()
    assert introduction.state == IntroductionState.DECLINED
    assert introduction.requester_agreed_at is None
    assert "a été déclinée : elle est close et rien n'a été transmis" in text
    assert "J'accepte" not in text


def test_an_altered_or_unknown_link_is_not_found(
    support_request: SupportRequest, cases: dict[str, KnowledgeEntry]
) -> None:
    introduction = _propose(support_request, cases["cantine"])
    token = consent_token(introduction, Side.PEER)
    altered = token[:-1] + ("a" if token[-1] != "a" else "b")
    url = reverse("www:introduction_consent", kwargs={"token": altered})

    assert Client().get(url).status_code == 404
    assert Client().post(url, {"decision": "accepter"}).status_code == 404
    assert (
        Client().post(_consent_url(introduction, Side.PEER), {"decision": "?"}).status_code == 400
    )
    introduction.refresh_from_db()
    assert introduction.peer_agreed_at is None


# --- The knowledge base ---------------------------------------------------------------------------


def test_the_list_shows_the_base_and_filters_it_by_source(
    cases: dict[str, KnowledgeEntry],
) -> None:
    client = _client(EXPERT)

    text = _text(client.get(reverse("www:experience_list")))
    assert "Cas connus (2)" in text
    assert "Ville de Montval" in text

    text = _text(client.get(reverse("www:experience_list"), {"source": "diagnostic"}))
    assert "Cas connus (1)" in text
    assert "CCAS de Saint-Martin" in text
    assert "Ville de Montval" not in text


def test_the_search_box_ranks_cases_and_shows_the_method(
    cases: dict[str, KnowledgeEntry], settings: Any
) -> None:
    client = _client(EXPERT)
    url = reverse("www:experience_list")

    text = _text(client.get(url, {"q": "attestation de paiement du RSA au CCAS"}))
    assert "Cas les plus proches (2)" in text
    assert text.index("Aides facultatives sans attestation de RSA") < text.index(
        "Tarif de la cantine"
    )
    assert "Méthode : modèle" in text

    settings.DLNUF_SIMILARITY_MODEL = "lexical"
    text = _text(client.get(url, {"q": "cantine", "source": "mission"}))
    assert "Cas les plus proches (1)" in text
    assert "Méthode : lexicale" in text
    page = html.unescape(client.get(url, {"q": "cantine"}).content.decode())
    for detail in CONTACTS:
        assert detail not in page


def test_a_bad_filter_is_shown_as_a_form_error(cases: dict[str, KnowledgeEntry]) -> None:
    response = _client(EXPERT).get(reverse("www:experience_list"), {"source": "inconnue"})

    assert response.status_code == 400
    assert "Choisissez une origine de la liste." in _text(response)


def test_opening_the_base_writes_the_entries_of_newly_diagnosed_procedures(
    cases: dict[str, KnowledgeEntry],
) -> None:
    agent = User.objects.get(email="agent.lyon@demo.dlnuf.fr")
    organisation = Organisation.objects.get(siret="21690123100011")
    procedure = Procedure.objects.create(
        organisation=organisation, name="Carte de bibliothèque", created_by=agent
    )
    procedure_items_add(
        procedure=procedure,
        labels=["Attestation France Travail"],
        source=ItemSource.TYPED,
        added_by=agent,
    )
    diagnostic_run(procedure=procedure, run_by=agent)
    assert not KnowledgeEntry.objects.filter(procedure=procedure).exists()

    text = _text(_client(ADMIN).get(reverse("www:experience_list")))

    assert KnowledgeEntry.objects.filter(procedure=procedure).exists()
    assert "Carte de bibliothèque" in text


def test_the_introduction_form_is_only_offered_for_cases_with_a_contact(
    support_request: SupportRequest,
) -> None:
    KnowledgeEntry.objects.update(contact_email="")
    text = _text(_client(EXPERT).get(_similar_url(support_request)))

    assert "Personne n'est connu pour ce cas" in text
    assert "Proposer une mise en relation" not in text
