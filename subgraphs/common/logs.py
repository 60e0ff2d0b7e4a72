"""Logs on stdout for every service (ours and uvicorn's): JSON lines by default, or a short text
line for a person reading a console (`SATU_ANAK_LOG_FORMAT=text`; `satu-anak up` chooses it for
the servers it starts). Every line written while a request is served carries its trace id, span
id and request id (observability/tracing.py)."""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from observability.tracing import current_ids

LOG_FORMAT_VARIABLE = "SATU_ANAK_LOG_FORMAT"
FORMATS = ("json", "text")

# Attributes every LogRecord has; anything else was passed in `extra` and belongs in the line.
_STANDARD = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace_id, span_id, request_id = current_ids()
        if trace_id is not None:
            line["trace_id"] = trace_id
            line["span_id"] = span_id
        if request_id is not None:
            line["request_id"] = request_id
        line.update(_extra(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """`12:03:04 INFO  pkh  message  key=value  [trace 4bf92f35… req 3a1f…]`: for a console."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        parts = [f"{when} {record.levelname:<7} {self.service:<11} {record.getMessage()}"]
        parts.extend(
            f"{key}={value}"
            for key, value in _extra(record).items()
            if key != "color_message"  # uvicorn's message again, with terminal colour codes
        )
        trace_id, _span_id, request_id = current_ids()
        ids = []
        if trace_id is not None:
            ids.append(f"trace {trace_id}")
        if request_id is not None:
            ids.append(f"req {request_id}")
        if ids:
            parts.append(f"[{' '.join(ids)}]")
        text = "  ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def log_format(environ: dict[str, str] | None = None) -> str:
    value = (environ if environ is not None else os.environ).get(LOG_FORMAT_VARIABLE, "json")
    value = value.strip().lower() or "json"
    if value not in FORMATS:
        raise ValueError(f"{LOG_FORMAT_VARIABLE} must be one of {', '.join(FORMATS)}: {value!r}")
    return value


def configure_logging(service: str, level: str = "INFO", fmt: str | None = None) -> None:
    """Every logger to stdout in `fmt` (default: $SATU_ANAK_LOG_FORMAT, else json)."""
    handler = logging.StreamHandler(sys.stdout)
    chosen = fmt or log_format()
    handler.setFormatter(TextFormatter(service) if chosen == "text" else JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
