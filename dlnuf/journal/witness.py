"""A witness of the journal: it follows the published checkpoints and cosigns the consistent ones.

Each observation fetches ``<site>/journal/checkpoint``, checks the log's signature, then checks
that the tree it names extends the last one this witness cosigned: a smaller size is a rollback,
the same size with another root or a failing RFC 9162 consistency proof (from the site's public
proof API) is a fork. Either raises ``WitnessAlarm`` and leaves the stored state untouched, so
the alarm repeats until someone looks. A consistent checkpoint is cosigned (C2SP
``tlog-cosignature``, Ed25519, type 0x04) and becomes the new state.
"""

import base64
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dlnuf.journal.merkle import EMPTY_ROOT, verify_consistency
from dlnuf.journal.notes import (
    NoteError,
    Verifier,
    checkpoint_parse,
    cosignature_line,
    note_verify,
)


class WitnessAlarm(Exception):
    """The log showed a history that contradicts what this witness cosigned before."""


class WitnessUnavailable(Exception):
    """The log could not be read this time; nothing is concluded."""


@dataclass(frozen=True)
class WitnessState:
    origin: str
    size: int
    root_hash: str  # base64, as in the checkpoint
    log_vkey: str
    cosigned: str  # the last checkpoint with this witness's cosignature appended

    @property
    def root(self) -> bytes:
        return base64.b64decode(self.root_hash)


def state_load(path: Path) -> WitnessState | None:
    if not path.exists():
        return None
    return WitnessState(**json.loads(path.read_text(encoding="utf-8")))


def state_save(path: Path, state: WitnessState) -> None:
    # Written aside then renamed: a crash never leaves half a state, which would read as a fork.
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    os.replace(partial, path)


def _get(http: httpx.Client, url: str, **params: int) -> httpx.Response:
    try:
        response = http.get(url, params=params or None)
    except httpx.HTTPError as error:
        raise WitnessUnavailable(f"{url} : {error}") from error
    if response.status_code != 200:
        raise WitnessUnavailable(f"{url} : réponse {response.status_code}")
    return response


def fetch_log_vkey(http: httpx.Client, site_url: str) -> str:
    return _get(http, f"{site_url}/journal/vkey").text.strip()


def _check_consistency(
    http: httpx.Client, site_url: str, previous: WitnessState, size: int, root: bytes
) -> None:
    if previous.size == 0:
        if previous.root != EMPTY_ROOT:
            raise WitnessAlarm("Racine enregistrée pour l'arbre vide incorrecte.")
        return
    proof = _get(
        http,
        f"{site_url}/api/v1/journal/proof/consistency",
        first=previous.size,
        second=size,
    ).json()
    path = [base64.b64decode(digest) for digest in proof["consistency_path"]]
    # The roots compared are the signed ones, never those the proof answer carries.
    if not verify_consistency(previous.size, size, previous.root, root, path):
        raise WitnessAlarm(
            f"Fourche : l'arbre de {size} entrées ne prolonge pas celui de {previous.size} "
            f"entrées déjà cosigné (racine {previous.root_hash})."
        )


def witness_observe(
    *,
    http: httpx.Client,
    site_url: str,
    log_verifier: Verifier,
    log_vkey: str,
    previous: WitnessState | None,
    name: str,
    key: Ed25519PrivateKey,
    now: float | None = None,
) -> WitnessState:
    """Fetch, check and cosign the current checkpoint; returns the state to keep."""
    note = _get(http, f"{site_url}/journal/checkpoint").text
    try:
        text = note_verify(note, log_verifier)
        checkpoint = checkpoint_parse(text)
    except NoteError as error:
        raise WitnessAlarm(f"Point de contrôle refusé : {error}") from error
    if previous is not None:
        if checkpoint.origin != previous.origin:
            raise WitnessAlarm(f"Origine « {checkpoint.origin} » au lieu de « {previous.origin} ».")
        if checkpoint.size < previous.size:
            raise WitnessAlarm(
                f"Retour en arrière : {checkpoint.size} entrées après {previous.size} "
                "déjà cosignées."
            )
        if checkpoint.size == previous.size and checkpoint.root_hash != previous.root:
            raise WitnessAlarm(
                f"Fourche : deux racines différentes pour {checkpoint.size} entrées."
            )
        if checkpoint.size > previous.size:
            _check_consistency(http, site_url, previous, checkpoint.size, checkpoint.root_hash)
    timestamp = int(time.time() if now is None else now)
    cosigned = note + cosignature_line(text, name, key, timestamp)
    return WitnessState(
        origin=checkpoint.origin,
        size=checkpoint.size,
        root_hash=base64.b64encode(checkpoint.root_hash).decode(),
        log_vkey=log_vkey,
        cosigned=cosigned,
    )
