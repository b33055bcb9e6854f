"""Write the hashes of every pinned requirement, taken from PyPI's index.

Usage: ``python scripts/hash_pins.py requirements.txt requirements-dev.txt``

Each ``name==version`` line (with or without an environment marker) gets the sha256 of every
file PyPI publishes for that exact version, so that pip installs in hash-checking mode on any
platform PyPI has a file for. Existing hashes are replaced; comments and ``-r`` lines stay. To add
or upgrade a dependency: edit the pin by hand (with its dependencies pinned too), run this script,
then check a fresh install (``pip install -r requirements-dev.txt`` in a new virtualenv) and
``pip check``.
"""

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

INDEX = "https://pypi.org/simple/{name}/"
JSON_API = "application/vnd.pypi.simple.v1+json"


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def file_version(filename: str) -> str:
    if filename.endswith(".whl"):
        return filename.split("-")[1]
    stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
    return stem.rsplit("-", 1)[1]


def published_hashes(name: str, version: str) -> list[str]:
    answer = httpx.get(INDEX.format(name=name), headers={"Accept": JSON_API}, timeout=60)
    answer.raise_for_status()
    files = answer.json()["files"]
    hashes = sorted(
        {
            entry["hashes"]["sha256"]
            for entry in files
            if not entry.get("yanked") and file_version(entry["filename"]) == version
        }
    )
    if not hashes:
        raise SystemExit(f"{name}=={version}: PyPI publishes no file for this version")
    return hashes


def logical_lines(text: str) -> list[str]:
    """The file's lines with the previous hash continuations removed."""
    lines = []
    for line in text.splitlines():
        if line.strip().startswith("--hash="):
            continue
        lines.append(line.rstrip().removesuffix("\\").rstrip())
    return lines


def pin_of(line: str) -> tuple[str, str] | None:
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "-")):
        return None
    name, version = stripped.split(";")[0].strip().split("==")
    return normalised(name), version.strip()


def rewrite(path: Path) -> None:
    lines = logical_lines(path.read_text())
    pins = [pin for pin in map(pin_of, lines) if pin]
    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = dict(zip(pins, pool.map(lambda pin: published_hashes(*pin), pins), strict=True))
    written = []
    for line in lines:
        pin = pin_of(line)
        if pin is None:
            written.append(line)
            continue
        written.append(f"{line} \\")
        digests = hashes[pin]
        for position, digest in enumerate(digests):
            tail = " \\" if position < len(digests) - 1 else ""
            written.append(f"    --hash=sha256:{digest}{tail}")
    path.write_text("\n".join(written) + "\n")


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        rewrite(Path(argument))
