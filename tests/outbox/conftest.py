from typing import Any

import pytest

from tests.habilitations.smtp import free_port

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def smtp_port(settings: Any) -> int:
    """Delivery over SMTP to a loopback port where no server listens yet."""
    port = free_port()
    settings.DLNUF_EMAIL_DELIVERY_BACKEND = SMTP
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    return port
