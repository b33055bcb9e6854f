"""Signed notes (C2SP ``signed-note``), checkpoints (C2SP ``tlog-checkpoint``) and witness
cosignatures (C2SP ``tlog-cosignature``), byte for byte.

A signed note is a text ending in a newline, a blank line, then one line per signature:
``— <key name> <base64(4-byte key id ‖ signature)>``. For Ed25519 the signature covers the text
(final newline included) and the key id is the first four bytes of
``SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)``. A verifier key is written
``<key name>+<key id in hex>+<base64(0x01 ‖ public key)>``.

A checkpoint's text is three lines: the origin (the log's name), the tree size in decimal and the
base64 root hash (RFC 6962 / RFC 9162 MTH, which is what ``dlnuf.journal.merkle`` computes).

A witness cosignature (signature type ``0x04``) signs ``cosignature/v1\\ntime <t>\\n`` followed by
the checkpoint's whole text, and is written as eight bytes of big-endian ``t`` (seconds since
1970) and the 64-byte Ed25519 signature after the key id.

Everything here is pure: no database, no settings.
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519_TYPE = 0x01
COSIGNATURE_TYPE = 0x04
KEY_ID_SIZE = 4
SIGNATURE_DASH = "\u2014"
COSIGNATURE_HEADER = "cosignature/v1\n"

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(ValueError):
    """A note, checkpoint or key that does not follow its format, or whose signature fails."""


def key_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a key (or a log's origin), or ``None`` when it can."""
    if not name:
        return "il est vide"
    if "+" in name:
        return "il contient « + »"
    if any(character.isspace() or ord(character) < 0x20 for character in name):
        return "il contient une espace ou un caractère de contrôle"
    return None


def _check_key_name(name: str) -> None:
    problem = key_name_problem(name)
    if problem is not None:
        raise NoteError(f"Nom de clé invalide : {problem}.")


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    identified = name.encode() + b"\n" + bytes((signature_type,)) + public_key
    return hashlib.sha256(identified).digest()[:KEY_ID_SIZE]


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifier_key(name: str, public_key: bytes, signature_type: int = ED25519_TYPE) -> str:
    _check_key_name(name)
    encoded = base64.b64encode(bytes((signature_type,)) + public_key).decode()
    return f"{name}+{key_id(name, signature_type, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier (signature type 0x01)."""

    name: str
    key_id: bytes
    public_key: bytes


def verifier_parse(text: str, signature_type: int = ED25519_TYPE) -> Verifier:
    """Read a verifier key of ``signature_type`` (a note signer's by default, a witness's with
    COSIGNATURE_TYPE); its key id must be the one its name and key give."""
    parts = text.strip().split("+", 2)  # the base64 key may contain « + »
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise NoteError("Clé de vérification mal formée : nom+identifiant+clé attendu.")
    name, hex_id, encoded = parts
    _check_key_name(name)
    try:
        typed_key = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise NoteError("Clé de vérification : la clé n'est pas en base64.") from error
    if len(typed_key) != 33 or typed_key[0] != signature_type:
        raise NoteError(
            f"Clé de vérification : seule une clé Ed25519 (type 0x{signature_type:02x}) est "
            "acceptée."
        )
    verifier = Verifier(name, bytes.fromhex(hex_id), typed_key[1:])
    if key_id(name, signature_type, verifier.public_key) != verifier.key_id:
        raise NoteError("Clé de vérification : l'identifiant ne correspond pas à la clé.")
    return verifier


def signature_line(name: str, signature_key_id: bytes, signature: bytes) -> str:
    encoded = base64.b64encode(signature_key_id + signature).decode()
    return f"{SIGNATURE_DASH} {name} {encoded}\n"


def note_sign(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note of ``text`` with one Ed25519 signature by the key called ``name``."""
    _check_key_name(name)
    if not text.endswith("\n"):
        raise NoteError("Le texte d'une note se termine par un saut de ligne.")
    signature = private_key.sign(text.encode())
    signature_key_id = key_id(name, ED25519_TYPE, raw_public_key(private_key))
    return text + "\n" + signature_line(name, signature_key_id, signature)


@dataclass(frozen=True)
class SignedNote:
    text: str
    signatures: list[tuple[str, bytes]]
    """``(key name, key id ‖ signature)`` in the order of the note."""


def note_parse(note: str) -> SignedNote:
    if any(ord(character) < 0x20 and character != "\n" for character in note):
        raise NoteError("Une note ne contient aucun caractère de contrôle hormis le saut de ligne.")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("Note sans ligne vide entre le texte et les signatures.")
    text = note[: split + 1]
    signatures: list[tuple[str, bytes]] = []
    for line in note[split + 2 : -1].split("\n"):
        match = re.fullmatch(f"{SIGNATURE_DASH} (\\S+) (\\S+)", line)
        if match is None:
            raise NoteError("Ligne de signature mal formée.")
        try:
            raw = base64.b64decode(match[2], validate=True)
        except binascii.Error as error:
            raise NoteError("Signature qui n'est pas en base64.") from error
        if len(raw) <= KEY_ID_SIZE:
            raise NoteError("Signature trop courte.")
        signatures.append((match[1], raw))
    return SignedNote(text=text, signatures=signatures)


def _ed25519_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def note_verify(note: str, verifier: Verifier) -> str:
    """The text of ``note`` once the Ed25519 signature of ``verifier`` is found and checks."""
    parsed = note_parse(note)
    for name, raw in parsed.signatures:
        if name != verifier.name or raw[:KEY_ID_SIZE] != verifier.key_id:
            continue  # other signers, such as witnesses, are ignored as the format requires
        if _ed25519_valid(verifier.public_key, raw[KEY_ID_SIZE:], parsed.text.encode()):
            return parsed.text
        raise NoteError("La signature de la note est fausse.")
    raise NoteError(f"La note n'est pas signée par la clé « {verifier.name} ».")


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes

    @property
    def text(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        return f"{self.origin}\n{self.size}\n{root}\n"


def checkpoint_parse(text: str) -> Checkpoint:
    """Read a checkpoint's text (extension lines are allowed and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not all(lines[:-1]):
        raise NoteError("Un point de contrôle a au moins trois lignes non vides.")
    origin, size, root = lines[:3]
    if not _DECIMAL.fullmatch(size):
        raise NoteError("La taille d'un point de contrôle est un entier décimal sans zéro initial.")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error as error:
        raise NoteError("La racine d'un point de contrôle est en base64.") from error
    if len(root_hash) != 32:
        raise NoteError("La racine d'un point de contrôle fait 32 octets.")
    return Checkpoint(origin=origin, size=int(size), root_hash=root_hash)


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    # The whole note text is signed, extension lines included.
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosignature_line(
    checkpoint_text: str, name: str, private_key: Ed25519PrivateKey, timestamp: int
) -> str:
    """A witness's signature line over a checkpoint at ``timestamp`` (seconds since 1970)."""
    _check_key_name(name)
    signature = private_key.sign(cosignature_message(checkpoint_text, timestamp))
    cosigner_id = key_id(name, COSIGNATURE_TYPE, raw_public_key(private_key))
    return signature_line(name, cosigner_id, timestamp.to_bytes(8, "big") + signature)
