from dlnuf.organisations.perms import AnyUser, is_administrator
from dlnuf.outbox.models import EmailStatus, OutgoingEmail


def can_read_outbox(user: AnyUser) -> bool:
    """E-mails hold requesters' addresses and messages: administrators only."""
    return is_administrator(user)


def can_resend(user: AnyUser, email: OutgoingEmail) -> bool:
    return can_read_outbox(user) and email.status == EmailStatus.FAILED
