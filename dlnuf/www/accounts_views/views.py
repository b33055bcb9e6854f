from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator

from dlnuf.www.accounts_views.forms import LoginForm


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "www/accounts/login.html"
    redirect_authenticated_user = True
    extra_context = {"title": "Se connecter"}


class LogoutView(auth_views.LogoutView):
    pass
