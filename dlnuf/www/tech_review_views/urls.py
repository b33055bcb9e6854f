from django.urls import URLPattern, path

from dlnuf.www.tech_review_views import views

urlpatterns: list[URLPattern] = [
    path("", views.tech_review_new, name="tech_review_new"),
    path("<int:pk>/", views.tech_review_report, name="tech_review_report"),
    path("<int:pk>/rapport.pdf", views.tech_review_pdf, name="tech_review_pdf"),
]
