"""The knowledge base of experience sharing: problems met and solutions used.

Each closed mission and each diagnosed procedure gives one entry, rebuilt when its source changes.
"""

from django.db import transaction
from django.utils import timezone

from dlnuf.support.models import KnowledgeEntry, KnowledgeSource, Mission


@transaction.atomic
def knowledge_entry_sync_mission(*, mission: Mission) -> KnowledgeEntry:
    """Write (or rewrite) the entry of a closed mission."""
    request = mission.request
    entry, _ = KnowledgeEntry.objects.update_or_create(
        mission=mission,
        defaults={
            "source": KnowledgeSource.MISSION,
            "organisation_name": request.administration,
            "contact_name": mission.project_lead_name or request.requester_name,
            "contact_email": mission.project_lead_email or request.requester_email,
            "title": mission.title,
            "problem": mission.problem or f"{request.context}\n\n{request.need}".strip(),
            "solution": mission.solution or mission.closing_summary,
            "dataset_slugs": sorted(mission.datasets.values_list("slug", flat=True)),
            "updated_at": timezone.now(),
        },
    )
    return entry
