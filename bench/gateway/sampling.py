"""CPU and memory sampling from /proc while a gateway is loaded: per core, per process group, and
the share taken by processes that are not part of the benchmark."""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_times() -> dict[str, tuple[int, int, int, int]]:
    """Per-core (busy, total, user+nice+system, steal) jiffies from /proc/stat."""
    result = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                parts = line.split()
                values = [int(v) for v in parts[1:]]
                idle = values[3] + values[4]
                total = sum(values[:8])
                result[parts[0]] = (
                    total - idle,
                    total,
                    values[0] + values[1] + values[2],
                    values[7],  # steal: time the hypervisor ran something else on this vCPU
                )
    return result


def _group(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == pgid:
                pids.append(int(entry))
    return pids


def _group_usage(pgid: int) -> tuple[int, int]:
    """(utime+stime jiffies, RSS KiB) summed over a process group."""
    ticks = rss = 0
    for pid in _group(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return ticks, rss


def wait_for_quiet(limit_pct: float = 15, timeout: float = 60) -> float:
    """Wait (bounded) until no core is busier than limit_pct over 1 s (this machine may be
    shared); returns the busiest core's % at the end."""
    deadline = time.monotonic() + timeout
    while True:
        a = _cpu_times()
        time.sleep(1)
        b = _cpu_times()
        busiest = max(100 * (b[c][0] - a[c][0]) / max(1, b[c][1] - a[c][1]) for c in b)
        if busiest <= limit_pct or time.monotonic() > deadline:
            return round(busiest, 1)


class Sampler(threading.Thread):
    """Samples per-core busy time and the gateway's CPU and RSS every 0.5 s (bounded by stop())."""

    def __init__(self, pgid: int, others: list[int], partners: tuple[int, ...] = ()) -> None:
        super().__init__(daemon=True)
        self.pgid = pgid
        self.others = others  # our other process groups (the subgraphs)
        self.partners = partners  # --concurrent: the other gateway, also ours
        self.partner_ticks: list[int] = []
        self.halt = threading.Event()
        self.samples: list[tuple[float, dict[str, tuple[int, int, int, int]], int, int]] = []
        self.other_ticks: list[int] = []
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.own = resource.getrusage(resource.RUSAGE_SELF)  # run.py itself (this sampling)

    def sample(self) -> None:
        ticks, rss = _group_usage(self.pgid)
        self.samples.append((time.monotonic(), _cpu_times(), ticks, rss))
        self.other_ticks.append(sum(_group_usage(g)[0] for g in self.others))
        self.partner_ticks.append(sum(_group_usage(g)[0] for g in self.partners))

    def run(self) -> None:
        self.sample()
        while not self.halt.wait(0.5):
            self.sample()
        self.sample()

    def stop(self) -> dict[str, Any]:
        self.halt.set()
        self.join(5)
        if len(self.samples) < 2:
            return {}
        (t0, c0, k0, _), (t1, c1, k1, _) = self.samples[0], self.samples[-1]
        cores = {
            cpu: round(100 * (c1[cpu][0] - c0[cpu][0]) / max(1, c1[cpu][1] - c0[cpu][1]), 1)
            for cpu in c1
        }
        peak = 0.0
        for (ta, _, ka, _), (tb, _, kb, _) in zip(self.samples, self.samples[2:], strict=False):
            peak = max(peak, 100 * (kb - ka) / CLK_TCK / (tb - ta))
        # CPU used by processes that are not part of this benchmark (the machine may be shared):
        # all busy time minus the gateway, the subgraphs, wrk (children waited for meanwhile) and
        # run.py itself (its sampling of /proc).
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_s = (after.ru_utime + after.ru_stime) - (
            self.children.ru_utime + self.children.ru_stime
        )
        own = resource.getrusage(resource.RUSAGE_SELF)
        own_s = (own.ru_utime + own.ru_stime) - (self.own.ru_utime + self.own.ru_stime)
        # Process time only (user+nice+system): interrupt time is not attributable to a process.
        busy_s = sum(c1[c][2] - c0[c][2] for c in c1) / CLK_TCK
        ours_s = (
            (k1 - k0)
            + (self.other_ticks[-1] - self.other_ticks[0])
            + (self.partner_ticks[-1] - self.partner_ticks[0])
        ) / CLK_TCK
        foreign = max(0.0, 100 * (busy_s - ours_s - wrk_s - own_s) / (t1 - t0))
        return {
            "foreign_cpu_pct": round(foreign, 1),
            "subgraphs_cpu_pct": round(
                100 * (self.other_ticks[-1] - self.other_ticks[0]) / CLK_TCK / (t1 - t0), 1
            ),
            "wrk_cpu_pct": round(100 * wrk_s / (t1 - t0), 1),
            "harness_cpu_pct": round(100 * own_s / (t1 - t0), 1),
            "cores_busy_pct": cores,
            "cores_steal_pct": {
                cpu: round(100 * (c1[cpu][3] - c0[cpu][3]) / max(1, c1[cpu][1] - c0[cpu][1]), 1)
                for cpu in c1
            },
            "gateway_cpu_pct": round(100 * (k1 - k0) / CLK_TCK / (t1 - t0), 1),
            "gateway_cpu_peak_pct": round(peak, 1),
            "gateway_rss_max_mb": round(max(s[3] for s in self.samples) / 1024, 1),
        }
