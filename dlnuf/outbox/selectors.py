from django.db.models import Count, QuerySet
from django.utils import timezone

from dlnuf.outbox.models import EmailStatus, OutgoingEmail
from dlnuf.outbox.services import claimable


def outgoing_emails_due() -> QuerySet[OutgoingEmail]:
    return OutgoingEmail.objects.filter(claimable(timezone.now())).order_by("next_attempt_at")


def outgoing_emails_recent(*, limit: int) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.order_by("-created_at", "-pk")[:limit])


def outgoing_email_counts() -> dict[str, int]:
    counts = dict(
        OutgoingEmail.objects.values_list("status").annotate(total=Count("pk")).order_by()
    )
    return {status: counts.get(status, 0) for status in EmailStatus.values}
