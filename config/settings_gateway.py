"""Settings of a gateway node: the exchange API and the journal, nothing else.

The nodes that handle personal data run only the code the exchange needs: no portal, support
desk, procedures or toolbox, and so none of their libraries (headless browser, git, PDF, the
similarity model, the task queue) in memory. Everything else (database, cache, journal keys,
providers, limits) comes from the same environment variables as ``config.settings``; the
database is the portal's, migrated by the portal (``manage.py migrate`` with the full settings).
Serve it with ``DJANGO_SETTINGS_MODULE=config.settings_gateway manage.py serve``.
"""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "ninja",
    "dlnuf.organisations",
    "dlnuf.catalogue",
    "dlnuf.habilitations",
    "dlnuf.exchange",
    "dlnuf.journal",
    "dlnuf.api",
    "dlnuf.ops",
]

# Callers authenticate with their credential on every call: no session, cookie or CSRF token.
MIDDLEWARE = [
    "dlnuf.api.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls_gateway"
WSGI_APPLICATION = "config.wsgi_gateway.application"

# The API's documentation page is a template; none of the portal's context goes into it.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]

AUTHENTICATION_BACKENDS = ["dlnuf.organisations.backends.EmailBackend"]

# A habilitation request may name the procedure (démarche) it serves; that link belongs to the
# portal, whose app is not loaded here, and the gateway never follows it.
SILENCED_SYSTEM_CHECKS = [
    *globals().get("SILENCED_SYSTEM_CHECKS", []),
    "fields.E300",
    "fields.E307",
]

# Django's check of a kept connection costs a round trip at the start of every call. A gateway
# call's first query is its credential lookup, which replaces a connection the database closed
# (restart, failover) and runs once more (dlnuf.habilitations.selectors.grant_for_secret_hash);
# the journal's writer checks its own connection after a pause.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
