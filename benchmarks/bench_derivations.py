"""Generated derivations (theory/causal_model.py) vs the hand-written path of commit d695215, side by side.

The old modules (zheng_patterns, zheng_invariance) are loaded at run time from ``git show d695215:...``
into a temporary package (no old copy is committed); both paths compute the same all-d, all-T objects:

* C1: the zero-phase counts of every block's gradient at M_{A,B};
* C2: the moment types surviving in the off-diagonal gradients at aI, bI;
* C3: Gamma(T), Lambda(T), K0(T) and the diagonal loss for d = 3 (symbolic T).

Each path runs in a fresh subprocess (no shared caches); the best of ``--repeat`` runs is reported.
Run from the worktree root: ``python benchmarks/bench_derivations.py [--repeat 3] [--write]``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "d695215"

OLD = r"""
import sys, time
sys.path.insert(0, {pkg!r}); sys.path.insert(1, {root!r})
import theory                                     # the current package for the shared modules (moments)
t0 = time.perf_counter()
import oldtheory.zheng_patterns as P, oldtheory.zheng_invariance as I
for b in I.OFF_BLOCKS + I.ON_BLOCKS:
    I.block_phase_counts(b)
t1 = time.perf_counter()
I.off_diagonal_moment_types()
t2 = time.perf_counter()
P.coefficients_all_T(); P.diagonal_loss_all_T(3)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""

NEW = r"""
import sys, time
sys.path.insert(0, {root!r})
import theory
t0 = time.perf_counter()
import theory.zheng_patterns as P, theory.zheng_invariance as I
for b in I.off_blocks() + I.on_blocks():
    I.block_phase_counts(b)
t1 = time.perf_counter()
I.off_diagonal_moment_types()
t2 = time.perf_counter()
P.coefficients_all_T(); P.diagonal_loss_all_T(3)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def _old_package(tmp: Path) -> Path:
    pkg = tmp / "oldtheory"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("zheng_patterns", "zheng_invariance"):
        text = subprocess.run(["git", "show", f"{OLD_COMMIT}:theory/{name}.py"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout
        text = text.replace("from .moments import", "from theory.moments import")
        (pkg / f"{name}.py").write_text(text)
    return tmp


def _run(code: str) -> list[float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, check=True)
    return [float(x) for x in out.stdout.split()]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write benchmarks/results_derivations.txt")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        pkg = _old_package(Path(tmp))
        old_runs, new_runs = [], []
        for _ in range(args.repeat):                   # interleaved: old, new, old, new, ...
            old_runs.append(_run(OLD.format(pkg=str(pkg), root=str(ROOT))))
            new_runs.append(_run(NEW.format(root=str(ROOT))))
    labels = ("C1 counts, all blocks", "C2 moment types", "C3 Gamma/Lambda/K0 + diagonal loss d=3")
    old_best = [min(r[k] for r in old_runs) for k in range(3)]
    new_best = [min(r[k] for r in new_runs) for k in range(3)]
    lines = [f"bench_derivations: generated (theory/causal_model.py) vs hand-written ({OLD_COMMIT}), "
             f"best of {args.repeat} interleaved runs, fresh process each, {time.strftime('%Y-%m-%d %H:%M')}",
             f"{'derivation':45s} {'old [s]':>9s} {'new [s]':>9s} {'new/old':>8s}"]
    for label, o, n in zip(labels, old_best, new_best):
        lines.append(f"{label:45s} {o:9.3f} {n:9.3f} {n / o:8.2f}")
    lines.append(f"{'total':45s} {sum(old_best):9.3f} {sum(new_best):9.3f} {sum(new_best) / sum(old_best):8.2f}")
    text = "\n".join(lines)
    print(text)
    if args.write:
        (ROOT / "benchmarks" / "results_derivations.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
