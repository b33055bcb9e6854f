from django.urls import URLPattern, path

from dlnuf.www.toolbox_views import views

urlpatterns: list[URLPattern] = [
    path("", views.toolbox, name="toolbox"),
    path("rapports/<int:pk>/etat/", views.report_status, name="toolbox_report_status"),
    path("rapports/<int:pk>/mission/", views.report_attach, name="toolbox_report_attach"),
]
