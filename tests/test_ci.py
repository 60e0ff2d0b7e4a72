"""CI cannot pass with PostgreSQL's tests silently skipped: `.ci/postgres.sh` (sourced by `.ci/run`)
fails the run when PostgreSQL is expected and not reached, and a test session that requires it
(SATU_ANAK_REQUIRE_POSTGRES=1) fails instead of skipping when the server is not there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auth.auth_support import free_port

ROOT = Path(__file__).resolve().parents[1]
SHOW = 'echo "required=${SATU_ANAK_REQUIRE_POSTGRES:-} url=${SATU_ANAK_TEST_POSTGRES_URL:-}"'
POSTGRES_VARIABLES = ("CI", "SATU_ANAK_REQUIRE_POSTGRES", "SATU_ANAK_TEST_POSTGRES_URL")


def _dead_url() -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"


def _environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in POSTGRES_VARIABLES}
    return {**env, **values}


def _ci_postgres(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`.ci/postgres.sh` sourced as `.ci/run` sources it (set -euo pipefail), then its exports."""
    script = f"set -euo pipefail; . .ci/postgres.sh; {SHOW}"
    return subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"SATU_ANAK_REQUIRE_POSTGRES": "1"}, "SATU_ANAK_REQUIRE_POSTGRES=1"),
        ({"CI": "true"}, "SATU_ANAK_TEST_POSTGRES_URL is set"),
        ({}, "SATU_ANAK_TEST_POSTGRES_URL is set"),
    ],
)
def test_ci_fails_when_postgres_is_expected_and_not_reached(
    given: dict[str, str], reason: str
) -> None:
    url = _dead_url()
    done = _ci_postgres(_environment(SATU_ANAK_TEST_POSTGRES_URL=url, **given))
    port = url.rsplit(":", 1)[1].split("/")[0]
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"PostgreSQL is expected ({reason}) but not reachable at 127.0.0.1:{port}: start it, "
        "or point SATU_ANAK_TEST_POSTGRES_URL at one\n"
    )


def test_ci_without_postgres_anywhere_says_its_runs_are_skipped(tmp_path: Path) -> None:
    """A machine with no PostgreSQL installed, not CI, nothing configured: no requirement."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "python3").symlink_to(os.path.realpath(sys.executable))
    for tool in ("ls", "head", "seq", "sleep"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    bash = shutil.which("bash")
    assert bash is not None
    env = _environment(PATH=str(tools))
    done = subprocess.run(
        [bash, "-c", f"set -euo pipefail; . .ci/postgres.sh; {SHOW}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "no PostgreSQL expected here (not CI, none installed, none configured): "
        "its test runs are skipped",
        "required= url=",
    ]


def _pytest_postgres_runs(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The PostgreSQL runs of one subgraph's tests, in a pytest session of their own."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, "tests/subgraphs/test_pkh.py", "-k", "postgres"],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_required_postgres_that_is_not_reached_fails_the_tests_not_skips_them() -> None:
    url = _dead_url()
    required = _pytest_postgres_runs(
        _environment(SATU_ANAK_REQUIRE_POSTGRES="1", SATU_ANAK_TEST_POSTGRES_URL=url)
    )
    assert required.returncode == 3, required.stdout + required.stderr
    assert f"PostgreSQL required but unreachable at {url}" in required.stdout + required.stderr
    assert " passed" not in required.stdout and " skipped" not in required.stdout

    # Not required: the same runs are skipped, and the session passes.
    optional = _pytest_postgres_runs(_environment(SATU_ANAK_TEST_POSTGRES_URL=url))
    assert optional.returncode == 0, optional.stdout + optional.stderr
    summary = optional.stdout.splitlines()[-1]
    assert " skipped" in summary and "passed" not in summary and "failed" not in summary
