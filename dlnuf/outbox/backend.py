"""Django's e-mail backend for the whole product: ``send()`` stores, the worker delivers.

Rows are written in the caller's transaction, and their delivery is enqueued once it commits: an
e-mail goes out if and only if what it announces was saved. The transport that really sends is
``DLNUF_EMAIL_DELIVERY_BACKEND``.
"""

from collections.abc import Sequence
from functools import partial

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from dlnuf.outbox.services import outgoing_emails_store
from dlnuf.outbox.tasks import deliver_outgoing_email


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        rows = outgoing_emails_store(messages=email_messages)
        for row in rows:
            transaction.on_commit(partial(deliver_outgoing_email.enqueue, row.pk))
        return len(rows)
