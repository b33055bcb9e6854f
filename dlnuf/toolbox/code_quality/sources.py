"""Getting the code to analyse: a public Git repository, a directory an operator allowed, or an
uploaded archive (see ``archives``).

Cloning runs the ``git`` program with every way out closed: https only (http only for hosts the
operator allow-listed), no redirect, no other transport (``file://``, ``ext::``, ssh), no
credential prompt or helper, no hooks, no symbolic links, no submodules, a time limit and a size
limit. Nothing the repository contains is ever executed.
"""

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from dlnuf.toolbox.jobs import ToolError
from dlnuf.toolbox.netguard import (
    AddressRefused,
    allowed_hosts,
    check_public_url,
    checked_addresses,
)

CLONE_DEPTH = 50
CLONE_TIMEOUT_SECONDS = 300
MAX_CLONE_BYTES = 500 * 1024 * 1024
SIZE_POLL_SECONDS = 0.5
# Options given to every git command: nothing configured on the machine or in the repository may
# run a program, follow a redirect or reach another transport.
SAFE_GIT_OPTIONS = (
    "-c", "protocol.allow=never",
    "-c", "protocol.https.allow=always",
    "-c", "http.followRedirects=false",
    "-c", "credential.helper=",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.symlinks=false",
    "-c", "core.fsmonitor=false",
    "-c", "submodule.recurse=false",
    "-c", "core.askPass=",
)  # fmt: skip


def git_program() -> str:
    return shutil.which("git") or "/usr/bin/git"


def git_url(url: str) -> str:
    """The URL when it may be cloned; ToolError (in French) otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and not (parts.scheme == "http" and _allow_listed(url)):
        raise ToolError("Seules les adresses de dépôt en https:// sont acceptées.")
    if not host:
        raise ToolError("Cette adresse de dépôt n'a pas de nom de serveur.")
    try:
        return check_public_url(url)
    except AddressRefused as error:
        raise ToolError(str(error)) from error


def _allow_listed(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or 80
    except ValueError:
        return False
    return host in allowed_hosts() or f"{host}:{port}" in allowed_hosts()


def git_environment(*, allow_http: bool = False) -> dict[str, str]:
    """A minimal environment: no prompt, no system or user configuration, no proxy surprises."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "LANG": "C.UTF-8",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_ALLOW_PROTOCOL": "https:http" if allow_http else "https",
    }


def _plain_http(url: str) -> bool:
    return urlsplit(url).scheme == "http" and _allow_listed(url)


def pinned_resolution(host: str, port: int, addresses: list[str]) -> str:
    """git's (curl's) ``HOST:PORT:ADDRESS[,ADDRESS]`` entry that pins the checked addresses
    (empty when there is nothing to pin)."""
    if not addresses:
        return ""
    listed = ",".join(f"[{address}]" if ":" in address else address for address in addresses)
    return f"{host}:{port}:{listed}"


def clone_command(url: str, destination: Path, *, pinned: str = "") -> list[str]:
    options = list(SAFE_GIT_OPTIONS)
    if _plain_http(url):
        # Loopback test servers and operator-listed mirrors only: checked by ``git_url``.
        options += ["-c", "protocol.http.allow=always"]
    if pinned:
        # git connects to the addresses checked a moment ago, not to a fresh lookup's answer.
        options += ["-c", f"http.curloptResolve={pinned}"]
    return [
        git_program(),
        *options,
        "clone",
        "--depth",
        str(CLONE_DEPTH),
        "--no-tags",
        "--single-branch",
        "--no-recurse-submodules",
        "--quiet",
        "--",
        url,
        str(destination),
    ]


