"""Benchmark: ``mesacheck verify ahn2023`` cold (no derivation cache), on 2 cores; target < 60 s.

    python benchmarks/bench_ahn2023.py [--out benchmarks/results_ahn2023.txt] [--repeats 1]

Runs ``verify ahn2023 --no-cache`` with the default jobs and with ``-j 1``, interleaved (so that the
machine's load hits both), and each claim alone with ``-j 1`` (target < 20 s per claim); medians.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ("ahn2023.M", "ahn2023.L1", "ahn2023.T1", "ahn2023.T1iso")


def wall(args: list[str]) -> tuple[float, int, str]:
    env = dict(os.environ, MESACHECK_NO_CACHE="1")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "proofs_check.cli", "verify", *args, "--no-cache"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr.strip()[-200:]
    return time.perf_counter() - start, run.returncode, last


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).with_name("results_ahn2023.txt")))
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    runs = {"verify ahn2023 (default -j)": ["ahn2023"], "verify ahn2023 -j 1": ["ahn2023", "-j", "1"]}
    runs.update({f"verify {c} -j 1": [c, "-j", "1"] for c in CLAIMS})
    times: dict[str, list[float]] = {k: [] for k in runs}
    last: dict[str, tuple[int, str]] = {}
    for _ in range(args.repeats):                       # interleaved repeats
        for name, argv in runs.items():
            seconds, rc, line = wall(argv)
            times[name].append(seconds)
            last[name] = (rc, line)
    lines = [f"# bench_ahn2023.py, {time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, "
             f"cold (--no-cache), median of {args.repeats}"]
    for name in runs:
        rc, line = last[name]
        target = 60 if name.startswith("verify ahn2023 ") else 20
        lines.append(f"{name}: {statistics.median(times[name]):.1f} s wall, exit {rc} (target < {target} s); {line}")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
