"""« Mes données »: people and companies see who consulted their data, and prove it."""

from django.urls import path

from dlnuf.www.my_data_views import notices, proofs, reports, sign_in, views

urlpatterns = [
    path("", views.my_data, name="my_data"),
    path("export.<str:export_format>", views.my_data_export, name="my_data_export"),
    path("connexion/", sign_in.my_data_sign_in, name="my_data_sign_in"),
    path(
        "connexion/franceconnect/",
        sign_in.my_data_franceconnect_start,
        name="my_data_franceconnect_start",
    ),
    path(
        "connexion/franceconnect/retour/",
        sign_in.my_data_franceconnect_callback,
        name="my_data_franceconnect_callback",
    ),
    path("connexion/demonstration/", sign_in.my_data_demo_sign_in, name="my_data_demo_sign_in"),
    path("deconnexion/", sign_in.my_data_sign_out, name="my_data_sign_out"),
    path("acces/<int:index>/signaler/", reports.my_data_report, name="my_data_report"),
    path("signalements/<str:token>/", reports.my_data_report_follow, name="my_data_report_follow"),
    path("avis-par-courriel/", notices.my_data_notices, name="my_data_notices"),
    path("acces/<int:index>/preuve.json", proofs.proof, name="my_data_proof"),
]
