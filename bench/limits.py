"""The fragment bomb against a running gateway process: status, time, and the process's memory.

    satu-anak gateway --port 4711 &
    python bench/limits.py --url http://127.0.0.1:4711/graphql --pid $! 18 29

For each n, POSTs `F(n) = ...F(n-1) ...F(n-1)` (2^n copies of a field, about 40 bytes a level)
and prints the HTTP status, the time to the answer, and the process's RSS before and its peak
RSS (VmHWM, Linux) after. No subgraph needs to run: a refused bomb never reaches one. Figures
and their before/after table: docs/limits.md.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request


def bomb(n: int) -> str:
    lines = [f'query Bomb {{ child(id: "ANK000000001") {{ ...F{n} }} }}']
    lines.append("fragment F0 on Child { id }")
    lines += [f"fragment F{i} on Child {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, n + 1)]
    return "\n".join(lines)


def memory_mb(pid: int) -> tuple[int, int]:
    """(RSS, peak RSS) of the process, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("levels", nargs="+", type=int, help="n: the bomb stands for 2^n fields")
    parser.add_argument("--url", required=True, help="the gateway's /graphql")
    parser.add_argument("--pid", type=int, help="the gateway's process id, for its memory")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    for n in args.levels:
        body = json.dumps({"query": bomb(n)}).encode()
        before = memory_mb(args.pid) if args.pid else None
        request = urllib.request.Request(
            args.url,
            body,
            {"content-type": "application/json", "accept": "application/graphql-response+json"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=args.timeout) as response:
                status, answer = str(response.status), response.read()
        except urllib.error.HTTPError as refused:
            status, answer = str(refused.code), refused.read()
        except OSError as failure:  # a timeout, or the process gone
            status, answer = type(failure).__name__, b""
        elapsed = (time.perf_counter() - started) * 1000
        line = f"2^{n}: {len(body)} B -> {status} in {elapsed:.1f} ms"
        if args.pid:
            after = memory_mb(args.pid)
            line += f"; RSS {before[0] if before else '?'} -> {after[0]} MB, peak {after[1]} MB"
        print(f"{line}; {answer[:120]!r}")


if __name__ == "__main__":
    main()
