"""A cursor for the statements of every exchange, which PostgreSQL plans once per connection.

Django binds parameters on the client: PostgreSQL receives a new text each time and parses and
plans it again. For the gateway's credential lookup that was 0.36 ms of planning for 0.1 ms of
execution, on every call. The few statements that run on every exchange (the credential lookup,
the journal's one-statement append) go through this cursor instead: it binds on the server and
prepares each statement the first time it runs on a connection; PostgreSQL then keeps its plan
for the life of the connection. psycopg names a prepared statement by its text and the types of
its parameters (an empty list, or integers growing past a width, make another one), and keeps at
most a hundred per connection.

Every other query keeps Django's client-side binding, which is never prepared. The cursor is
Django's wrapper, so errors are Django's and the queries are counted and logged as any other.
On SQLite it is Django's usual cursor.
"""

import functools
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def prepared_cursor() -> CursorWrapper:
    """A cursor on the default database whose statements are prepared on first use."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = _preparing_cursor_class()(connection.connection)
    if connection.queries_logged:
        return _LoggedPreparedCursor(cursor, connection)
    return connection.make_cursor(cursor)


class _LoggedPreparedCursor(CursorDebugWrapper):
    """Logs a statement as written, parameters apart: a prepared statement's text holds none,
    and Django's usual logging would record nothing."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


@functools.cache
def _preparing_cursor_class() -> Any:
    # psycopg is imported when PostgreSQL is used, as Django's backend does.
    import psycopg

    class PreparingCursor(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            options.setdefault("prepare", True)
            return super().execute(query, params, **options)

    return PreparingCursor
