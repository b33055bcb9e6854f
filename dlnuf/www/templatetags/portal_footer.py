import logging

from django import template
from django.db import DatabaseError

from dlnuf.toolbox.accessibility.portal import portal_accessibility_status
from dlnuf.toolbox.accessibility.scoring import NOT_AT_ALL

register = template.Library()
logger = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def accessibility_status(context: template.Context) -> str:
    """The portal's status as its statement gives it. The server error page is rendered without
    a request and must not touch the database, which may be what failed: it keeps the wording
    that never claims too much."""
    if "request" not in context:
        return NOT_AT_ALL
    try:
        return portal_accessibility_status()
    except DatabaseError:
        # An error page must still render when the database cannot answer (or is not
        # migrated yet); the footer then says what it can prove, and the failure is logged.
        logger.warning("Accessibility status unreadable: the footer says « non conforme ».")
        return NOT_AT_ALL
