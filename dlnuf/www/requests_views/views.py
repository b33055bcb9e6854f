"""Pages of the habilitation requests: list, new, form, detail with history, messages and
decisions, attachments. Every object is looked up among those the user may see (404 otherwise);
actions are checked again by the services (403 when the role is missing)."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.selectors import current_terms, use_cases_by_dataset
from dlnuf.habilitations import services
from dlnuf.habilitations.models import AuthorizationRequest, RequestState, RequestTransition
from dlnuf.habilitations.perms import (
    can_edit_request,
    can_post_message,
    can_reveal_credential,
    can_set_subject_visibility,
    can_take,
    has_role_for,
)
from dlnuf.habilitations.selectors import (
    credential_waiting_reveal,
    provider_policy,
    request_history,
    request_missing_information,
    request_thread,
    requests_visible_to,
)
from dlnuf.habilitations.transitions import BUTTON_ACTIONS, TRANSITIONS
from dlnuf.organisations.models import User
from dlnuf.organisations.perms import organisations_of
from dlnuf.www.requests_views.forms import (
    DECISION_FORM_ID,
    MESSAGE_ACTION,
    DecisionForm,
    NewRequestForm,
    RequestForm,
)
from dlnuf.www.requests_views.review_views import commentable_targets, review_context

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
        form = NewRequestForm(
            request.POST,
            datasets=datasets,
            organisations=organisations,
            use_cases=use_cases_by_dataset(datasets),
        )
        if form.is_valid():
            use_case = form.cleaned_data.get("use_case")
            created = services.authorization_request_create(
                organisation=form.cleaned_data["organisation"],
                dataset=form.cleaned_data["dataset"],
                scope_slugs=[],
                created_by=user,
                use_case=use_case,
            )
            messages.success(
                request,
                f"Le brouillon est créé à partir du cas d'usage « {use_case.name} » : vérifiez "
                "et complétez la demande."
                if use_case is not None
                else "Le brouillon est créé : complétez la demande.",
            )
            return redirect("www:request_edit", pk=created.pk)
    else:
        initial: dict[str, Any] = {"organisation": organisations.first()}
        chosen = datasets.filter(slug=request.GET.get("dataset", "")).first()
        if chosen is not None:
            initial["dataset"] = chosen
        form = NewRequestForm(
            initial=initial,
            datasets=datasets,
            organisations=organisations,
            # Arriving from a dataset's page, only that dataset's use cases make sense.
            use_cases=use_cases_by_dataset([chosen] if chosen is not None else datasets),
        )
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
        "terms": current_terms(item.dataset),
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
    if form.terms is not None:
        try:
            saved = services.authorization_request_accept_terms(
                request=saved, actor=user, version=form.accepted_terms()
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("accept_terms", message)
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
    item = _visible(request, pk)
    if request.method == "POST":
        return _decide(request, item, request.POST.get("action", ""))
    return _detail_page(request, item, _decision_form(_user(request), item))


def _detail_page(
    request: HttpRequest, item: AuthorizationRequest, form: DecisionForm | None
) -> HttpResponse:
    user = _user(request)
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
            "can_set_subject_visibility": habilitation is not None
            and habilitation.is_active()
            and can_set_subject_visibility(user, habilitation),
            "missing": request_missing_information(item) if can_edit_request(user, item) else [],
            "decision_note": _decision_note(item),
            "history": [(row, TRANSITIONS[row.action].past) for row in request_history(item)],
            "thread": request_thread(item),
            "decision_form": form,
            "decision_form_id": DECISION_FORM_ID,
            "decision_buttons": [TRANSITIONS[action] for action in form.actions] if form else [],
            "amendments": habilitation.amendments.order_by("-pk") if habilitation else [],
            "requires_security_approval": provider_policy(
                item.dataset.provider
            ).requires_security_approval,
            **review_context(user, item),
        },
    )


def _decision_note(item: AuthorizationRequest) -> RequestTransition | None:
    """The instructor's comment that led to the current state, when it asks something of the
    applicant or explains a refusal."""
    if item.state not in NOTED_STATES:
        return None
    return item.transitions.filter(to_state=item.state).exclude(comment="").last()


def _decision_form(
    user: User, item: AuthorizationRequest, data: Any = None, action: str = ""
) -> DecisionForm | None:
    """The page's single form, or None when the person may neither write nor act."""
    actions = [name for name in BUTTON_ACTIONS if can_take(user, name, item)]
    can_message = can_post_message(user, item)
    if not actions and not can_message:
        return None
    return DecisionForm(
        data,
        request_object=item,
        actions=actions,
        can_message=can_message,
        comment_targets=commentable_targets(item),
        action=action,
    )


def _decide(request: HttpRequest, item: AuthorizationRequest, action: str) -> HttpResponse:
    """Apply the button pressed; when refused, show the page again with everything typed."""
    user = _user(request)
    if action == MESSAGE_ACTION:
        if not can_post_message(user, item):
            raise PermissionDenied("Vous ne pouvez pas écrire sur cette demande.")
    elif action not in BUTTON_ACTIONS:
        raise Http404("Action inconnue.")
    elif not has_role_for(user, action, item):
        raise PermissionDenied(f"L'action « {TRANSITIONS[action].label} » ne vous est pas ouverte.")
    form = _decision_form(user, item, request.POST, action)
    assert form is not None
    if not form.is_valid():
        messages.error(request, "Rien n'est envoyé : corrigez ce qui est signalé ci-dessous.")
        return _detail_page(request, item, form)
    comment = form.cleaned_data.get("comment", "")
    try:
        outcome = _apply(action, item, user, comment, form)
    except services.TransitionRefused as refused:
        for problem in [refused.message, *refused.problems]:
            form.add_error(None, problem)
        return _detail_page(request, item, form)
    except ValidationError as error:
        for problem in error.messages:
            form.add_error(None, problem)
        return _detail_page(request, item, form)
    if action == MESSAGE_ACTION:
        messages.success(request, "Message envoyé.")
        return redirect(reverse("www:request_detail", args=[item.pk]) + "#messages")
    messages.success(request, f"{TRANSITIONS[action].past}.")
    return redirect("www:request_detail", pk=outcome.pk)


@require_POST
def request_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _decide(request, _visible(request, pk), action)


def _apply(
    action: str,
    item: AuthorizationRequest,
    user: User,
    comment: str,
    form: DecisionForm,
) -> AuthorizationRequest:
    if action == MESSAGE_ACTION:
        services.request_message_post(request=item, author=user, body=comment)
        return item
    if action == "request_changes":
        return services.authorization_request_request_changes(
            request=item, actor=user, comment=comment, field_comments=form.field_comments()
        )
    simple: dict[str, Callable[..., AuthorizationRequest]] = {
        "submit": services.authorization_request_submit,
        "request_production": services.authorization_request_request_production,
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
        scope_slugs=[scope.slug for scope in form.cleaned_data["scopes"]],
        term_months=form.cleaned_data["term_months"],
        comment=comment,
    )


@require_POST
def request_message(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, _visible(request, pk), MESSAGE_ACTION)


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
