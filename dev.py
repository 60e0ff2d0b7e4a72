#!/usr/bin/env python3
"""Set-up and everyday commands on a machine with only Python: `python3 dev.py up | test | check`.

It creates .venv, installs uv there, installs the locked dependencies (requirements.lock: exact
versions with hashes, resolved from pyproject.toml) and the project, then runs the command inside
that environment. Safe to run again: an environment matching the lock is left as it is.
`python3 dev.py lock` re-resolves the locks after pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LOCKS = {"requirements.lock": ("--extra", "dev"), "requirements-runtime.lock": ()}
STAMP = VENV / ".satu-anak-lock"


# Passed on to the child like Ctrl-C: `kill` (SIGTERM) and a closed terminal (SIGHUP).
FORWARDED = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _run(*command: str | Path, env: dict[str, str] | None = None, lifeline: bool = False) -> int:
    """Run `command` in ROOT until it ends; every way of stopping dev.py is passed on to it.
    `lifeline`: the child (a `satu-anak` command) also stops if dev.py is killed outright."""
    options: dict[str, Any] = {"env": env}
    line = None
    if lifeline:
        from satu_anak.lifeline import Lifeline  # standard library only

        line = Lifeline()
        options = line.child_options(env)
    process = subprocess.Popen([str(c) for c in command], cwd=ROOT, **options)
    if line is not None:
        line.started()  # the write end stays open in dev.py until it exits

    def forward(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    previous = {number: signal.signal(number, forward) for number in FORWARDED}
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                # Ctrl-C is the child's to handle (`up` stops its services cleanly): pass it on.
                process.send_signal(signal.SIGINT)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _uv(*args: str | Path) -> int:
    return _run(BIN / "uv", *args)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _has_pip() -> bool:
    quiet = subprocess.DEVNULL
    return (
        subprocess.call([BIN / "python", "-m", "pip", "--version"], stdout=quiet, stderr=quiet) == 0
    )


def ensure_environment() -> None:
    if (BIN / "python").exists() and not (BIN / "uv").exists() and not _has_pip():
        # A .venv made by another tool, without pip: start it afresh.
        shutil.rmtree(VENV)
    if not (BIN / "python").exists():
        print("creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    needs_uv = not (BIN / "uv").exists()
    if needs_uv and _run(BIN / "python", "-m", "pip", "install", "--quiet", "uv") != 0:
        sys.exit("could not install uv into .venv")
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    python = BIN / "python"
    steps = (
        ("sync", "--quiet", "--python", python, "--require-hashes", "requirements.lock"),
        ("install", "--quiet", "--python", python, "--no-deps", "--editable", "."),
    )
    for step in steps:
        if _uv("pip", *step) != 0:
            sys.exit("could not install the locked dependencies (requirements.lock)")
    STAMP.write_text(_fingerprint())


def _compile(lock: str, output: Path) -> int:
    return _uv(
        "pip", "compile", "pyproject.toml", *LOCKS[lock], "--generate-hashes", "--universal",
        "--python-version", "3.11", "--quiet", "--no-header", "-o", output,
    )  # fmt: skip


def lock(check: bool) -> int:
    """Re-resolve the locks (pins kept where pyproject.toml still allows them)."""
    status = 0
    for name in LOCKS:
        with tempfile.TemporaryDirectory() as folder:
            output = Path(folder) / name
            shutil.copy(ROOT / name, output)  # uv keeps the pins an existing output has
            if _compile(name, output) != 0:
                return 1
            if not check:
                shutil.copy(output, ROOT / name)
            elif output.read_text() != (ROOT / name).read_text():
                print(f"{name} is out of date with pyproject.toml: run `python3 dev.py lock`")
                status = 1
    return status


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 the machine has
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not argv or argv[0] not in {"up", "test", "check", "lock", "shell"}:
        print(__doc__)
        print("commands: up [satu-anak up options] | test [pytest options] | check | lock | shell")
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment()
    if command == "up":
        return _run(BIN / "satu-anak", "up", *rest, lifeline=True)
    if command == "test":
        return _run(BIN / "pytest", *rest)
    if command == "lock":
        return lock(check=False)
    if command == "check":
        return max(
            _run(BIN / "ruff", "check", "."),
            _run(BIN / "ruff", "format", "--check", "."),
            _run(BIN / "mypy"),
            _run(BIN / "satu-anak", "sdl", "--check"),
            _run(BIN / "satu-anak", "compose", "--check"),
            lock(check=True),
        )
    return _run(BIN / "python")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
