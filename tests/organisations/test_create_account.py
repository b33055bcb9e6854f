"""The create_account command: the first administrator of a deployment without ProConnect."""

import io
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dlnuf.organisations.models import Membership, RoleChange, User
from dlnuf.organisations.perms import can_manage_roles
from tests.organisations.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _run(monkeypatch, *args, password=PASSWORD):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = StringIO()
    call_command("create_account", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_it_creates_an_administrator_who_can_sign_in(client, monkeypatch):
    output = _run(monkeypatch, "Chef@Exemple.gouv.fr", "--first-name", "Ada", "--administrator")

    user = User.objects.get()
    assert user.email == "chef@exemple.gouv.fr"
    assert user.first_name == "Ada"
    assert can_manage_roles(user)
    assert RoleChange.objects.get().changed_by is None
    assert "administrateur" in output
    response = client.post(
        "/connexion/",
        {"username": "chef@exemple.gouv.fr", "password": PASSWORD},
    )
    assert response.status_code == 302


def test_without_the_flag_the_account_has_no_role(monkeypatch):
    _run(monkeypatch, "agent@exemple.gouv.fr")
    assert not Membership.objects.exists()


def test_a_weak_password_is_refused_in_french(monkeypatch):
    with pytest.raises(CommandError, match=r"Mot de passe refusé : .*trop court"):
        _run(monkeypatch, "agent@exemple.gouv.fr", password="abc")
    assert not User.objects.exists()


def test_an_address_already_used_is_refused(monkeypatch):
    _run(monkeypatch, "agent@exemple.gouv.fr")
    with pytest.raises(CommandError, match="existe déjà"):
        _run(monkeypatch, "AGENT@exemple.gouv.fr")
    assert User.objects.count() == 1


def test_an_invalid_address_is_refused(monkeypatch):
    with pytest.raises(CommandError, match="pas une adresse électronique valide"):
        _run(monkeypatch, "pas-une-adresse")
