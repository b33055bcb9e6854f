"""Test overrides: fast password hashing, fixed secrets, e-mail kept in memory.

The database comes from DATABASE_URL like everywhere else: SQLite by default, PostgreSQL when
``make test`` runs the suite a second time with DLNUF_TEST_POSTGRES_URL.
"""

import os

os.environ.setdefault("DLNUF_ENVIRONMENT", "test")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DLNUF_JOURNAL_SIGNING_KEY", "11" * 32)
os.environ.setdefault("DLNUF_JOURNAL_SUBJECT_SECRET", "22" * 32)

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "dlnuf.outbox.backend.OutboxBackend"
DLNUF_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests write the journal synchronously unless they exercise the batching writer on purpose.
DLNUF_JOURNAL_BATCHING = False
# Toolbox runs happen during the request that starts them.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
