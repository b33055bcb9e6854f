"""Procedure and diagnostic pages: who sees what (404 for other organisations), the three ways
to add items, the diagnostic and its history, requests prepared in one step."""

import html
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.organisations.models import Role
from dlnuf.procedures.models import Diagnostic, DiagnosticMatch, Procedure
from dlnuf.procedures.services import diagnostic_run
from tests.procedures.factories import (
    PARIS,
    UserFactory,
    applicant,
    global_user,
    organisation,
    procedure,
)

pytestmark = pytest.mark.django_db

CANTINE = (
    "Avis d'imposition",
    "Attestation CAF de moins de 3 mois",
    "Justificatif de domicile",
    "Certificat de scolarité",
    "RIB",
)


@pytest.fixture
def lyon(db):
    catalogue_load()
    return organisation()


@pytest.fixture
def agent(lyon):
    return applicant(lyon)


@pytest.fixture
def cantine(agent, lyon):
    created = procedure(agent, lyon, yearly_volume=18_000, labels=CANTINE)
    diagnostic_run(procedure=created, run_by=agent)
    return created


def _text(response) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _pages(procedure: Procedure) -> list[str]:
    diagnostic = procedure.diagnostics.get()
    return [
        reverse("www:procedure_detail", kwargs={"pk": procedure.pk}),
        reverse(
            "www:diagnostic_detail", kwargs={"pk": procedure.pk, "diagnostic_pk": diagnostic.pk}
        ),
    ]


def _actions(procedure: Procedure) -> list[tuple[str, dict]]:
    diagnostic = procedure.diagnostics.get()
    item = procedure.items.first()
    return [
        (reverse("www:procedure_edit", kwargs={"pk": procedure.pk}), {}),
        (reverse("www:procedure_items_add", kwargs={"pk": procedure.pk}), {}),
        (
            reverse("www:procedure_item_update", kwargs={"pk": procedure.pk, "item_pk": item.pk}),
            {"action": "retirer"},
        ),
        (reverse("www:procedure_diagnose", kwargs={"pk": procedure.pk}), {}),
        (
            reverse(
                "www:procedure_requests_new",
                kwargs={"pk": procedure.pk, "diagnostic_pk": diagnostic.pk},
            ),
            {"matches": list(DiagnosticMatch.objects.values_list("pk", flat=True))},
        ),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, cantine):
    for url in [reverse("www:procedures"), reverse("www:procedure_new"), *_pages(cantine)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("www:login"))


def test_another_organisation_sees_nothing(client, cantine):
    paris_agent = applicant(organisation(PARIS, "Ville de Paris"))
    client.force_login(paris_agent)
    assert cantine.name not in _text(client.get(reverse("www:procedures")))
    for url in _pages(cantine):
        assert client.get(url).status_code == 404
    for url, data in _actions(cantine):
        assert client.post(url, data).status_code == 404
    assert cantine.items.count() == len(CANTINE)
    assert not AuthorizationRequest.objects.exists()


@pytest.mark.parametrize("role", [Role.INSTRUCTOR, Role.REPORTER])
def test_provider_roles_see_no_procedure(client, cantine, role):
    from dlnuf.catalogue.models import Provider
    from dlnuf.organisations.models import Membership

    user = UserFactory()
    Membership.objects.create(user=user, role=role, provider=Provider.objects.get(slug="cnaf-msa"))
    client.force_login(user)
    index = client.get(reverse("www:procedures"))
    assert index.status_code == 200
    assert "rattaché comme demandeur à aucune organisation" in _text(index)
    for url in _pages(cantine):
        assert client.get(url).status_code == 404
    assert client.get(reverse("www:procedure_new")).status_code == 403


@pytest.mark.parametrize("role", [Role.EXPERT, Role.ADMINISTRATOR])
def test_experts_and_administrators_read_but_do_not_change(client, cantine, role):
    client.force_login(global_user(role))
    assert cantine.name in _text(client.get(reverse("www:procedures")))
    for url in _pages(cantine):
        response = client.get(url)
        assert response.status_code == 200
        assert "Préparer les demandes" not in _text(response)
        assert "Lancer le diagnostic" not in _text(response)
    for url, data in _actions(cantine):
        assert client.post(url, data).status_code == 403
    assert cantine.diagnostics.count() == 1
    assert not AuthorizationRequest.objects.exists()


