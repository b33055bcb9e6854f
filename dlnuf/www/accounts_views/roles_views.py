"""Roles administration: administrators find a person, then grant or withdraw their roles."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dlnuf.organisations.models import Membership, Role, User
from dlnuf.organisations.perms import can_manage_roles
from dlnuf.organisations.selectors import memberships_of, role_changes_of, users_search
from dlnuf.organisations.services import (
    membership_grant,
    membership_revoke,
    organisation_get_or_create,
)
from dlnuf.www.accounts_views.forms import RoleGrantForm, UserSearchForm

USERS_PER_PAGE = 25


def _administrator(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_manage_roles(user):
        raise PermissionDenied("Seuls les administrateurs du guichet gèrent les rôles.")
    return user


def _roles_breadcrumb(current: str) -> dict[str, Any]:
    return {"links": [{"url": reverse("www:user_list"), "title": "Rôles"}], "current": current}


@require_http_methods(["GET"])
def user_list(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    form = UserSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(users_search(query=query), USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "www/accounts/user_list.html",
        {
            "title": "Rôles des utilisateurs",
            "breadcrumb_data": {"links": [], "current": "Rôles"},
            "form": form,
            "query": query,
            "page_obj": page,
        },
    )


def _grant_target(form: RoleGrantForm) -> dict[str, Any]:
    role = Role(form.cleaned_data["role"])
    if role == Role.APPLICANT:
        return {"organisation": organisation_get_or_create(siret=form.cleaned_data["siret"])}
    if role in (Role.INSTRUCTOR, Role.REPORTER):
        return {"provider": form.cleaned_data["provider"]}
    return {}


@require_http_methods(["GET", "POST"])
def user_roles(request: HttpRequest, pk: int) -> HttpResponse:
    administrator = _administrator(request)
    person = get_object_or_404(User, pk=pk)
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = membership_grant(
                user=person,
                role=Role(form.cleaned_data["role"]),
                granted_by=administrator,
                comment=form.cleaned_data["comment"],
                **_grant_target(form),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{person} a le rôle « {_describe(membership)} ».")
            return redirect("www:user_roles", pk=person.pk)
    return render(
        request,
        "www/accounts/user_roles.html",
        {
            "title": f"Rôles de {person}",
            "breadcrumb_data": _roles_breadcrumb(str(person)),
            "person": person,
            "memberships": memberships_of(person),
            "role_changes": role_changes_of(person)[:50],
            "form": form,
        },
    )


def _describe(membership: Membership) -> str:
    target = membership.organisation or membership.provider
    role = membership.get_role_display()
    return f"{role} — {target}" if target else role


@require_POST
def membership_withdraw(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    administrator = _administrator(request)
    membership = get_object_or_404(Membership, pk=membership_pk, user_id=pk)
    try:
        membership_revoke(
            membership=membership,
            revoked_by=administrator,
            comment=request.POST.get("comment", "")[:500],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Rôle « {_describe(membership)} » retiré à {membership.user}.")
    return redirect("www:user_roles", pk=pk)
