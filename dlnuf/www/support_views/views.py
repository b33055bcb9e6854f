"""The guichet's public pages: ask for help with no account, then follow the request.

Nobody signs in here. The form is open to all, behind the robot checks of ``forms.py`` and a
limit per client address. The follow pages open with the signed link sent by e-mail; anything
wrong with the link answers 404, and those pages are kept out of search engines, caches and
Referer headers so that the link does not leak.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dlnuf.support.affiliation import affiliation
from dlnuf.support.emails import french_date
from dlnuf.support.models import (
    Channel,
    MessageKind,
    MissionState,
    SupportAttachment,
    SupportMessage,
    SupportRequest,
)
from dlnuf.support.services import (
    TransitionRefused,
    mission_satisfaction_record,
    support_message_from_requester,
    support_request_create,
)
from dlnuf.support.tokens import follow_token, request_from_follow_token
from dlnuf.www.accounts_views.client import client_ip
from dlnuf.www.support_views.forms import (
    HONEYPOT_FIELD,
    FollowReplyForm,
    SatisfactionForm,
    SupportRequestForm,
    error_summary,
    reusable_started_token,
    started_token,
)
from dlnuf.www.support_views.throttle import submission_give_back, submission_take

VISIBLE_KINDS = (MessageKind.FROM_REQUESTER, MessageKind.TO_REQUESTER)
SENT_SESSION_KEY = "dlnuf_support_sent"
FORM_TITLE = "Demander un accompagnement"


def private_link_page(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Pages whose address is a secret: not indexed, not cached, never sent to another site as a
    Referer (``same-origin`` rather than ``no-referrer``: browsers then keep sending a real
    Origin with the page's own forms, which the CSRF check needs)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return never_cache(wrapped)


# --- asking for help ---------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def support_new(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {
        "title": FORM_TITLE,
        "breadcrumb_data": {"links": [], "current": FORM_TITLE},
        "honeypot_field": HONEYPOT_FIELD,
        "support_address": settings.DLNUF_SUPPORT_ADDRESS,
    }
    if request.method != "POST":
        context["form"] = SupportRequestForm(initial={"started": started_token()})
        return render(request, "www/support/new.html", context)
    address = client_ip(request)
    form = SupportRequestForm(request.POST, request.FILES)
    if not submission_take(client_ip=address):
        form.is_valid()
        context["form"] = _shown_again(form)
        context["throttled"] = True
        return render(request, "www/support/new.html", context, status=429)
    if form.is_valid():
        support_request = support_request_create(
            channel=Channel.FORM,
            values=form.request_values(),
            attachments=form.cleaned_data["attachments"],
        )
        request.session[SENT_SESSION_KEY] = support_request.pk
        return redirect("www:support_sent")
    if not form.is_spam():
        submission_give_back(client_ip=address)
    context["form"] = _shown_again(form)
    context["error_summary"] = error_summary(form)
    context["title"] = f"Erreur : {FORM_TITLE}"
    return render(request, "www/support/new.html", context)


def _shown_again(form: SupportRequestForm) -> SupportRequestForm:
    """The refused form (already validated), ready to be sent again.

    Its time stamp is kept while still valid, so that a quick correction is not taken for a
    robot; the name the SIRET led to fills an empty name field, so the person sees whom the
    guichet will know them as.
    """
    data = form.data.copy()
    data["started"] = reusable_started_token(str(data.get("started", "")))
    if form.found is not None and not str(data.get("organisation_name", "")).strip():
        data["organisation_name"] = form.found.name
    form.data = data
    return form


@login_not_required
@require_GET
@private_link_page
def support_sent(request: HttpRequest) -> HttpResponseBase:
    pk = request.session.get(SENT_SESSION_KEY)
    support_request = SupportRequest.objects.filter(pk=pk).first() if pk else None
    if support_request is None:
        return redirect("www:support_new")
    return render(
        request,
        "www/support/sent.html",
        {
            "title": "Demande envoyée",
            "breadcrumb_data": {
                "links": [{"url": reverse("www:support_new"), "title": FORM_TITLE}],
                "current": "Demande envoyée",
            },
            "support_request": support_request,
            "due": french_date(support_request.first_answer_due),
            # Shown here as well as in the e-mail: this page opens only in the browser session
            # that has just sent the request, and the address may be mistyped.
            "follow_url": reverse(
                "www:support_follow", kwargs={"token": follow_token(support_request)}
            ),
        },
    )


# --- following a request -----------------------------------------------------------------------


def _followed(token: str) -> SupportRequest:
    support_request = request_from_follow_token(token)
    if support_request is None:
        raise Http404("Lien de suivi inconnu, modifié ou révoqué.")
    return support_request


@login_not_required
@require_http_methods(["GET", "POST"])
@private_link_page
def support_follow(request: HttpRequest, token: str) -> HttpResponseBase:
    support_request = _followed(token)
    mission = getattr(support_request, "mission", None)
    satisfaction_open = mission is not None and mission.state == MissionState.CLOSED
    reply_form = FollowReplyForm(prefix="reply")
    satisfaction_form = (
        SatisfactionForm(
            prefix="satisfaction",
            initial={"score": mission.satisfaction, "comment": mission.satisfaction_comment},
        )
        if satisfaction_open and mission is not None
        else None
    )
    here = reverse("www:support_follow", kwargs={"token": token})
    status = 200
    action = request.POST.get("action")
    if request.method == "POST" and action == "reply":
        reply_form = FollowReplyForm(request.POST, request.FILES, prefix="reply")
        if reply_form.is_valid():
            support_message_from_requester(
                request=support_request,
                body=reply_form.cleaned_data["body"],
                author_email=support_request.requester_email,
                attachments=reply_form.cleaned_data["attachments"],
            )
            messages.success(request, "Votre message a été transmis au guichet.")
            return redirect(f"{here}#echanges")
        status = 400
    elif request.method == "POST" and action == "satisfaction" and mission is not None:
        satisfaction_form = SatisfactionForm(request.POST, prefix="satisfaction")
        if satisfaction_form.is_valid():
            try:
                mission_satisfaction_record(
                    mission=mission,
                    score=satisfaction_form.cleaned_data["score"],
                    comment=satisfaction_form.cleaned_data["comment"],
                )
            except TransitionRefused as refused:
                satisfaction_form.add_error(None, refused.message)
            else:
                messages.success(request, "Merci pour votre avis : il a bien été enregistré.")
                return redirect(f"{here}#avis")
        status = 400
    elif request.method == "POST":
        status = 400
    thread = list(
        SupportMessage.objects.filter(request=support_request, kind__in=VISIBLE_KINDS)
        .select_related("author")
        .prefetch_related("attachments")
    )
    initial, exchanges = _split_initial(support_request, thread)
    return render(
        request,
        "www/support/follow.html",
        {
            "title": f"Suivi de la demande {support_request.reference}",
            "breadcrumb_data": {"links": [], "current": f"Demande {support_request.reference}"},
            "support_request": support_request,
            "affiliation": affiliation(support_request.ministry),
            "token": token,
            "initial_message": initial,
            "exchanges": exchanges,
            "mission": mission,
            "reply_form": reply_form,
            "satisfaction_form": satisfaction_form,
            "due": french_date(support_request.first_answer_due),
        },
        status=status,
    )


def _split_initial(
    support_request: SupportRequest, thread: list[SupportMessage]
) -> tuple[SupportMessage | None, list[SupportMessage]]:
    """The message the request was created with (shown with the request), and the rest."""
    if (
        thread
        and thread[0].kind == MessageKind.FROM_REQUESTER
        and thread[0].sent_at == support_request.created_at
    ):
        return thread[0], thread[1:]
    return None, thread


@login_not_required
@require_GET
@private_link_page
def support_follow_attachment(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    support_request = _followed(token)
    attachment = SupportAttachment.objects.filter(
        pk=pk, request=support_request, message__kind__in=VISIBLE_KINDS
    ).first()
    if attachment is None:
        raise Http404("Pièce jointe inconnue.")
    try:
        handle = attachment.file.open("rb")
    except OSError as error:
        raise Http404("Fichier indisponible.") from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
