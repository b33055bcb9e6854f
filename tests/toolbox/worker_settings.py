"""Settings of a real toolbox worker process started by the tests: the database task backend
on a SQLite file of the test's own, with a short lock timeout so that "database is locked" comes
within a second instead of twenty."""

import os

from config.test_settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["DLNUF_WORKER_TEST_DATABASE"],
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 0.5,
        },
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
