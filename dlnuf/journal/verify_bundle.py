"""Verify an inclusion-proof bundle of the journal of accesses, offline.

    python -m dlnuf.journal.verify_bundle FICHIER [--vkey FICHIER|CLÉ]

Needs only Python's standard library and ``cryptography``: anyone can copy this file and run it
without the rest of the product. Written from the specifications, not from the product's code:

- RFC 9162 §2.1: leaf hash ``SHA-256(0x00 ‖ entry)``, interior node ``SHA-256(0x01 ‖ left ‖
  right)``, and the verification of an inclusion path (§2.1.3.2);
- C2SP ``signed-note``: a text, a blank line, then signature lines ``— <name> <base64(key id ‖
  signature)>``; an Ed25519 key (type 0x01) has the key id ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)``
  truncated to 4 bytes and the verifier key ``<name>+<key id in hex>+<base64(0x01 ‖ key)>``;
- C2SP ``tlog-checkpoint``: origin, tree size in decimal, base64 root hash, one per line.

Exit status: 0 when the bundle proves the entry, 1 when a check fails (the message says which),
2 when the file is not a readable bundle.
"""

import argparse
import base64
import binascii
import contextlib
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "dlnuf-journal-inclusion-bundle"
BUNDLE_VERSION = 1
ED25519_TYPE = 0x01
KEY_ID_SIZE = 4
HASH_SIZE = 32
SIGNATURE_SIZE = 64
VALID, INVALID, MALFORMED = 0, 1, 2

# The elements of an entry's canonical array, in order (format 1: 18 elements; format 2 adds the
# last one, always true).
ENTRY_FIELDS = (
    "version",
    "index",
    "exchange_id",
    "occurred_at_us",
    "consumer_siret",
    "habilitation_id",
    "credential_id",
    "dataset_slug",
    "scopes",
    "fields_returned",
    "recipient",
    "context",
    "object",
    "provider",
    "status",
    "code",
    "latency_us",
    "subject_key",
    "unexpected_fields_removed",
)
ENTRY_LENGTH_BY_VERSION = {1: len(ENTRY_FIELDS) - 1, 2: len(ENTRY_FIELDS)}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Malformed(Exception):
    """The file is not a bundle this program can read."""


class CheckFailed(Exception):
    """The bundle is readable but does not prove what it claims."""


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes
    text: str


@dataclass(frozen=True)
class Result:
    origin: str
    tree_size: int
    root: bytes
    leaf_index: int
    fields: dict[str, Any]
    withheld: list[str]


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(entry: bytes) -> bytes:
    return sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def root_from_inclusion_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, steps 2 to 6: the root the path leads to from ``leaf``."""
    if not 0 <= index < size:
        raise CheckFailed(
            f"Index de l'entrée hors de l'arbre : {index} pour un arbre de {size} entrées."
        )
    fn, sn = index, size - 1
    result = leaf
    for sibling in path:
        if sn == 0:
            raise CheckFailed("Chemin d'inclusion trop long pour la taille de l'arbre.")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise CheckFailed("Chemin d'inclusion trop court pour la taille de l'arbre.")
    return result


def _b64decode(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise Malformed(f"{what} : une chaîne en base64 est attendue.")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise Malformed(f"{what} : ce n'est pas du base64 valide.") from error


def _hash(value: object, what: str) -> bytes:
    decoded = _b64decode(value, what)
    if len(decoded) != HASH_SIZE:
        raise Malformed(f"{what} : une empreinte SHA-256 fait 32 octets, pas {len(decoded)}.")
    return decoded


def _integer(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Malformed(f"{what} : un entier positif ou nul est attendu.")
    return value


def key_id(name: str, public_key: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + bytes((ED25519_TYPE,)) + public_key)[:KEY_ID_SIZE]


def parse_verifier_key(text: str) -> VerifierKey:
    """A C2SP verifier key; its key id must be the one its name and public key give."""
    text = text.strip()
    # The name and the hexadecimal id hold no "+", the base64 key may.
    parts = text.split("+", 2)
    if len(parts) != 3 or not parts[0] or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise Malformed("Clé de vérification mal formée : « nom+identifiant+clé » attendu.")
    name, hex_id, encoded = parts
    if any(character.isspace() for character in name):
        raise Malformed("Clé de vérification : le nom de la clé contient une espace.")
    typed_key = _b64decode(encoded, "Clé de vérification")
    if len(typed_key) != 1 + 32 or typed_key[0] != ED25519_TYPE:
        raise Malformed("Clé de vérification : seule une clé Ed25519 (type 0x01) est reconnue.")
    public_key = typed_key[1:]
    if key_id(name, public_key) != bytes.fromhex(hex_id):
        raise CheckFailed(
            "Clé de vérification incohérente : son identifiant ne correspond pas à son nom et à "
            "sa clé publique."
        )
    return VerifierKey(name=name, key_id=bytes.fromhex(hex_id), public_key=public_key, text=text)


def verified_note_text(note: str, key: VerifierKey) -> str:
    """The text of the signed note once the signature of ``key`` is found and valid."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise Malformed("Point de contrôle : une note signée (texte, ligne vide, signatures).")
    text = note[: split + 1]
    found_name = False
    for line in note[split + 2 : -1].split("\n"):
        match = re.fullmatch("\u2014 (\\S+) (\\S+)", line)
        if match is None:
            raise Malformed(f"Point de contrôle : ligne de signature mal formée : {line!r}.")
        if match[1] != key.name:
            continue  # other signers (witnesses) do not concern this key
        raw = _b64decode(match[2], "Signature du point de contrôle")
        found_name = True
        if raw[:KEY_ID_SIZE] != key.key_id:
            continue
        signature = raw[KEY_ID_SIZE:]
        try:
            if len(signature) != SIGNATURE_SIZE:
                raise InvalidSignature
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, text.encode())
        except InvalidSignature as error:
            raise CheckFailed(
                f"Signature du point de contrôle invalide : la note n'a pas été signée par la clé "
                f"« {key.name} » telle qu'elle est, ou elle a été modifiée."
            ) from error
        return text
    detail = "aucune signature ne porte son identifiant" if found_name else "aucune signature"
    raise CheckFailed(
        f"Le point de contrôle n'est pas signé par la clé « {key.name} » "
        f"({key.key_id.hex()}) : {detail}."
    )


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not all(lines[:3]):
        raise Malformed("Point de contrôle : origine, taille et racine sont attendues.")
    origin, size, root = lines[:3]
    if not re.fullmatch(r"0|[1-9][0-9]*", size):
        raise Malformed("Point de contrôle : la taille est un entier décimal.")
    return origin, int(size), _hash(root, "Racine du point de contrôle")


