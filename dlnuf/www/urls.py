"""The portal's pages, one package per feature (``<feature>_views``)."""

from django.urls import include, path

from dlnuf.www.home_views import views as home

app_name = "www"
urlpatterns = [
    path("", home.home, name="home"),
    path("", include("dlnuf.www.accounts_views.urls")),
]
