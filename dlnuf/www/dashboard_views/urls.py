from django.urls import URLPattern, path

from dlnuf.www.dashboard_views import link_views, views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path(
        "habilitations/<int:pk>/renouveler/",
        views.habilitation_renew,
        name="habilitation_renew",
    ),
    path("jetons/<int:pk>/remplacer/", views.credential_rotate, name="credential_rotate"),
    path("jetons/<int:pk>/revoquer/", views.credential_revoke, name="credential_revoke"),
    path("jetons/<int:pk>/afficher/", views.credential_reveal, name="credential_reveal"),
    path("jetons/<int:pk>/envoyer/", link_views.credential_link_send, name="credential_link_send"),
    path("jetons/lien/<str:token>/", link_views.credential_link, name="credential_link"),
]
