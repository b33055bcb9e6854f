from django.contrib.auth.forms import AuthenticationForm

from dlnuf.www.forms import PortalForm


class LoginForm(AuthenticationForm, PortalForm):
    """E-mail and password of a local account."""

    error_messages = {
        "invalid_login": "Adresse électronique ou mot de passe incorrect.",
        "inactive": "Ce compte est désactivé.",
    }
