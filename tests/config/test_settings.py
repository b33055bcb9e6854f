"""Settings come from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _django_setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DLNUF_")}
    for name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"):
        clean.pop(name, None)
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    result = _django_setup({"DLNUF_ENVIRONMENT": "production", "DLNUF_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "Production refuses to start without" in result.stderr
    for name in ("SECRET_KEY", "DATABASE_URL", "DLNUF_JOURNAL_SIGNING_KEY"):
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
