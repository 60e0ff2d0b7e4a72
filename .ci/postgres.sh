# Sourced by .ci/run: decide whether this run needs PostgreSQL, start this machine's server when it
# is down, and fail the run when PostgreSQL is expected and not reached (so its tests can never
# silently skip in CI). Exports SATU_ANAK_REQUIRE_POSTGRES=1 and SATU_ANAK_TEST_POSTGRES_URL when it
# is needed; tests/conftest.py then fails the test session if the server cannot be reached.
#
# PostgreSQL is expected when any of these holds: SATU_ANAK_REQUIRE_POSTGRES=1 or
# SATU_ANAK_TEST_POSTGRES_URL is set, the run is in CI (CI set, as CI systems do), or a PostgreSQL
# server is installed on this machine (pg_ctlcluster and /etc/postgresql).

pg_url="${SATU_ANAK_TEST_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test}"
read -r pg_host pg_port < <(python3 -c '
import sys
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
print(url.hostname or "127.0.0.1", url.port or 5432)
' "$pg_url")

pg_reason=""
if [ "${SATU_ANAK_REQUIRE_POSTGRES:-}" = 1 ]; then
  pg_reason="SATU_ANAK_REQUIRE_POSTGRES=1"
elif [ -n "${SATU_ANAK_TEST_POSTGRES_URL:-}" ]; then
  pg_reason="SATU_ANAK_TEST_POSTGRES_URL is set"
elif [ -n "${CI:-}" ] && [ "${CI}" != false ] && [ "${CI}" != 0 ]; then
  pg_reason="CI=${CI}"
fi
pg_installed=""
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -n "$(ls -A /etc/postgresql 2>/dev/null)" ]; then
  pg_installed=1
  pg_reason="${pg_reason:-a PostgreSQL server is installed here}"
fi

pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -h "$pg_host" -p "$pg_port" -q
  else
    python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3).close()' \
      "$pg_host" "$pg_port" 2>/dev/null
  fi
}

if [ -n "$pg_reason" ]; then
  case "$pg_host" in 127.0.0.1 | localhost | ::1) pg_local=1 ;; *) pg_local="" ;; esac
  if ! pg_ready && [ -n "$pg_installed" ] && [ -n "$pg_local" ] && [ "$pg_port" = 5432 ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
  if ! pg_ready; then
    echo "PostgreSQL is expected ($pg_reason) but not reachable at $pg_host:$pg_port:" \
      "start it, or point SATU_ANAK_TEST_POSTGRES_URL at one" >&2
    exit 1
  fi
  export SATU_ANAK_REQUIRE_POSTGRES=1
  export SATU_ANAK_TEST_POSTGRES_URL="$pg_url"
else
  echo "no PostgreSQL expected here (not CI, none installed, none configured): its test runs are skipped"
fi
