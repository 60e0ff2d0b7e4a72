#!/bin/sh
# Adapter for The Guild's federation-gateway-audit: serve one suite's supergraph with our gateway.
# The harness runs `sh run.sh <suite-id>` from this folder; the audit server listens on :4200.
set -eu
suite="$1"
here="$(cd "$(dirname "$0")" && pwd)"
audit_port="${AUDIT_PORT:-4200}"
# The audit server registers its suites' routes a moment after it starts listening: retry.
curl -fsS --retry 30 --retry-delay 1 --retry-all-errors \
  "http://localhost:${audit_port}/${suite}/supergraph" -o "${here}/supergraph.graphql"
# exec, so the harness's SIGTERM reaches the gateway itself.
exec /work/main/.venv/bin/satu-anak gateway --supergraph "${here}/supergraph.graphql" \
  --host 127.0.0.1 --port 4000 --log-level warning
