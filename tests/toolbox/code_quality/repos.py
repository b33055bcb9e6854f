"""Small repositories written by the tests: one deliberately bad, one tidy."""

import shutil
import subprocess
from pathlib import Path

GIT = shutil.which("git") or "/usr/bin/git"

MIT_TEXT = """MIT License

Copyright (c) 2026 Ville de Lyon

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without restriction.
"""

# Eleven ``if``: cyclomatic complexity 1 + 11 = 12 (lizard adds one per decision point).
ROUTER = (
    "def router(code):\n"
    + "".join(f"    if code == {n}:\n        return 'route-{n}'\n" for n in range(11))
    + "    return 'default'\n"
)

# Long enough (well over the 60 tokens of a copy) for the clone detector; copied in two files.
DUPLICATED = """
def summarise(rows, threshold):
    total = 0
    kept = []
    for row in rows:
        amount = row["amount"] * row["rate"] + row["fee"]
        if amount > threshold:
            kept.append((row["id"], amount, row["label"].strip().upper()))
            total = total + amount - row["discount"]
    kept.sort(key=lambda item: (item[1], item[0]))
    report = {"total": total, "kept": kept, "count": len(kept)}
    return report
"""

FAKE_AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"  # the documentation's example key, split here
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq98s3fakefakefake\n"
    "-----END RSA PRIVATE KEY-----\n"
)


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def bad_repository(root: Path) -> Path:
    """No licence, no tests, a complex function, a duplicated block, committed secrets, an old
    Django."""
    return write(
        root,
        {
            "app/router.py": ROUTER,
            "app/billing.py": DUPLICATED,
            "app/invoices.py": DUPLICATED.replace("summarise", "summarise_invoices"),
            "app/settings.py": f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\nDEBUG = True\n',
            "deploy/id_rsa": PRIVATE_KEY,
            "requirements.txt": "Django==1.11.29\nrequests\n",
        },
    )


def good_repository(root: Path) -> Path:
    return write(
        root,
        {
            "LICENSE": MIT_TEXT,
            "app/__init__.py": "",
            "app/maths.py": (
                "def add(a, b):\n    return a + b\n\n\ndef double(a):\n    return 2 * a\n"
            ),
            "tests/test_maths.py": (
                "from app.maths import add, double\n\n\n"
                "def test_add():\n    assert add(1, 2) == 3\n\n\n"
                "def test_double():\n    assert double(2) == 4\n"
            ),
            "requirements.txt": "Django==5.2.1\n",
        },
    )


def commit_all(root: Path, *, when: str = "2026-01-15T10:00:00+00:00") -> None:
    """Make ``root`` a git repository with two commits by two authors."""
    env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(root),
        "PATH": "/usr/bin:/bin",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }

    def git(*args: str, email: str = "a@example.org") -> None:
        subprocess.run(  # noqa: S603 - test repository, fixed arguments
            [GIT, "-c", f"user.email={email}", "-c", "user.name=Agent", *args],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    (root / "NOTES.md").write_text("first\n")
    git("add", "NOTES.md")
    git("commit", "-q", "-m", "first")
    git("add", "-A")
    git("commit", "-q", "-m", "second", email="b@example.org")
