from django.urls import URLPattern, path

from dlnuf.www.support_views import views

urlpatterns: list[URLPattern] = [
    path("", views.support_new, name="support_new"),
    path("envoyee/", views.support_sent, name="support_sent"),
    path("suivi/<str:token>/", views.support_follow, name="support_follow"),
    path(
        "suivi/<str:token>/pieces/<int:pk>/",
        views.support_follow_attachment,
        name="support_follow_attachment",
    ),
]
