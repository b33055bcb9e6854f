from django.urls import URLPattern, path

from dlnuf.www.costing_views import views

urlpatterns: list[URLPattern] = [
    path("", views.costing_new, name="costing_new"),
    path("<int:pk>/", views.costing_report, name="costing_report"),
    path("<int:pk>/rapport.pdf", views.costing_pdf, name="costing_pdf"),
]
