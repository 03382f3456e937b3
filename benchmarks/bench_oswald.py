"""Benchmarks of the foundation issue (von Oswald claims), one run, ratios against baselines.

    python benchmarks/bench_oswald.py

1. ``mesacheck verify oswald2022`` wall time (target < 15 s).
2. The entrywise O1 check at N_x = N = 10 (N_y = 1) with symbolic entries: mesacheck's exact
   polynomial matrices against the naive baseline ``simplify(lhs - rhs)`` on the same matrices
   (target: at least 20x faster).
3. ``mesacheck --help`` wall time (target < 0.5 s).
"""
from __future__ import annotations

import subprocess
import sys
import time

import sympy as sp

# the repository's folders under their legacy names (installed, they are mesacheck.*)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True)
    return time.perf_counter() - start


def o1_entrywise_fast(sizes=(10, 1, 10)) -> tuple[float, bool]:
    from proofs_check.claims.oswald2022 import one_step_residuals
    from theory.constructions import regression_prompt

    start = time.perf_counter()
    residuals = one_step_residuals(regression_prompt(*sizes))
    ok = all(r.is_zero_matrix() for r in residuals.values())
    return time.perf_counter() - start, ok


def o1_entrywise_simplify(sizes=(10, 1, 10)) -> tuple[float, bool]:
    from proofs_check.claims.oswald2022 import one_step_residuals
    from theory.constructions import regression_prompt

    start = time.perf_counter()
    residuals = one_step_residuals(regression_prompt(*sizes, polynomial=False))
    ok = all(sp.simplify(e) == 0 for r in residuals.values() for e in r)
    return time.perf_counter() - start, ok


def main() -> None:
    exe = [sys.executable, "-m", "proofs_check.cli"]
    help_time = min(wall(["mesacheck", "--help"]) for _ in range(5))
    verify_time = wall(["mesacheck", "verify", "oswald2022"])
    fast, ok_fast = o1_entrywise_fast()
    print(f"O1 entrywise at Nx=N=10, exact polynomials: {fast:.2f} s (zero: {ok_fast})", flush=True)
    slow, ok_slow = o1_entrywise_simplify()
    print(f"O1 entrywise at Nx=N=10, simplify(lhs - rhs): {slow:.2f} s (zero: {ok_slow})", flush=True)
    print()
    print(f"mesacheck --help                 {help_time:6.3f} s   (target < 0.5 s)")
    print(f"mesacheck verify oswald2022      {verify_time:6.2f} s   (target < 15 s)")
    print(f"O1 entrywise speed-up            {slow / fast:6.1f} x   (target >= 20 x; {slow:.1f} s vs {fast:.2f} s)")
    del exe


if __name__ == "__main__":
    main()
