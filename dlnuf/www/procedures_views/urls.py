from django.urls import URLPattern, path

from dlnuf.www.procedures_views import views

urlpatterns: list[URLPattern] = [
    path("", views.procedures, name="procedures"),
    path("nouvelle/", views.procedure_new, name="procedure_new"),
    path("<int:pk>/", views.procedure_detail, name="procedure_detail"),
    path("<int:pk>/modifier/", views.procedure_edit, name="procedure_edit"),
    path("<int:pk>/elements/", views.procedure_items_new, name="procedure_items_add"),
    path(
        "<int:pk>/elements/<int:item_pk>/",
        views.procedure_item_update,
        name="procedure_item_update",
    ),
    path("<int:pk>/diagnostic/", views.procedure_diagnose, name="procedure_diagnose"),
    path(
        "<int:pk>/diagnostics/<int:diagnostic_pk>/",
        views.diagnostic_detail,
        name="diagnostic_detail",
    ),
    path(
        "<int:pk>/diagnostics/<int:diagnostic_pk>/couverture/",
        views.procedure_coverage_edit,
        name="procedure_coverage_edit",
    ),
    path(
        "<int:pk>/diagnostics/<int:diagnostic_pk>/demandes/",
        views.procedure_requests_new,
        name="procedure_requests_new",
    ),
]