def _readable_copy_check(entry: bytes, fields: dict[str, Any], leaf_index: int) -> None:
    try:
        values = json.loads(entry.decode())
    except (UnicodeDecodeError, ValueError) as error:
        raise CheckFailed(
            "L'entrée n'est pas un tableau JSON en UTF-8 : elle est altérée."
        ) from error
    if (
        not isinstance(values, list)
        or not values
        or type(values[0]) is not int
        or ENTRY_LENGTH_BY_VERSION.get(values[0]) != len(values)
    ):
        raise CheckFailed("L'entrée ne suit pas le format canonique du journal (version 1 ou 2).")
    decoded = dict(zip(ENTRY_FIELDS, values, strict=False))
    if decoded["index"] != leaf_index:
        raise CheckFailed(
            f"L'entrée porte l'index {decoded['index']} mais le paquet la place à l'index "
            f"{leaf_index}."
        )
    if isinstance(decoded["occurred_at_us"], int):
        occurred = EPOCH + timedelta(microseconds=decoded["occurred_at_us"])
        decoded["occurred_at"] = occurred.isoformat(timespec="microseconds").replace("+00:00", "Z")
    differing = sorted(
        name for name in decoded.keys() | fields.keys() if decoded.get(name) != fields.get(name)
    )
    if differing:
        raise CheckFailed(
            "La copie lisible de l'entrée ne correspond pas à ses octets prouvés (champs : "
            + ", ".join(f"« {name} »" for name in differing)
            + ")."
        )


