"""Who may use the toolbox and read its reports.

Every signed-in agent may run a tool for their own project and reads their own reports; the
guichet's experts and administrators read every report and attach reports to missions.
"""

from dlnuf.organisations.perms import AnyUser
from dlnuf.support.perms import can_work_on_support
from dlnuf.toolbox.models import ToolReport


def can_use_toolbox(user: AnyUser) -> bool:
    return bool(user.is_authenticated)


def can_read_report(user: AnyUser, report: ToolReport) -> bool:
    return bool(user.is_authenticated) and (
        report.created_by_id == user.pk or can_work_on_support(user)
    )


def can_attach_to_mission(user: AnyUser) -> bool:
    return can_work_on_support(user)
