"""Local sign-in: e-mail without case, failures limited per address and per client."""

from collections.abc import Iterator
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from dlnuf.organisations.sign_in import (
    SignInRefused,
    SignInThrottled,
    sign_in_blocked_until,
    sign_in_with_password,
)
from tests.live_stack import redis_as_cache, redis_server
from tests.organisations.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.DLNUF_LOGIN_ATTEMPTS_PER_WINDOW = 3
    settings.DLNUF_LOGIN_ATTEMPTS_PER_CLIENT = 5
    settings.DLNUF_LOGIN_WINDOW_SECONDS = 600


def _attempt(email: str, password: str, ip: str = "192.0.2.1"):
    return sign_in_with_password(request=None, email=email, password=password, client_ip=ip)


def test_the_address_is_compared_without_case():
    user = UserFactory(email="camille.martin@exemple.gouv.fr")
    assert _attempt("  Camille.MARTIN@Exemple.gouv.fr ", PASSWORD) == user


def test_wrong_password_unknown_address_and_inactive_account_look_the_same():
    UserFactory(email="actif@exemple.gouv.fr")
    UserFactory(email="inactif@exemple.gouv.fr", is_active=False)
    for email, password in [
        ("actif@exemple.gouv.fr", "mauvais"),
        ("inconnu@exemple.gouv.fr", PASSWORD),
        ("inactif@exemple.gouv.fr", PASSWORD),
    ]:
        with pytest.raises(SignInRefused):
            _attempt(email, password)


def test_after_the_limit_the_address_is_blocked_without_checking_the_password():
    UserFactory(email="cible@exemple.gouv.fr")
    for _ in range(3):
        with pytest.raises(SignInRefused):
            _attempt("cible@exemple.gouv.fr", "devine")

    with (
        mock.patch("django.contrib.auth.base_user.check_password", wraps=check_password) as checked,
        pytest.raises(SignInThrottled) as blocked,
    ):
        _attempt("CIBLE@exemple.gouv.fr", PASSWORD)

    assert checked.call_count == 0
    now = timezone.now()
    assert now + timedelta(seconds=590) < blocked.value.retry_at <= now + timedelta(seconds=600)


def test_the_block_lifts_when_the_window_closes():
    UserFactory(email="cible@exemple.gouv.fr")
    for _ in range(3):
        with pytest.raises(SignInRefused):
            _attempt("cible@exemple.gouv.fr", "devine")
    later = timezone.now() + timedelta(seconds=601)
    # The cache expires keys by the clock: move the clock, not the test's waiting time.
    with mock.patch("django.core.cache.backends.locmem.time.time", return_value=later.timestamp()):
        assert sign_in_blocked_until(email="cible@exemple.gouv.fr", client_ip="192.0.2.1") is None


def test_a_success_clears_the_address_counter():
    user = UserFactory(email="cible@exemple.gouv.fr")
    for _ in range(2):
        with pytest.raises(SignInRefused):
            _attempt("cible@exemple.gouv.fr", "devine")
    assert _attempt("cible@exemple.gouv.fr", PASSWORD) == user
    for _ in range(2):
        with pytest.raises(SignInRefused):
            _attempt("cible@exemple.gouv.fr", "devine")
    assert _attempt("cible@exemple.gouv.fr", PASSWORD) == user


def test_one_client_spraying_many_addresses_is_blocked():
    target = UserFactory(email="cible@exemple.gouv.fr")
    for n in range(5):
        with pytest.raises(SignInRefused):
            _attempt(f"personne{n}@exemple.gouv.fr", "devine", ip="198.51.100.7")

    with pytest.raises(SignInThrottled):
        _attempt(target.email, PASSWORD, ip="198.51.100.7")
    # The same person from another network is not affected.
    assert _attempt(target.email, PASSWORD, ip="203.0.113.9") == target


def test_a_success_does_not_clear_the_client_counter():
    owner = UserFactory(email="proprietaire@exemple.gouv.fr")
    for n in range(4):
        with pytest.raises(SignInRefused):
            _attempt(f"victime{n}@exemple.gouv.fr", "devine", ip="198.51.100.7")
    assert _attempt(owner.email, PASSWORD, ip="198.51.100.7") == owner
    with pytest.raises(SignInRefused):
        _attempt("victime9@exemple.gouv.fr", "devine", ip="198.51.100.7")
    with pytest.raises(SignInThrottled):
        _attempt("victime10@exemple.gouv.fr", "devine", ip="198.51.100.7")


def test_attempts_arriving_while_a_password_is_checked_are_already_counted():
    UserFactory(email="cible@exemple.gouv.fr")
    outcomes: list[str] = []

    def check_while_others_arrive(*args, **kwargs):
        if not outcomes:
            outcomes.append("first")
            for _ in range(5):
                try:
                    _attempt("cible@exemple.gouv.fr", "devine")
                except SignInRefused:
                    outcomes.append("checked")
                except SignInThrottled:
                    outcomes.append("throttled")
        return check_password(*args, **kwargs)

    with (
        mock.patch("django.contrib.auth.base_user.check_password", check_while_others_arrive),
        pytest.raises(SignInRefused),
    ):
        _attempt("cible@exemple.gouv.fr", "devine")

    # The first attempt holds one of the three places while its password is being checked.
    assert outcomes == ["first", "checked", "checked", "throttled", "throttled", "throttled"]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_on_redis_a_counter_left_without_expiry_still_lifts(settings, redis_url):
    UserFactory(email="cible@exemple.gouv.fr")
    with redis_as_cache(settings, redis_url) as client:
        for _ in range(3):
            with pytest.raises(SignInRefused):
                _attempt("cible@exemple.gouv.fr", "devine")
        # What INCR leaves when the key expires between Django's EXISTS and its INCR.
        [address_counter] = [
            key for key in client.scan_iter("*sign-in*:email:*") if not key.endswith(b":since")
        ]
        client.persist(address_counter)

        with pytest.raises(SignInThrottled):
            _attempt("cible@exemple.gouv.fr", PASSWORD)

        assert 0 < client.ttl(address_counter) <= 600