def test_an_applicant_describes_a_procedure(client, agent, lyon):
    client.force_login(agent)
    form = client.get(reverse("www:procedure_new"))
    assert form.status_code == 200
    refused = client.post(
        reverse("www:procedure_new"),
        {"name": "", "url": "pas une adresse", "yearly_volume": "-3", "organisation": lyon.pk},
    )
    text = _text(refused)
    assert "Saisissez une adresse web complète" in text
    assert "ne peut pas être négatif" in text
    assert not Procedure.objects.exists()

    response = client.post(
        reverse("www:procedure_new"),
        {
            "name": "Inscription à la cantine scolaire",
            "url": "https://demarches.lyon.fr/cantine",
            "yearly_volume": "18000",
            "organisation": lyon.pk,
        },
    )
    created = Procedure.objects.get()
    assert response["Location"] == reverse("www:procedure_items_add", kwargs={"pk": created.pk})
    assert (created.organisation, created.created_by, created.yearly_volume) == (lyon, agent, 18000)


def test_an_applicant_cannot_create_for_another_organisation(client, agent):
    paris = organisation(PARIS, "Ville de Paris")
    client.force_login(agent)
    response = client.post(
        reverse("www:procedure_new"),
        {"name": "X", "url": "", "yearly_volume": "1", "organisation": paris.pk},
    )
    assert "Choisissez une de vos organisations" in _text(response)
    assert not Procedure.objects.exists()


