from django.urls import path

from dlnuf.www.accounts_views import proconnect_views, roles_views, views

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("mon-compte/", views.account, name="account"),
    path("mon-compte/mot-de-passe/", views.password_change, name="password_change"),
    path(
        "oidc/connexion/", proconnect_views.ProConnectStartView.as_view(), name="proconnect_start"
    ),
    path(
        "oidc/retour/",
        proconnect_views.ProConnectCallbackView.as_view(),
        name="proconnect_callback",
    ),
    path("administration/roles/", roles_views.user_list, name="user_list"),
    path("administration/roles/<int:pk>/", roles_views.user_roles, name="user_roles"),
    path(
        "administration/roles/<int:pk>/retirer/<int:membership_pk>/",
        roles_views.membership_withdraw,
        name="membership_withdraw",
    ),
]
