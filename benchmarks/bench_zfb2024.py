"""Benchmark of the Zhang-Frei-Bartlett claims (issue 10 item 2), cold (no cache), one run.

    python benchmarks/bench_zfb2024.py > benchmarks/results_zfb2024.txt

1. ``mesacheck verify zfb2024 --no-cache -j 1`` wall time (target < 60 s on 2 cores).
2. Each claim alone, ``mesacheck verify <id> --no-cache`` (target < 20 s each; every claim derives
   the pipeline's population loss afresh in its own process, so these include that shared cost).
"""
from __future__ import annotations

import subprocess
import sys
import time

IDS = ["zfb2024.F1", "zfb2024.F2", "zfb2024.F3", "zfb2024.F4", "zfb2024.F5", "zfb2024.F6"]


def wall(args: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "proofs_check.cli", *args], check=False, capture_output=True)
    return time.perf_counter() - start, run.returncode


def main() -> None:
    total, code = wall(["verify", "zfb2024", "--no-cache", "-j", "1"])
    print(f"mesacheck verify zfb2024 --no-cache -j 1   {total:6.1f} s  exit {code}   (target < 60 s)")
    for claim_id in IDS:
        seconds, code = wall(["verify", claim_id, "--no-cache"])
        print(f"mesacheck verify {claim_id} --no-cache   {seconds:6.1f} s  exit {code}   (target < 20 s)")


if __name__ == "__main__":
    main()
