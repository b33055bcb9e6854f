from django.urls import URLPattern, path

from dlnuf.www.code_quality_views import views

urlpatterns: list[URLPattern] = [
    path("", views.code_quality_new, name="code_quality_new"),
    path("<int:pk>/", views.code_quality_report, name="code_quality_report"),
    path("<int:pk>/rapport.pdf", views.code_quality_pdf, name="code_quality_pdf"),
]
