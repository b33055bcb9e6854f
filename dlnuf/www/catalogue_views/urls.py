from django.urls import URLPattern, path

from dlnuf.www.catalogue_views import views

urlpatterns: list[URLPattern] = [
    path("", views.catalogue, name="catalogue"),
    path("donnees/<slug:slug>/", views.dataset_detail, name="dataset_detail"),
    path("donnees/<slug:slug>/conditions/", views.dataset_terms, name="dataset_terms"),
    path(
        "donnees/<slug:slug>/conditions/<int:number>/",
        views.dataset_terms_version,
        name="dataset_terms_version",
    ),
    path("api-publiques/<slug:slug>/", views.public_api_detail, name="public_api_detail"),
    path("pieces/", views.supporting_documents, name="supporting_documents"),
    path(
        "pieces/<slug:slug>/", views.supporting_document_detail, name="supporting_document_detail"
    ),
    path("fournisseurs/<slug:slug>/", views.provider_detail, name="provider_detail"),
]
