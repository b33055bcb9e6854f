from django.urls import URLPattern, path

from dlnuf.www.accessibility_views import views

urlpatterns: list[URLPattern] = [
    path("", views.accessibility_new, name="accessibility_new"),
    path("<int:pk>/", views.accessibility_report, name="accessibility_report"),
    path("<int:pk>/rapport.pdf", views.accessibility_pdf, name="accessibility_pdf"),
    path("<int:pk>/decision/", views.accessibility_decision, name="accessibility_decision"),
    path(
        "<int:pk>/declaration.html",
        views.accessibility_statement,
        name="accessibility_statement",
    ),
    path(
        "<int:pk>/declaration.txt",
        views.accessibility_statement_text,
        name="accessibility_statement_text",
    ),
]
