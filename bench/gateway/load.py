"""Load generation: one bounded wrk run and its parsed output; a py-spy profile under that load."""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from paths import LUA, RESULTS
from processes import pinned


def wrk(
    url: str,
    body_file: Path,
    *,
    connections: int,
    seconds: float,
    core: str | None,
    timeout_s: int = 30,
) -> dict[str, Any]:
    argv = pinned(
        core,
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            f"--timeout={timeout_s}s",
            "--latency",
            "-s",
            str(LUA),
            url,
        ],
    )
    out = subprocess.run(
        argv,
        env={**os.environ, "BODY_FILE": str(body_file)},
        capture_output=True,
        text=True,
        timeout=seconds + timeout_s + 30,  # wrk stops itself; this is the backstop
        check=False,
    )
    match = re.search(r"^WRK_JSON (\{.*\})$", out.stdout, re.M)
    if out.returncode != 0 or match is None:
        raise RuntimeError(
            f"wrk failed ({out.returncode}): {out.stdout[-2000:]} {out.stderr[-2000:]}"
        )
    result: dict[str, Any] = json.loads(match.group(1))
    seconds_run = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / seconds_run
    errors = (
        result["failed"]
        + result["connect_errors"]
        + result["read_errors"]
        + result["write_errors"]
        + result["timeouts"]
    )
    result["errors"] = errors
    result["raw"] = out.stdout
    return result


def profile(pid: int, url: str, args: argparse.Namespace, label: str) -> dict[str, Any]:
    """py-spy the gateway under the same load; returns self/inclusive time per function."""
    pyspy = args.py_spy
    raw = RESULTS / f"profile-{label}.raw"
    loader = threading.Thread(
        target=lambda: wrk(
            url,
            RESULTS / "body.json",
            connections=args.connections,
            seconds=args.profile + 4,
            core=args.load_core,
        ),
        daemon=True,
    )
    loader.start()
    time.sleep(2)
    subprocess.run(
        [
            pyspy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(args.profile)),
            "-r",
            "100",
            "-f",
            "raw",
            "--nonblocking",
            "-o",
            str(raw),
        ],
        capture_output=True,
        timeout=args.profile + 60,
        check=False,
    )
    loader.join(args.profile + 60)
    return summarise_profile(raw)


def summarise_profile(raw: Path) -> dict[str, Any]:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    if not raw.exists():
        return {"samples": 0, "self": [], "inclusive": []}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        # Group by function (drop the line number) so a function's lines add up.
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";") if f.strip()]
        if not frames:
            continue
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    pct = lambda n: round(100 * n / max(total, 1), 1)  # noqa: E731
    return {
        "samples": total,
        "self": [(f, pct(n)) for f, n in own.most_common(25)],
        "inclusive": [(f, pct(n)) for f, n in inclusive.most_common(60)],
    }
