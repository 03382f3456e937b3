"""Timing of the property checks: examples per second per property, and named baselines.

Usage::

    python benchmarks/bench_properties.py [--seed S] [--examples N] [PATTERN ...]

Prints, for each registered property at its default budget (or ``--examples``), the status, the
number of examples, the wall time and the rate; then the total against the 2-minute budget of
``mesacheck verify --property``; then two ratios against named baselines:

* ``population gradient``: the runner's route (law-free W-average cached per (d, T), then the
  law's exact moments in Fractions) against ``theory.dynamics.gradient_on_ab(d, T, law)``;
* ``exact moments``: :func:`proofs_check.strategies.exact_moment` (Fractions) against
  ``theory.moments.DiscreteLaw.expect`` (SymPy), on the same monomials.
"""
from __future__ import annotations

import argparse
import time
import sys

# the repository's folders under their legacy names (installed, they are mesacheck.*)
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))

BUDGET_SECONDS = 120.0


def bench_properties(patterns, seed: int, examples: int | None) -> float:
    from proofs_check import properties as P

    P._register_all()
    props = P.select_properties(patterns or None)
    total = 0.0
    print(f"{'property':<28} {'status':<13} {'examples':>8} {'seconds':>8} {'ex/s':>8}")
    for prop in props:
        result = P.run_property(prop, examples=examples, seed=seed)
        n = result.expressions.get("examples", 0)
        total += result.seconds
        rate = n / result.seconds if result.seconds else float("inf")
        print(f"{prop.name:<28} {result.status.value:<13} {n:>8} {result.seconds:>8.2f} {rate:>8.1f}")
    print(f"{'total':<28} {'':<13} {'':>8} {total:>8.2f}   (budget {BUDGET_SECONDS:.0f} s: "
          f"{total / BUDGET_SECONDS:.2f} of it)")
    return total


def _laws(n: int, d: int, seed: int):
    from hypothesis import Phase, find, settings
    from hypothesis import strategies as st

    from proofs_check import strategies as S

    laws = []
    for k in range(n):
        laws.append(find(st.one_of(S.symmetric_laws(d=d), S.laws_violating_both(d=d)), lambda law: True,
                         settings=settings(database=None, phases=[Phase.generate]), random=__import__("random").Random(seed + k)))
    return laws


def bench_gradient(seed: int) -> None:
    from proofs_check import properties as P
    from theory.dynamics import gradient_on_ab

    for d, T in ((2, 4), (3, 4)):
        laws = _laws(8, d, seed)
        P._gradient(laws[0], T)  # warm the per-(d, T) cache, as a property run does after one example
        start = time.perf_counter()
        for law in laws:
            P._gradient(law, T)
        ours = (time.perf_counter() - start) / len(laws)
        start = time.perf_counter()
        for law in laws:
            gradient_on_ab(d, T, law.law)
        base = (time.perf_counter() - start) / len(laws)
        print(f"population gradient d={d} T={T}: cached route {ours * 1e3:.1f} ms, "
              f"baseline theory.dynamics.gradient_on_ab {base * 1e3:.1f} ms, ratio {base / ours:.1f}x")


def bench_moments(seed: int) -> None:
    import itertools

    from proofs_check.strategies import exact_moment

    laws = _laws(8, 3, seed)
    monomials = [tuple(m) for m in itertools.product([(0, 0), (1, 1), (2, 1), (1, 2)], repeat=3)]
    start = time.perf_counter()
    for law in laws:
        for m in monomials:
            exact_moment(law.atoms, law.weights, m)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    for law in laws:
        fresh = law.law  # DiscreteLaw caches per monomial; a new law per pass, as in a property run
        for m in monomials:
            fresh.expect(m)
    base = time.perf_counter() - start
    print(f"exact moments ({len(laws)} laws x {len(monomials)} monomials, d=3): Fractions {ours * 1e3:.1f} ms, "
          f"baseline DiscreteLaw.expect {base * 1e3:.1f} ms, ratio {base / ours:.1f}x")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="*")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=None)
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args(argv)
    bench_properties(args.patterns, args.seed, args.examples)
    if not args.no_baselines:
        bench_gradient(args.seed)
        bench_moments(args.seed)


if __name__ == "__main__":
    main()
