"""Settings for Guichet DLNUF, read from the environment only.

Development (the default) works with nothing configured: the database, the secret key and the
journal keys live under ``var/`` and are created on first use. Production
(``DLNUF_ENVIRONMENT=production``) has no secret defaults and refuses to start without them.
"""

import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.local_secrets import local_secret

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

ENVIRONMENT = env.str("DLNUF_ENVIRONMENT", default="development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DLNUF_ENVIRONMENT must be development, test or production, not {ENVIRONMENT!r}"
    )
IS_PRODUCTION = ENVIRONMENT == "production"

VAR_DIR = Path(env.str("DLNUF_VAR_DIR", default=str(BASE_DIR / "var")))

_PRODUCTION_SECRETS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "DLNUF_JOURNAL_SIGNING_KEY",
    "DLNUF_JOURNAL_SUBJECT_SECRET",
    # Rate limits, circuit breakers and sign-in throttles must be shared by every worker: each
    # worker's own memory would multiply the limits by the number of workers.
    "REDIS_URL",
)
if IS_PRODUCTION:
    missing = [name for name in _PRODUCTION_SECRETS if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            "Production refuses to start without: " + ", ".join(missing) + " (see README)."
        )

DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="") or local_secret(VAR_DIR, "secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "dsfr",
    "widget_tweaks",
    "csp",
    "mozilla_django_oidc",
    "ninja",
    "dlnuf.organisations",
    "dlnuf.catalogue",
    "dlnuf.habilitations",
    "dlnuf.exchange",
    "dlnuf.journal",
    "dlnuf.sandbox",
    "dlnuf.procedures",
    "dlnuf.support",
    "dlnuf.toolbox",
    "dlnuf.outbox",
    "django_tasks",
    "django_tasks_db",
    "dlnuf.api",
    "dlnuf.www",
    "dlnuf.ops",
    "dlnuf.people",
]

MIDDLEWARE = [
    # First, so that it sees every answer last: nothing under /api/ leaves as an HTML page.
    "dlnuf.api.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view opts out (login_not_required); the API
    # and the sandbox authenticate their callers themselves.
    "dlnuf.www.middleware.PortalLoginRequiredMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dlnuf.www.context_processors.portal",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'dlnuf.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the journal writes; synchronous=FULL syncs every commit, since
    # an exchange is answered only once its journal entry is durable. IMMEDIATE takes the write
    # lock at BEGIN so that two writers queue on the timeout instead of failing as "locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's prepared statements off (None); the statements of every exchange
    # run through a cursor that prepares them (dlnuf/prepared.py), which needs them on. Django's
    # own queries bind on the client and are never prepared. A connection pooler in transaction
    # mode must then keep prepared statements (PgBouncer >= 1.21, max_prepared_statements).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
# Connections are kept between requests, on SQLite too: opening one costs its PRAGMAs, and closing
# the last connection to a WAL database checkpoints and syncs the whole file (both per request).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisations.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and urlsplit(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured(
        "REDIS_URL must start with redis://, rediss:// or unix:// (the shared store of rate "
        "limits, circuit breakers and sign-in throttles)."
    )
