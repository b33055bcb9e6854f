"""Requests and replies that arrive by e-mail at the guichet's address.

Every message is first stored raw (``inbound_mail_store``), then read (``inbound_mail_process``),
so that nothing received can be lost to a reading error. Reading a stored message ends in one of
these outcomes, recorded on the ``InboundMail`` row:

- a new request (status ``processed``, ``request`` set), acknowledged by e-mail;
- a reply on an existing request, found by In-Reply-To / References when the sender is the
  requester or a member of the guichet's team, or by the request's reference in the subject when
  the sender is the requester (``processed``, ``request`` set);
- a new request linked to an existing one, when a message names that request's thread in its
  headers but comes from someone else: a Message-ID seen in a forwarded or copied e-mail must not
  let a stranger write into another administration's request (``processed``, the new
  ``request`` set, its ``linked_request`` pointing at the other one);
- a duplicate of a message already read, by Message-ID (``processed``, same ``request``);
- an automatic message (auto-reply, delivery report, or a message sent from the guichet's own
  address): ``processed`` with the reason written in ``error`` and nothing created — least of all
  an acknowledgement, which is how mail loops start;
- unreadable (no headers, no usable sender, or an error while reading): ``failed`` with the
  reason in ``error``; the raw message stays for the team to examine.

Headers written with raw 8-bit bytes instead of RFC 2047 encoded words (common in old or
misconfigured French mail software) are read as UTF-8 when they are valid UTF-8, otherwise as
Windows-1252, the superset of Latin-1 that also holds « œ », « € » and typographic quotes.

Reading is idempotent: a message is read only while its status is ``received``, under a row
lock, so running the intake twice creates nothing twice.
"""

import enum
import hashlib
import logging
import re
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.policy import EmailPolicy
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from dlnuf.french import plural
from dlnuf.organisations.models import User
from dlnuf.support import emails
from dlnuf.support.attachments import IncomingFile
from dlnuf.support.models import (
    Channel,
    InboundMail,
    MailStatus,
    MessageKind,
    SupportMessage,
    SupportRequest,
)
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.services import support_message_from_requester, support_request_create

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 100_000
# A sender whose messages opened this many requests within the hour gets no further
# acknowledgement: an auto-responder that sends no Auto-Submitted header cannot start a loop.
ACKNOWLEDGED_REQUESTS_PER_SENDER_PER_HOUR = 5

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_REFERENCE = re.compile(r"\[(G-[0-9A-F]{8})\]", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*(le|on)\b", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"^\s*(le|on)\b.*\b(a écrit|wrote)\s*:\s*$", re.IGNORECASE)
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "auto_reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


class Outcome(enum.StrEnum):
    REQUEST = "request"
    REPLY = "reply"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    FAILED = "failed"
    # Read before (by an earlier run): nothing done this time.
    ALREADY_READ = "already_read"


# Singular and plural of each outcome, for the count after a mailbox run.
OUTCOME_LABELS = {
    Outcome.REQUEST: ("nouvelle demande", "nouvelles demandes"),
    Outcome.REPLY: ("réponse rattachée", "réponses rattachées"),
    Outcome.DUPLICATE: ("doublon", "doublons"),
    Outcome.IGNORED: ("message automatique ignoré", "messages automatiques ignorés"),
    Outcome.FAILED: ("illisible, à examiner", "illisibles, à examiner"),
}

# What happened to one message, for the pipe delivery's one-line answer.
OUTCOME_DESCRIPTIONS = {
    Outcome.REQUEST: "nouvelle demande enregistrée",
    Outcome.REPLY: "message rattaché à sa demande",
    Outcome.DUPLICATE: "doublon d'un message déjà lu, rien de nouveau",
    Outcome.IGNORED: "message automatique, ignoré",
    Outcome.FAILED: "illisible, conservé pour examen",
    Outcome.ALREADY_READ: "déjà lu",
}


@dataclass
class IntakeSummary:
    """What one run of the intake did, for the commands' output."""

    received: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome] += 1

    def __str__(self) -> str:
        parts = [plural(self.received, "reçu", "reçus")] + [
            plural(self.outcomes[outcome], *forms) for outcome, forms in OUTCOME_LABELS.items()
        ]
        return " ; ".join(parts)


