"""Benchmarks of the earned-verdicts issue (8), one run, side by side.

    python benchmarks/bench_verify.py [--out benchmarks/results_verify.txt]

1. ``mesacheck verify`` (every registered claim, default checks, default jobs), wall time, cold
   (``MESACHECK_NO_CACHE=1`` where the derivation cache exists); target < 60 s on 2 cores.
2. The engine's own overhead: the same checks run through ``run_check`` (evidence, time bound,
   earned label) against calling the check functions directly, for the von Oswald claims
   (what a user who skipped the engine would do); the ratio must stay near 1.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

# the repository's folders under their legacy names (installed, they are mesacheck.*)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))


def verify_wall(args: list[str]) -> tuple[float, int, str]:
    env = dict(os.environ, MESACHECK_NO_CACHE="1")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "proofs_check.cli", "verify", *args], capture_output=True,
                         text=True, env=env)
    return time.perf_counter() - start, run.returncode, run.stdout.strip().splitlines()[-1] if run.stdout else ""


def engine_overhead() -> tuple[float, float]:
    from proofs_check import all_claims
    from proofs_check.verdicts import run_check

    claims = [c for c in all_claims() if c.id.startswith("oswald2022.O")]

    def direct():
        for c in claims:
            for check in c.checks:
                check.run()

    def engine():
        for c in claims:
            for check in c.checks:
                run_check(check.name, check.method, check.run)

    direct()                                            # warm-up: imports and lru caches for both
    times = {"direct": [], "engine": []}
    for _ in range(3):                                  # interleaved, best of 3
        for name, fn in (("direct", direct), ("engine", engine)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return min(times["direct"]), min(times["engine"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).with_name("results_verify.txt")))
    args = parser.parse_args()
    lines = [f"# bench_verify.py, {time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores"]
    seconds, rc, last = verify_wall([])
    lines.append(f"mesacheck verify (all claims, cold): {seconds:.1f} s wall, exit {rc} (target < 60 s); {last}")
    direct, engine = engine_overhead()
    lines.append(f"engine overhead on oswald2022.O*: direct {direct:.2f} s, through run_check {engine:.2f} s, "
                 f"ratio {engine / direct:.2f}x (interleaved, best of 3, after a warm-up)")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
