"""Fetching the guichet's mailbox over IMAP.

Each message is stored raw, under the mailbox's UIDVALIDITY and its UID, before it is read; only
then is it flagged ``\\Seen``. Nothing is ever deleted from the mailbox. Messages already stored
are not fetched again, whatever their flags: a message someone opened in a mail client before
the intake ran is still taken in.
"""

import base64
import imaplib
import logging
import re
from collections.abc import Sequence

from dlnuf.support.intake import (
    IntakeSummary,
    Outcome,
    inbound_mail_process,
    inbound_mail_process_pending,
    inbound_mail_store,
)
from dlnuf.support.models import InboundMail, MailStatus

logger = logging.getLogger(__name__)

SOURCE = "imap"
TIMEOUT_SECONDS = 30
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


class MailboxError(Exception):
    """The mailbox cannot be reached or read; ``message`` says why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fetch_support_mail(
    *, host: str, port: int, ssl: bool, user: str, password: str, folder: str
) -> IntakeSummary:
    """Take in every message of ``folder`` not stored yet, then read every message not read yet
    (from this mailbox or delivered otherwise)."""
    client = _connect(host=host, port=port, ssl=ssl)
    try:
        try:
            _expect(client.login(user, password), "Connexion refusée par le serveur IMAP")
        except imaplib.IMAP4.error as error:
            raise MailboxError(
                f"Connexion refusée par le serveur IMAP : {_detail(error)}"
            ) from error
        _expect(client.select(_quoted(folder)), f"Dossier « {folder} » introuvable")
        uidvalidity = _uidvalidity(client, folder)
        summary = IntakeSummary()
        uids = _all_uids(client)
        known = _stored_statuses([f"{uidvalidity}:{uid}" for uid in uids])
        for uid in uids:
            mailbox_uid = f"{uidvalidity}:{uid}"
            if known.get(mailbox_uid, MailStatus.RECEIVED) != MailStatus.RECEIVED:
                continue
            mail = InboundMail.objects.filter(mailbox_uid=mailbox_uid).first()
            if mail is None:
                raw = _fetch(client, uid)
                if raw is None:
                    continue
                mail, created = inbound_mail_store(raw=raw, source=SOURCE, mailbox_uid=mailbox_uid)
                summary.received += int(created)
            outcome = inbound_mail_process(mail=mail)
            if outcome != Outcome.ALREADY_READ:
                summary.add(outcome)
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        return inbound_mail_process_pending(summary=summary)
    except (imaplib.IMAP4.error, OSError) as error:
        raise MailboxError(f"Erreur du serveur IMAP : {_detail(error)}") from error
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.warning("IMAP logout failed", exc_info=True)


def _detail(error: Exception) -> str:
    """imaplib puts the server's bytes in its exceptions; show them as text."""
    parts = [
        part.decode("utf-8", errors="replace") if isinstance(part, bytes) else str(part)
        for part in error.args
    ]
    return " ".join(parts) or type(error).__name__


def _connect(*, host: str, port: int, ssl: bool) -> imaplib.IMAP4:
    try:
        if ssl:
            return imaplib.IMAP4_SSL(host, port, timeout=TIMEOUT_SECONDS)
        return imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
    except (imaplib.IMAP4.error, OSError) as error:
        raise MailboxError(
            f"Serveur IMAP injoignable ({host}:{port}{', TLS' if ssl else ''}) : {error}"
        ) from error


def _expect(response: tuple[str, Sequence[object]], message: str) -> None:
    status, data = response
    if status != "OK":
        detail = b" ".join(part for part in data if isinstance(part, bytes)).decode(
            "utf-8", errors="replace"
        )
        raise MailboxError(f"{message} : {detail}" if detail else message)


def mailbox_name(folder: str) -> str:
    """``folder`` in IMAP's modified UTF-7 (RFC 3501, 5.1.3): a name such as « Guichet/Reçus »
    travels as ``Guichet/Re&AOc-us``; plain ASCII is unchanged, and ``&`` becomes ``&-``."""
    encoded: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            encoded.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in folder:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(encoded)


def _quoted(folder: str) -> str:
    folder = mailbox_name(folder)
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _uidvalidity(client: imaplib.IMAP4, folder: str) -> str:
    _, data = client.response("UIDVALIDITY")
    for item in data:
        if isinstance(item, bytes) and item.strip().isdigit():
            return item.strip().decode()
    status, data = client.status(_quoted(folder), "(UIDVALIDITY)")
    for item in data if status == "OK" else ():
        found = _UIDVALIDITY.search(item) if isinstance(item, bytes) else None
        if found:
            return found.group(1).decode()
    raise MailboxError(f"Le serveur IMAP ne donne pas l'UIDVALIDITY du dossier « {folder} ».")


def _all_uids(client: imaplib.IMAP4) -> list[str]:
    status, data = client.uid("SEARCH", "ALL")
    _expect((status, data), "Recherche des messages refusée")
    found = data[0] if data and isinstance(data[0], bytes) else b""
    return [uid.decode() for uid in found.split()]


def _stored_statuses(mailbox_uids: list[str]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for start in range(0, len(mailbox_uids), 500):
        chunk = mailbox_uids[start : start + 500]
        statuses.update(
            InboundMail.objects.filter(mailbox_uid__in=chunk).values_list("mailbox_uid", "status")
        )
    return statuses


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    """The raw message, read without setting ``\\Seen``; None when the server does not give it."""
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        logger.warning("IMAP message %s not fetched: %s", uid, data)
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    logger.warning("IMAP message %s: no content in the answer", uid)
    return None
