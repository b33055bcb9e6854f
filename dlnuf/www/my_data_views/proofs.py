"""The proof of one access of « Mes données »: its inclusion-proof bundle, as a download."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from dlnuf.habilitations.models import Habilitation
from dlnuf.journal.bundles import inclusion_bundle_bytes
from dlnuf.journal.errors import JournalIntegrityError
from dlnuf.journal.models import JournalEntry
from dlnuf.people.accesses import accesses_visible
from dlnuf.people.viewers import company_viewers, person_viewer


def _visible_entry(request: HttpRequest, index: int) -> tuple[JournalEntry, bool]:
    """The entry and whether its case reference may be shown; 404 when the viewer may not see it.

    Someone else's entry and an entry still deferred by its habilitation answer the same 404, so
    that neither whether it exists nor whether it is deferred leaks.
    """
    person = person_viewer(request)
    viewers = [person] if person is not None else company_viewers(request)
    now = timezone.now()
    for viewer in viewers:
        entry = accesses_visible(viewer, now=now).filter(index=index).first()
        if entry is not None:
            case_reference_shown = (
                entry.habilitation_id is not None
                and Habilitation.objects.filter(
                    pk=entry.habilitation_id, subject_sees_case_reference=True
                ).exists()
            )
            return entry, case_reference_shown
    raise Http404


@login_not_required
@require_safe
def proof(request: HttpRequest, index: int) -> HttpResponse:
    entry, case_reference_shown = _visible_entry(request, index)
    try:
        body = inclusion_bundle_bytes(entry, withhold_case_reference=not case_reference_shown)
    except JournalIntegrityError:
        return HttpResponse(
            "Preuve indisponible : le journal des accès est en cours de vérification.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="preuve-consultation-{index}.json"'
    # About one person: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
