"""What OpenTelemetry tracing costs: the 10,000-call fan-out with tracing off and on.

python bench/tracing.py            # N = 10,000 at 16 in flight; needs pip install -e '.[otel]'

"Off" is a plain run (no OpenTelemetry import at all). "On" adds the trace sink
exporting over OTLP/HTTP to a local receiver: a separate process on 127.0.0.1 that
reads each export and answers 200, so decoding costs the measured process nothing. The
figure includes the final flush of every span (``close()``), not only the run. Each case
runs in a fresh process, fastest of three, beside the SQLite floor measured in this run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_floor
from common import write_fanout

N = 10_000
PARALLEL = 16
RECEIVER = """
import http.server, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@dataclass(frozen=True, slots=True)
class TracingCase:
    traced: bool
    wall_s: float
    spans: int

    @property
    def us_per_call(self) -> float:
        return self.wall_s / N * 1e6


def run_case(traced: bool) -> TracingCase:
    """Runs inside the child process: one durable run, traced or not, spans flushed."""
    from smolwf.api import run_workflow

    sinks = []
    if traced:
        from smolwf.tracing import TraceSettings
        from smolwf.tracing.setup import open_trace_sink

        sinks.append(open_trace_sink(TraceSettings()))
    with tempfile.TemporaryDirectory() as tmp:
        script = write_fanout(Path(tmp), N)
        start = time.perf_counter()
        report = run_workflow(
            script,
            db_path=Path(tmp) / "runs.db",
            max_agents=N,
            max_parallel_agents=PARALLEL,
            sinks=sinks,
            progress_stream=io.StringIO(),
        )
        for sink in sinks:
            sink.close()
        wall = time.perf_counter() - start
    if report.result != N:
        raise SystemExit(f"expected {N} results, got {report.result!r}")
    return TracingCase(traced, wall, N + 2 if traced else 0)


def measure(repeats: int = 3) -> list[TracingCase]:
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        port = receiver.stdout.readline().strip()
        env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}"}
        results = []
        for traced in (False, True):
            runs = []
            for _ in range(repeats):
                argv = [sys.executable, __file__, "--case", "on" if traced else "off"]
                out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env)
                runs.append(TracingCase(**json.loads(out.stdout.splitlines()[-1])))
            results.append(min(runs, key=lambda case: case.wall_s))
        return results
    finally:
        receiver.terminate()
        receiver.wait()


def report(cases: list[TracingCase], floor_us: float) -> None:
    off = next(case for case in cases if not case.traced)
    print(f"SQLite floor: {floor_us:.1f} µs per row")
    print(f"{'tracing':<8} {'wall s':>8} {'µs/call':>9} {'× floor':>8} {'vs off':>8}")
    for case in cases:
        print(
            f"{'on' if case.traced else 'off':<8} {case.wall_s:>8.3f} {case.us_per_call:>9.1f}"
            f" {case.us_per_call / floor_us:>8.2f} {case.wall_s / off.wall_s:>7.2f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("on", "off"), help="run one case in this process")
    args = parser.parse_args()
    if args.case is not None:
        case = run_case(args.case == "on")
        print(json.dumps({"traced": case.traced, "wall_s": case.wall_s, "spans": case.spans}))
        return
    floor = sqlite_floor.measure()
    report(measure(), floor)


if __name__ == "__main__":
    main()
