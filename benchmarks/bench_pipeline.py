"""Benchmarks of the model-description pipeline (issue 10), one run, side by side.

    python benchmarks/bench_pipeline.py [--out benchmarks/results_pipeline.txt] [--repeats 3]

1. The issue's target: the exact population loss and the full gradient (every weight) of a 2-head merged-KQ
   model at D = 3 with **symbolic N**, in under 30 s on 2 cores (median of the repeats, cold: a fresh
   process each time, so no in-process cache helps).
2. Baseline, what a user without the pipeline would write: the same loss by expanding an explicit prompt
   of N tokens and taking Gaussian moments monomial by monomial, which gives one N per run; we time it at
   N = 2 (the smallest non-trivial prompt) for a 1-head D = 2 model, beside the pipeline on the same model
   (symbolic N, so every N at once). Ratio = baseline / pipeline.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

# the repository's folders under their legacy names (installed, they are mesacheck.*)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]

PIPELINE = """
import time, sympy as sp
from theory import LinearAttention, InContextRegression, population_loss
t = time.perf_counter()
L = population_loss(LinearAttention(D={D}, heads={H}), InContextRegression({D}))
g = L.gradient
print(time.perf_counter() - t, len(g))
"""

DIRECT = """
import time, sympy as sp
from theory import LinearAttention, InContextRegression
t = time.perf_counter()
m, task = LinearAttention(D={D}, heads={H}), InContextRegression({D})
xs, ys = zip(*[task.token(k)[:2] for k in range(1, {N} + 1)])
loss = task.expect((m.predict(list(xs), list(ys), task.x_q) - task.target()) ** 2 / 2, blocks={N})
g = [sp.diff(loss, s) for s in m.symbols]
print(time.perf_counter() - t, len(g))
"""


def timed(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=900)
    if out.returncode:
        raise RuntimeError(out.stderr)
    return float(out.stdout.split()[0])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_pipeline.txt"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    target, base, pipe = [], [], []
    for _ in range(args.repeats):  # interleaved, so the machine's load hits every side alike
        target.append(timed(PIPELINE.format(D=3, H=2)))
        base.append(timed(DIRECT.format(D=2, H=1, N=2)))
        pipe.append(timed(PIPELINE.format(D=2, H=1)))
    med = statistics.median
    lines = [
        f"# bench_pipeline.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.repeats} interleaved repeats",
        f"2-head merged KQ, D = 3, symbolic N: loss + full gradient (40 weights): median {med(target):.2f} s "
        f"(runs {', '.join(f'{x:.2f}' for x in target)}); target < 30 s: {'met' if med(target) < 30 else 'MISSED'}",
        f"1-head D = 2: explicit prompt at N = 2 (one N): median {med(base):.2f} s; pipeline, symbolic N (every N): "
        f"median {med(pipe):.2f} s; ratio {med(base) / med(pipe):.1f}x",
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
