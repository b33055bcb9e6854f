"""The operator commands issue_credential and revoke_credential."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dlnuf.habilitations.models import Credential, Habilitation
from dlnuf.habilitations.selectors import grant_for_secret_hash
from dlnuf.habilitations.services import credential_hash
from dlnuf.organisations.models import Organisation
from tests.exchange.factories import person_dataset

pytestmark = pytest.mark.django_db

SIRET = "13002526500013"


def issue(*arguments: str) -> list[str]:
    out = StringIO()
    call_command("issue_credential", *arguments, stdout=out)
    return out.getvalue().splitlines()


def revoke(prefix: str) -> str:
    out = StringIO()
    call_command("revoke_credential", prefix, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def dataset() -> None:
    person_dataset()


def test_issue_credential_prints_the_credential_alone_on_the_last_line() -> None:
    lines = issue("--siret", SIRET, "--dataset", "quotient-test", "--scopes", "qf,ville")

    secret = lines[-1]
    assert secret.startswith("dlnuf_prd_")
    assert " " not in secret
    assert any("créée" in line for line in lines[:-1])
    assert any("qf, ville" in line for line in lines[:-1])
    grant = grant_for_secret_hash(credential_hash(secret))
    assert grant is not None
    assert grant.organisation_siret == SIRET
    assert grant.dataset_slug == "quotient-test"
    assert grant.scope_slugs == {"qf", "ville"}
    assert grant.environment == "production"
    assert not grant.revoked
    stored = Credential.objects.get()
    assert stored.secret_hash == credential_hash(secret)
    assert secret not in (stored.prefix, stored.secret_hash)


def test_issue_credential_reuses_a_known_organisation_and_honours_options() -> None:
    issue("--siret", SIRET, "--dataset", "quotient-test", "--scopes", "qf")

    lines = issue(
        "--siret",
        SIRET,
        "--dataset",
        "quotient-test",
        "--scopes",
        "enfants",
        "--environment",
        "sandbox",
        "--expires-in-days",
        "10",
    )

    assert lines[-1].startswith("dlnuf_sbx_")
    assert any("déjà connue" in line for line in lines[:-1])
    assert Organisation.objects.count() == 1
    credential = Credential.objects.get(secret_hash=credential_hash(lines[-1]))
    in_ten_days = timezone.now() + timedelta(days=10)
    assert abs(credential.expires_at - in_ten_days) < timedelta(minutes=1)
    assert abs(credential.habilitation.expires_at - in_ten_days) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--siret", "13002526500014", "--dataset", "quotient-test", "--scopes", "qf"], "SIRET"),
        (["--siret", "1300252650001", "--dataset", "quotient-test", "--scopes", "qf"], "SIRET"),
        (["--siret", SIRET, "--dataset", "inconnu", "--scopes", "qf"], "quotient-test"),
        (["--siret", SIRET, "--dataset", "quotient-test", "--scopes", "qf,secret"], "secret"),
        (["--siret", SIRET, "--dataset", "quotient-test", "--scopes", " , "], "Aucun périmètre"),
        (
            [
                "--siret",
                SIRET,
                "--dataset",
                "quotient-test",
                "--scopes",
                "qf",
                "--expires-in-days",
                "0",
            ],
            "positif",
        ),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_is_written(
    arguments: list[str], message: str
) -> None:
    with pytest.raises(CommandError) as refused:
        issue(*arguments)

    assert message in str(refused.value)
    assert not Organisation.objects.exists()
    assert not Habilitation.objects.exists()
    assert not Credential.objects.exists()


def test_revoke_credential_by_prefix_takes_effect_at_once() -> None:
    secret = issue("--siret", SIRET, "--dataset", "quotient-test", "--scopes", "qf")[-1]
    assert not grant_for_secret_hash(credential_hash(secret)).revoked

    # No commit hook runs in this test: the next read must not depend on one.
    output = revoke(Credential.objects.get().prefix)

    assert "révoqué" in output
    assert Credential.objects.get().revoked_at is not None
    assert grant_for_secret_hash(credential_hash(secret)).revoked


def test_revoke_credential_accepts_the_whole_credential_and_says_when_already_revoked() -> None:
    secret = issue("--siret", SIRET, "--dataset", "quotient-test", "--scopes", "qf")[-1]
    revoke(secret)

    assert "déjà révoqué" in revoke(secret)


def test_revoke_credential_with_an_unknown_prefix_fails() -> None:
    with pytest.raises(CommandError) as refused:
        revoke("dlnuf_prd_absent")

    assert "Aucun jeton" in str(refused.value)
