"""The public catalogue: search, one page per dataset, supporting document, provider and public
API. Every page here is readable without signing in."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from dlnuf.catalogue.examples import RECIPIENT_PLACEHOLDER, call_examples, outcome_label
from dlnuf.catalogue.models import Dataset, TermsVersion
from dlnuf.catalogue.selectors import (
    catalogue_entries,
    catalogue_facets,
    catalogue_search,
    contact_links,
    current_terms,
    dataset_changes,
    dataset_for_page,
    provider_for_page,
    public_api_for_page,
    supporting_document_for_page,
    supporting_documents_replaced,
    terms_version,
    use_cases_for,
)
from dlnuf.catalogue.status import dataset_live_status
from dlnuf.organisations.perms import organisations_of
from dlnuf.sandbox.cases import sandbox_identities
from dlnuf.www.catalogue_views.forms import CatalogueSearchForm

PAGE_SIZE = 20


def _breadcrumb(current: str, *links: tuple[str, str]) -> dict[str, Any]:
    return {
        "links": [
            {"url": reverse("www:catalogue"), "title": "Catalogue des données"},
            *({"url": url, "title": title} for url, title in links),
        ],
        "current": current,
    }


def _optional_url(name: str, **query: str) -> str | None:
    """The URL of a page another part of the portal may not provide in this deployment."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query)}" if query else url


@login_not_required
def catalogue(request: HttpRequest) -> HttpResponse:
    entries = catalogue_entries()
    form = CatalogueSearchForm(request.GET or None, facets=catalogue_facets(entries))
    results = catalogue_search(entries, form.catalogue_query())
    paginator = Paginator(results, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.pages_list = list(  # type: ignore[attr-defined]  # read by the pagination template
        paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    kept = request.GET.copy()
    kept.pop("page", None)
    count = paginator.count
    found = f"{count} résultat{'s' if count > 1 else ''}"
    title = "Catalogue des données"
    if form.filtering:
        title = f"{title} : {found}"
    if paginator.num_pages > 1:
        title = f"{title} (page {page.number} sur {paginator.num_pages})"
    return render(
        request,
        "www/catalogue/index.html",
        {
            "title": title,
            "breadcrumb_data": {"links": [], "current": "Catalogue des données"},
            "form": form,
            "page_obj": page,
            # Page links keep the search and filters.
            "query_prefix": f"{kept.urlencode()}&" if kept else "",
            "found": found,
            "served_total": sum(1 for entry in entries if entry.served),
            "other_total": sum(1 for entry in entries if not entry.served),
        },
    )


def _recipient_for(request: HttpRequest) -> str:
    organisation = organisations_of(request.user).first()
    return organisation.siret if organisation is not None else RECIPIENT_PLACEHOLDER


@login_not_required
def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = dataset_for_page(slug)
    if dataset is None:
        raise Http404("Jeu de données inconnu")
    identities = sandbox_identities(dataset.slug)
    return render(
        request,
        "www/catalogue/dataset_detail.html",
        {
            "title": dataset.title,
            "breadcrumb_data": _breadcrumb(dataset.title),
            "dataset": dataset,
            "identities": [
                {
                    "label": identity.label,
                    "outcome": outcome_label(identity.outcome),
                    "status": identity.status,
                    "params": [
                        (name, ", ".join(value) if isinstance(value, list) else value)
                        for name, value in identity.params.items()
                    ],
                }
                for identity in identities
            ],
            "examples": call_examples(
                dataset,
                identities,
                site_url=settings.DLNUF_SITE_URL,
                recipient=_recipient_for(request),
            ),
            "status": dataset_live_status(dataset.slug),
            "terms_versions": dataset.terms_versions.order_by("-number"),
            "changes": dataset_changes(dataset),
            "use_cases": use_cases_for(dataset),
            # Anonymous visitors are asked to sign in on the way; signed-in people without an
            # applicant role would only meet a refusal.
            "can_ask": not request.user.is_authenticated or organisations_of(request.user).exists(),
            "request_url": _optional_url("www:request_new", dataset=dataset.slug),
            "procedure_url": _optional_url("www:procedure_new"),
        },
    )


@login_not_required
def dataset_terms(request: HttpRequest, slug: str) -> HttpResponse:
    """The current terms of use of a dataset; every earlier version stays readable."""
    dataset = dataset_for_page(slug)
    if dataset is None:
        raise Http404("Jeu de données inconnu")
    terms = current_terms(dataset)
    if terms is None:
        raise Http404("Pas de conditions d'utilisation publiées pour ce jeu de données")
    return _terms_page(request, dataset, terms)


@login_not_required
def dataset_terms_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    dataset = dataset_for_page(slug)
    if dataset is None:
        raise Http404("Jeu de données inconnu")
    terms = terms_version(dataset, number)
    if terms is None:
        raise Http404("Version inconnue des conditions d'utilisation")
    return _terms_page(request, dataset, terms)


def _terms_page(request: HttpRequest, dataset: Dataset, terms: TermsVersion) -> HttpResponse:
    versions = list(dataset.terms_versions.order_by("-number"))
    title = f"Conditions d'utilisation de « {dataset.title} », version {terms.number}"
    return render(
        request,
        "www/catalogue/dataset_terms.html",
        {
            "title": title,
            "breadcrumb_data": _breadcrumb(
                f"Conditions d'utilisation, version {terms.number}",
                (reverse("www:dataset_detail", args=[dataset.slug]), dataset.title),
            ),
            "dataset": dataset,
            "terms": terms,
            "is_current": terms.pk == versions[0].pk,
            "versions": versions,
        },
    )


@login_not_required
def public_api_detail(request: HttpRequest, slug: str) -> HttpResponse:
    api = public_api_for_page(slug)
    if api is None:
        raise Http404("API inconnue")
    return render(
        request,
        "www/catalogue/public_api_detail.html",
        {
            "title": f"{api.title} (API non servie par la passerelle)",
            "breadcrumb_data": _breadcrumb(api.title),
            "api": api,
            "contacts": contact_links(api.contact),
        },
    )


@login_not_required
def supporting_documents(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "www/catalogue/supporting_documents.html",
        {
            "title": "Pièces justificatives remplacées",
            "breadcrumb_data": _breadcrumb("Pièces justificatives remplacées"),
            "documents": supporting_documents_replaced(),
        },
    )


@login_not_required
def supporting_document_detail(request: HttpRequest, slug: str) -> HttpResponse:
    document = supporting_document_for_page(slug)
    if document is None:
        raise Http404("Pièce justificative inconnue")
    return render(
        request,
        "www/catalogue/supporting_document_detail.html",
        {
            "title": document.name,
            "breadcrumb_data": _breadcrumb(
                document.name,
                (reverse("www:supporting_documents"), "Pièces justificatives remplacées"),
            ),
            "document": document,
            "datasets": list(document.datasets.all()),
        },
    )


@login_not_required
def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    provider = provider_for_page(slug)
    if provider is None:
        raise Http404("Fournisseur inconnu")
    public_apis = [
        api
        for producer in provider.public_api_producers.all()
        for api in producer.public_apis.all()
    ]
    return render(
        request,
        "www/catalogue/provider_detail.html",
        {
            "title": provider.name,
            "breadcrumb_data": _breadcrumb(str(provider)),
            "provider": provider,
            "datasets": list(provider.datasets.all()),
            "public_apis": public_apis,
        },
    )
