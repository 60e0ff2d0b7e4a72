"""A lifeline from a parent to the processes it starts: when the parent dies, however it dies
(SIGKILL included), its children stop instead of lingering on their ports.

The parent makes a pipe and keeps its write end open for as long as it lives, writing nothing; each
child inherits the read end (its number in SATU_ANAK_LIFELINE_FD) and a daemon thread blocks
reading it. The kernel closes the write end when the parent exits, whatever the cause, so the read
returns end-of-file: the child sends itself SIGTERM (a server stops as on Ctrl-C, gracefully) and,
if it is still there after a grace period, exits hard.

Chosen over Linux's prctl(PR_SET_PDEATHSIG): a pipe works on every POSIX system (a developer's
macOS too), needs no preexec_fn (unsafe in a parent with threads), and has no race between the
parent's death and the child arming the signal (a pipe whose writer is gone reads end-of-file at
once). Where file descriptors cannot be passed (Windows), there is no lifeline: nothing breaks,
the children just are not tied to the parent.

Standard library only: dev.py imports it before any environment exists.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

VARIABLE = "SATU_ANAK_LIFELINE_FD"
GRACE_SECONDS = 20.0  # after the parent's death: SIGTERM first, a hard exit after this long


class Lifeline:
    """The parent's end: `child_options()` gives each child (subprocess.Popen keywords) the read
    end; the write end stays open until this process exits (or `close()`)."""

    def __init__(self) -> None:
        self.read_fd: int | None = None
        self.write_fd: int | None = None
        if os.name == "posix":
            self.read_fd, self.write_fd = os.pipe()  # both non-inheritable by default

    def child_options(self, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Keywords for subprocess.Popen: `env` (default: this process's) with the lifeline's
        variable, and the read end passed; without a lifeline, just the environment."""
        environment = dict(os.environ if env is None else env)
        if self.read_fd is None:
            environment.pop(VARIABLE, None)
            return {"env": environment}
        environment[VARIABLE] = str(self.read_fd)
        return {"env": environment, "pass_fds": (self.read_fd,)}

    def started(self) -> None:
        """Every child is started: the parent's copy of the read end is not needed any more."""
        if self.read_fd is not None:
            os.close(self.read_fd)
            self.read_fd = None

    def close(self) -> None:
        """Cut the lifeline now (the children stop as if the parent had died)."""
        self.started()
        if self.write_fd is not None:
            os.close(self.write_fd)
            self.write_fd = None


def watch_parent(grace: float = GRACE_SECONDS) -> bool:
    """In a child: if a parent passed a lifeline, stop this process when that parent is gone.
    The variable is removed so that this process's own children do not watch the wrong pipe.
    True when a lifeline is watched."""
    value = os.environ.pop(VARIABLE, None)
    if value is None or os.name != "posix":
        return False
    try:
        fd = int(value)
        os.fstat(fd)
    except (ValueError, OSError):
        print(f"ignoring {VARIABLE}={value!r}: not an open file descriptor", file=sys.stderr)
        return False
    os.set_inheritable(fd, False)

    def watch() -> None:
        while True:
            try:
                if not os.read(fd, 1):
                    break  # end-of-file: the parent is gone
            except InterruptedError:
                continue
            except OSError:
                break
        with contextlib.suppress(OSError, ValueError):  # the terminal may be gone with it
            print("the parent process is gone: stopping", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
    return True
