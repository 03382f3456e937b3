"""Cold timings for the zsls2025 claims (target: `mesacheck verify zsls2025` < 60 s, each claim < 20 s on
2 cores) and the issue's speed target (population loss + full gradient of a 2-head merged-KQ model at
D = 3, symbolic N, < 30 s).

Run:  python benchmarks/bench_zsls2025.py [--repeats 3]   (writes benchmarks/results_zsls2025.txt)

Each repeat runs in a fresh subprocess with --no-cache (nothing reused across repeats); medians are
reported. The machine is shared: the load at the time is printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# the repository's folders under their legacy names (installed, they are mesacheck.*)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SPEED = r"""
import json, time
import sympy as sp
from theory import InContextRegression, LinearAttention, population_loss, SYMBOLS
t0 = time.perf_counter()
model = LinearAttention(D=3, heads=2, parametrisation="merged")
loss = population_loss(model, InContextRegression(D=3), N=SYMBOLS["N"])
expr = loss.expr
t1 = time.perf_counter()
grad = loss.gradient
t2 = time.perf_counter()
print(json.dumps({"loss_s": t1 - t0, "gradient_s": t2 - t1, "symbols": len(model.symbols)}))
"""


def verify_once():
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "proofs_check.cli", "verify", "zsls2025", "--no-cache", "-j", "1",
                           "--json"], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    doc = json.loads(proc.stdout)
    claims = doc["claims"] if isinstance(doc, dict) else doc
    return wall, {c["id"]: (c["status"], c["seconds"]) for c in claims}


def speed_once():
    proc = subprocess.run([sys.executable, "-c", SPEED], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results_zsls2025.txt"))
    args = parser.parse_args(argv)
    walls, per, speeds = [], {}, []
    for _ in range(args.repeats):                   # interleaved: the load hits both measurements alike
        wall, claims = verify_once()
        walls.append(wall)
        for cid, (status, seconds) in claims.items():
            per.setdefault(cid, []).append((status, seconds))
        speeds.append(speed_once())
    load = os.getloadavg()
    lines = [f"mesacheck verify zsls2025 --no-cache -j 1 (cold, fresh process each), median of {args.repeats}:"]
    for cid, runs in per.items():
        statuses = sorted({s for s, _ in runs})
        lines.append(f"  {cid:12s} {'/'.join(statuses):9s} {statistics.median(s for _, s in runs):6.2f} s "
                     f"(target < 20 s)")
    lines.append(f"verify zsls2025: {statistics.median(walls):.1f} s wall, including start-up (target < 60 s)")
    lines.append("population loss + full gradient, 2-head merged KQ, D = 3, symbolic N (2 x (16 + 4) = "
                 f"{speeds[0]['symbols']} weights), median of {args.repeats}: loss "
                 f"{statistics.median(s['loss_s'] for s in speeds):.1f} s + gradient "
                 f"{statistics.median(s['gradient_s'] for s in speeds):.1f} s (target < 30 s)")
    lines.append(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    with open(args.out + ".tmp", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(args.out + ".tmp", args.out)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
