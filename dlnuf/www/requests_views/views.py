"""Pages of the habilitation requests: list, new, form, detail with history, messages and
decisions, attachments. Every object is looked up among those the user may see (404 otherwise);
actions are checked again by the services (403 when the role is missing)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations import services
from dlnuf.habilitations.models import AuthorizationRequest, RequestState, RequestTransition
from dlnuf.habilitations.perms import (
    can_edit_request,
    can_post_message,
    can_reveal_credential,
    can_take,
    has_role_for,
)
from dlnuf.habilitations.selectors import (
    credential_waiting_reveal,
    provider_policy,
    request_history,
    request_missing_information,
    request_thread,
    requests_to_decide,
    requests_visible_to,
)
from dlnuf.habilitations.transitions import BUTTON_ACTIONS, TRANSITIONS
from dlnuf.organisations.models import User
from dlnuf.organisations.perms import organisations_of
from dlnuf.www.requests_views.forms import (
    DecisionForm,
    MessageForm,
    NewRequestForm,
    RequestForm,
    ValidationForm,
)

PAGE_SIZE = 25
STATE_BADGES = {
    RequestState.DRAFT: "fr-badge--new",
    RequestState.SUBMITTED: "fr-badge--info",
    RequestState.CHANGES_REQUESTED: "fr-badge--warning",
    RequestState.SANDBOX_VALIDATED: "fr-badge--info",
    RequestState.VALIDATED: "fr-badge--success",
    RequestState.REFUSED: "fr-badge--error",
    RequestState.REVOKED: "fr-badge--error",
    RequestState.SUPERSEDED: "fr-badge--no-icon",
}
NOTED_STATES = {RequestState.CHANGES_REQUESTED, RequestState.REFUSED, RequestState.REVOKED}
DOCUMENTS = {
    "cadre-juridique": ("legal_basis_document", "legal_basis_document_name"),
    "homologation": ("security_approval_document", "security_approval_document_name"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _visible(request: HttpRequest, pk: int) -> AuthorizationRequest:
    return get_object_or_404(requests_visible_to(_user(request)), pk=pk)


def _breadcrumb(current: str, *links: tuple[str, str]) -> dict[str, Any]:
    return {
        "links": [{"url": url, "title": title} for url, title in links],
        "current": current,
    }


def _requests_link() -> tuple[str, str]:
    return (reverse("www:requests"), "Habilitations")


def badge_class(state: str) -> str:
    return STATE_BADGES.get(RequestState(state), "")


def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    state = request.GET.get("etat", "")
    visible = requests_visible_to(user).order_by("-updated_at", "-pk")
    if state in RequestState.values:
        visible = visible.filter(state=state)
    page = Paginator(visible, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "www/requests/list.html",
        {
            "title": "Demandes d'habilitation",
            "breadcrumb_data": _breadcrumb("Habilitations"),
            "page_obj": page,
            "rows": [(item, badge_class(item.state)) for item in page],
            "to_decide": [(item, badge_class(item.state)) for item in requests_to_decide(user)],
            "states": RequestState.choices,
            "selected_state": state,
            "can_create": organisations_of(user).exists(),
        },
    )


def _requestable_datasets() -> QuerySet[Dataset]:
    return Dataset.objects.filter(is_active=True).select_related("provider").order_by("title")


def request_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organisations = organisations_of(user).order_by("name")
    if not organisations.exists():
        raise PermissionDenied(
            "Seuls les demandeurs d'une organisation peuvent demander une habilitation."
        )
    datasets = _requestable_datasets()
    if request.method == "POST":
        form = NewRequestForm(request.POST, datasets=datasets, organisations=organisations)
        if form.is_valid():
            created = services.authorization_request_create(
                organisation=form.cleaned_data["organisation"],
                dataset=form.cleaned_data["dataset"],
                scope_slugs=[],
                created_by=user,
            )
            messages.success(request, "Le brouillon est créé : complétez la demande.")
            return redirect("www:request_edit", pk=created.pk)
    else:
        initial: dict[str, Any] = {"organisation": organisations.first()}
        chosen = datasets.filter(slug=request.GET.get("dataset", "")).first()
        if chosen is not None:
            initial["dataset"] = chosen
        form = NewRequestForm(initial=initial, datasets=datasets, organisations=organisations)
    return render(
        request,
        "www/requests/new.html",
        {
            "title": "Nouvelle demande d'habilitation",
            "breadcrumb_data": _breadcrumb("Nouvelle demande", _requests_link()),
            "form": form,
        },
    )


def request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    item = _visible(request, pk)
    if not can_edit_request(user, item):
        raise PermissionDenied("Cette demande ne peut pas être modifiée.")
    policy = provider_policy(item.dataset.provider)
    form_options: dict[str, Any] = {
        "request_object": item,
        "requires_security_approval": policy.requires_security_approval,
        "sandbox_stage_locked": policy.requires_sandbox_stage or item.amends_id is not None,
    }
    problems: list[str] = []
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, **form_options)
        if form.is_valid():
            outcome = _save_request(request, item, form)
            if outcome is None:
                return redirect("www:request_detail", pk=item.pk)
            problems = outcome
        else:
            for name in form.lost_uploads():
                form.add_error(
                    None,
                    f"Le fichier « {name} » n'a pas été enregistré à cause des erreurs "
                    "ci-dessous : joignez-le de nouveau après les avoir corrigées.",
                )
            messages.error(request, "La demande n'est pas enregistrée : corrigez les erreurs.")
    else:
        form = RequestForm(**form_options)
    return render(
        request,
        "www/requests/edit.html",
        {
            "title": f"Modifier la demande n° {item.pk}",
            "breadcrumb_data": _breadcrumb(
                "Modifier",
                _requests_link(),
                (reverse("www:request_detail", args=[item.pk]), f"Demande n° {item.pk}"),
            ),
            "item": item,
            "form": form,
            "problems": problems,
        },
    )


def _save_request(
    request: HttpRequest, item: AuthorizationRequest, form: RequestForm
) -> list[str] | None:
    """Save the form, and submit when asked; returns what blocks submission, or None."""
    user = _user(request)
    values = {
        name: form.cleaned_data[name]
        for name in services.EDITABLE_FIELDS
        if name in form.cleaned_data and not form.fields[name].disabled
    }
    try:
        saved = services.authorization_request_update(
            request=item,
            actor=user,
            values=values,
            scope_slugs=[scope.slug for scope in form.cleaned_data["scopes"]],
            legal_basis_document=form.cleaned_data.get("legal_basis_upload"),
            security_approval_document=form.cleaned_data.get("security_approval_upload"),
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return []
    if "submit" not in request.POST:
        messages.success(request, "Le brouillon est enregistré.")
        return None
    try:
        services.authorization_request_submit(request=saved, actor=user)
    except services.TransitionRefused as refused:
        messages.warning(
            request,
            "Le brouillon est enregistré, mais " + refused.message[0].lower() + refused.message[1:],
        )
        return refused.problems or [refused.message]
    messages.success(request, "La demande est soumise aux instructeurs.")
    return None


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    item = _visible(request, pk)
    actions = [action for action in BUTTON_ACTIONS if can_take(user, action, item)]
    decision_forms = [(TRANSITIONS[action], _decision_form(action, item)) for action in actions]
    habilitation = item.habilitation
    credentials = []
    if habilitation is not None:
        credentials = [
            (
                credential,
                credential_waiting_reveal(credential) and can_reveal_credential(user, credential),
            )
            for credential in habilitation.credentials.order_by("environment", "-created_at")
        ]
    return render(
        request,
        "www/requests/detail.html",
        {
            "title": f"Demande n° {item.pk} — {item.dataset.title}",
            "breadcrumb_data": _breadcrumb(f"Demande n° {item.pk}", _requests_link()),
            "item": item,
            "badge": badge_class(item.state),
            "scopes": item.requested_scopes.order_by("position", "slug"),
            "granted_scopes": habilitation.scopes.order_by("position", "slug")
            if habilitation
            else [],
            "credentials": credentials,
            "can_edit": can_edit_request(user, item),
            "missing": request_missing_information(item) if can_edit_request(user, item) else [],
            "decision_note": _decision_note(item),
            "history": [(row, TRANSITIONS[row.action].past) for row in request_history(item)],
            "thread": request_thread(item),
            "message_form": MessageForm() if can_post_message(user, item) else None,
            "decision_forms": decision_forms,
            "amendments": habilitation.amendments.order_by("-pk") if habilitation else [],
            "requires_security_approval": provider_policy(
                item.dataset.provider
            ).requires_security_approval,
        },
    )


def _decision_note(item: AuthorizationRequest) -> RequestTransition | None:
    """The instructor's comment that led to the current state, when it asks something of the
    applicant or explains a refusal."""
    if item.state not in NOTED_STATES:
        return None
    return item.transitions.filter(to_state=item.state).exclude(comment="").last()


def _decision_form(action: str, item: AuthorizationRequest, data: Any = None) -> DecisionForm:
    if action in {"validate", "validate_sandbox"}:
        return ValidationForm(data, action=action, comment_required=False, request_object=item)
    return DecisionForm(data, action=action, comment_required=TRANSITIONS[action].comment_required)


@require_POST
def request_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    item = _visible(request, pk)
    if action not in BUTTON_ACTIONS:
        raise Http404("Action inconnue.")
    transition = TRANSITIONS[action]
    if not has_role_for(user, action, item):
        raise PermissionDenied(f"L'action « {transition.label} » ne vous est pas ouverte.")
    form = _decision_form(action, item, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{transition.label} : {error}")
        return redirect("www:request_detail", pk=item.pk)
    comment = form.cleaned_data.get("comment", "")
    try:
        outcome = _apply(action, item, user, comment, form.cleaned_data)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
        for problem in refused.problems:
            messages.error(request, problem)
        return redirect("www:request_detail", pk=item.pk)
    messages.success(request, f"{transition.past}.")
    return redirect("www:request_detail", pk=outcome.pk)


def _apply(
    action: str,
    item: AuthorizationRequest,
    user: User,
    comment: str,
    cleaned: dict[str, Any],
) -> AuthorizationRequest:
    simple: dict[str, Callable[..., AuthorizationRequest]] = {
        "submit": services.authorization_request_submit,
        "request_production": services.authorization_request_request_production,
        "request_changes": services.authorization_request_request_changes,
        "refuse": services.authorization_request_refuse,
        "revoke": services.authorization_request_revoke,
        "reopen": services.authorization_request_reopen,
    }
    if action in simple:
        return simple[action](request=item, actor=user, comment=comment)
    validate = (
        services.authorization_request_validate
        if action == "validate"
        else services.authorization_request_validate_sandbox
    )
    return validate(
        request=item,
        actor=user,
        scope_slugs=[scope.slug for scope in cleaned["scopes"]],
        term_months=cleaned["term_months"],
        comment=comment,
    )


@require_POST
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    item = _visible(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        services.request_message_post(request=item, author=user, body=form.cleaned_data["body"])
        messages.success(request, "Message envoyé.")
    else:
        for error in form.errors.get("body", []):
            messages.error(request, error)
    return redirect(reverse("www:request_detail", args=[item.pk]) + "#messages")


def request_attachment(request: HttpRequest, pk: int, document: str) -> FileResponse:
    item = _visible(request, pk)
    if document not in DOCUMENTS:
        raise Http404("Pièce inconnue.")
    file_attribute, name_attribute = DOCUMENTS[document]
    stored = getattr(item, file_attribute)
    if not stored:
        raise Http404("Aucune pièce jointe.")
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=getattr(item, name_attribute) or "document.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