# A Redis that stops answering must fail a call quickly (503 shared_state_unavailable), not
# hold the worker: its commands take well under a millisecond.
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=1.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# `manage.py serve` collects the static files here and its server answers them itself.
STATIC_ROOT = VAR_DIR / "static"
# With hashed names, a file's URL changes with its content, so browsers may keep it for a year.
# Off by default: the names come from the manifest `collectstatic` writes, which development and
# the tests never run; `manage.py serve` collects, then turns it on for the processes it starts.
if env.bool("DLNUF_HASHED_STATIC_FILES", default=False):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
# Uploaded files (legal basis PDFs…) are private: served only through views that check rights.
MEDIA_ROOT = Path(env.str("DLNUF_MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Public address of the portal, for links in e-mails.
DLNUF_SITE_URL = env.str("DLNUF_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The host of the service, shown in the legal notice (empty: the page says it is to be filled in).
DLNUF_HOSTING_NAME = env.str("DLNUF_HOSTING_NAME", default="")
DLNUF_HOSTING_ADDRESS = env.str("DLNUF_HOSTING_ADDRESS", default="")
DLNUF_HOSTING_CONTACT = env.str("DLNUF_HOSTING_CONTACT", default="")

LOGIN_URL = "www:login"
LOGIN_REDIRECT_URL = "www:home"
LOGOUT_REDIRECT_URL = "www:home"
# Paths whose callers authenticate by other means than the portal session. The journal's
# transparency-log files are public and never read the session, so that shared caches keep one
# copy for everybody (no "Vary: Cookie").
DLNUF_LOGIN_EXEMPT_PREFIXES = ("/api/", "/sandbox/", "/static/", "/journal/")

# --- Content Security Policy: scripts only from here and with the page's nonce ------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # The design system and the API docs set style attributes from their scripts.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- E-mail: console in development, SMTP by configuration ---------------------------------------
# Every e-mail is stored in the outbox with what it announces, then delivered by the worker with
# the transport below (console by default, SMTP as soon as EMAIL_HOST is set).
EMAIL_BACKEND = "dlnuf.outbox.backend.OutboxBackend"
DLNUF_EMAIL_DELIVERY_BACKEND = env.str(
    "DLNUF_EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
if env.str("EMAIL_HOST", default=""):
    DLNUF_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Retries: 1 min after the first failure, doubling, at most an hour apart; after the last attempt
# the e-mail is flagged « en échec définitif » for the administrators.
DLNUF_EMAIL_MAX_ATTEMPTS = env.int("DLNUF_EMAIL_MAX_ATTEMPTS", default=10)
DLNUF_EMAIL_FIRST_RETRY_SECONDS = env.int("DLNUF_EMAIL_FIRST_RETRY_SECONDS", default=60)
DLNUF_EMAIL_MAX_RETRY_SECONDS = env.int("DLNUF_EMAIL_MAX_RETRY_SECONDS", default=3600)
# A claimed e-mail whose worker stopped before recording the outcome is sent again after this.
DLNUF_EMAIL_SENDING_LEASE_SECONDS = env.int("DLNUF_EMAIL_SENDING_LEASE_SECONDS", default=600)
DLNUF_EMAIL_MESSAGE_ID_DOMAIN = env.str("DLNUF_EMAIL_MESSAGE_ID_DOMAIN", default="dlnuf.local")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Guichet DLNUF <ne-pas-repondre@dlnuf.local>"
)

# --- The guichet's mailbox: where requests by e-mail arrive, and what replies come from ---------
DLNUF_SUPPORT_ADDRESS = env.str("DLNUF_SUPPORT_ADDRESS", default="guichet@dlnuf.local")
# IMAP mailbox polled by `manage.py fetch_support_mail` (empty host: the command says so and stops).
DLNUF_SUPPORT_IMAP_HOST = env.str("DLNUF_SUPPORT_IMAP_HOST", default="")
DLNUF_SUPPORT_IMAP_PORT = env.int("DLNUF_SUPPORT_IMAP_PORT", default=993)
DLNUF_SUPPORT_IMAP_SSL = env.bool("DLNUF_SUPPORT_IMAP_SSL", default=True)
DLNUF_SUPPORT_IMAP_USER = env.str("DLNUF_SUPPORT_IMAP_USER", default="")
DLNUF_SUPPORT_IMAP_PASSWORD = env.str("DLNUF_SUPPORT_IMAP_PASSWORD", default="")
DLNUF_SUPPORT_IMAP_FOLDER = env.str("DLNUF_SUPPORT_IMAP_FOLDER", default="INBOX")
# Requests one client address may send through the public form in an hour.
DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR = env.int(
    "DLNUF_SUPPORT_FORM_SUBMISSIONS_PER_HOUR", default=10
)
# E-mails of follow links one address may be sent in an hour (« retrouver mon lien de suivi »).
DLNUF_SUPPORT_FOLLOW_LINK_EMAILS_PER_HOUR = env.int(
    "DLNUF_SUPPORT_FOLLOW_LINK_EMAILS_PER_HOUR", default=3
)
# Experience sharing: "e5" (the offline multilingual embedding model ranks; words give reasons) or
# "lexical" (word matching only, for machines where the model cannot load).
DLNUF_SIMILARITY_MODEL = env.str("DLNUF_SIMILARITY_MODEL", default="e5")

# --- The experts' toolbox ------------------------------------------------------------------------
# Background runs (code quality, accessibility, technology review) go through django-tasks; the
# database backend needs a worker process (`manage.py db_worker`, started by `make run`).
TASKS = {
    "default": {
        "BACKEND": env.str("DLNUF_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
# Hosts the toolbox may fetch although they are not public addresses (empty in production).
DLNUF_TOOLBOX_URL_ALLOWLIST = env.list("DLNUF_TOOLBOX_URL_ALLOWLIST", default=[])
# Directories on the server whose subdirectories the code quality tool may analyse (operator's
# choice; people pick one in a list, never type a path).
DLNUF_TOOLBOX_LOCAL_ROOTS = env.list("DLNUF_TOOLBOX_LOCAL_ROOTS", default=[])
# The headless browser of accessibility audits (Debian's package by default).
DLNUF_CHROMIUM_PATH = env.str("DLNUF_CHROMIUM_PATH", default="/usr/bin/chromium")
# Where `refresh_tech_data` writes the end-of-life and SILL snapshots (empty: the snapshot shipped
# in dlnuf/toolbox/tech_review/data/ is read and rewritten in place).
DLNUF_TECH_DATA_DIR = env.str("DLNUF_TECH_DATA_DIR", default="")

# --- Sign-in: local accounts, and ProConnect (OpenID Connect) when configured -------------------
AUTHENTICATION_BACKENDS = [
    "dlnuf.organisations.backends.EmailBackend",
    "dlnuf.organisations.proconnect.ProConnectBackend",
]
# Failed local sign-ins allowed per address, and per client address, in one window.
DLNUF_LOGIN_ATTEMPTS_PER_WINDOW = env.int("DLNUF_LOGIN_ATTEMPTS_PER_WINDOW", default=5)
DLNUF_LOGIN_ATTEMPTS_PER_CLIENT = env.int("DLNUF_LOGIN_ATTEMPTS_PER_CLIENT", default=50)
DLNUF_LOGIN_WINDOW_SECONDS = env.int("DLNUF_LOGIN_WINDOW_SECONDS", default=900)
# Forgotten password: the e-mailed link works for an hour; per hour, an address receives at most
# DLNUF_PASSWORD_RESET_EMAILS_PER_HOUR links and one client sends DLNUF_ACCOUNT_FORMS_PER_HOUR
# forms (password reset, account request).
PASSWORD_RESET_TIMEOUT = env.int("DLNUF_PASSWORD_RESET_SECONDS", default=3600)
DLNUF_PASSWORD_RESET_EMAILS_PER_HOUR = env.int("DLNUF_PASSWORD_RESET_EMAILS_PER_HOUR", default=3)
DLNUF_ACCOUNT_FORMS_PER_HOUR = env.int("DLNUF_ACCOUNT_FORMS_PER_HOUR", default=10)
# Invitations to create an account are valid this many days, once.
DLNUF_INVITATION_VALIDITY_DAYS = env.int("DLNUF_INVITATION_VALIDITY_DAYS", default=7)
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: use REMOTE_ADDR).
DLNUF_TRUSTED_PROXY_COUNT = env.int("DLNUF_TRUSTED_PROXY_COUNT", default=0)

# ProConnect is offered once the issuer, client id and secret are set; the endpoints come from
# the issuer's discovery document unless set one by one.
PROCONNECT_ISSUER = env.str("PROCONNECT_ISSUER", default="").rstrip("/")
OIDC_RP_CLIENT_ID = env.str("PROCONNECT_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("PROCONNECT_CLIENT_SECRET", default="")
PROCONNECT_AUTHORIZATION_ENDPOINT = env.str("PROCONNECT_AUTHORIZATION_ENDPOINT", default="")
PROCONNECT_TOKEN_ENDPOINT = env.str("PROCONNECT_TOKEN_ENDPOINT", default="")
PROCONNECT_USERINFO_ENDPOINT = env.str("PROCONNECT_USERINFO_ENDPOINT", default="")
PROCONNECT_JWKS_ENDPOINT = env.str("PROCONNECT_JWKS_ENDPOINT", default="")
PROCONNECT_END_SESSION_ENDPOINT = env.str("PROCONNECT_END_SESSION_ENDPOINT", default="")
PROCONNECT_DISCOVERY_CACHE_SECONDS = env.int("PROCONNECT_DISCOVERY_CACHE_SECONDS", default=3600)
PROCONNECT_CLOCK_SKEW_SECONDS = env.int("PROCONNECT_CLOCK_SKEW_SECONDS", default=60)
OIDC_RP_SCOPES = env.str("PROCONNECT_SCOPES", default="openid email given_name usual_name siret")
OIDC_RP_SIGN_ALGO = env.str("PROCONNECT_SIGN_ALGO", default="RS256")
OIDC_TIMEOUT = env.float("PROCONNECT_TIMEOUT_SECONDS", default=10.0)
OIDC_VERIFY_SSL = True
OIDC_PROXY = None
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_STORE_ID_TOKEN = True
OIDC_AUTHENTICATION_CALLBACK_URL = "www:proconnect_callback"
LOGIN_REDIRECT_URL_FAILURE = "www:login"

# FranceConnect (people signing in to « Mes données ») is offered once the issuer, client id and
# secret are set; the endpoints come from the issuer's discovery document.
DLNUF_FRANCECONNECT_ISSUER = env.str("DLNUF_FRANCECONNECT_ISSUER", default="").rstrip("/")
DLNUF_FRANCECONNECT_CLIENT_ID = env.str("DLNUF_FRANCECONNECT_CLIENT_ID", default="")
DLNUF_FRANCECONNECT_CLIENT_SECRET = env.str("DLNUF_FRANCECONNECT_CLIENT_SECRET", default="")
DLNUF_FRANCECONNECT_SCOPES = env.str(
    "DLNUF_FRANCECONNECT_SCOPES",
    default="openid given_name family_name birthdate gender birthplace birthcountry "
    "preferred_username",
)
DLNUF_FRANCECONNECT_ACR_VALUES = env.str("DLNUF_FRANCECONNECT_ACR_VALUES", default="eidas1")
DLNUF_FRANCECONNECT_TIMEOUT_SECONDS = env.float("DLNUF_FRANCECONNECT_TIMEOUT_SECONDS", default=10.0)
DLNUF_FRANCECONNECT_DISCOVERY_CACHE_SECONDS = env.int(
    "DLNUF_FRANCECONNECT_DISCOVERY_CACHE_SECONDS", default=3600
)
DLNUF_FRANCECONNECT_CLOCK_SKEW_SECONDS = env.int(
    "DLNUF_FRANCECONNECT_CLOCK_SKEW_SECONDS", default=60
)
# The demo people chooser of « Mes données » (fictitious identities of the sandbox): on with the
# development defaults, off once DEBUG is off unless set explicitly.
DLNUF_DEMO_PEOPLE = env.bool("DLNUF_DEMO_PEOPLE", default=DEBUG)

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Follow links sent by e-mail carry a signed token in their path: no other site may see them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DLNUF_SSL_REDIRECT", default=True)
    # Paths answered over plain HTTP too (regular expressions matched against the path without
    # its leading "/"), such as a load balancer's health check. The sandbox is by default: the
    # gateway reaches it on loopback (DLNUF_SANDBOX_URL), and it serves only published test data.
    SECURE_REDIRECT_EXEMPT = env.list("DLNUF_SSL_REDIRECT_EXEMPT", default=[r"^sandbox/"])
    SECURE_HSTS_SECONDS = env.int("DLNUF_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DLNUF_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DLNUF_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading writes the whole registrable domain, subdomains included, into browsers for
        # years: the domain's owner decides it (DLNUF_HSTS_PRELOAD), not the application.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    if DLNUF_TRUSTED_PROXY_COUNT > 0:
        # Only a proxy of ours may say the client came over HTTPS: without one, this header
        # would be the client's own word.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One line per event on the console, named after the process that wrote it, so that the web
# workers and the toolbox worker can share one stream (`manage.py serve` names its children).
_PROCESS_NAME = env.str("DLNUF_PROCESS_NAME", default="") or (
    sys.argv[1] if Path(sys.argv[0]).name == "manage.py" and len(sys.argv) > 1 else "dlnuf"
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s "
            + _PROCESS_NAME.replace("%", "%%")
            + "[%(process)d] %(name)s: %(message)s"
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # httpx logs every request line at INFO, and the query strings sent to providers carry
        # personal data (names, dates of birth) that must never reach the logs.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Providers ------------------------------------------------------------------------------
# When an upstream URL is unset, the built-in sandbox (mounted under /sandbox/) serves that
# family. DLNUF_SANDBOX_URL is where the gateway reaches the sandbox over HTTP.
DLNUF_SANDBOX_URL = env.str("DLNUF_SANDBOX_URL", default="http://127.0.0.1:8000/sandbox").rstrip(
    "/"
)
# Sandbox cases that sleep, to test provider timeouts; tests shorten it.
DLNUF_SANDBOX_SLOW_SECONDS = env.float("DLNUF_SANDBOX_SLOW_SECONDS", default=12.0)
# Extra directories of cases in the upstream mock format (params -> status + payload).
DLNUF_SANDBOX_EXTRA_CASES_DIRS = env.list("DLNUF_SANDBOX_EXTRA_CASES_DIRS", default=[])
DLNUF_API_PARTICULIER_URL = env.str("DLNUF_API_PARTICULIER_URL", default="").rstrip("/")
DLNUF_API_PARTICULIER_TOKEN = env.str("DLNUF_API_PARTICULIER_TOKEN", default="")
DLNUF_API_ENTREPRISE_URL = env.str("DLNUF_API_ENTREPRISE_URL", default="").rstrip("/")
DLNUF_API_ENTREPRISE_TOKEN = env.str("DLNUF_API_ENTREPRISE_TOKEN", default="")
DLNUF_PROVIDER_TIMEOUT_SECONDS = env.float("DLNUF_PROVIDER_TIMEOUT_SECONDS", default=10.0)
DLNUF_PROVIDER_MAX_ANSWER_BYTES = env.int("DLNUF_PROVIDER_MAX_ANSWER_BYTES", default=2_097_152)
DLNUF_BREAKER_FAILURE_THRESHOLD = env.int("DLNUF_BREAKER_FAILURE_THRESHOLD", default=5)
DLNUF_BREAKER_RESET_SECONDS = env.float("DLNUF_BREAKER_RESET_SECONDS", default=30.0)
DLNUF_RATE_LIMIT_PER_MINUTE = env.int("DLNUF_RATE_LIMIT_PER_MINUTE", default=1200)
# Response cache: off unless a positive TTL is set, and never for personal data datasets.
DLNUF_RESPONSE_CACHE_SECONDS = env.int("DLNUF_RESPONSE_CACHE_SECONDS", default=0)
DLNUF_CREDENTIAL_DEFAULT_DAYS = env.int("DLNUF_CREDENTIAL_DEFAULT_DAYS", default=548)
# After a rotation the old credential keeps working this long, so software can switch over.
DLNUF_CREDENTIAL_ROTATION_GRACE_HOURS = env.int("DLNUF_CREDENTIAL_ROTATION_GRACE_HOURS", default=24)
# How long the one-time link e-mailed to a request's technical contact shows the new secret.
DLNUF_CREDENTIAL_LINK_DAYS = env.int("DLNUF_CREDENTIAL_LINK_DAYS", default=7)

# --- Journal -------------------------------------------------------------------------------
# The signing key is the hex form of a 32-byte Ed25519 private key (any 32 random bytes are one).
DLNUF_JOURNAL_SIGNING_KEY = env.str("DLNUF_JOURNAL_SIGNING_KEY", default="") or local_secret(
    VAR_DIR, "journal_signing_key"
)
DLNUF_JOURNAL_SUBJECT_SECRET = env.str("DLNUF_JOURNAL_SUBJECT_SECRET", default="") or local_secret(
    VAR_DIR, "journal_subject_secret"
)


def _check_journal_key(name: str, value: str, *, exact: bool, requirement: str) -> None:
    """Refuse to start with a key the journal would reject only at its first exchange.

    The message gives the length, never the value: it is a secret.
    """
    source = name if env.str(name, default="") else f"{name} (read from {VAR_DIR})"
    problem = ""
    if not re.fullmatch(r"[0-9a-fA-F]*", value):
        problem = "the value given has characters other than 0-9 and a-f"
    elif len(value) % 2 or len(value) < 64 or (exact and len(value) != 64):
        problem = f"the value given has {len(value)} characters"
    if problem:
        raise ImproperlyConfigured(
            f"{source} must be {requirement}: {problem}. Generate one with "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )


_check_journal_key(
    "DLNUF_JOURNAL_SIGNING_KEY",
    DLNUF_JOURNAL_SIGNING_KEY,
    exact=True,
    requirement=(
        "exactly 64 hexadecimal characters (the 32-byte Ed25519 private key that signs the "
        "journal's tree heads)"
    ),
)
_check_journal_key(
    "DLNUF_JOURNAL_SUBJECT_SECRET",
    DLNUF_JOURNAL_SUBJECT_SECRET,
    exact=False,
    requirement=(
        "an even number, at least 64, of hexadecimal characters (32 random bytes or more keying "
        "the HMAC that hides people's identities in the journal, so that nobody can recompute "
        "them by trying identities)"
    ),
)

# Exchanges wait for their journal entry to be committed; concurrent entries share one commit.
DLNUF_JOURNAL_BATCH_MAX = env.int("DLNUF_JOURNAL_BATCH_MAX", default=256)
DLNUF_JOURNAL_BATCHING = env.bool("DLNUF_JOURNAL_BATCHING", default=True)

# The journal's name as a transparency log: the origin line of its checkpoints and the name of
# its signed-note key. By default the address of its files without the scheme.
_site = urlsplit(DLNUF_SITE_URL)
DLNUF_JOURNAL_ORIGIN = env.str(
    "DLNUF_JOURNAL_ORIGIN", default=f"{_site.netloc}{_site.path}/journal"
)
if not DLNUF_JOURNAL_ORIGIN or re.search(r"[\s+]", DLNUF_JOURNAL_ORIGIN):
    raise ImproperlyConfigured(
        "DLNUF_JOURNAL_ORIGIN must be a non-empty name without spaces or '+', "
        "such as guichet.example.gouv.fr/journal"
    )

# The witnesses whose cosignatures the journal accepts and shows on /journal/: their verifier
# keys (C2SP tlog-cosignature, type 0x04, as `manage.py journal_witness` prints them), separated
# by commas. A cosignature by any other key is refused.
DLNUF_JOURNAL_WITNESSES = env.list("DLNUF_JOURNAL_WITNESSES", default=[])
