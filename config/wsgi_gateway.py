"""The gateway's WSGI application: the exchange and journal API only (config.settings_gateway)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_gateway")
application = get_wsgi_application()
