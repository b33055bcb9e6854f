"""A consultation to report: an entry about Marie by the city of Lyon, under a habilitation
whose request names a data protection officer."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import AuthorizationRequest, Habilitation, RequestState
from dlnuf.organisations.models import User
from dlnuf.outbox.models import OutgoingEmail
from tests.people.access_world import MARIE, PAUL, habilitation, organisations, record

DPO_EMAIL = "dpo@mairie-lyon.fr"


@dataclass
class ReportWorld:
    grant: Habilitation
    marie_entry: int
    paul_entry: int
    # An entry about Marie under a habilitation whose request names no data protection officer.
    without_dpo_entry: int


def report_world() -> ReportWorld:
    catalogue_load()
    lyon, paris = organisations()
    grant = habilitation(lyon)
    author = User.objects.create_user(username="agent", email="agent@mairie-lyon.fr")
    AuthorizationRequest.objects.create(
        organisation=lyon,
        dataset=grant.dataset,
        created_by=author,
        state=RequestState.VALIDATED,
        decided_at=timezone.now(),
        habilitation=grant,
        dpo_name="Dominique Protection",
        dpo_email=DPO_EMAIL,
    )
    silent = habilitation(paris)
    yesterday = timezone.now() - timedelta(days=1)
    return ReportWorld(
        grant=grant,
        marie_entry=record(MARIE, occurred_at=yesterday, grant=grant, object="Dossier CANT-42"),
        paul_entry=record(PAUL, occurred_at=yesterday, grant=grant),
        without_dpo_entry=record(MARIE, occurred_at=yesterday, grant=silent),
    )


def outbox_to(address: str) -> list[OutgoingEmail]:
    return [mail for mail in OutgoingEmail.objects.order_by("pk") if address in mail.to]
