"""The journal explained to anyone: its current tree, its key, its files, and its witnesses.

Public: the journal is a transparency log, readable and checkable by everyone. The page only
states what the product has checked itself (the tree's size and root, and each cosignature
verified against a configured witness key over a checkpoint of this tree when it was received).
"""

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.timesince import timesince
from django.views.decorators.http import require_safe

from dlnuf.journal.cosignatures import WITNESS_LATE_AFTER_SECONDS, WitnessStatus, witness_statuses
from dlnuf.journal.selectors import tree_head_current
from dlnuf.journal.tlog import TILE_WIDTH, journal_origin, journal_verifier_key, tile_index_path

TITLE = "Journal des accès"


@dataclass(frozen=True)
class WitnessLine:
    status: WitnessStatus
    entries_since: int
    """Entries appended after the size this witness last cosigned."""
    age: str
    """« il y a 3 minutes », or « à l'instant »."""


def _age(moment: datetime, now: datetime) -> str:
    if now - moment < timedelta(minutes=1):
        return "à l'instant"
    with translation.override("fr"):
        return f"il y a {timesince(moment, now)}"


@login_not_required
@require_safe
def journal(request: HttpRequest) -> HttpResponse:
    head = tree_head_current()
    now = timezone.now()
    witnesses = [
        WitnessLine(
            status=status,
            entries_since=head.size - status.latest.tree_size if status.latest else head.size,
            age=_age(status.latest.cosigned_at, now) if status.latest else "",
        )
        for status in witness_statuses(now=now.timestamp())
    ]
    first_tile = None
    if head.size:
        width = min(head.size, TILE_WIDTH)
        first_tile = f"0/{tile_index_path(0)}" + ("" if width == TILE_WIDTH else f".p/{width}")
    return render(
        request,
        "www/journal/journal.html",
        {
            "title": TITLE,
            "breadcrumb_data": {"links": [], "current": TITLE},
            "tree_size": head.size,
            "root_hash": base64.b64encode(head.root_hash).decode(),
            "origin": journal_origin(),
            "vkey": journal_verifier_key(),
            "first_tile": first_tile,
            "witnesses": witnesses,
            "late_after_minutes": WITNESS_LATE_AFTER_SECONDS // 60,
        },
    )
