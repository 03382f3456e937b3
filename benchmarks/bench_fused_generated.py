"""The generated (d-specialised) fused kernel, built by numba and by the C compiler, against numba's generic
kernel, interleaved in one run.

d = 5, T = 100, one thread, 256 lanes, both layouts (copy / view): the training pass (loss and
gradients) and the test-loss pass at m = 10^4 and at m = 1000 (a test set of m beside the training
set, as in bench_authors_zheng), medians of ``--reps`` repeats, each repeat timing every candidate
once in turn so that the machine's load hits all of them. Also the first-call times (compile, or
load from numba's on-disk cache) of the generated kernels.

    python benchmarks/bench_fused_generated.py [--reps 7] [--m 10000,1000]
"""
import argparse
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from numerics import fused, sampling  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--m", default="10000,1000")
    ap.add_argument("--lanes", type=int, default=None, help="lanes of the generated kernel's data "
                    "(default: fused.default_lanes(5)); the generic kernel's: fused.LANES")
    args = ap.parse_args(argv)
    d, T = 5, 100
    rng = np.random.default_rng(0)
    P = 0.1 * (rng.standard_normal((d, 2 * d)) + 1j * rng.standard_normal((d, 2 * d)))
    Q = 0.1 * (rng.standard_normal((2 * d, 2 * d)) + 1j * rng.standard_normal((2 * d, 2 * d)))
    x0 = sampling.zheng_sequences(8, T, d, "gaussian", 1.0, rng, dtype=np.complex64)
    for copy in (True, False):
        for grad in (True, False):
            t = time.perf_counter()
            fused.loss_and_grad(fused.FusedData(x0, copy=copy, lanes=args.lanes), P, Q, need_grad=grad, generated=True,
                                backend="numba")
            print(f"[first call] generated kernel (numba), copy={copy}, need_grad={grad}: {time.perf_counter() - t:.1f} s")
            fused.loss_and_grad(fused.FusedData(x0, copy=copy, lanes=fused.LANES), P, Q, need_grad=grad, generated=False)
    with_c = fused.backend_for(d)[0] == "c"
    if with_c:
        print(f"[C build] {fused.backend_for(d)[1]}")
    cands = [("generic", False, "numba"), ("numba", True, "numba")] + ([("C", True, "c")] if with_c else [])
    for m in (int(v) for v in args.m.split(",")):
        x = sampling.zheng_sequences(m, T, d, "gaussian", 1.0, rng, dtype=np.complex64)
        xt = sampling.zheng_sequences(m, T, d, "gaussian", 1.0, rng, dtype=np.complex64)
        for copy in (True, False):
            fd, ft = fused.FusedData(x, copy=copy, lanes=fused.LANES), fused.FusedData(xt, copy=copy, lanes=fused.LANES)
            gd, gt = fused.FusedData(x, copy=copy, lanes=args.lanes), fused.FusedData(xt, copy=copy, lanes=args.lanes)
            data = {False: (fd, ft), True: (gd, gt)}
            a = fused.loss_and_grad(fd, P, Q, generated=False)
            b = fused.loss_and_grad(gd, P, Q, generated=True, backend="auto")
            rel = max(abs(b[0] - a[0]) / abs(a[0]), *(np.abs(gb - ga).max() / np.abs(ga).max()
                                                      for ga, gb in zip(a[1:], b[1:])))
            times = {k: [] for k, _, _ in cands}
            for _ in range(args.reps):
                for k, gen, be in cands:
                    t = time.perf_counter()
                    fused.loss_and_grad(data[gen][0], P, Q, generated=gen, backend=be)
                    t1 = time.perf_counter()
                    fused.loss_and_grad(data[gen][1], P, Q, need_grad=False, generated=gen, backend=be)
                    t2 = time.perf_counter()
                    times[k].append((t1 - t, t2 - t1, t2 - t))
            med = {k: np.median(np.array(v), axis=0) for k, v in times.items()}
            g = med["generic"]
            for k, _, _ in cands[1:]:
                n = med[k]
                print(f"[m={m} copy={copy}] generic -> generated ({k}): training pass {g[0] * 1e3:.1f} -> "
                      f"{n[0] * 1e3:.1f} ms ({g[0] / n[0]:.2f}x), test-loss pass {g[1] * 1e3:.1f} -> {n[1] * 1e3:.1f} ms "
                      f"({g[1] / n[1]:.2f}x), both {g[2] * 1e3:.1f} -> {n[2] * 1e3:.1f} ms ({g[2] / n[2]:.2f}x); max rel. "
                      f"diff {rel:.1e} (medians of {args.reps}, generic {fd.lanes} lanes -> generated "
                      f"{gd.lanes if copy else fused.LANES} lanes)")


if __name__ == "__main__":
    main()
