"""Every way of stopping `python3 dev.py up` stops everything: a closed terminal (SIGHUP to the
foreground process group), `kill` (SIGTERM to dev.py alone), and dev.py or `satu-anak up` killed
outright (SIGKILL: the servers hold a lifeline to their parent). A port in use is a one-line error
before anything starts. Real processes on a spare port range; dev.py runs from a copy whose .venv
points at this interpreter (so it installs nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from satu_anak.cli import main as satu_anak
from satu_anak.ports import issuer_port, subgraph_ports
from satu_anak.synthetic.loader import seed
from satu_anak.up import seed_note
from subgraphs import SUBGRAPH_NAMES
from tests.ports import free_base_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHILDREN = 40
WAIT = 120.0  # seconds to come up (7 servers on a busy 2-core machine)
STOPPED = 40.0  # seconds for every process to be gone after a stop


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    env["SATU_ANAK_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("SATU_ANAK_LIFELINE_FD", None)
    return env


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder already seeded with CHILDREN children (so `up` starts without seeding)."""
    folder = tmp_path_factory.mktemp("data")
    command = [sys.executable, "-m", "satu_anak.cli", "seed", "--children", str(CHILDREN)]
    subprocess.run(command, env=_environment(folder), check=True, capture_output=True, timeout=300)
    return folder


@pytest.fixture(scope="module")
def dev_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of dev.py whose environment is ready: .venv/bin/python is this interpreter and
    .venv/bin/satu-anak runs this checkout's CLI, the lock stamp matching."""
    root = tmp_path_factory.mktemp("devroot")
    for name in ("dev.py", "pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, root / name)
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "uv").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "satu-anak").write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m satu_anak.cli "$@"\n'
    )
    for tool in ("uv", "satu-anak"):
        (bin_dir / tool).chmod(0o755)
    spec = importlib.util.spec_from_file_location("dev_copy", root / "dev.py")
    assert spec is not None and spec.loader is not None
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    dev.STAMP.write_text(dev._fingerprint())
    return root


def _ports(base: int) -> list[int]:
    return [base, *subgraph_ports(base).values(), issuer_port(base)]


