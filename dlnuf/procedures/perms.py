"""Who may see and change a procedure: the applicants of its organisation; guichet experts and
administrators read every procedure but change none."""

from dlnuf.organisations.perms import AnyUser, is_applicant_for, sees_everything
from dlnuf.procedures.models import Procedure


def can_view_procedure(user: AnyUser, procedure: Procedure) -> bool:
    return can_edit_procedure(user, procedure) or sees_everything(user)


def can_edit_procedure(user: AnyUser, procedure: Procedure) -> bool:
    return is_applicant_for(user, procedure.organisation)
