from django.urls import path

from dlnuf.www.accounts_views import (
    account_requests_views,
    invitations_views,
    password_reset_views,
    proconnect_views,
    roles_views,
    views,
)

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
    path("mot-de-passe-oublie/", password_reset_views.password_reset, name="password_reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        password_reset_views.password_reset_sent,
        name="password_reset_sent",
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        password_reset_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("invitations/", invitations_views.invitation_list, name="invitation_list"),
    path("invitations/nouvelle/", invitations_views.invitation_new, name="invitation_new"),
    path(
        "invitations/<int:pk>/retirer/",
        invitations_views.invitation_withdraw_view,
        name="invitation_withdraw",
    ),
    path(
        "invitation/<str:token>/",
        invitations_views.invitation_accept_view,
        name="invitation_accept",
    ),
    path(
        "demande-de-compte/",
        account_requests_views.account_request_new,
        name="account_request_new",
    ),
    path(
        "demande-de-compte/envoyee/",
        account_requests_views.account_request_sent,
        name="account_request_sent",
    ),
    path(
        "administration/demandes-de-compte/",
        account_requests_views.account_request_list,
        name="account_request_list",
    ),
    path(
        "administration/demandes-de-compte/<int:pk>/",
        account_requests_views.account_request_detail,
        name="account_request_detail",
    ),
]