def verify(bundle: object, pinned_key: VerifierKey | None) -> Result:
    if not isinstance(bundle, dict):
        raise Malformed("Le fichier ne contient pas un objet JSON.")
    if bundle.get("format") != BUNDLE_FORMAT or bundle.get("version") != BUNDLE_VERSION:
        raise Malformed(
            f"Format inconnu : « {BUNDLE_FORMAT} » version {BUNDLE_VERSION} est attendu."
        )
    entry = bundle.get("entry")
    if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
        raise Malformed("« entry » doit être un objet avec ses champs « fields ».")
    leaf_index = _integer(bundle.get("leaf_index"), "leaf_index")
    tree_size = _integer(bundle.get("tree_size"), "tree_size")
    path = bundle.get("inclusion_proof")
    if not isinstance(path, list):
        raise Malformed("« inclusion_proof » doit être une liste d'empreintes.")
    siblings = [_hash(item, f"inclusion_proof[{n}]") for n, item in enumerate(path)]
    note = bundle.get("checkpoint")
    if not isinstance(note, str):
        raise Malformed("« checkpoint » doit être le texte d'une note signée.")
    withheld = entry.get("withheld_fields", [])
    if not isinstance(withheld, list) or not all(isinstance(name, str) for name in withheld):
        raise Malformed("« withheld_fields » doit être une liste de noms de champs.")
    canonical: bytes | None = None
    if "canonical_bytes" in entry:
        canonical = _b64decode(entry["canonical_bytes"], "entry.canonical_bytes")
        leaf = leaf_hash(canonical)
    elif withheld:
        leaf = _hash(entry.get("leaf_hash"), "entry.leaf_hash")
    else:
        raise Malformed("« entry » doit contenir « canonical_bytes ».")
    if pinned_key is None:
        bundled_key = bundle.get("verifier_key")
        if not isinstance(bundled_key, str):
            raise Malformed("« verifier_key » doit être une clé de vérification (texte).")
        key = parse_verifier_key(bundled_key)
    else:
        key = pinned_key

    origin, checkpoint_size, root = parse_checkpoint(verified_note_text(note, key))
    if origin != key.name:
        raise CheckFailed(
            f"Le point de contrôle est celui du journal « {origin} », pas de « {key.name} »."
        )
    if checkpoint_size != tree_size:
        raise CheckFailed(
            f"Taille de l'arbre incohérente : le paquet annonce {tree_size} entrées, le point de "
            f"contrôle signé {checkpoint_size}."
        )
    if root_from_inclusion_path(leaf_index, tree_size, leaf, siblings) != root:
        raise CheckFailed(
            "La racine recalculée depuis l'entrée et le chemin d'inclusion diffère de la racine "
            "signée : l'entrée, son index ou le chemin d'inclusion ont été modifiés."
        )
    if canonical is not None:
        _readable_copy_check(canonical, entry["fields"], leaf_index)
    return Result(
        origin=origin,
        tree_size=tree_size,
        root=root,
        leaf_index=leaf_index,
        fields=entry["fields"],
        withheld=withheld if canonical is None else [],
    )


def _describe(result: Result, key: VerifierKey, pinned: bool) -> list[str]:
    fields = result.fields
    entries = "entrées" if result.tree_size > 1 else "entrée"
    lines = [
        f"Preuve vérifiée : l'entrée n° {result.leaf_index} figure dans le journal "
        f"« {result.origin} » de {result.tree_size} {entries} (racine "
        f"{base64.b64encode(result.root).decode()}).",
    ]
    if pinned:
        lines.append(f"Clé utilisée : la clé épinglée « {key.text} ».")
    else:
        lines.append(f"Clé utilisée : celle fournie dans le paquet, « {key.text} ».")
        lines.append(
            "Attention : clé non épinglée. Comparez-la à la clé publiée du journal "
            "(/journal/vkey) ou relancez avec --vkey pour ne pas dépendre du paquet."
        )
    if result.withheld:
        lines.append(
            "Attention : les octets de l'entrée ne sont pas dans le paquet (champs non "
            f"communiqués : {', '.join(result.withheld)}). Seule l'empreinte de l'entrée est "
            "prouvée, pas la copie lisible ci-dessous."
        )
    summary = (
        ("Date (UTC)", "occurred_at"),
        ("SIRET de l'administration", "consumer_siret"),
        ("Jeu de données", "dataset_slug"),
        ("Fournisseur", "provider"),
        ("Cadre (context)", "context"),
        ("Résultat", "code"),
    )
    lines.extend(f"  {label} : {fields[name]}" for label, name in summary if name in fields)
    return lines


def _read_pinned_key(value: str) -> VerifierKey:
    """``--vkey``: a file holding the key, or else the key's text itself."""
    # Not a readable file: the argument is the key.
    with contextlib.suppress(OSError, UnicodeDecodeError):
        value = Path(value).read_text(encoding="utf-8")
    return parse_verifier_key(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlnuf.journal.verify_bundle",
        description="Vérifie hors ligne un paquet de preuve d'un accès au journal.",
    )
    parser.add_argument("fichier", help="le paquet de preuve (JSON) téléchargé")
    parser.add_argument(
        "--vkey",
        help="clé de vérification du journal à épingler (texte ou fichier), au lieu de celle du "
        "paquet",
    )
    arguments = parser.parse_args(argv)
    try:
        try:
            raw = Path(arguments.fichier).read_bytes()
        except OSError as error:
            raise Malformed(f"Lecture impossible : {error.strerror}.") from error
        try:
            bundle = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise Malformed("Le fichier n'est pas du JSON valide en UTF-8.") from error
        pinned_key = None if arguments.vkey is None else _read_pinned_key(arguments.vkey)
        result = verify(bundle, pinned_key)
    except Malformed as error:
        print(f"Paquet illisible : {error}", file=sys.stderr)
        return MALFORMED
    except CheckFailed as error:
        print(f"Preuve invalide : {error}", file=sys.stderr)
        return INVALID
    key = pinned_key or parse_verifier_key(bundle["verifier_key"])
    print("\n".join(_describe(result, key, pinned=pinned_key is not None)))
    return VALID


if __name__ == "__main__":
    sys.exit(main())
