"""A span per SQL statement, from SQLAlchemy's cursor events.

Our own hook rather than opentelemetry-instrumentation-sqlalchemy: it is thirty lines, adds no
dependency (that package brings the instrumentation framework, wrapt and packaging), and what it
records is exactly what we choose — the statement as the driver receives it, with its
placeholders (`?`, `$1`), and never the bound parameters. Statements run outside a traced
request (migrations, health pings) make no span: the hook only adds to a recording trace.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine

from observability.tracing import tracer

_SPANS = "satu_anak.sql_spans"
_MAX_STATEMENT = 4_000


def instrument_engine(engine: Engine) -> None:
    """Adds the span hooks to a (sync, or an async engine's `sync_engine`) engine."""
    system = {"postgresql": "postgresql", "sqlite": "sqlite"}.get(
        engine.dialect.name, engine.dialect.name
    )
    database = engine.url.database or ""
    if system == "sqlite":
        database = database.rsplit("/", 1)[-1]  # the file's name, not where it lives

    def before(
        conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any, _many: bool
    ) -> None:
        if not trace.get_current_span().is_recording():
            return
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = tracer("satu_anak.sql").start_span(
            f"{operation} {database}" if database else operation,
            kind=SpanKind.CLIENT,
            attributes={
                "db.system.name": system,
                "db.namespace": database,
                "db.operation.name": operation,
                # The statement with its placeholders; the parameters are never read here.
                "db.query.text": statement[:_MAX_STATEMENT],
            },
        )
        conn.info.setdefault(_SPANS, []).append(span)

    def after(conn: Any, *_rest: Any) -> None:
        spans = conn.info.get(_SPANS)
        if spans:
            spans.pop().end()

    def failed(context: Any) -> None:
        conn = context.connection
        spans = conn.info.get(_SPANS) if conn is not None else None
        if spans:
            span = spans.pop()
            # The exception's class only: a driver's message can quote the values.
            span.set_status(Status(StatusCode.ERROR, type(context.original_exception).__name__))
            span.set_attribute("error.type", type(context.original_exception).__name__)
            span.end()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
