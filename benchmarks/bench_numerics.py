"""Benchmarks of numerics/, printed as absolute times and ratios against named baselines.

Run:  python benchmarks/bench_numerics.py [--skip-loop]

Each part runs in its own subprocess so that its peak memory (ru_maxrss) is its own.
Baselines:
  * a faithful per-t-loop NumPy implementation of the authors' algorithm (below), measured here;
  * the authors' PyTorch code on this machine: 25-45 s / epoch, ~75 min, 11.5 GB (issue 4);
  * the authors' JAX code for the one-layer LSA: 79 s for 5000 steps + 25 s grid search (issue 4).
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np

# ------------------------------------------------------------------------------------------------
# Baseline: the authors' algorithm (MesaOpt-AR-Transformer, models/lsa.py forward_train) in NumPy:
# for every t, E_t = E[:, :, :t] and W^PV E_t E_t^H W^KQ e_t / (t-1) are rebuilt from scratch;
# the backward pass (their autograd) written out by hand for the same per-t products.
# ------------------------------------------------------------------------------------------------


def authors_loop_epoch(E: np.ndarray, WPV: np.ndarray, WKQ: np.ndarray, d: int):
    """One epoch of the authors' algorithm: loss and gradients, loop over t. E: (m, 2d, T)."""
    m, _, T = E.shape
    loss, gPV, gKQ = 0.0, np.zeros_like(WPV), np.zeros_like(WKQ)
    for t in range(2, T):
        E_t = E[:, :, :t]
        e_t = E_t[:, :, -1][:, :, None]
        EEH = E_t @ E_t.conj().transpose(0, 2, 1)
        v = EEH @ (WKQ @ e_t) / (t - 1)
        out = WPV @ v
        r = out - E[:, :d, t][:, :, None]
        loss += 0.5 * float(np.sum((r.conj() * r).real))
        gPV += np.sum(r @ v.conj().transpose(0, 2, 1), axis=0)
        gKQ += np.sum(EEH @ (WPV.conj().T @ r) @ e_t.conj().transpose(0, 2, 1), axis=0) / (t - 1)
    return loss / m, gPV / m, gKQ / m


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def part_empirical():
    from numerics import sampling, training

    rng = np.random.default_rng(0)
    x = sampling.zheng_sequences(10000, 100, 5, "gaussian", 1.0, rng)
    xt = sampling.zheng_sequences(10000, 100, 5, "gaussian", 1.0, rng)
    t0 = time.perf_counter()
    res = training.zheng_gd(x, xt, 0.1, 0.1, lr=1e-4, epochs=150, log_ratio=True, log_test_loss=False)
    sec = time.perf_counter() - t0
    return {"seconds": sec, "peak_mb": _peak_mb(), "final_ab": float(res.ab[-1]), "status": res.status,
            "per_epoch": sec / 150}


def part_epoch_compare(skip_loop: bool):
    from numerics import sampling, training

    d = 5
    x = sampling.zheng_sequences(10000, 100, d, "gaussian", 1.0, np.random.default_rng(1))
    P, Q = training.diagonal_init(d, 0.1, 0.1)
    t0 = time.perf_counter()
    l_otf, gP, gQ = training.zheng_loss_and_grad(x, P, Q)
    otf = time.perf_counter() - t0
    t0 = time.perf_counter()
    pre = training.ZhengPrefix(x, dtype=np.complex64)           # what zheng_gd uses (authors' cfloat)
    prefix = time.perf_counter() - t0
    vec = {}
    for threads in (1, 2):
        t0 = time.perf_counter()
        for _ in range(3):
            training.zheng_loss_and_grad(pre, P, Q, threads=threads)
        vec[threads] = (time.perf_counter() - t0) / 3
    out = {"vectorised_epoch_s": min(vec.values()), "vectorised_1thread_s": vec[1], "vectorised_2threads_s": vec[2],
           "vectorised_on_the_fly_epoch_s": otf, "prefix_once_s": prefix}
    if not skip_loop:
        E = training.embed(x).transpose(0, 2, 1).copy()
        t0 = time.perf_counter()
        l_loop, gP2, gQ2 = authors_loop_epoch(E, P, Q, d)
        out["loop_epoch_s"] = time.perf_counter() - t0
        out["max_grad_diff"] = float(max(np.abs(gP - gP2).max(), np.abs(gQ - gQ2).max()))
    return out


