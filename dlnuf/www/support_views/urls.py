from django.urls import URLPattern, path

from dlnuf.www.support_views import follow_link, views

urlpatterns: list[URLPattern] = [
    path("", views.support_new, name="support_new"),
    path("envoyee/", views.support_sent, name="support_sent"),
    path("suivi/retrouver/", follow_link.support_follow_link, name="support_follow_link"),
    path(
        "suivi/retrouver/envoye/",
        follow_link.support_follow_link_sent,
        name="support_follow_link_sent",
    ),
    path("suivi/<str:token>/", views.support_follow, name="support_follow"),
    path(
        "suivi/<str:token>/pieces/<int:pk>/",
        views.support_follow_attachment,
        name="support_follow_attachment",
    ),
]
