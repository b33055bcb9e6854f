"""Fixtures shared by the guichet's tests: the demo accounts, and a real IMAP server.

The IMAP server is Debian's dovecot, started privately on a free loopback port with a throwaway
configuration; each test gets a folder of its own. Without dovecot the tests that need it skip,
unless DLNUF_REQUIRE_MAIL_SERVER is set (CI sets it), where they fail instead.
"""

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest

from dlnuf.catalogue.services import catalogue_load
from dlnuf.organisations.demo import load_demo

DOVECOT = "/usr/sbin/dovecot"
IMAP_USER = "guichet"
IMAP_PASSWORD = "boite-du-guichet-2026"


@pytest.fixture
def demo_accounts(db: None) -> None:
    """The catalogue and the demo accounts (experts, administrators, agents, instructors)."""
    catalogue_load()
    load_demo(stdout=StringIO())


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    user: str
    password: str

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _configuration(directory: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot runs its login and internal processes under unprivileged users of the Debian
        # package, and refuses to hand a mailbox to root.
        internal, login = "dovecot", "dovenull"
        mail_user = pwd.getpwnam("nobody")
        home = directory / "home"
        home.mkdir()
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
        mail_user = pwd.getpwuid(os.geteuid())
        home = directory / "home"
        home.mkdir()
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
info_log_path = {directory}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{home}/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={home}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def _wait_for_greeting(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dovecot stopped at start:\n{log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"dovecot did not answer on port {port}")


@pytest.fixture(scope="session")
def mail_server() -> Iterator[MailServer]:
    """A private dovecot on loopback, with one mailbox user."""
    if not (os.path.exists(DOVECOT) and shutil.which("doveadm")):
        message = "IMAP tests need dovecot (apt-get install dovecot-imapd)"
        if os.environ.get("DLNUF_REQUIRE_MAIL_SERVER"):
            pytest.fail(message)
        pytest.skip(message)
    directory = Path(tempfile.mkdtemp(prefix="dlnuf-dovecot-"))
    # Dovecot's unprivileged processes must reach the sockets under it.
    directory.chmod(0o755)
    port = _free_port()
    (directory / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}::::::\n")
    (directory / "dovecot.conf").write_text(_configuration(directory, port))
    process = subprocess.Popen(  # noqa: S603 - fixed path, arguments built here
        [DOVECOT, "-F", "-c", str(directory / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_greeting(port, process, directory / "dovecot.log")
        yield MailServer("127.0.0.1", port, IMAP_USER, IMAP_PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def imap_folder(mail_server: MailServer) -> str:
    """A new, empty folder of the mailbox, for one test."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    client = mail_server.client()
    try:
        status, _ = client.create(name)
        assert status == "OK"
    finally:
        client.logout()
    return name
