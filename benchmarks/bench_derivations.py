"""Generated derivations (theory/causal_model.py) vs the hand-written path of commit d695215, side by side.

The old modules (zheng_patterns, zheng_invariance) are loaded at run time from ``git show d695215:...``
into a temporary package (no old copy is committed); both paths compute the same all-d, all-T objects:

* C1: the zero-phase counts of every block's gradient at M_{A,B};
* C2: the moment types surviving in the off-diagonal gradients at aI, bI;
* C3: Gamma(T), Lambda(T), K0(T) and the diagonal loss for d = 3 (symbolic T).

Each path runs in a fresh subprocess (no shared caches); the best of ``--repeat`` runs is reported.
The claim-level checks (C1, C2, C3 all-d / all-T) run in the whole tree of d695215 extracted with
``git archive`` into a temporary directory, against the same functions of this tree.
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


CLAIM_CHECKS = {
    "C1 all-d check (+ factor lists / term check)": ("z.check_c1_all(); z.check_c1_factor_lists()", "z.check_c1_all()"),
    "C2 off-diagonal all-d check": ("z.check_c2_off_diagonal_all()", "z.check_c2_off_diagonal_all()"),
    "C3 Gamma/Lambda all-T + entrywise d<=3": ("z.check_c3_all_T(); z.check_c3_entrywise_all_T()",
                                              "z.check_c3_all_T(); z.check_c3_entrywise_all_T()"),
}
CLAIM = r"""
import sys, time
sys.path.insert(0, {root!r})
from proofs_check.claims import zheng2024 as z
import sympy, theory.zheng_population
t0 = time.perf_counter()
{code}
print(time.perf_counter() - t0)
"""


def _old_tree(tmp: Path) -> Path:
    """The whole tree at OLD_COMMIT (for the claim-level checks, which need that commit's engine)."""
    tree = tmp / "oldtree"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", OLD_COMMIT], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


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


def _run(code: str, cwd: Path = ROOT) -> list[float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env, check=True)
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
        tree = _old_tree(Path(tmp))
        claim_rows = []
        for label, (old_code, new_code) in CLAIM_CHECKS.items():
            o = min(_run(CLAIM.format(root=str(tree), code=old_code), cwd=tree)[0] for _ in range(args.repeat))
            n = min(_run(CLAIM.format(root=str(ROOT), code=new_code))[0] for _ in range(args.repeat))
            claim_rows.append((label, o, n))
    labels = ("C1 counts, all blocks", "C2 moment types", "C3 Gamma/Lambda/K0 + diagonal loss d=3")
    old_best = [min(r[k] for r in old_runs) for k in range(3)]
    new_best = [min(r[k] for r in new_runs) for k in range(3)]
    lines = [f"bench_derivations: generated (theory/causal_model.py) vs hand-written ({OLD_COMMIT}), "
             f"best of {args.repeat} interleaved runs, fresh process each, {time.strftime('%Y-%m-%d %H:%M')}",
             f"{'derivation':45s} {'old [s]':>9s} {'new [s]':>9s} {'new/old':>8s}"]
    for label, o, n in zip(labels, old_best, new_best):
        lines.append(f"{label:45s} {o:9.3f} {n:9.3f} {n / o:8.2f}")
    lines.append(f"{'total':45s} {sum(old_best):9.3f} {sum(new_best):9.3f} {sum(new_best) / sum(old_best):8.2f}")
    lines.append("claim-level checks (the new ones include their brute-force cross-checks and controls):")
    for label, o, n in claim_rows:
        lines.append(f"{label:45s} {o:9.3f} {n:9.3f} {n / o:8.2f}")
    o, n = sum(r[1] for r in claim_rows), sum(r[2] for r in claim_rows)
    lines.append(f"{'total (claim-level)':45s} {o:9.3f} {n:9.3f} {n / o:8.2f}")
    text = "\n".join(lines)
    print(text)
    if args.write:
        (ROOT / "benchmarks" / "results_derivations.txt").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
