"""Who may do what at the guichet.

Guichet experts and administrators work on every request, mission and irritant. Requesters have
no account: they reach their own request only through its signed follow link (``tokens.py``).
Other people of the portal see nothing of the desk.
"""

from dlnuf.organisations.perms import AnyUser, is_administrator, is_expert


def can_work_on_support(user: AnyUser) -> bool:
    return is_expert(user) or is_administrator(user)
