"""Development secrets kept under ``var/`` so that a fresh checkout runs with nothing configured."""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path


def local_secret(var_dir: Path, name: str) -> str:
    """Return the hex secret stored in ``var_dir/name``, creating it (mode 0600) on first use."""
    path = var_dir / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    # The secret is written whole to a private temporary file, then linked to its name in one
    # step: a process starting at the same moment sees either no file or the whole secret, never
    # an empty one, and the first link wins for every process.
    fd, temporary = tempfile.mkstemp(dir=var_dir, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path.read_text().strip()
