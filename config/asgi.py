import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# The similarity model is loaded here, once per web process, so that no page waits for it;
# management commands never import this module and do not pay for it.
from dlnuf.support.similarity import similarity_preload  # noqa: E402

similarity_preload()
