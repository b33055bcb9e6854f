"""Development secrets kept under ``var/`` so that a fresh checkout runs with nothing configured."""

import os
import secrets
from pathlib import Path


def local_secret(var_dir: Path, name: str) -> str:
    """Return the hex secret stored in ``var_dir/name``, creating it (mode 0600) on first use."""
    path = var_dir / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process created it first: use theirs so that both agree.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
