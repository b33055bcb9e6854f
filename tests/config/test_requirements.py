"""The pinned dependency files: every pin hashed, and the runtime set free of heavy ML stacks."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
# torch and its CUDA wheels weighed about 5.8 GiB of the virtualenv for a model that the
# multilingual 4-bit embedding engine replaces; they must not come back into `make run`.
FORBIDDEN_AT_RUN_TIME = re.compile(
    r"^(torch|triton|nvidia-.*|cuda-.*|sentence-transformers|transformers|tensorflow.*)$"
)


def pinned(path: Path) -> list[tuple[str, list[str]]]:
    """(pin line, its hashes) for each requirement of the file."""
    pins: list[tuple[str, list[str]]] = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("--hash="):
            pins[-1][1].append(stripped.removeprefix("--hash=").removesuffix("\\").strip())
        elif stripped and not stripped.startswith(("#", "-")):
            pins.append((stripped.removesuffix("\\").strip(), []))
    return pins


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_pin_is_exact_and_hashed(name: str) -> None:
    pins = pinned(ROOT / name)
    assert pins
    for line, hashes in pins:
        assert "==" in line.split(";")[0], f"{line}: not pinned to one version"
        assert hashes, f"{line}: no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", digest) for digest in hashes), line


def test_runtime_set_has_no_torch_or_cuda() -> None:
    names = [line.split("==")[0].lower() for line, _ in pinned(ROOT / "requirements.txt")]
    assert not [name for name in names if FORBIDDEN_AT_RUN_TIME.match(name)]
