"""Invitation pages: who may invite whom (object-level), pending list and withdrawal, the signed
link's page in every state, and the account created from it."""

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dlnuf.organisations.models import Invitation, InvitationState, Membership, Role, User
from dlnuf.organisations.services import invitation_create, membership_grant
from dlnuf.outbox.models import OutgoingEmail
from tests.exchange.factories import OrganisationFactory, ProviderFactory
from tests.organisations.factories import UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://guichet.exemple.gouv.fr"
LYON = "21690123100011"
PARIS = "21750001600019"
NEW_PASSWORD = "Une-phrase-de-passe-neuve-2026"


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.DLNUF_SITE_URL = SITE


@pytest.fixture
def lyon() -> Any:
    return OrganisationFactory(siret=LYON, name="Ville de Lyon")


@pytest.fixture
def paris() -> Any:
    return OrganisationFactory(siret=PARIS, name="Ville de Paris")


def member(email: str, role: Role, **scope: Any) -> User:
    user = UserFactory(email=email)
    membership_grant(user=user, role=role, granted_by=None, **scope)
    return user


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def token_of(email: str) -> str:
    body = OutgoingEmail.objects.filter(to=[email]).latest("pk").body
    match = re.search(rf"{re.escape(SITE)}/invitation/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


def person(**overrides: Any) -> dict[str, Any]:
    return {"first_name": "Lou", "last_name": "Girard", "email": "lou@lyon.fr", **overrides}


def test_an_applicant_invites_a_colleague_of_their_organisation(client, lyon, paris):
    applicant = member("agent@lyon.fr", Role.APPLICANT, organisation=lyon)
    client.force_login(applicant)
    account = client.get(reverse("www:account")).content.decode()
    assert f'href="{reverse("www:invitation_list")}"' in account

    page = client.get(reverse("www:invitation_new")).content.decode()
    # Only the role they hold, only their organisation.
    assert re.findall(r'<option value="(\w+)"', page) == ["applicant", str(lyon.pk)]

    response = client.post(
        reverse("www:invitation_new"),
        person(role="applicant", organisation=lyon.pk),
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.organisation, invitation.invited_by) == (lyon, applicant)
    listing = _text(client.get(reverse("www:invitation_list")))
    assert "lou@lyon.fr" in listing
    assert "Invitation envoyée à lou@lyon.fr" in listing


def test_an_applicant_cannot_invite_into_another_organisation_nor_a_higher_role(
    client, lyon, paris
):
    client.force_login(member("agent@lyon.fr", Role.APPLICANT, organisation=lyon))

    other = client.post(
        reverse("www:invitation_new"), person(role="applicant", organisation=paris.pk)
    )
    higher = client.post(
        reverse("www:invitation_new"), person(role="administrator", organisation=lyon.pk)
    )
    by_siret = client.post(
        reverse("www:invitation_new"),
        person(role="applicant", siret=PARIS, organisation=paris.pk),
    )

    for response in (other, higher, by_siret):
        assert response.status_code == 200
        assert "Erreur" in _text(response)
        # What was typed comes back.
        assert 'value="lou@lyon.fr"' in response.content.decode()
    assert "Sélectionnez un choix valide" in _text(other)
    assert "Sélectionnez un choix valide" in _text(higher)
    assert not Invitation.objects.exists()


def test_people_without_an_organisation_or_administration_role_may_not_invite(client, lyon):
    provider = ProviderFactory()
    client.force_login(member("instructeur@cnaf.fr", Role.INSTRUCTOR, provider=provider))
    assert client.get(reverse("www:invitation_list")).status_code == 403
    assert client.post(reverse("www:invitation_new"), person(role="applicant")).status_code == 403
    assert not Invitation.objects.exists()


def test_an_administrator_invites_any_role_and_sees_errors_clearly(client, lyon):
    administrator = member("admin@guichet.fr", Role.ADMINISTRATOR)
    provider = ProviderFactory(name="INSEE")
    client.force_login(administrator)
    roles_page = client.get(reverse("www:user_list")).content.decode()
    assert f'href="{reverse("www:invitation_list")}"' in roles_page

    missing = client.post(reverse("www:invitation_new"), person(role="reporter"))
    assert "Choisissez le fournisseur de données." in _text(missing)
    wrong = client.post(reverse("www:invitation_new"), person(role="applicant", siret="123"))
    assert "n'est pas un SIRET valide" in _text(wrong)

    done = client.post(reverse("www:invitation_new"), person(role="reporter", provider=provider.pk))
    assert done.status_code == 302
    assert Invitation.objects.get().provider == provider


def test_a_pending_invitation_is_withdrawn_only_by_who_may_see_it(client, lyon, paris):
    lyon_applicant = member("agent@lyon.fr", Role.APPLICANT, organisation=lyon)
    paris_applicant = member("agent@paris.fr", Role.APPLICANT, organisation=paris)
    invitation = invitation_create(
        invited_by=lyon_applicant, role=Role.APPLICANT, organisation=lyon, **person()
    )
    withdraw = reverse("www:invitation_withdraw", kwargs={"pk": invitation.pk})

    client.force_login(paris_applicant)
    assert "lou@lyon.fr" not in _text(client.get(reverse("www:invitation_list")))
    assert client.post(withdraw).status_code == 404
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.PENDING

    client.force_login(lyon_applicant)
    assert client.post(withdraw).status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == InvitationState.WITHDRAWN
    token = token_of("lou@lyon.fr")
    page = Client().get(reverse("www:invitation_accept", kwargs={"token": token}))
    assert page.status_code == 410
    assert "Invitation retirée" in _text(page)


def test_the_invited_person_chooses_a_password_and_is_signed_in(client, lyon):
    administrator = member("admin@guichet.fr", Role.ADMINISTRATOR)
    invitation_create(invited_by=administrator, role=Role.APPLICANT, organisation=lyon, **person())
    url = reverse("www:invitation_accept", kwargs={"token": token_of("lou@lyon.fr")})

    page = _text(client.get(url))
    assert "Créer votre compte" in page
    assert "demandeur pour Ville de Lyon" in page

    weak = client.post(url, {"new_password1": "girard", "new_password2": "girard"})
    assert weak.status_code == 200
    assert "Ce mot de passe est trop court" in _text(weak)
    assert not User.objects.filter(email="lou@lyon.fr").exists()

    done = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("www:account")
    user = User.objects.get(email="lou@lyon.fr")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert Membership.objects.get(user=user).organisation == lyon
    assert "Votre compte est créé" in _text(client.get(done["Location"]))

    used = Client().get(url)
    assert used.status_code == 410
    assert "Invitation déjà utilisée" in _text(used)


def test_an_expired_or_unknown_link_gets_a_clear_page(client, lyon):
    administrator = member("admin@guichet.fr", Role.ADMINISTRATOR)
    invitation = invitation_create(
        invited_by=administrator, role=Role.APPLICANT, organisation=lyon, **person()
    )
    token = token_of("lou@lyon.fr")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    expired = client.get(reverse("www:invitation_accept", kwargs={"token": token}))
    assert expired.status_code == 410
    assert "Cette invitation a expiré" in _text(expired)
    posted = client.post(
        reverse("www:invitation_accept", kwargs={"token": token}),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert posted.status_code == 410
    assert not User.objects.filter(email="lou@lyon.fr").exists()

    unknown = client.get(reverse("www:invitation_accept", kwargs={"token": "lien-modifie"}))
    assert unknown.status_code == 404
    assert "Ce lien d'invitation n'existe pas" in _text(unknown)