def test_items_typed_picked_and_imported(client, agent, lyon):
    empty = procedure(agent, lyon)
    url = reverse("www:procedure_items_add", kwargs={"pk": empty.pk})
    client.force_login(agent)
    page = client.get(url)
    assert page.status_code == 200
    assert "Relevé d'identité bancaire (RIB)" in _text(page)

    export = SimpleUploadedFile(
        "formulaire.json", json.dumps(["Certificat de scolarité", "Allergies"]).encode()
    )
    # Typed lines, ticked documents and the export go in one submit: none of them is dropped.
    response = client.post(
        url,
        {
            "labels": "Avis d'imposition\n\nQuotient familial\n",
            "items": ["justificatif-domicile", "rib"],
            "export": export,
        },
    )
    assert response.status_code == 302

    assert list(empty.items.values_list("label", "source")) == [
        ("Avis d'imposition", "typed"),
        ("Quotient familial", "typed"),
        ("Justificatif de domicile", "picked"),
        ("Relevé d'identité bancaire (RIB)", "picked"),
        ("Certificat de scolarité", "imported"),
        ("Allergies", "imported"),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"labels": "  \n "}, "Saisissez, cochez ou importez au moins un élément."),
        ({}, "Saisissez, cochez ou importez au moins un élément."),
        ({"items": ["pas-une-piece"]}, "n'est plus proposé"),
        ({"labels": "RIB\n" * 51}, "Saisissez au plus 50 éléments à la fois"),
    ],
)
def test_bad_item_input_is_answered_in_french_and_nothing_is_saved(
    client, agent, lyon, data, message
):
    empty = procedure(agent, lyon)
    client.force_login(agent)
    response = client.post(reverse("www:procedure_items_add", kwargs={"pk": empty.pk}), data)
    assert response.status_code == 400
    assert message in _text(response)
    assert not empty.items.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("export.pdf", b"%PDF-1.4", "doit être un export CSV (.csv) ou JSON (.json)"),
        ("export.csv", b"code;type\nRIB;texte\n", "Colonne des libellés introuvable"),
        ("export.json", b"{", "JSON illisible"),
        ("export.csv", b"libelle\n" + b"Champ\n" * 50_000, "dépasse 200 Ko"),
    ],
)
def test_a_bad_export_is_refused_whole(client, agent, lyon, name, content, message):
    empty = procedure(agent, lyon)
    client.force_login(agent)
    response = client.post(
        reverse("www:procedure_items_add", kwargs={"pk": empty.pk}),
        {"export": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert message in _text(response)
    assert not empty.items.exists()


def test_a_refused_export_keeps_what_was_typed_and_ticked(client, agent, lyon):
    empty = procedure(agent, lyon)
    client.force_login(agent)
    response = client.post(
        reverse("www:procedure_items_add", kwargs={"pk": empty.pk}),
        {
            "labels": "Avis d'imposition\nCarnet de santé",
            "items": ["rib"],
            "export": SimpleUploadedFile("export.json", b"{"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "JSON illisible" in _text(response)
    assert "Avis d&#x27;imposition\nCarnet de santé</textarea>" in page
    assert re.search(r'<input[^>]*value="rib"[^>]*checked', page)
    assert "Choisissez de nouveau le fichier à importer." in _text(response)
    assert not empty.items.exists()


def test_diagnostic_page_shows_score_reasons_advice_and_history(client, agent, cantine):
    client.force_login(agent)
    diagnostic = cantine.diagnostics.get()
    text = _text(
        client.get(
            reverse(
                "www:diagnostic_detail", kwargs={"pk": cantine.pk, "diagnostic_pk": diagnostic.pk}
            )
        )
    )
    assert "4 éléments encore demandés pourraient être préremplis : niveau partiel" in text
    # 18 000 × (1 + 0,55 + 0,55 + 1): the CAF's data answer for its families only.
    assert "55 800 par an" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "Autre nom de la pièce « Attestation de quotient familial CAF ou MSA »" in text
    assert "Aucune donnée du catalogue ne remplace le RIB" in text
    assert "Demander Quotient familial CAF et MSA" in text
    assert re.search(r"périmètres minimaux : cnaf_quotient_familial\s?, cnaf_adresse", text)
    assert "Préparer les demandes d'habilitation" in text

    # Progress: stop asking two items, run again; the history shows both runs and a chart.
    for item in cantine.items.filter(label__in=CANTINE[:2]):
        client.post(
            reverse("www:procedure_item_update", kwargs={"pk": cantine.pk, "item_pk": item.pk}),
            {"action": "ne-plus-demander"},
        )
    response = client.post(reverse("www:procedure_diagnose", kwargs={"pk": cantine.pk}))
    latest = cantine.diagnostics.order_by("-pk").first()
    assert response["Location"] == reverse(
        "www:diagnostic_detail", kwargs={"pk": cantine.pk, "diagnostic_pk": latest.pk}
    )
    assert latest.replaceable_count == 2
    detail = client.get(reverse("www:procedure_detail", kwargs={"pk": cantine.pk}))
    page = detail.content.decode()
    assert "Historique des diagnostics (2)" in _text(detail)
    assert "<svg" in page
    assert 'aria-hidden="true"' in page
    # The older diagnostic no longer offers to create requests.
    old = client.get(
        reverse("www:diagnostic_detail", kwargs={"pk": cantine.pk, "diagnostic_pk": diagnostic.pk})
    )
    assert "Ce n'est pas le dernier diagnostic" in _text(old)
    assert "Préparer les demandes" not in _text(old)


def test_one_step_creates_the_prefilled_requests(client, agent, cantine):
    client.force_login(agent)
    diagnostic = cantine.diagnostics.get()
    family = DiagnosticMatch.objects.filter(
        item__diagnostic=diagnostic, dataset__slug="quotient-familial"
    )
    response = client.post(
        reverse(
            "www:procedure_requests_new", kwargs={"pk": cantine.pk, "diagnostic_pk": diagnostic.pk}
        ),
        {"matches": [str(pk) for pk in family.values_list("pk", flat=True)]},
    )
    assert response.status_code == 302
    created = AuthorizationRequest.objects.get()
    assert created.procedure == cantine
    assert created.dataset.slug == "quotient-familial"
    assert sorted(created.requested_scopes.values_list("slug", flat=True)) == [
        "cnaf_adresse",
        "cnaf_quotient_familial",
    ]
    detail = _text(client.get(response["Location"]))
    assert "1 demande d'habilitation préremplie en brouillon" in detail
    assert "Quotient familial CAF et MSA — brouillon" in detail

    nothing = client.post(
        reverse(
            "www:procedure_requests_new", kwargs={"pk": cantine.pk, "diagnostic_pk": diagnostic.pk}
        ),
        {"matches": ["abc"]},
        follow=True,
    )
    assert "Choisissez au moins une donnée à demander." in _text(nothing)
    assert AuthorizationRequest.objects.count() == 1


def test_a_diagnostic_of_another_procedure_is_404(client, agent, lyon, cantine):
    other = procedure(agent, lyon, name="Autre", labels=("RIB",))
    diagnostic = Diagnostic.objects.get(procedure=cantine)
    client.force_login(agent)
    url = reverse("www:diagnostic_detail", kwargs={"pk": other.pk, "diagnostic_pk": diagnostic.pk})
    assert client.get(url).status_code == 404