def part_population():
    import numpy as np

    from numerics import population

    t0 = time.perf_counter()
    co = population.population_coefficients("gaussian", 5, 100)
    t1 = time.perf_counter()
    res = population.integrate_population(co, 0.1 * np.eye(5), 0.1 * np.eye(5), t_max=100.0, grad_tol=1e-8)
    t2 = time.perf_counter()
    ab = population.ab_from_state(res.y_final, 5)
    return {"coefficients_s": t1 - t0, "integration_s": t2 - t1, "total_s": t2 - t0, "status": res.status,
            "abs_err": abs(ab - population.limit_ab_from_kappas("gaussian", 5, 100)), "nfev": res.nfev,
            "peak_mb": _peak_mb()}


def part_oswald():
    from numerics import training

    res = training.train_lsa_adam(5000, 2048, 1e-3, r=1.0, seed=0)
    t0 = time.perf_counter()
    m = training.compare_lsa_to_gd(res.W_PV, res.W_KQ, 10000, r=1.0)
    return {"adam_s": res.seconds, "line_search_and_metrics_s": time.perf_counter() - t0,
            "loss_tf": m["loss_tf"], "loss_gd": m["loss_gd"], "peak_mb": _peak_mb()}


def _run(part, *args):
    code = ("import json,sys; sys.path.insert(0, %r); import bench_numerics as b; "
            "print(json.dumps(b.part_%s(*%r)))" % (sys.path[0], part, args))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    skip_loop = "--skip-loop" in sys.argv
    print("load average at start:", open("/proc/loadavg").read().split()[:3], "(2 cores; other jobs inflate times)")

    e = _run("empirical")
    print(f"[empirical] Gaussian d=5 T=100 m=1e4, 150 epochs: {e['seconds']:.1f} s "
          f"({e['per_epoch']:.2f} s/epoch, limit 180 s: ratio {180 / e['seconds']:.2f}x under), "
          f"peak RSS {e['peak_mb']:.0f} MB (limit 2048 MB), final ab {e['final_ab']:.5f}, {e['status']}")
    print(f"            vs authors' PyTorch (~75 min): {75 * 60 / e['seconds']:.0f}x faster; "
          f"peak memory {11.5 * 1024 / e['peak_mb']:.1f}x smaller than 11.5 GB")

    c = _run("epoch_compare", skip_loop)
    print(f"[per epoch] vectorised {c['vectorised_epoch_s']:.3f} s (1 thread {c['vectorised_1thread_s']:.3f} s, "
          f"2 threads {c['vectorised_2threads_s']:.3f} s; complex64 prefix sums once {c['prefix_once_s']:.2f} s), "
          f"on-the-fly complex128 {c['vectorised_on_the_fly_epoch_s']:.3f} s")
    if "loop_epoch_s" in c:
        print(f"            per-t loop (authors' algorithm, NumPy) {c['loop_epoch_s']:.2f} s -> "
              f"ratio {c['loop_epoch_s'] / c['vectorised_epoch_s']:.1f}x (precomputed), "
              f"{c['loop_epoch_s'] / c['vectorised_on_the_fly_epoch_s']:.1f}x (on the fly); "
              f"max |grad diff| {c['max_grad_diff']:.1e}")

    print("load average now:", open("/proc/loadavg").read().split()[:3])
    p = _run("population")
    print(f"[population] d=5 T=100 Gaussian: coefficients {p['coefficients_s']:.2f} s + flow "
          f"{p['integration_s']:.2f} s = {p['total_s']:.2f} s (limit 10 s: {10 / p['total_s']:.1f}x under), "
          f"|ab - limit| = {p['abs_err']:.1e}, {p['status']}, nfev {p['nfev']}")

    o = _run("oswald")
    print(f"[oswald] 5000 Adam steps batch 2048: {o['adam_s']:.1f} s (limit 30 s), vs JAX 79 s: "
          f"{79 / o['adam_s']:.1f}x faster; with line search {o['adam_s'] + o['line_search_and_metrics_s']:.1f} s "
          f"vs 79 + 25 s: {104 / (o['adam_s'] + o['line_search_and_metrics_s']):.1f}x; "
          f"loss LSA {o['loss_tf']:.4f} vs GD {o['loss_gd']:.4f}")


if __name__ == "__main__":
    main()