class _EightBitTolerantPolicy(EmailPolicy):
    """The standard policy, except that raw 8-bit header bytes are decoded before parsing.

    The standard policy keeps such bytes as surrogate escapes: structured headers then turn them
    into U+FFFD, and the others carry them until writing to the database fails.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        # Headers set by code arrive already parsed; only text read from the wire needs decoding.
        if isinstance(value, str):
            value = decode_8bit_header(value)
        return super().header_fetch_parse(name, value)


MAIL_POLICY = _EightBitTolerantPolicy()


def decode_8bit_header(value: str) -> str:
    """``value`` with the raw bytes the parser kept as surrogate escapes decoded as text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", errors="surrogateescape")
    else:
        return value
    for charset in ("utf-8", "cp1252"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    # Five bytes have no character in Windows-1252; Latin-1 gives every byte one.
    return raw.decode("latin-1")


class Unreadable(Exception):
    """The message cannot be read; ``message`` says why, in French, for the team."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- storing -----------------------------------------------------------------------------------


def inbound_mail_store(
    *, raw: bytes, source: str, mailbox_uid: str = ""
) -> tuple[InboundMail, bool]:
    """Keep the raw message; returns it and whether it is new.

    A message already stored (same bytes, or same mailbox UID) is returned as it is.
    """
    if mailbox_uid:
        known = InboundMail.objects.filter(mailbox_uid=mailbox_uid).first()
        if known is not None:
            return known, False
    digest = hashlib.sha256(raw).hexdigest()
    known = InboundMail.objects.filter(sha256=digest).first()
    if known is not None:
        return known, False
    try:
        with transaction.atomic():
            mail = InboundMail.objects.create(
                raw=raw,
                sha256=digest,
                message_id=_message_id_of_headers(raw),
                source=source[:20],
                mailbox_uid=mailbox_uid[:100],
            )
    except IntegrityError:
        # Another worker stored the same bytes in the meantime.
        return InboundMail.objects.get(sha256=digest), False
    return mail, True


def inbound_mail_receive(
    *, raw: bytes, source: str, mailbox_uid: str = ""
) -> tuple[InboundMail, Outcome]:
    """Store the message, then read it if it was not read before."""
    mail, _ = inbound_mail_store(raw=raw, source=source, mailbox_uid=mailbox_uid)
    return mail, inbound_mail_process(mail=mail)


def inbound_mail_process_pending(*, summary: IntakeSummary | None = None) -> IntakeSummary:
    """Read every stored message not read yet (a run stopped between storing and reading)."""
    summary = summary if summary is not None else IntakeSummary()
    pending = InboundMail.objects.filter(status=MailStatus.RECEIVED).order_by("received_at", "pk")
    for mail in pending.only("pk"):
        outcome = inbound_mail_process(mail=mail)
        if outcome != Outcome.ALREADY_READ:
            summary.add(outcome)
    return summary


def _message_id_of_headers(raw: bytes) -> str:
    try:
        headers = BytesHeaderParser(policy=MAIL_POLICY).parsebytes(raw)
        return _first_message_id(_header(headers, "Message-ID"))
    except Exception:  # storing must not depend on the headers being readable
        return ""


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender_email: str
    sender_name: str
    subject: str
    body: str
    # Message-IDs this message answers, the most direct first (In-Reply-To, then References
    # from the newest).
    thread_ids: tuple[str, ...]
    attachments: tuple[IncomingFile, ...]
    # Why the message was written by a machine rather than a person; empty otherwise.
    automatic_reason: str


def parse_mail(raw: bytes) -> ParsedMail:
    """Read what the intake needs from a raw RFC 5322 message; raises ``Unreadable``."""
    if not raw.strip():
        raise Unreadable("Message vide.")
    message = BytesParser(policy=MAIL_POLICY).parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise Unreadable("Aucun en-tête lisible : ce contenu n'est pas un courriel.")
    sender_email, sender_name = _sender(message)
    subject = " ".join(_header(message, "Subject").split())
    return ParsedMail(
        message_id=_first_message_id(_header(message, "Message-ID")),
        sender_email=sender_email,
        sender_name=sender_name[:200],
        subject=subject[:255] or "(sans objet)",
        body=_body_text(message),
        thread_ids=_thread_ids(message),
        attachments=tuple(_attachments(message)),
        automatic_reason=_automatic_reason(message, sender_email),
    )


def inbound_mail_process(*, mail: InboundMail) -> Outcome:
    """Read one stored message and file it (see the module's docstring); never raises."""
    try:
        with transaction.atomic():
            locked = InboundMail.objects.select_for_update().get(pk=mail.pk)
            if locked.status != MailStatus.RECEIVED:
                return Outcome.ALREADY_READ
            outcome = _file(locked)
    except Unreadable as problem:
        _mark_failed(mail, problem.message)
        return Outcome.FAILED
    except Exception as error:
        logger.exception("Inbound mail %s could not be read", mail.pk)
        _mark_failed(
            mail,
            f"Erreur pendant la lecture du message ({type(error).__name__}) ; "
            "le message d'origine est conservé.",
        )
        return Outcome.FAILED
    return outcome


def _file(mail: InboundMail) -> Outcome:
    parsed = parse_mail(bytes(mail.raw))
    mail.message_id = parsed.message_id
    duplicate = _earlier_copy(mail, parsed.message_id)
    if duplicate is not None:
        _done(
            mail,
            request=duplicate.request,
            note=f"Doublon du courriel n° {duplicate.pk} (même Message-ID) : rien de nouveau.",
        )
        return Outcome.DUPLICATE
    if parsed.automatic_reason:
        _done(
            mail,
            request=_thread_of(parsed),
            note=f"Message automatique ({parsed.automatic_reason}) : aucune demande ni aucun "
            "message créé, aucun accusé de réception envoyé.",
        )
        return Outcome.IGNORED
    if not parsed.sender_email:
        raise Unreadable(
            "Expéditeur absent ou illisible (en-tête From) : impossible de rattacher ce message "
            "ou d'y répondre."
        )
    if parsed.sender_email.lower() == _own_address():
        _done(mail, request=None, note="Message envoyé depuis l'adresse du guichet : ignoré.")
        return Outcome.IGNORED
    thread = _thread_of(parsed)
    if thread is not None and _may_join(thread, parsed.sender_email):
        support_message_from_requester(
            request=thread,
            body=parsed.body,
            author_email=parsed.sender_email,
            attachments=parsed.attachments,
            message_id=parsed.message_id,
            inbound_mail=mail,
        )
        _done(mail, request=thread)
        return Outcome.REPLY
    flooding = _recent_requests_from(parsed.sender_email) >= (
        ACKNOWLEDGED_REQUESTS_PER_SENDER_PER_HOUR
    )
    with emails.notifications_muted() if flooding else nullcontext():
        request = support_request_create(
            channel=Channel.EMAIL,
            values={
                "requester_email": parsed.sender_email,
                "requester_name": parsed.sender_name,
                "subject": parsed.subject,
                "need": parsed.body,
            },
            attachments=parsed.attachments,
            inbound_mail=mail,
            message_id=parsed.message_id,
        )
    notes = []
    if thread is not None:
        _link(request, to=thread, sender=parsed.sender_email)
        notes.append(
            f"Ce courriel répond au fil de la demande {thread.reference}, mais son expéditeur "
            "n'en est ni le demandeur ni un membre de l'équipe : nouvelle demande ouverte, liée "
            f"à {thread.reference}."
        )
    if flooding:
        notes.append(
            "Accusé de réception non envoyé : cet expéditeur a déjà ouvert "
            f"{ACKNOWLEDGED_REQUESTS_PER_SENDER_PER_HOUR} demandes ou plus dans l'heure."
        )
    _done(mail, request=request, note=" ".join(notes))
    return Outcome.REQUEST


def _may_join(thread: SupportRequest, sender: str) -> bool:
    """Whether a message from ``sender`` may be added to ``thread``'s conversation."""
    if sender.lower() == thread.requester_email.lower():
        return True
    member = User.objects.filter(email__iexact=sender, is_active=True).first()
    return member is not None and can_work_on_support(member)


def _link(request: SupportRequest, *, to: SupportRequest, sender: str) -> None:
    """Point the new ``request`` at the one whose thread its first message answered, and tell
    that request's team in its own thread."""
    request.linked_request = to
    request.save(update_fields=["linked_request"])
    SupportMessage.objects.create(
        request=to,
        kind=MessageKind.NOTE,
        body=(
            f"{sender} a répondu au fil de cette demande sans en être le demandeur ni un membre "
            f"de l'équipe : son message a ouvert la demande {request.reference}, liée à "
            "celle-ci, et n'a pas été ajouté ici."
        ),
    )


def _done(mail: InboundMail, *, request: SupportRequest | None, note: str = "") -> None:
    mail.status = MailStatus.PROCESSED
    mail.request = request
    mail.error = note
    mail.processed_at = timezone.now()
    mail.save(update_fields=["status", "request", "error", "processed_at", "message_id"])


def _mark_failed(mail: InboundMail, reason: str) -> None:
    with transaction.atomic():
        locked = InboundMail.objects.select_for_update().get(pk=mail.pk)
        if locked.status != MailStatus.RECEIVED:
            return
        locked.status = MailStatus.FAILED
        locked.error = reason
        locked.processed_at = timezone.now()
        locked.save(update_fields=["status", "error", "processed_at"])


def _earlier_copy(mail: InboundMail, message_id: str) -> InboundMail | None:
    if not message_id:
        return None
    return (
        InboundMail.objects.filter(message_id=message_id, status=MailStatus.PROCESSED)
        .exclude(pk=mail.pk)
        .order_by("received_at", "pk")
        .first()
    )


def _thread_of(parsed: ParsedMail) -> SupportRequest | None:
    """The request this message answers, or None when it answers none.

    Found by headers whoever the sender is (the caller decides whether the sender may join);
    by the reference in the subject only for the requester.
    """
    if parsed.thread_ids:
        by_thread = dict(
            SupportRequest.objects.filter(thread_message_id__in=parsed.thread_ids).values_list(
                "thread_message_id", "pk"
            )
        )
        by_message = dict(
            SupportMessage.objects.filter(message_id__in=parsed.thread_ids)
            .exclude(kind=MessageKind.NOTE)
            .values_list("message_id", "request_id")
        )
        for message_id in parsed.thread_ids:
            request_pk = by_thread.get(message_id) or by_message.get(message_id)
            if request_pk is not None:
                return SupportRequest.objects.get(pk=request_pk)
    reference = _REFERENCE.search(parsed.subject)
    if reference and parsed.sender_email:
        # The reference alone is printed in every e-mail subject: only the requester's own
        # address may use it to join the thread.
        return SupportRequest.objects.filter(
            reference=reference.group(1).upper(),
            requester_email__iexact=parsed.sender_email,
        ).first()
    return None


def _recent_requests_from(sender: str) -> int:
    since = timezone.now() - timedelta(hours=1)
    return SupportRequest.objects.filter(
        channel=Channel.EMAIL, requester_email__iexact=sender, created_at__gte=since
    ).count()


def _own_address() -> str:
    return parseaddr(settings.DLNUF_SUPPORT_ADDRESS)[1].lower()


# --- headers -----------------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except Exception:  # a malformed header reads as absent
        return ""
    return text.replace("\x00", "").replace("\r", " ").replace("\n", " ").strip()


def _first_message_id(value: str) -> str:
    found = _MESSAGE_ID.search(value)
    if found:
        return found.group(0)[:998]
    value = value.strip()
    return f"<{value}>"[:998] if value and " " not in value else ""


def _thread_ids(message: Message) -> tuple[str, ...]:
    in_reply_to = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    references = _MESSAGE_ID.findall(_header(message, "References"))
    ordered = [*in_reply_to, *reversed(references)]
    return tuple(dict.fromkeys(message_id[:998] for message_id in ordered))


def _sender(message: Message) -> tuple[str, str]:
    """The sender's address and display name; an empty address when none is usable."""
    try:
        header = message.get("From")
        addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    except Exception:  # a malformed From reads as no sender
        return "", ""
    for address in addresses:
        email = address.addr_spec.replace("\x00", "").strip()
        try:
            validate_email(email)
        except ValidationError:
            continue
        return email, " ".join(address.display_name.replace("\x00", "").split())
    return "", ""


def _automatic_reason(message: Message, sender: str) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    # Only "no" means a person wrote it; the value may carry parameters after ";".
    if auto_submitted and auto_submitted.partition(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if message.get(name) is not None:
            return f"en-tête {name}"
    precedence = _header(message, "Precedence").lower()
    if precedence in _AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report":
        return "avis de remise ou de lecture"
    if sender.partition("@")[0].lower() in _BOUNCE_SENDERS:
        return f"expéditeur {sender}"
    return ""


# --- body --------------------------------------------------------------------------------------


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


def _body_text(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # a broken structure leaves the body empty, never the mail
        part = None
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = strip_quoted_reply("\n".join(lines).replace("\x00", "")).strip()
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS] + "\n[…] (message tronqué ; l'original est conservé)"
    return text


class _TextExtractor(HTMLParser):
    """Text of an HTML body: tags dropped, blocks on their own lines, quotes marked with ">"."""

    BLOCKS = frozenset(
        {
            "address",
            "article",
            "blockquote",
            "br",
            "div",
            "footer",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "header",
            "hr",
            "li",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "tr",
            "ul",
        }
    )
    LINES = frozenset({"br", "li", "tr"})
    SKIPPED = frozenset({"head", "script", "style", "template", "title", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._skipping = 0
        self._quote_depth = 0

    def _flush(self, tag: str) -> None:
        text = " ".join("".join(self._current).split())
        self._current = []
        if text:
            self.lines.append("> " * self._quote_depth + text)
        elif tag not in self.LINES and self.lines and self.lines[-1] != "":
            # Paragraphs are set apart by a blank line; lines and list items are not.
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self._flush(tag)
            if tag == "blockquote":
                self._quote_depth += 1
            elif tag == "li":
                self._current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BLOCKS:
            self._flush(tag)
            if tag == "blockquote":
                self._quote_depth = max(0, self._quote_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._current.append(data)

    def text(self) -> str:
        self._flush("")
        return "\n".join(self.lines).strip()


def html_to_text(html: str) -> str:
    """The readable text of an HTML document; nothing in it is run or fetched."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


def strip_quoted_reply(text: str) -> str:
    """Drop the quoted history under « Le … a écrit : » / « On … wrote: ».

    Only when every non-blank line after the attribution is quoted with ">": a reply written
    between quoted lines is kept whole.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not _ATTRIBUTION_START.match(line):
            continue
        end = index
        if not _ATTRIBUTION.match(line) and index + 1 < len(lines):
            # Mail clients wrap long attributions: « Le lun. 3 mars, X <x@y> a\nécrit : ».
            line = f"{line} {lines[index + 1]}"
            end = index + 1
        if not _ATTRIBUTION.match(line):
            continue
        rest = [following for following in lines[end + 1 :] if following.strip()]
        if rest and all(following.lstrip().startswith(">") for following in rest):
            return "\n".join(lines[:index]).rstrip()
    return _strip_header_block(text)


_HEADER_FROM = re.compile(r"^\s*\*?(de|from)\s*\*?\s*:", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(envoyé|sent|date)\s*\*?\s*:", re.IGNORECASE)
_HEADER_SUBJECT = re.compile(r"^\s*\*?(objet|subject)\s*\*?\s*:", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(_{8,}|-{3,}\s*(original message|message d'origine)\s*-{3,})\s*$", re.I
)


def _strip_header_block(text: str) -> str:
    """Drop the history Outlook-like clients append without ">": a « De : / Envoyé : / Objet : »
    block (after an optional separator line) and everything below it. The raw message is kept in
    ``InboundMail`` whatever is cut here."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not _HEADER_FROM.match(line):
            continue
        block = lines[index + 1 : index + 6]
        if any(_HEADER_SENT.match(item) for item in block) and any(
            _HEADER_SUBJECT.match(item) for item in block
        ):
            start = index
            while start > 0 and (
                not lines[start - 1].strip() or _SEPARATOR.match(lines[start - 1])
            ):
                start -= 1
            kept = "\n".join(lines[:start]).rstrip()
            return kept or text
    return text


# --- attachments -------------------------------------------------------------------------------


def _attachments(message: EmailMessage) -> list[IncomingFile]:
    """Every part that carries a file name, except images shown inline (logos, signatures).

    Some mail clients mark documents ``inline`` even though people attached them; those are kept.
    """
    files = []
    for part in message.walk():
        if part.is_multipart():
            continue
        try:
            name = part.get_filename()
        except Exception:  # an unreadable name is replaced, the file kept
            name = "piece-jointe"
        if not name:
            continue
        if part.get_content_disposition() == "inline" and part.get_content_maintype() == "image":
            continue
        payload = part.get_payload(decode=True)
        files.append(IncomingFile(name, payload if isinstance(payload, bytes) else b""))
    return files
