"""Observability shared by the gateway and the subgraphs: traces (OpenTelemetry), metrics
(Prometheus), and the ids that every log line carries. See docs/observability.md."""
