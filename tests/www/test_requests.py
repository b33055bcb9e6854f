"""The habilitation request pages: who sees what, the form's French errors, uploads, actions."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.habilitations import services
from dlnuf.habilitations.models import AuthorizationRequest, Environment, RequestState
from dlnuf.organisations.models import Role, User
from tests.exchange.factories import OrganisationFactory, ProviderFactory, person_dataset
from tests.habilitations.factories import (
    PDF_BYTES,
    applicant,
    complete_values,
    global_user,
    instructor,
    pdf_upload,
    reporter,
)
from tests.habilitations.workflow import cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(item: AuthorizationRequest, **overrides: Any) -> dict[str, Any]:
    values = complete_values()
    data: dict[str, Any] = {name: "" if value is None else value for name, value in values.items()}
    data["go_live_date"] = values["go_live_date"].isoformat()
    data["scopes"] = [str(pk) for pk in item.requested_scopes.values_list("pk", flat=True)]
    data.update(overrides)
    return data


def detail(item: AuthorizationRequest) -> str:
    return reverse("www:request_detail", kwargs={"pk": item.pk})


def edit(item: AuthorizationRequest) -> str:
    return reverse("www:request_edit", kwargs={"pk": item.pk})


def action(item: AuthorizationRequest, name: str) -> str:
    return reverse("www:request_transition", kwargs={"pk": item.pk, "action": name})


def test_pages_need_a_signed_in_user() -> None:
    response = Client().get(reverse("www:requests"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("www:login"))


def test_who_sees_which_request() -> None:
    people = cast()
    draft = people.draft()
    submitted = people.submitted()
    other_provider = instructor(ProviderFactory())
    other_applicant = applicant(OrganisationFactory())
    matrix = {
        people.applicant: {draft: 200, submitted: 200},
        people.instructor: {draft: 404, submitted: 200},
        reporter(people.dataset.provider): {draft: 404, submitted: 200},
        global_user(Role.EXPERT): {draft: 200, submitted: 200},
        global_user(Role.ADMINISTRATOR): {draft: 200, submitted: 200},
        other_provider: {draft: 404, submitted: 404},
        other_applicant: {draft: 404, submitted: 404},
    }
    for user, expected in matrix.items():
        client = client_for(user)
        for item, status in expected.items():
            assert client.get(detail(item)).status_code == status, (user.email, item.state)
            assert client.get(edit(item)).status_code in {status, 403}
        listing = client.get(reverse("www:requests")).content.decode()
        for item, status in expected.items():
            shown = f'href="{detail(item)}"' in listing
            assert shown == (status == 200), (user.email, item.state)


def test_actions_on_a_visible_request_are_forbidden_without_the_role() -> None:
    people = cast()
    submitted = people.submitted()
    response = client_for(reporter(people.dataset.provider)).post(
        action(submitted, "refuse"), {"comment": "non"}
    )
    assert response.status_code == 403
    response = client_for(people.applicant).post(action(submitted, "validate"), {"term_months": 18})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == RequestState.SUBMITTED


def test_new_request_preselects_the_dataset_and_creates_a_draft() -> None:
    people = cast()
    client = client_for(people.applicant)
    page = client.get(reverse("www:request_new"), {"dataset": people.dataset.slug})
    assert page.status_code == 200
    assert f'<option value="{people.dataset.pk}" selected>' in page.content.decode()

    response = client.post(
        reverse("www:request_new"),
        {"dataset": people.dataset.pk, "organisation": people.organisation.pk},
    )

    created = AuthorizationRequest.objects.get(organisation=people.organisation)
    assert response["Location"] == edit(created)
    assert created.state == RequestState.DRAFT
    assert created.created_by == people.applicant


def test_new_request_is_for_applicants_only() -> None:
    people = cast()
    assert client_for(people.instructor).get(reverse("www:request_new")).status_code == 403


def test_the_form_shows_each_scope_with_what_it_reveals_prefilled_ones_ticked() -> None:
    people = cast()
    scope = people.dataset.scopes.get(slug="qf")
    scope.description = "Le quotient familial du mois précédent"
    scope.save()
    item = people.draft(scopes=["qf"])
    page = client_for(people.applicant).get(edit(item)).content.decode()
    assert "Le quotient familial du mois précédent" in page
    enfants = people.dataset.scopes.get(slug="enfants")
    assert f'value="{scope.pk}"' in page
    assert page.count("checked") == 1
    assert f'value="{enfants.pk}"' in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"retention_months": 48, "retention_justification": ""},
            "retention_justification",
            "Une conservation de plus de 36 mois doit être justifiée par écrit.",
        ),
        (
            {"dpo_email": "dpo-at-ville.fr"},
            "dpo_email",
            "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
        ),
        (
            {"go_live_date": (timezone.localdate() - timedelta(days=1)).isoformat()},
            "go_live_date",
            "La date de mise en production prévue ne peut pas être passée.",
        ),
        (
            {"legal_basis_url": "pas une adresse"},
            "legal_basis_url",
            "Saisissez une adresse web valide, commençant par https://.",
        ),
    ],
)
def test_validation_errors_are_in_french_and_nothing_typed_is_lost(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    people = cast()
    item = people.draft(complete=False)
    data = form_data(item, purpose="Une finalité saisie avec soin", **overrides)

    response = client_for(people.applicant).post(edit(item), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Une finalité saisie avec soin" in response.content.decode()
    assert field in response.context["form"].errors
    item.refresh_from_db()
    assert item.purpose == "Tarification sociale"


def test_a_long_retention_with_a_justification_is_accepted() -> None:
    people = cast()
    item = people.draft()
    data = form_data(item, retention_months=60, retention_justification="Prescription de 5 ans.")
    response = client_for(people.applicant).post(edit(item), data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.retention_months == 60


def test_saving_and_submitting_from_the_form() -> None:
    people = cast()
    item = people.draft(complete=False)
    client = client_for(people.applicant)

    response = client.post(edit(item), form_data(item, submit="1"))

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED


def test_submitting_an_incomplete_form_saves_it_and_lists_what_is_missing() -> None:
    people = cast()
    item = people.draft(complete=False)
    data = form_data(item, submit="1", dpo_name="", dpo_email="")

    response = client_for(people.applicant).post(edit(item), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Indiquez le nom et le courriel du délégué à la protection des données." in page
    item.refresh_from_db()
    assert item.state == RequestState.DRAFT
    assert item.business_contact_email == "metier@ville.fr"


def test_a_pdf_is_stored_under_a_random_name_and_served_to_allowed_people_only(
    media_root: Path,
) -> None:
    people = cast()
    item = people.draft()
    data = form_data(item, legal_basis_upload=pdf_upload("../../etc/<script>décret n°1.pdf"))

    response = client_for(people.applicant).post(edit(item), data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.legal_basis_document_name == "script_decret_n1.pdf"
    stored = Path(item.legal_basis_document.path)
    assert stored.parent == media_root / "habilitations"
    assert stored.name != item.legal_basis_document_name
    assert stored.read_bytes() == PDF_BYTES
    url = reverse("www:request_attachment", kwargs={"pk": item.pk, "document": "cadre-juridique"})
    download = client_for(people.applicant).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert 'filename="script_decret_n1.pdf"' in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    assert client_for(applicant(OrganisationFactory())).get(url).status_code == 404
    assert client_for(people.instructor).get(url).status_code == 404
    services.authorization_request_submit(request=item, actor=people.applicant)
    for_instructor = client_for(people.instructor).get(url)
    assert for_instructor.status_code == 200
    assert b"".join(for_instructor.streaming_content) == PDF_BYTES


def test_a_file_that_is_not_a_pdf_is_refused_whatever_its_name() -> None:
    people = cast()
    item = people.draft()
    fake = SimpleUploadedFile("texte.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    response = client_for(people.applicant).post(
        edit(item), form_data(item, legal_basis_upload=fake)
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Le fichier n&#x27;est pas un PDF : seuls les documents PDF sont acceptés." in page
    assert "joignez-le de nouveau" in page
    item.refresh_from_db()
    assert not item.legal_basis_document


def test_a_file_over_ten_megabytes_is_refused() -> None:
    people = cast()
    item = people.draft()
    big = pdf_upload("gros.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024))

    response = client_for(people.applicant).post(
        edit(item), form_data(item, legal_basis_upload=big)
    )

    assert response.status_code == 200
    assert "Le fichier dépasse 10 Mo (10,0 Mo)" in response.content.decode()
    item.refresh_from_db()
    assert not item.legal_basis_document


def test_an_upload_sent_with_other_errors_is_announced_as_not_kept() -> None:
    people = cast()
    item = people.draft()
    data = form_data(item, dpo_email="faux", legal_basis_upload=pdf_upload("arrete.pdf"))

    page = client_for(people.applicant).post(edit(item), data).content.decode()

    assert "Le fichier « arrete.pdf » n&#x27;a pas été enregistré" in page
    assert "joignez-le de nouveau" in page


def test_the_security_approval_block_appears_where_the_provider_requires_it() -> None:
    dataset = person_dataset(slug="impots-test")
    dataset.provider.slug = "dgfip"
    dataset.provider.save()
    people = cast(dataset)
    item = people.draft()
    page = client_for(people.applicant).get(edit(item)).content.decode()
    assert "Homologation de sécurité" in page
    assert "Décision d&#x27;homologation en PDF" in page
    with pytest.raises(services.TransitionRefused) as refused:
        services.authorization_request_submit(request=item, actor=people.applicant)
    assert "Joignez la décision d'homologation (PDF)." in refused.value.problems
    assert item.sandbox_stage

    other = cast().draft()
    assert (
        "Homologation de sécurité"
        not in client_for(other.created_by).get(edit(other)).content.decode()
    )


def test_instructor_validates_fewer_scopes_and_the_applicant_sees_the_secret_once() -> None:
    people = cast()
    item = people.submitted()
    instructor_client = client_for(people.instructor)
    page = instructor_client.get(detail(item)).content.decode()
    for label in ("Valider", "Refuser", "Demander des modifications"):
        assert label in page

    qf = people.dataset.scopes.get(slug="qf")
    response = instructor_client.post(
        action(item, "validate"),
        {"scopes": [qf.pk], "term_months": 12, "comment": "OK"},
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == RequestState.VALIDATED
    habilitation = item.habilitation
    assert habilitation is not None
    assert list(habilitation.scopes.values_list("slug", flat=True)) == ["qf"]
    production = habilitation.credentials.get(environment=Environment.PRODUCTION)
    reveal_url = reverse("www:credential_reveal", kwargs={"pk": production.pk})
    assert reveal_url not in instructor_client.get(detail(item)).content.decode()
    assert instructor_client.post(reveal_url).status_code == 404

    applicant_client = client_for(people.applicant)
    assert reveal_url in applicant_client.get(detail(item)).content.decode()
    confirm = applicant_client.get(reveal_url)
    assert "Afficher le jeton maintenant" in confirm.content.decode()
    shown = applicant_client.post(reveal_url)
    secret = shown.context["secret"]
    assert secret.startswith("dlnuf_prd_")
    assert secret in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    again = applicant_client.post(reveal_url, follow=True)
    assert secret not in again.content.decode()
    assert "déjà été affiché" in again.content.decode()


def test_request_changes_needs_a_motive_and_the_thread_carries_messages() -> None:
    people = cast()
    item = people.submitted()
    instructor_client = client_for(people.instructor)

    response = instructor_client.post(action(item, "request_changes"), {}, follow=True)
    assert (
        "« Demander des modifications » : expliquez la décision dans le commentaire."
        in response.content.decode()
    )
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED

    instructor_client.post(action(item, "request_changes"), {"comment": "Précisez la durée."})
    instructor_client.post(
        reverse("www:request_message", kwargs={"pk": item.pk}), {"comment": "Et le DPO ?"}
    )
    item.refresh_from_db()
    assert item.state == RequestState.CHANGES_REQUESTED
    page = client_for(people.applicant).get(detail(item)).content.decode()
    assert "Précisez la durée." in page
    assert "Et le DPO ?" in page
    assert "Modifications demandées" in page
    outsider = client_for(applicant(OrganisationFactory()))
    response = outsider.post(
        reverse("www:request_message", kwargs={"pk": item.pk}), {"comment": "intrus"}
    )
    assert response.status_code == 404


def test_a_refused_transition_is_explained_in_french() -> None:
    people = cast()
    item = people.submitted()
    response = client_for(people.applicant).post(action(item, "submit"), follow=True)
    assert (
        "Action « Soumettre la demande » impossible : la demande est à l&#x27;état « soumise »."
        in (response.content.decode())
    )


def test_reopen_from_the_page_opens_an_amendment() -> None:
    people = cast()
    item = people.validated()
    response = client_for(people.applicant).post(action(item, "reopen"))
    amendment = AuthorizationRequest.objects.get(amends=item.habilitation)
    assert response["Location"] == detail(amendment)
    assert amendment.state == RequestState.DRAFT
