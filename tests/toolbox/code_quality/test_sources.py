"""Getting the code: the addresses a clone may reach, the operator's directories, and a real
clone over http from a loopback server running ``git http-backend``."""

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from dlnuf.toolbox.code_quality import sources
from dlnuf.toolbox.jobs import ToolError
from tests.toolbox.code_quality.repos import GIT, commit_all, good_repository


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/depot.git",
        "https://127.0.0.1/depot.git",
        "https://10.0.0.1/depot.git",
        "https://[::1]/depot.git",
        "https://localhost/depot.git",
        "file:///etc/passwd",
        "ssh://git@example.org/depot.git",
        "ext::sh -c touch% /tmp/pwned",
        "git@github.com:org/depot.git",
        "https://user:pass@github.com/org/depot.git",
        "http://github.com/org/depot.git",
    ],
)
def test_addresses_a_clone_may_not_reach_are_refused(url: str) -> None:
    with pytest.raises(ToolError):
        sources.git_url(url)


def test_a_name_resolving_to_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ToolError, match="adresse interne"):
        sources.git_url("https://depot.example.org/projet.git")


def test_the_clone_command_closes_every_other_way_out(tmp_path: Path) -> None:
    command = sources.clone_command("https://forge.example.org/p.git", tmp_path / "d")
    joined = " ".join(command)
    for option in (
        "protocol.allow=never",
        "protocol.https.allow=always",
        "http.followRedirects=false",
        "core.hooksPath=/dev/null",
        "core.symlinks=false",
        "--depth 50",
        "--no-tags",
        "--single-branch",
        "--no-recurse-submodules",
    ):
        assert option in joined
    assert "protocol.http.allow" not in joined
    assert "curloptResolve" not in joined
    assert sources.git_environment()["GIT_ALLOW_PROTOCOL"] == "https"


def test_the_clone_connects_only_to_the_addresses_checked(tmp_path: Path) -> None:
    pinned = sources.pinned_resolution("forge.example.org", 443, ["185.24.184.1", "2001:db8::7"])
    assert pinned == "forge.example.org:443:185.24.184.1,[2001:db8::7]"
    assert sources.pinned_resolution("miroir.interne", 443, []) == ""
    command = sources.clone_command(
        "https://forge.example.org/p.git", tmp_path / "d", pinned=pinned
    )
    assert f"http.curloptResolve={pinned}" in command
    assert sources.git_environment()["GIT_TERMINAL_PROMPT"] == "0"


# --- The operator's directories -----------------------------------------------------------


@pytest.fixture
def roots(tmp_path: Path, settings: Any) -> Path:
    root = tmp_path / "depots"
    (root / "projet-a").mkdir(parents=True)
    (root / "projet-b").mkdir()
    (tmp_path / "ailleurs").mkdir()
    (root / "raccourci").symlink_to(tmp_path / "ailleurs")
    settings.DLNUF_TOOLBOX_LOCAL_ROOTS = [str(root)]
    return root


def test_only_subdirectories_of_the_roots_are_offered(roots: Path) -> None:
    assert sources.local_choices() == [
        (str(roots / "projet-a"), "depots/projet-a"),
        (str(roots / "projet-b"), "depots/projet-b"),
    ]
    assert sources.resolve_local(str(roots / "projet-a")) == roots / "projet-a"


@pytest.mark.parametrize("relative", ["projet-a/../../ailleurs", "raccourci", "", "../ailleurs"])
def test_paths_leaving_the_roots_are_refused(roots: Path, relative: str) -> None:
    with pytest.raises(ToolError):
        sources.resolve_local(str(roots / relative))


def test_no_root_configured_means_no_directory(settings: Any, tmp_path: Path) -> None:
    settings.DLNUF_TOOLBOX_LOCAL_ROOTS = []
    assert sources.local_choices() == []
    with pytest.raises(ToolError):
        sources.resolve_local(str(tmp_path))


# --- A real clone over http, from a loopback server ------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _http_backend(project_root: Path) -> Any:
    """A WSGI application running ``git http-backend`` as a CGI program (smart http)."""

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"].startswith("/redirige"):
            start_response("302 Found", [("Location", "http://10.0.0.1/interne.git")])
            return [b""]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        cgi_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": environ["PATH_INFO"],
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        output = subprocess.run(  # noqa: S603 - the test's own server
            [GIT, "http-backend"], input=body, env=cgi_env, capture_output=True, check=True
        ).stdout
        head, _, payload = output.partition(b"\r\n\r\n")
        status = "200 OK"
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = value.strip()
            elif name:
                headers.append((name, value.strip()))
        start_response(status, headers)
        return [payload]

    return application


@pytest.fixture
def git_server(tmp_path: Path, settings: Any) -> Iterator[str]:
    work = good_repository(tmp_path / "travail")
    commit_all(work)
    served = tmp_path / "servi"
    served.mkdir()
    subprocess.run(  # noqa: S603 - test repository, fixed arguments
        [GIT, "clone", "-q", "--bare", str(work), str(served / "projet.git")],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)},
    )
    server = make_server("127.0.0.1", 0, _http_backend(served), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["127.0.0.1"]
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_repository_is_cloned_shallowly_from_an_allow_listed_host(
    git_server: str, tmp_path: Path
) -> None:
    destination = tmp_path / "clone"
    sources.clone_repository(f"{git_server}/projet.git", destination)
    assert (destination / "app" / "maths.py").exists()
    activity = sources.git_activity(destination)
    assert activity is not None
    assert (activity.commits, activity.contributors) == (2, 2)


def test_a_redirect_to_an_internal_address_is_not_followed(git_server: str, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="n'a pas pu être cloné"):
        sources.clone_repository(f"{git_server}/redirige/projet.git", tmp_path / "clone")


def test_a_clone_growing_beyond_the_limit_is_stopped(git_server: str, tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="dépasse"):
        sources.clone_repository(f"{git_server}/projet.git", tmp_path / "clone", max_bytes=100)


def test_git_connects_to_the_address_checked_not_to_a_second_lookup(
    git_server: str, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "depot.invalid" exists only for our own check (git's lookup of it would fail): the clone
    # succeeds only because git is pinned to the address we checked.
    port = git_server.rsplit(":", 1)[1]
    settings.DLNUF_TOOLBOX_URL_ALLOWLIST = ["depot.invalid"]
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host == "depot.invalid":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    destination = tmp_path / "clone"
    sources.clone_repository(f"http://depot.invalid:{port}/projet.git", destination)
    assert (destination / "app" / "maths.py").exists()
