"""The compiled dependency files (requirements/*.txt): every pin exact and hashed, one version of a
package in every file, each file up to date with the .in files it is compiled from, and the
run-time sets free of heavy stacks."""

import re
from pathlib import Path

import pytest

REQUIREMENTS = Path(__file__).resolve().parent.parent.parent / "requirements"
# Each compiled file and the .in files it is compiled from (requirements/compile.sh).
COMPILED_FROM = {
    "base.txt": ["base.in"],
    "runtime.txt": ["base.in", "similarity.in", "toolbox.in"],
    "dev.txt": ["base.in", "similarity.in", "toolbox.in", "browser.in", "dev.in"],
}
RUN_TIME = ["base.txt", "runtime.txt"]
# torch and its CUDA wheels weighed about 5.8 GiB of the virtualenv for a model that the
# multilingual 4-bit embedding engine replaces, and scipy 143 MB for sparse products that numpy
# does; Playwright (171 MB) is of use only where Chromium is installed, which `make run` does not.
FORBIDDEN_AT_RUN_TIME = re.compile(
    r"^(torch|triton|nvidia-.*|cuda-.*|sentence-transformers|transformers|tensorflow.*|scipy"
    r"|playwright)$"
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(;[^\\]*)?\\?$")


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(name: str) -> dict[str, tuple[str, list[str]]]:
    """Each package of a compiled file: its version and hashes."""
    found: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in (REQUIREMENTS / name).read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("--hash="):
            found[current][1].append(stripped.removeprefix("--hash=").removesuffix("\\").strip())
            continue
        match = PIN.match(stripped)
        assert match, f"{name}: {stripped!r} is not an exact pin"
        current = normalised(match.group(1))
        assert current not in found, f"{name}: {current} pinned twice"
        found[current] = (match.group(2), [])
    return found


def declared(name: str) -> list[str]:
    """The packages an .in file asks for, by name."""
    names = []
    for line in (REQUIREMENTS / name).read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if requirement:
            names.append(normalised(re.split(r"[\s\[<>=!~;]", requirement)[0]))
    return names


@pytest.mark.parametrize("name", list(COMPILED_FROM))
def test_every_pin_is_exact_and_hashed(name: str) -> None:
    packages = pins(name)
    assert packages
    for package, (_, hashes) in packages.items():
        assert hashes, f"{name}: {package} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in hashes), package


def test_a_package_has_one_version_in_every_file() -> None:
    versions: dict[str, dict[str, str]] = {}
    for name in COMPILED_FROM:
        for package, (version, _) in pins(name).items():
            versions.setdefault(package, {})[name] = version
    disagreeing = {
        package: seen for package, seen in versions.items() if len(set(seen.values())) > 1
    }
    assert not disagreeing


def test_a_package_has_the_same_hashes_in_every_file() -> None:
    hashes: dict[str, set[tuple[str, ...]]] = {}
    for name in COMPILED_FROM:
        for package, (_, digests) in pins(name).items():
            hashes.setdefault(package, set()).add(tuple(sorted(digests)))
    assert not [package for package, seen in hashes.items() if len(seen) > 1]


@pytest.mark.parametrize(("name", "sources"), list(COMPILED_FROM.items()))
def test_each_file_holds_what_its_in_files_ask_for(name: str, sources: list[str]) -> None:
    """A package added to an .in file without `make requirements` is caught here."""
    packages = pins(name)
    missing = [package for source in sources for package in declared(source)]
    assert [package for package in missing if package not in packages] == []


def test_every_in_file_is_compiled() -> None:
    compiled = {source for sources in COMPILED_FROM.values() for source in sources}
    assert {path.name for path in REQUIREMENTS.glob("*.in")} == compiled
    assert {path.name for path in REQUIREMENTS.glob("*.txt")} == set(COMPILED_FROM)


@pytest.mark.parametrize("name", RUN_TIME)
def test_the_run_time_sets_have_no_heavy_stack(name: str) -> None:
    assert not [package for package in pins(name) if FORBIDDEN_AT_RUN_TIME.match(package)]


def test_the_dev_set_brings_the_parallel_runner_and_the_compiler() -> None:
    assert {"pytest-xdist", "uv", "playwright"} <= set(pins("dev.txt"))
