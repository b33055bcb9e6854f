"""Settings come from the environment; production refuses to start without its secrets or with
malformed journal keys, passes Django's deployment checks, and is served over HTTPS only."""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GRANIAN = str(Path(sys.executable).with_name("granian"))
HOST = "dlnuf.example.gouv.fr"
ONE_YEAR = 31_536_000


def _environment(env: dict[str, str]) -> dict[str, str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DLNUF_", "DJANGO_"))
        and key not in {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL", "DEBUG"}
    }
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return clean


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter with the test's own arguments
        args, cwd=ROOT, env=_environment(env), capture_output=True, text=True, check=False
    )


def _django_setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-c", "import django; django.setup(); print('started')"], env)


def _production(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A complete production configuration (nothing in it is reached: no server is contacted)."""
    return {
        "DLNUF_ENVIRONMENT": "production",
        "DLNUF_VAR_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "ALLOWED_HOSTS": HOST,
        "DLNUF_JOURNAL_SIGNING_KEY": secrets.token_hex(32),
        "DLNUF_JOURNAL_SUBJECT_SECRET": secrets.token_hex(32),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        **overrides,
    }


def test_production_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    result = _django_setup({"DLNUF_ENVIRONMENT": "production", "DLNUF_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "Production refuses to start without" in result.stderr
    for name in ("SECRET_KEY", "DATABASE_URL", "DLNUF_JOURNAL_SIGNING_KEY", "REDIS_URL"):
        assert name in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_its_secrets(tmp_path: Path) -> None:
    result = _django_setup(
        {
            "DLNUF_ENVIRONMENT": "production",
            "DLNUF_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "ALLOWED_HOSTS": "dlnuf.example.gouv.fr",
            "DLNUF_JOURNAL_SIGNING_KEY": "33" * 32,
            "DLNUF_JOURNAL_SUBJECT_SECRET": "44" * 32,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
    # No development secret is written when production provides its own.
    assert not (tmp_path / "secret_key").exists()


def test_development_creates_private_secrets_once(tmp_path: Path) -> None:
    first = _django_setup({"DLNUF_VAR_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    secret_file = tmp_path / "secret_key"
    value = secret_file.read_text()
    assert len(value) == 64
    assert secret_file.stat().st_mode & 0o777 == 0o600
    second = _django_setup({"DLNUF_VAR_DIR": str(tmp_path)})
    assert second.returncode == 0, second.stderr
    assert secret_file.read_text() == value


def test_unknown_environment_is_refused(tmp_path: Path) -> None:
    result = _django_setup({"DLNUF_ENVIRONMENT": "staging", "DLNUF_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DLNUF_ENVIRONMENT" in result.stderr


def test_production_refuses_to_start_without_a_shared_store(tmp_path: Path) -> None:
    missing = _django_setup(_production(tmp_path, REDIS_URL=""))
    assert missing.returncode != 0
    assert "Production refuses to start without: REDIS_URL" in missing.stderr

    wrong = _django_setup(_production(tmp_path, REDIS_URL="http://127.0.0.1:6379"))
    assert wrong.returncode != 0
    assert "REDIS_URL must start with redis://, rediss:// or unix://" in wrong.stderr


def test_the_deployment_checks_pass_in_production(tmp_path: Path) -> None:
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize("environment", ["development", "production"])
@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        (
            "DLNUF_JOURNAL_SIGNING_KEY",
            "zz",
            "must be exactly 64 hexadecimal characters (the 32-byte Ed25519 private key",
        ),
        ("DLNUF_JOURNAL_SIGNING_KEY", "ab" * 33, "the value given has 66 characters"),
        ("DLNUF_JOURNAL_SIGNING_KEY", "ab " * 32, "characters other than 0-9 and a-f"),
        (
            "DLNUF_JOURNAL_SUBJECT_SECRET",
            "zz",
            "must be an even number, at least 64, of hexadecimal characters",
        ),
        ("DLNUF_JOURNAL_SUBJECT_SECRET", "cd" * 16, "the value given has 32 characters"),
        ("DLNUF_JOURNAL_SUBJECT_SECRET", "c" * 65, "the value given has 65 characters"),
    ],
    ids=["key-zz", "key-long", "key-spaced", "secret-zz", "secret-short", "secret-odd"],
)
def test_malformed_journal_keys_refuse_to_start_with_the_reason(
    tmp_path: Path, environment: str, name: str, value: str, reason: str
) -> None:
    env = _production(tmp_path) if environment == "production" else {"DLNUF_VAR_DIR": str(tmp_path)}
    env[name] = value

    result = _django_setup(env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} must be" in result.stderr
    assert reason in result.stderr
    if len(value) > 2:
        # The error shows the length, never the secret itself.
        assert value.strip() not in result.stderr


def test_a_longer_subject_secret_is_accepted(tmp_path: Path) -> None:
    result = _django_setup(
        {"DLNUF_VAR_DIR": str(tmp_path), "DLNUF_JOURNAL_SUBJECT_SECRET": secrets.token_hex(48)}
    )
    assert result.returncode == 0, result.stderr


@contextmanager
def _production_server(tmp_path: Path, **overrides: str) -> Iterator[int]:
    """The application served by granian on a loopback port, configured for production."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [GRANIAN, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(  # noqa: S603 - the project's own server, fixed arguments
        [*command, "--workers", "1", "--log-level", "warning", "config.wsgi:application"],
        cwd=ROOT,
        env=_environment(_production(tmp_path, **overrides)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "the server stopped at start-up"
            assert time.monotonic() < deadline, "the server did not listen within 30 s"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)


def _get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": HOST, **headers})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_production_behind_its_proxy_redirects_plain_http_and_sends_hsts(tmp_path: Path) -> None:
    with _production_server(
        tmp_path,
        DLNUF_TRUSTED_PROXY_COUNT="1",
        DLNUF_SSL_REDIRECT_EXEMPT=r"^sante/$",
    ) as port:
        plain = _get(port, "/tableau-de-bord/?vue=1")
        proxied = _get(port, "/tableau-de-bord/", **{"X-Forwarded-Proto": "https"})
        health_check = _get(port, "/sante/")

    assert plain.status == 301
    assert plain.getheader("Location") == f"https://{HOST}/tableau-de-bord/?vue=1"
    # Over HTTPS the page answers as usual (here: sign in first), with HSTS for a year.
    assert proxied.status == 302
    assert proxied.getheader("Location", "").startswith("/connexion")
    assert (
        proxied.getheader("Strict-Transport-Security") == f"max-age={ONE_YEAR}; includeSubDomains"
    )
    assert proxied.getheader("Referrer-Policy") == "same-origin"
    # An exempt path answers over plain HTTP (a 404 here: no such page), without HSTS.
    assert health_check.status == 404
    assert health_check.getheader("Strict-Transport-Security") is None


def test_without_a_trusted_proxy_the_forwarded_scheme_is_not_believed(tmp_path: Path) -> None:
    with _production_server(tmp_path) as port:
        claimed = _get(port, "/tableau-de-bord/", **{"X-Forwarded-Proto": "https"})
        sandbox = _get(port, "/sandbox/api-particulier/v3/dss/quotient_familial/identite")

    assert claimed.status == 301
    assert claimed.getheader("Location") == f"https://{HOST}/tableau-de-bord/"
    assert claimed.getheader("Strict-Transport-Security") is None
    # The gateway calls the sandbox on loopback over plain HTTP: it answers (here, no token).
    assert sandbox.status == 401
