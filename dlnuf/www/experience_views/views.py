"""Experience sharing: the knowledge base, the past cases close to a request, introductions.

Guichet experts and administrators only (403 for everybody else), except the answer page of an
introduction, which each side opens from its signed link without an account. The knowledge
base is brought up to date (``knowledge_sync_stale``) whenever one of the expert pages opens.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dlnuf.organisations.models import User
from dlnuf.support.introductions import (
    Side,
    answered_at,
    introduction_from_token,
    introduction_propose,
    other_side,
    without_contact_details,
    wording,
)
from dlnuf.support.introductions import introduction_consent as consent
from dlnuf.support.knowledge import knowledge_entries, knowledge_outcome, knowledge_sync_stale
from dlnuf.support.models import (
    Introduction,
    IntroductionState,
    KnowledgeEntry,
    SupportRequest,
)
from dlnuf.support.perms import can_work_on_support
from dlnuf.support.services import TransitionRefused
from dlnuf.support.similarity import (
    METHOD_MODEL,
    Match,
    has_meaningful_words,
    request_text,
    similar_cases,
    similar_to_text,
    similarity_method,
)
from dlnuf.www.experience_views.forms import IntroductionForm, KnowledgeSearchForm

SIMILAR_LIMIT = 5
SEARCH_LIMIT = 10
CASE_FIELD = "cas"


def _expert(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not can_work_on_support(user):
        raise PermissionDenied("Le partage d'expérience est réservé aux experts du guichet.")
    return user


def _breadcrumb(current: str, *, in_list: bool = True) -> dict[str, Any]:
    links = [{"url": reverse("www:desk"), "title": "Guichet"}]
    if in_list:
        links.append({"url": reverse("www:experience_list"), "title": "Partage d'expérience"})
    return {"links": links, "current": current}


def experience_list(request: HttpRequest) -> HttpResponse:
    _expert(request)
    knowledge_sync_stale()
    form = KnowledgeSearchForm(request.GET or None)
    context: dict[str, Any] = {
        "title": "Partage d'expérience",
        "breadcrumb_data": _breadcrumb("Partage d'expérience", in_list=False),
        "form": form,
        "results": None,
        "meaningless": False,
        "method": None,
        "method_model": METHOD_MODEL,
    }
    if form.is_bound and not form.is_valid():
        context["entries"] = list(knowledge_entries())
        return render(request, "www/experience/list.html", context, status=400)
    query = form.cleaned_data["q"].strip() if form.is_bound else ""
    source = form.cleaned_data["source"] if form.is_bound else ""
    if query:
        matches = similar_to_text(query, limit=SEARCH_LIMIT, source=source)
        context["results"] = [_result(match) for match in matches]
        context["meaningless"] = not has_meaningful_words(query)
        context["method"] = similarity_method()
    else:
        context["entries"] = list(knowledge_entries(source=source))
    return render(request, "www/experience/list.html", context)


@require_http_methods(["GET", "POST"])
def experience_similar(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _expert(request)
    support_request = get_object_or_404(
        SupportRequest.objects.select_related("organisation"), pk=pk
    )
    knowledge_sync_stale()
    posted: tuple[int, IntroductionForm] | None = None
    if request.method == "POST":
        case_pk = request.POST.get(CASE_FIELD, "")
        if not case_pk.isdigit():
            return HttpResponse(
                "Cas inconnu.", status=400, content_type="text/plain; charset=utf-8"
            )
        entry = get_object_or_404(KnowledgeEntry, pk=int(case_pk))
        form = IntroductionForm(request.POST, prefix=f"{CASE_FIELD}-{entry.pk}")
        if form.is_valid():
            try:
                introduction_propose(
                    request=support_request,
                    knowledge=entry,
                    actor=actor,
                    reason=form.cleaned_data["reason"],
                )
            except TransitionRefused as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    f"Mise en relation proposée avec {entry.organisation_name} : chaque partie "
                    "a reçu son lien pour répondre.",
                )
                url = reverse("www:experience_similar", kwargs={"pk": support_request.pk})
                return redirect(url + "#mises-en-relation")
        posted = (entry.pk, form)
    matches = similar_cases(support_request, limit=SIMILAR_LIMIT)
    introductions = list(
        support_request.introductions.select_related("knowledge", "proposed_by").order_by(
            "-proposed_at", "-pk"
        )
    )
    proposed = {introduction.knowledge_id: introduction for introduction in introductions}
    rows = [_match_row(match, proposed, posted) for match in matches]
    if posted is not None and posted[0] not in {match.entry.pk for match in matches}:
        # The case left the top of the list meanwhile: its errors are shown at the top.
        for problem in posted[1].errors.get("__all__", []) + posted[1].errors.get("reason", []):
            messages.error(request, problem)
    title = f"Expériences similaires à la demande {support_request.reference}"
    return render(
        request,
        "www/experience/similar.html",
        {
            "title": title,
            "breadcrumb_data": _breadcrumb(f"Demande {support_request.reference}"),
            "item": support_request,
            "rows": rows,
            "meaningless": not has_meaningful_words(request_text(support_request)),
            "method": matches[0].method if matches else similarity_method(),
            "method_model": METHOD_MODEL,
            "introductions": introductions,
            "case_field": CASE_FIELD,
        },
        status=400 if posted is not None else 200,
    )


def _match_row(
    match: Match,
    proposed: dict[int, Introduction],
    posted: tuple[int, IntroductionForm] | None,
) -> dict[str, Any]:
    entry = match.entry
    introduction = proposed.get(entry.pk)
    if posted is not None and posted[0] == entry.pk:
        form, show_form = posted[1], True
    else:
        show_form = introduction is None and bool(entry.contact_email)
        reason = "Vos deux administrations ont rencontré un problème proche."
        if match.reasons:
            reason += " " + " ; ".join(match.reasons) + "."
        form = IntroductionForm(prefix=f"{CASE_FIELD}-{entry.pk}", initial={"reason": reason})
    return {
        **_result(match),
        "introduction": introduction,
        "form": form,
        "show_form": show_form,
    }


def _result(match: Match) -> dict[str, Any]:
    return {"match": match, "outcome": str(knowledge_outcome(match.entry))}


@login_not_required
@require_http_methods(["GET", "POST"])
def introduction_consent(request: HttpRequest, token: str) -> HttpResponse:
    found = introduction_from_token(token)
    if found is None:
        raise Http404("Lien inconnu ou expiré")
    introduction, side = found
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision not in {"accepter", "decliner"}:
            return HttpResponse(
                "Réponse inconnue.", status=400, content_type="text/plain; charset=utf-8"
            )
        try:
            answered = consent(introduction=introduction, side=side, agreed=decision == "accepter")
        except TransitionRefused as error:
            messages.error(request, error.message)
        else:
            if answered.state == IntroductionState.ACCEPTED:
                messages.success(
                    request,
                    "Merci, votre accord est enregistré. Les deux parties ont accepté : les "
                    "coordonnées de chacune viennent d'être envoyées à l'autre par courriel.",
                )
            elif decision == "accepter":
                messages.success(
                    request,
                    "Merci, votre accord est enregistré. Vous recevrez les coordonnées par "
                    "courriel dès que l'autre partie aura accepté.",
                )
            else:
                messages.success(
                    request, "Votre refus est enregistré : aucune coordonnée ne sera transmise."
                )
        return redirect("www:introduction_consent", token=token)
    return render(
        request,
        "www/experience/consent.html",
        {
            "title": "Proposition de mise en relation",
            "breadcrumb_data": {"links": [], "current": "Proposition de mise en relation"},
            "introduction": introduction,
            "other": other_side(introduction, side),
            "wording": wording(introduction),
            "reason": without_contact_details(introduction.reason),
            "is_requester": side == Side.REQUESTER,
            "answered_at": answered_at(introduction, side),
        },
    )