def directory_size(path: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


def clone_repository(
    url: str,
    destination: Path,
    *,
    timeout: float = CLONE_TIMEOUT_SECONDS,
    max_bytes: int = MAX_CLONE_BYTES,
) -> None:
    """Shallow clone of ``url`` (checked again here) into ``destination``; ToolError on refusal,
    failure, timeout or when the clone grows beyond ``max_bytes``."""
    checked = git_url(url)
    try:
        pinned = pinned_resolution(*checked_addresses(checked))
    except AddressRefused as error:
        raise ToolError(str(error)) from error
    # Errors go to a file, not a pipe: a full pipe would block git while we wait for it.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed program, URL checked, no shell
            clone_command(checked, destination, pinned=pinned),
            env=git_environment(allow_http=_plain_http(checked)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            _watch_clone(process, destination, timeout=timeout, max_bytes=max_bytes)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise ToolError(
            "Le dépôt n'a pas pu être cloné (adresse inconnue, dépôt privé, redirection refusée "
            f"ou serveur injoignable). Détail : {_last_line(stderr)}"
        )
    if directory_size(destination) > max_bytes:
        raise _too_big(max_bytes)


def _too_big(max_bytes: int) -> ToolError:
    return ToolError(
        f"Le dépôt dépasse {max_bytes // (1024 * 1024)} Mo : déposez plutôt une archive du code "
        "sans l'historique ni les fichiers binaires."
    )


def _watch_clone(
    process: "subprocess.Popen[bytes]", destination: Path, *, timeout: float, max_bytes: int
) -> None:
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if time.monotonic() > deadline:
            raise ToolError(
                f"Le clonage du dépôt a dépassé {int(timeout)} secondes : dépôt trop gros ou "
                "serveur trop lent. Déposez plutôt une archive du code."
            )
        if destination.exists() and directory_size(destination) > max_bytes:
            raise _too_big(max_bytes)
        time.sleep(SIZE_POLL_SECONDS)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "aucun message."


# --- Directories allowed by the operator -----------------------------------------------------


def local_roots() -> list[Path]:
    roots = getattr(settings, "DLNUF_TOOLBOX_LOCAL_ROOTS", [])
    return [Path(root).resolve() for root in roots if Path(root).is_dir()]


def local_choices() -> list[tuple[str, str]]:
    """The directories a person may pick: the subdirectories of each configured root."""
    choices = []
    for root in local_roots():
        for child in sorted(root.iterdir()):
            if child.is_dir() and not child.is_symlink() and not child.name.startswith("."):
                choices.append((str(child), f"{root.name}/{child.name}"))
    return choices


def resolve_local(path: str) -> Path:
    """The real directory behind ``path`` when it lies inside a configured root (after following
    every symbolic link); ToolError otherwise."""
    if ".." in Path(path).parts:
        raise ToolError("Ce dossier n'est pas autorisé : le chemin ne doit pas remonter (« .. »).")
    resolved = Path(path).resolve()
    for root in local_roots():
        if resolved != root and resolved.is_relative_to(root) and resolved.is_dir():
            return resolved
    raise ToolError("Ce dossier n'est pas parmi ceux que l'exploitant du guichet a ouverts.")


# --- Activity ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    commits: int
    contributors: int
    commits_90_days: int
    commits_365_days: int
    last_commit: str  # ISO date, or "" when there is no commit
    shallow: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "commits": self.commits,
            "contributors": self.contributors,
            "commits_90_days": self.commits_90_days,
            "commits_365_days": self.commits_365_days,
            "last_commit": self.last_commit,
            "shallow": self.shallow,
        }


def git_activity(repository: Path, *, now: datetime | None = None) -> Activity | None:
    """Commits and authors of the fetched history, or None when ``repository`` is not a clone.

    Call it only on a clone made by ``clone_repository``: a ``.git`` from elsewhere may point at
    other repositories of the server. Even then git is kept inside the clone: its directory is
    named explicitly, the search for a repository stops at the clone's parent, and a clone that
    borrows objects from elsewhere (``objects/info/alternates``) is not read at all."""
    git_directory = repository / ".git"
    if not git_directory.is_dir() or git_directory.is_symlink():
        return None
    if (git_directory / "objects" / "info" / "alternates").exists():
        return None
    now = now or datetime.now(UTC)
    try:
        result = subprocess.run(  # noqa: S603 - fixed program and options, no shell
            [
                git_program(),
                *SAFE_GIT_OPTIONS,
                "-c",
                f"safe.directory={repository}",
                "log",
                "--no-show-signature",
                "--no-textconv",
                "--format=%aE%x09%cI",
            ],
            cwd=repository,
            env={
                **git_environment(),
                "GIT_DIR": str(git_directory),
                "GIT_WORK_TREE": str(repository),
                "GIT_CEILING_DIRECTORIES": str(repository.parent),
                "GIT_NO_REPLACE_OBJECTS": "1",
            },
            capture_output=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    if result.returncode != 0:
        return None
    authors: set[str] = set()
    dates: list[datetime] = []
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        author, _, stamp = line.partition("\t")
        try:
            dates.append(datetime.fromisoformat(stamp))
        except ValueError:
            continue
        authors.add(author.strip().lower())
    return Activity(
        commits=len(dates),
        contributors=len(authors),
        commits_90_days=sum(1 for date in dates if now - date <= timedelta(days=90)),
        commits_365_days=sum(1 for date in dates if now - date <= timedelta(days=365)),
        last_commit=max(dates).date().isoformat() if dates else "",
        shallow=(repository / ".git" / "shallow").exists(),
    )
