"""Parallel wrong passwords sent to two worker processes sharing Redis: no more passwords are
checked than the limits allow, per address and per client.

Every attempt is counted before its password is checked; a check happens only while the count is
within the limit, so the number of "wrong password" answers is the number of passwords checked.
"""

import http.cookies
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live_stack import PARALLEL_CALLS, Stack, fetch, redis_server, running_stack

LIMIT_PER_ADDRESS = 5
LIMIT_PER_CLIENT = 5
ATTEMPTS = 20
ACCOUNT = "cible@exemple.gouv.fr"
PASSWORD = "Un mot de passe solide 2024"
WRONG = "Adresse électronique ou mot de passe incorrect."
THROTTLED = "Trop de tentatives de connexion ont échoué"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    settings = {
        "DLNUF_LOGIN_ATTEMPTS_PER_WINDOW": str(LIMIT_PER_ADDRESS),
        "DLNUF_LOGIN_ATTEMPTS_PER_CLIENT": str(LIMIT_PER_CLIENT),
        "DLNUF_LOGIN_WINDOW_SECONDS": "600",
        # The client address is the proxy's entry of X-Forwarded-For, so that each test (and
        # each simulated client) has its own.
        "DLNUF_TRUSTED_PROXY_COUNT": "1",
    }
    with (
        redis_server() as redis_url,
        running_stack(redis_url=redis_url, settings=settings) as stack,
    ):
        stack.manage("create_account", ACCOUNT, "--password-stdin", stdin=PASSWORD + "\n")
        yield stack


class SignInPage:
    """The sign-in form, with the CSRF cookie and token one visit gives."""

    def __init__(self, stack: Stack) -> None:
        self.url = f"{stack.url}/connexion/"
        page = fetch(self.url)
        assert page.status == 200
        cookie = http.cookies.SimpleCookie(page.headers["set-cookie"])
        self.csrf = cookie["csrftoken"].value

    def attempt(self, email: str, password: str, client: str) -> str:
        """Send one attempt from the client address ``client``; say how it was answered."""
        answer = fetch(
            self.url,
            data=urllib.parse.urlencode(
                {"username": email, "password": password, "csrfmiddlewaretoken": self.csrf}
            ).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.csrf}",
                "X-Forwarded-For": client,
            },
        )
        if answer.status == 302:
            return "signed_in"
        page = answer.body.decode()
        assert answer.status == 200, page
        if THROTTLED in page:
            return "throttled"
        assert WRONG in page, page
        return "wrong_password"


def in_parallel(attempts: list[tuple[str, str, str]], page: SignInPage) -> list[str]:
    with ThreadPoolExecutor(max_workers=PARALLEL_CALLS) as pool:
        return list(pool.map(lambda attempt: page.attempt(*attempt), attempts))


def test_parallel_wrong_passwords_for_one_address_check_at_most_the_limit(stack: Stack) -> None:
    page = SignInPage(stack)
    # From as many clients as attempts, so that only the address's limit applies.
    attempts = [(ACCOUNT, f"devine-{n}", f"198.51.100.{n + 1}") for n in range(ATTEMPTS)]

    outcomes = in_parallel(attempts, page)

    assert outcomes.count("wrong_password") == LIMIT_PER_ADDRESS
    assert outcomes.count("throttled") == ATTEMPTS - LIMIT_PER_ADDRESS
    stack.assert_both_workers_use_redis()
    # Even the right password is not checked until the window closes.
    assert page.attempt(ACCOUNT.upper(), PASSWORD, "203.0.113.50") == "throttled"


def test_parallel_attempts_from_one_client_check_at_most_the_limit(stack: Stack) -> None:
    page = SignInPage(stack)
    spraying_client = "192.0.2.66"
    attempts = [
        (f"personne{n}@exemple.gouv.fr", "devine", spraying_client) for n in range(ATTEMPTS)
    ]

    outcomes = in_parallel(attempts, page)

    assert outcomes.count("wrong_password") == LIMIT_PER_CLIENT
    assert outcomes.count("throttled") == ATTEMPTS - LIMIT_PER_CLIENT
    stack.assert_both_workers_use_redis()
    # Other clients are not affected.
    assert page.attempt("personne0@exemple.gouv.fr", "devine", "192.0.2.67") == "wrong_password"
