"""Timings of the Zheng et al. 2024 theory against named baselines (plain script, prints ratios).

    python benchmarks/bench_zheng_theory.py [--stats-budget SECONDS]

1. ``verify zheng2024``: every zheng2024 claim, fresh process, target < 60 s.
2. Exact expectation of the loss at a generic point of M_{A,B} (18 real weight symbols), d = 3,
   T = 6, real Gaussian (symbolic sigma): the moment functional against ``sympy.stats.E`` on the
   *same* polynomial in z (after the phase lemma, which sympy.stats cannot do on the unit circle).  If the baseline exceeds the
   budget, it is timed on a prefix of the terms and extrapolated linearly (said in the output).
3. The reduced ODE lambdified with ``cse=True``: microseconds per call, target < 50.
"""
from __future__ import annotations

import argparse
import time
import timeit
import sys

# the repository's folders under their legacy names (installed, they are mesacheck.*)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))


def bench_claims() -> float:
    from proofs_check.registry import select

    start = time.perf_counter()
    rows = []
    for claim in select(["zheng2024"]):
        verdict = claim.verify()
        rows.append((claim.id, verdict.status.value, verdict.method, verdict.seconds))
    total = time.perf_counter() - start
    for row in rows:
        print(f"  {row[0]:<14} {row[1]:<12} {row[2]:<36} {row[3]:6.2f} s")
    theory = sum(r[3] for r in rows if r[0].count(".") == 1)
    print(f"verify zheng2024: {total:.1f} s total (target < 60 s); the theory claims C1-C7, A1-A6: {theory:.1f} s")
    return total


def bench_expectation(budget: float) -> None:
    import sympy as sp
    from sympy.stats import E, Normal

    from theory.causal_attention import manifold_AB
    from theory.moments import RealGaussian
    from theory.zheng_population import population_derivatives

    d, T = 3, 6
    sigma = sp.Symbol("sigma", positive=True)
    A = sp.Matrix(d, d, lambda j, k: sp.Symbol(f"A_{j + 1}{k + 1}", real=True))
    B = sp.Matrix(d, d, lambda j, k: sp.Symbol(f"B_{j + 1}{k + 1}", real=True))
    W_PV, W_KQ = manifold_AB(A, B)
    params = [*A, *B]
    law = RealGaussian(d)

    start = time.perf_counter()
    pipeline = population_derivatives(d, T, W_PV, W_KQ, law, params=params, gradient=False).loss
    t_pipeline = time.perf_counter() - start

    # The same expression for both: the per-sequence loss averaged over W (phase lemma), a polynomial
    # in z, conj(z) and the 18 weights.
    start = time.perf_counter()
    averaged = population_derivatives(d, T, W_PV, W_KQ, None, params=params, gradient=False)
    t_build = time.perf_counter() - start
    expr = averaged.loss
    terms = sp.Add.make_args(expr)

    start = time.perf_counter()
    ours = law.expect_polynomial(expr, averaged.z, averaged.zbar)
    t_ours = time.perf_counter() - start
    assert sp.expand(ours - pipeline) == 0, "moment functional and pipeline disagree"

    rvs = {}
    for j, (z, zb) in enumerate(zip(averaged.z, averaged.zbar)):
        g = Normal(f"g{j}", 0, sigma)
        rvs[z] = g
        rvs[zb] = g                        # real law: conj(z_j) = z_j
    done, spent, partial = 0, 0.0, sp.Integer(0)
    start = time.perf_counter()
    for term in terms:
        partial += E(term.xreplace(rvs))
        done += 1
        spent = time.perf_counter() - start
        if spent > budget:
            break
    full = done == len(terms)
    t_stats = spent if full else spent * len(terms) / done
    agree = (sp.expand(partial - ours) == 0) if full else None
    print(f"loss expectation on M_AB (generic real A, B: 18 weights), d={d}, T={T}, Gaussian sigma symbolic:")
    print(f"  expression: per-sequence loss averaged over W, {len(terms)} terms (built in {t_build:.2f} s, shared)")
    print(f"  moment functional on it:                   {t_ours:8.3f} s")
    print(f"  whole pipeline (weights -> exact E):       {t_pipeline:8.3f} s")
    how = "all terms" if full else f"{done}/{len(terms)} terms in {spent:.1f} s, extrapolated linearly"
    print(f"  sympy.stats E, term by term ({how}): {t_stats:8.1f} s; results agree: {agree}")
    print(f"  ratio sympy.stats / moment functional: {t_stats / t_ours:,.0f}x   (target >= 30x)")
    print(f"  end to end, (phase lemma + sympy.stats) / pipeline: {(t_build + t_stats) / t_pipeline:,.0f}x")
    prefix = sp.Add(*terms[:20])
    start = time.perf_counter()
    E(prefix.xreplace(rvs))
    t_prefix = time.perf_counter() - start
    start = time.perf_counter()
    RealGaussian(d).expect_polynomial(prefix, averaged.z, averaged.zbar)
    t_prefix_ours = time.perf_counter() - start
    print(f"  E(...) of a 20-term sum in one call: {t_prefix:.2f} s vs moment functional {t_prefix_ours * 1e3:.1f} ms "
          f"({t_prefix / t_prefix_ours:,.0f}x)")


def bench_ode() -> None:
    from theory.dynamics import reduced_flow, reduced_flow_function
    from theory.moments import RealGaussian

    flow = reduced_flow(5, 6, RealGaussian(5, sigma=1))
    rhs, jac = reduced_flow_function(flow)
    y = [0.5, 1.5]
    n = 20000
    per_call = min(timeit.repeat(lambda: rhs(0.0, y), number=n, repeat=5)) / n
    per_jac = min(timeit.repeat(lambda: jac(0.0, y), number=n, repeat=5)) / n
    print(f"reduced ODE (d=5, T=6, Gaussian sigma=1), lambdify cse=True: rhs {per_call * 1e6:.2f} us/call, "
          f"jacobian {per_jac * 1e6:.2f} us/call (target < 50 us)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats-budget", type=float, default=60.0,
                        help="seconds allowed to the sympy.stats baseline before extrapolating")
    args = parser.parse_args()
    bench_claims()
    bench_expectation(args.stats_budget)
    bench_ode()


if __name__ == "__main__":
    main()
