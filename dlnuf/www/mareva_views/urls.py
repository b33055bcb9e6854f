from django.urls import URLPattern, path

from dlnuf.www.mareva_views import views

urlpatterns: list[URLPattern] = [
    path("", views.mareva_new, name="mareva_new"),
    path("<int:pk>/", views.mareva_report, name="mareva_report"),
    path("<int:pk>/rapport.pdf", views.mareva_pdf, name="mareva_pdf"),
]
