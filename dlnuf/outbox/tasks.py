"""Delivery of the outbox by the background worker (``manage.py db_worker``)."""

from django_tasks import task

from dlnuf.outbox.services import outgoing_email_deliver


@task()
def deliver_outgoing_email(email_id: int) -> None:
    retry_at = outgoing_email_deliver(email_id=email_id)
    # A backend that cannot defer (the immediate one) leaves the retry to ``send_outbox``.
    if retry_at is not None and deliver_outgoing_email.get_backend().supports_defer:
        deliver_outgoing_email.using(run_after=retry_at).enqueue(email_id)
