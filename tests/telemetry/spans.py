"""Spans kept in memory for the duration of a test (or a test module)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability.tracing import use_provider


@contextmanager
def recording_spans() -> Iterator[InMemorySpanExporter]:
    """Every span made meanwhile, through an SDK provider with an in-memory exporter."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    use_provider(provider)
    try:
        yield memory
    finally:
        use_provider(None)
        provider.shutdown()