def _listening(port: int) -> bool:
    """Something listens on 127.0.0.1:port (a bind, as a server would make it, fails)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _descendants(pid: int) -> dict[int, str]:
    """Every process below `pid` (Linux's /proc), with its start time: a number the system may
    give to another process later is not taken for it."""
    stats = {int(e.name): _stat(int(e.name)) for e in Path("/proc").iterdir() if e.name.isdigit()}
    parents = {child: int(fields[1]) for child, fields in stats.items() if fields}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return {child: fields[19] for child in found if (fields := stats[child])}


def _alive(pid: int, start: str) -> bool:
    """The process `pid` that started at `start` still runs (a zombie holds no port and only
    waits for its parent)."""
    fields = _stat(pid)
    return fields is not None and fields[19] == start and fields[0] != "Z"


class Started:
    """What a test starts: every process left is killed at the end, even one orphaned by a stop
    that failed (the test records the process tree it saw)."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[Any]] = []
        self.seen: dict[int, str] = {}

    def tree(self, process: subprocess.Popen[Any]) -> dict[int, str]:
        found = _descendants(process.pid)
        self.seen |= found
        return found

    def cleanup(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.seen |= _descendants(process.pid)
        for pid, start in self.seen.items():
            if _alive(pid, start):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture
def started() -> Iterator[Started]:
    record = Started()
    yield record
    record.cleanup()


def _start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    # A session of its own, as a terminal's foreground job: its process group is ours to signal.
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_until_up(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Satu Anak is up" in line:
            return lines
    raise AssertionError("did not come up:\n" + "".join(lines))


def _dev_up(dev_root: Path, data: Path, base: int, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, str(dev_root / "dev.py"), "up", "--base-port", str(base), *extra]
    return _start(command, _environment(data), dev_root)


def _assert_all_gone(processes: dict[int, str], base: int) -> None:
    """Every process of `processes` ends and no port of `base`'s range is listened on."""
    deadline = time.monotonic() + STOPPED
    while time.monotonic() < deadline:
        alive = {pid for pid, start in processes.items() if _alive(pid, start)}
        listening = [port for port in _ports(base) if _listening(port)]
        if not alive and not listening:
            return
        time.sleep(0.2)
    raise AssertionError(f"still running: {sorted(alive)}; ports still held: {listening}")


# Run `argv` in a new session whose controlling terminal is the pseudo-terminal `sys.argv[1]`
# (opened by the session leader, so it becomes its terminal), as a terminal window runs a command.
IN_TERMINAL = """
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for target in (0, 1, 2):
    os.dup2(fd, target)
os.execv(sys.argv[2], sys.argv[2:])
"""


def _read_until_up(master: int) -> str:
    seen = b""
    deadline = time.monotonic() + WAIT
    while b"Satu Anak is up" not in seen:
        assert time.monotonic() < deadline, f"did not come up:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            seen += os.read(master, 65536)
    return seen.decode(errors="replace")


def test_a_closed_terminal_stops_dev_py_up_and_every_server(
    dev_root: Path, seeded: Path, started: Started
) -> None:
    base = free_base_port(17_000)
    master, slave = os.openpty()
    try:
        command = [sys.executable, str(dev_root / "dev.py"), "up", "--base-port", str(base)]
        process = subprocess.Popen(
            [sys.executable, "-c", IN_TERMINAL, os.ttyname(slave), *command],
            cwd=dev_root,
            env=_environment(seeded),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.processes.append(process)
        _read_until_up(master)
        tree = started.tree(process)
        assert len(tree) >= 8  # `up`, four agencies, consent, the issuer, the gateway
        assert all(_listening(port) for port in _ports(base))
    finally:
        # The terminal window closes: the kernel hangs the terminal up (SIGHUP to its session's
        # processes) and every later write to it fails.
        os.close(master)
        os.close(slave)
    assert process.wait(timeout=STOPPED) == 0
    _assert_all_gone(tree, base)


def test_sigterm_to_dev_py_alone_stops_every_server_and_says_children_were_not_seeded(
    dev_root: Path, seeded: Path, started: Started
) -> None:
    base = free_base_port(17_200)
    process = _dev_up(dev_root, seeded, base, "--children", "77")
    started.processes.append(process)
    lines = _wait_until_up(process)
    # The data was there: nothing seeded, and `up` says so, what it ignored, and how to reseed.
    assert lines[0] == (
        f"not seeded: the databases in {seeded} already hold {CHILDREN} children; "
        "--children 77 ignored\n"
    )
    assert lines[1] == (
        "  to reseed (replacing that synthetic data): stop `up`, run "
        f"`SATU_ANAK_DATA_DIR={seeded} .venv/bin/satu-anak seed --force --children 77 --seed 42`,"
        " then start `up` again\n"
    )
    tree = started.tree(process)
    assert len(tree) >= 8

    os.kill(process.pid, signal.SIGTERM)  # `kill PID`: dev.py alone
    assert process.wait(timeout=STOPPED) == 0
    _assert_all_gone(tree, base)


@pytest.mark.parametrize("victim", ["dev.py", "satu-anak up"])
def test_a_killed_parent_leaves_no_server_behind(
    victim: str, dev_root: Path, seeded: Path, started: Started
) -> None:
    base = free_base_port(17_400 if victim == "dev.py" else 17_600)
    process = _dev_up(dev_root, seeded, base)
    started.processes.append(process)
    _wait_until_up(process)
    tree = started.tree(process)
    assert len(tree) >= 8
    if victim == "dev.py":
        target = process.pid
    else:
        (up,) = [
            pid
            for pid in tree
            if b"\0up\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
            and b"satu_anak.cli" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        target = up
    os.kill(target, signal.SIGKILL)  # no handler runs, nothing is stopped on the way out
    if victim == "satu-anak up":
        process.wait(timeout=STOPPED)  # dev.py sees its child end
    _assert_all_gone(tree, base)


def test_a_port_in_use_is_a_one_line_error_and_nothing_starts(
    tmp_path: Path, started: Started
) -> None:
    base = free_base_port(17_800)
    taken = subgraph_ports(base)["dinsos"]
    data = tmp_path / "data"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        command = [sys.executable, "-m", "satu_anak.cli", "up", "--base-port", str(base)]
        process = subprocess.Popen(
            command,
            env=_environment(data),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        started.processes.append(process)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 1
        assert out == ""
        assert err == (
            f"satu-anak up: port {taken} (dinsos) on 127.0.0.1 already in use or unavailable; "
            "nothing started (stop what holds them, or choose other ports with --base-port)\n"
        )
        # Nothing started, nothing seeded: every other port is free, the data folder untouched.
        assert [port for port in _ports(base) if _listening(port)] == [taken]
    assert not data.exists()


def test_the_reseed_command_up_suggests_replaces_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SATU_ANAK_DATA_DIR", str(tmp_path))
    for name in SUBGRAPH_NAMES:
        monkeypatch.delenv(f"SATU_ANAK_{name.upper()}_DATABASE_URL", raising=False)
    assert satu_anak(["seed", "--children", "20"]) == 0
    report = asyncio.run(seed(30, 42, only_if_empty=True))
    assert report.skipped and report.existing_children == 20
    note = seed_note(report, 30, None).splitlines()
    assert (
        note[0]
        == f"not seeded: the databases in {tmp_path} already hold 20 children; --children 30 ignored"
    )
    # The command it gives, run as given, replaces the 20 children by 30.
    command = shlex.split(note[1].split("`")[3])
    assert command[:2] == [f"SATU_ANAK_DATA_DIR={tmp_path}", ".venv/bin/satu-anak"]
    assert satu_anak(command[2:]) == 0
    again = asyncio.run(seed(30, 42, only_if_empty=True))
    assert again.skipped and again.existing_children == 30
    # Asked for nothing: nothing said to be ignored.
    assert seed_note(again, None, None).splitlines()[0] == (
        f"not seeded: the databases in {tmp_path} already hold 30 children"
    )
