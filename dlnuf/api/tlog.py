"""The journal as a tiled transparency log: plain files under ``/journal/`` (C2SP ``tlog-tiles``).

``checkpoint`` (signed note, a few seconds of cache), ``vkey`` (the key that signs it) and
``tile/<L>/<N>[.p/<W>]`` (hashes only; full tiles never change and are cached for a year).
They are static-file formats read by standard transparency tools, not the JSON API, hence plain
Django views outside ``/api/v1``. Entry bundles (``tile/entries``) are deliberately not served:
entries hold personal data.

``POST cosignatures`` is where witnesses hand in the checkpoints they cosigned (a signed note,
``text/plain``); refusals are RFC 9457 problems with a stable ``code``, listed in
``COSIGNATURE_PROBLEMS`` (they concern the log, not the exchange API's catalogue).
"""

import orjson
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from dlnuf.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE
from dlnuf.exchange.errors import ProblemKind
from dlnuf.journal.cosignatures import CosignatureRefused, cosignatures_submit
from dlnuf.journal.errors import JournalIntegrityError
from dlnuf.journal.tlog import (
    TILE_WIDTH,
    Tile,
    checkpoint_current,
    journal_verifier_key,
    tile_hashes,
    tile_index_parse,
    tile_index_path,
)

TEXT = "text/plain; charset=utf-8"
# Mutable resources: monitors must see a new tree head within seconds.
SHORT_CACHE = "public, max-age=5"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"


class TileLevelConverter:
    """0 to 63 in decimal, with no leading zero."""

    regex = "0|[1-9][0-9]?"

    def to_python(self, value: str) -> int:
        level = int(value)
        if level > 63:
            raise ValueError(value)
        return level

    def to_url(self, value: int) -> str:
        return str(value)


class TileIndexConverter:
    """The tile index in three-digit path segments, e.g. ``x001/x234/067``."""

    regex = r"(?:x[0-9]{3}/)*[0-9]{3}"

    def to_python(self, value: str) -> int:
        return tile_index_parse(value)

    def to_url(self, value: int) -> str:
        return tile_index_path(value)


class TileWidthConverter:
    """A partial tile's width: 1 to 255 in decimal, with no leading zero."""

    regex = "[1-9][0-9]{0,2}"

    def to_python(self, value: str) -> int:
        width = int(value)
        if width >= TILE_WIDTH:
            raise ValueError(value)
        return width

    def to_url(self, value: int) -> str:
        return str(value)


def _text(body: str, *, status: int = 200, cache: str = SHORT_CACHE) -> HttpResponse:
    response = HttpResponse(body, content_type=TEXT, status=status)
    response["Cache-Control"] = cache
    return response


@login_not_required
@require_safe
def checkpoint(request: HttpRequest) -> HttpResponse:
    return _text(checkpoint_current())


@login_not_required
@require_safe
def verifier_key(request: HttpRequest) -> HttpResponse:
    return _text(journal_verifier_key() + "\n")


def _tile_response(tile: Tile) -> HttpResponse:
    try:
        hashes = tile_hashes(tile)
    except JournalIntegrityError:
        return _text(
            "Journal des accès indisponible : des empreintes manquent.\n",
            status=503,
            cache="no-store",
        )
    if hashes is None:
        # The tile may exist later: the refusal must not be cached for long.
        return _text("Cette tuile n'existe pas (encore) dans l'arbre.\n", status=404)
    response = HttpResponse(hashes, content_type="application/octet-stream")
    response["Cache-Control"] = IMMUTABLE_CACHE if tile.is_full else SHORT_CACHE
    return response


@login_not_required
@require_safe
def tile(request: HttpRequest, level: int, index: int) -> HttpResponse:
    return _tile_response(Tile(level=level, index=index))


@login_not_required
@require_safe
def partial_tile(request: HttpRequest, level: int, index: int, width: int) -> HttpResponse:
    return _tile_response(Tile(level=level, index=index, width=width))


COSIGNATURE_PROBLEMS = {
    kind.code: kind
    for kind in (
        ProblemKind(
            "cosignature_malformed",
            400,
            "Cosignature illisible",
            "Le corps doit être un point de contrôle cosigné : une note signée C2SP en UTF-8.",
        ),
        ProblemKind(
            "cosignature_unverified",
            403,
            "Cosignature non reconnue",
            "Aucune cosignature valide d'un témoin configuré pour ce journal.",
        ),
        ProblemKind(
            "checkpoint_unknown",
            409,
            "Point de contrôle inconnu du journal",
            "Le point de contrôle cosigné n'est pas un de ceux que ce journal a signés.",
        ),
    )
}
# A checkpoint note with a few cosignatures is well under a kilobyte.
MAX_COSIGNED_NOTE_BYTES = 16 * 1024


def _cosignature_problem(code: str, detail: str) -> HttpResponse:
    kind = COSIGNATURE_PROBLEMS[code]
    body = {
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        "title": kind.title,
        "status": kind.status,
        "code": code,
        "detail": detail or kind.detail,
    }
    return HttpResponse(orjson.dumps(body), status=kind.status, content_type=PROBLEM_CONTENT_TYPE)


@csrf_exempt
@login_not_required
@require_POST
def cosignatures(request: HttpRequest) -> HttpResponse:
    """Store the cosignatures of configured witnesses over a checkpoint this journal signed."""
    if len(request.body) > MAX_COSIGNED_NOTE_BYTES:
        return _cosignature_problem(
            "cosignature_malformed", f"Note de plus de {MAX_COSIGNED_NOTE_BYTES} octets."
        )
    try:
        note = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return _cosignature_problem("cosignature_malformed", "La note n'est pas en UTF-8.")
    try:
        stored = cosignatures_submit(note=note)
    except CosignatureRefused as refusal:
        return _cosignature_problem(refusal.code, refusal.detail)
    lines = "".join(f"{row.witness_name} {row.tree_size} {row.cosigned_at_s}\n" for row in stored)
    # 201 when something new is kept, 200 when every cosignature was already known.
    return _text(lines, status=201 if stored else 200, cache="no-store")
