"""Local accounts: people sign in with their e-mail address (any case) and their password."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from dlnuf.organisations.models import User


class EmailBackend(ModelBackend):
    """Authenticates by e-mail address, compared without case.

    The sign-in form keeps Django's field name ``username``; its value is the e-mail address.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        user = User.objects.filter(email__iexact=username.strip()).first()
        if user is None:
            # Hash anyway, so that an unknown address takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
