"""The portal's pages, one package per feature (``<feature>_views``)."""

from django.urls import include, path

from dlnuf.www.home_views import views as home

app_name = "www"
urlpatterns = [
    path("", home.home, name="home"),
    path("", include("dlnuf.www.accounts_views.urls")),
    path("catalogue/", include("dlnuf.www.catalogue_views.urls")),
    path("demarches/", include("dlnuf.www.procedures_views.urls")),
    path("habilitations/", include("dlnuf.www.requests_views.urls")),
    path("tableau-de-bord/", include("dlnuf.www.dashboard_views.urls")),
]
