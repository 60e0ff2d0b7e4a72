#!/usr/bin/env python3
"""Set-up and everyday commands on a machine with only Python: `python3 dev.py up | test | check`.

It creates .venv, installs uv there and syncs the locked dependencies (uv.lock), then runs the
command inside that environment. Safe to run again: an up-to-date environment is left as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _run(*command: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(c) for c in command], cwd=ROOT, env=env)


def ensure_environment() -> None:
    if not (BIN / "python").exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    installed = (BIN / "uv").exists()
    if not installed and _run(BIN / "python", "-m", "pip", "install", "--quiet", "uv") != 0:
        sys.exit("could not install uv into .venv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    if _run(BIN / "uv", "sync", "--frozen", "--extra", "dev", "--quiet", env=env) != 0:
        sys.exit("could not install the locked dependencies (uv sync --frozen)")


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the machine has
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not argv or argv[0] not in {"up", "test", "check", "shell"}:
        print(__doc__)
        print("commands: up [satu-anak up options] | test [pytest options] | check | shell")
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment()
    if command == "up":
        return _run(BIN / "satu-anak", "up", *rest)
    if command == "test":
        return _run(BIN / "pytest", *rest)
    if command == "check":
        return max(
            _run(BIN / "ruff", "check", "."),
            _run(BIN / "ruff", "format", "--check", "."),
            _run(BIN / "mypy"),
            _run(BIN / "satu-anak", "sdl", "--check"),
            _run(BIN / "satu-anak", "compose", "--check"),
        )
    return _run(BIN / "python")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
