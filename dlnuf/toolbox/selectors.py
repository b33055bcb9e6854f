from django.db.models import QuerySet

from dlnuf.organisations.models import User
from dlnuf.support.perms import can_work_on_support
from dlnuf.toolbox.models import ToolReport


def tool_reports_for(user: User, *, kind: str = "") -> QuerySet[ToolReport]:
    """The reports a person may read: their own, or every one for the guichet's experts."""
    reports = ToolReport.objects.select_related("created_by", "mission")
    if not can_work_on_support(user):
        reports = reports.filter(created_by=user)
    if kind:
        reports = reports.filter(kind=kind)
    return reports
