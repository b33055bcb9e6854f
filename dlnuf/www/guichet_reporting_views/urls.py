from django.urls import URLPattern, path

from dlnuf.www.guichet_reporting_views import views

urlpatterns: list[URLPattern] = [
    path("", views.guichet_reporting, name="guichet_reporting"),
    path("<str:table>.csv", views.guichet_reporting_csv, name="guichet_reporting_csv"),
]
