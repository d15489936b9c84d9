"""JVM round trips per call site of a govern command: where Python-side plan building costs time.

    python benchmarks/py4j_calls.py --out FILE -- run --env demo --landing L --lakehouse H --ds D --mode daily

Runs the govern command in this process with py4j's `send_command` counted: each call (one round trip to the
JVM: building a Column, analysing a plan, running a job) is attributed to the innermost frame of the project's own
code on the stack (`?` when there is none: garbage collection of JVM references, pyspark internals), with the
seconds spent in it. FILE gets one line per site, most calls first, then the total. A few round trips per Column
built (`F.col(c) * w` is about ten, 0.15-0.2 ms each on a 2-core machine) add up to seconds per step over wide
frames, whatever the data size: the count shows where. Timings of a counted run are not the product's (the
counting costs a little per call); compare call counts.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PREFIX = str(REPO) + "/"


def site_of(frame) -> str:
    """`path:line function` of the innermost frame in the project's own code (not its virtualenv), or `?`."""
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(PREFIX) and "/.venv" not in name and "/site-packages/" not in name:
            return f"{name[len(PREFIX):]}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back
    return "?"


def counting(send, counts: collections.Counter, seconds: collections.Counter):
    """`send` (a connection's send_command) wrapped to count each call and its seconds per call site."""
    def send_command(self, command, *args, **kwargs):
        start = time.perf_counter()
        try:
            return send(self, command, *args, **kwargs)
        finally:
            site = site_of(sys._getframe(1))
            counts[site] += 1
            seconds[site] += time.perf_counter() - start
    return send_command


def report(counts: collections.Counter, seconds: collections.Counter) -> str:
    lines = [f"{n:8d} {seconds[site]:9.2f} s  {site}" for site, n in counts.most_common()]
    lines.append(f"{sum(counts.values()):8d} {sum(seconds.values()):9.2f} s  total")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="the file the per-site counts are written to")
    p.add_argument("command", nargs=argparse.REMAINDER, help="the govern command (after --)")
    args = p.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        p.error("give the govern command after --")
    import py4j.clientserver as clientserver

    from creator_governance.cli import main as govern

    counts, seconds = collections.Counter(), collections.Counter()
    connection = clientserver.ClientServerConnection
    connection.send_command = counting(connection.send_command, counts, seconds)
    try:
        govern(command)
    except SystemExit as done:  # the CLI exits with the command's status
        status = done.code or 0
    else:
        status = 0
    args.out.write_text(report(counts, seconds))
    print(f"{sum(counts.values())} JVM round trips; per call site in {args.out}")
    return int(status)


if __name__ == "__main__":
    raise SystemExit(main())
