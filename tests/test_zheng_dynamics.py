"""Population loss, gradient, reduced flow and index-pattern counting (Zheng et al. 2024)."""
from __future__ import annotations

import timeit

import pytest
import sympy as sp

from theory.causal_attention import (
    causal_prediction, check_sizes, conjugate, manifold_ab, sequence, token_symbols,
)
from theory.dynamics import (
    LOSS_SCALE, a_sym, b_sym, attention_prediction_on_ab, balanced_solution, conserved_rate, fixed_points,
    gradient_on_ab, limit_of_product, limits_of_a_b, one_step_gd_prediction, product_flow, reduced_flow,
    reduced_flow_function, u_sym,
)
from theory.moments import KAPPA_SYMBOLS, AnisotropicGaussian, FullOneLaw, MomentTableLaw, RealGaussian, phase_average
from theory.zheng_patterns import count_solutions, coefficients_all_T, per_step_coefficients, t_sym, T_sym
from theory.zheng_population import population_derivatives

k0, k1, k2, k3 = KAPPA_SYMBOLS


def _brute_force_loss(d, T, W_PV, W_KQ, law):
    """Loss from the SymPy-matrix model: causal_prediction, phase_average, law.expect_polynomial."""
    s = token_symbols(d)
    X = sequence(d, T, s)
    Xc = conjugate(X, s)
    total = sp.Integer(0)
    for t in range(2, T):
        r = causal_prediction(W_PV, W_KQ, X, Xc, t) - X[:, t]
        total += sp.expand((r.T * conjugate(r, s))[0, 0]) / 2
    return law.expect_polynomial(phase_average(total, s.lam), s.z, s.zbar)


def test_engine_matches_matrix_model_and_sympy_diff():
    """The ring engine's loss and gradient agree with sp.diff of the SymPy-matrix loss (d=1, T=3)."""
    d, T = 1, 3
    law = RealGaussian(d, sigma=1)
    u = sp.symbols("u0:6", real=True)
    v = sp.symbols("v0:6", real=True)
    W = [u[k] + sp.I * v[k] for k in range(6)]
    W_PV = sp.Matrix(1, 2, W[:2])
    W_KQ = sp.Matrix(2, 2, W[2:])
    brute = _brute_force_loss(d, T, W_PV, W_KQ, law)
    point = {s: sp.Rational(n + 1, 3) for n, s in enumerate(u)} | {s: sp.Rational(1 - n, 5) for n, s in enumerate(v)}
    engine = population_derivatives(d, T, W_PV.subs(point), W_KQ.subs(point), law)
    assert sp.expand(engine.loss - brute.subs(point)) == 0
    grads = [sp.diff(brute, u[k]) + sp.I * sp.diff(brute, v[k]) for k in range(6)]
    got = list(engine.grad_PV) + list(engine.grad_KQ)
    assert all(sp.expand(g.subs(point) - h) == 0 for g, h in zip(grads, got))


def test_loss_on_manifold_agrees_with_sympy_stats():
    from sympy.stats import E, Normal

    d, T = 1, 3
    sigma = sp.Symbol("sigma", positive=True)
    s = token_symbols(d)
    X = sequence(d, T, s)
    W_PV, W_KQ = manifold_ab(d, a_sym, b_sym)
    r = causal_prediction(W_PV, W_KQ, X, conjugate(X, s), 2) - X[:, 2]
    per_sequence = phase_average(sp.expand((r.T * conjugate(r, s))[0, 0]) / 2, s.lam)
    g = Normal("g", 0, sigma)
    stats = E(per_sequence.subs({s.z[0]: g, s.zbar[0]: g}))
    ours = gradient_on_ab(d, T, RealGaussian(d), gradient=False).loss
    assert sp.simplify(stats - ours) == 0


def test_reduced_flow_table_law_matches_counting():
    d, T = 2, 5
    flow = reduced_flow(d, T, MomentTableLaw(d))
    gamma, lam, _ = coefficients_all_T()
    gamma, lam = gamma.subs(T_sym, T).doit(), lam.subs(T_sym, T)
    assert sp.expand(flow.a_dot + b_sym * (gamma * a_sym * b_sym - lam)) == 0
    assert sp.expand(flow.b_dot + a_sym * (gamma * a_sym * b_sym - lam)) == 0
    assert conserved_rate(flow) == 0
    assert sp.expand(product_flow(flow) + (a_sym ** 2 + b_sym ** 2) * (gamma * a_sym * b_sym - lam)) == 0


def test_loss_scale_rescales_time_not_limit():
    law = MomentTableLaw(2)
    base = reduced_flow(2, 4, law)
    doubled = reduced_flow(2, 4, law, loss_scale=2 * LOSS_SCALE)
    assert sp.expand(doubled.a_dot - 2 * base.a_dot) == 0
    assert sp.expand(doubled.b_dot - 2 * base.b_dot) == 0
    assert sp.simplify(limit_of_product(doubled) - limit_of_product(base)) == 0


def test_fixed_points_keep_the_curve_and_the_origin():
    flow = reduced_flow(2, 4, MomentTableLaw(2))
    sols = fixed_points(flow)
    assert {a_sym: 0, b_sym: 0} in sols
    curve = [s for s in sols if b_sym not in s]
    assert len(curve) == 1 and sp.simplify(curve[0][a_sym] * b_sym - limit_of_product(flow)) == 0


@pytest.mark.parametrize("a0, b0", [(1, 2), (sp.Rational(1, 10), sp.Rational(1, 10)), (-2, -1)])
def test_limits_respect_conservation(a0, b0):
    flow = reduced_flow(1, 4, MomentTableLaw(1, 1, 3, 15, 0))
    a_lim, b_lim, ustar = limits_of_a_b(flow, a0, b0)
    assert sp.simplify(a_lim ** 2 - b_lim ** 2 - (a0 ** 2 - b0 ** 2)) == 0
    assert sp.simplify(a_lim * b_lim - ustar) == 0
    assert sp.sign(a_lim) == sp.sign(a0)


@pytest.mark.parametrize("a0, b0", [(1, -1), (0, 1), (-1, 2), (0, 0)])
def test_bad_initialisation_is_explained(a0, b0):
    flow = reduced_flow(1, 3, MomentTableLaw(1))
    with pytest.raises(ValueError, match=r"a0\*b0 must be > 0 .*saddle"):
        limits_of_a_b(flow, a0, b0)


def test_balanced_solution_is_logistic():
    flow = reduced_flow(1, 4, MomentTableLaw(1))
    u_tau, rhs, residual = balanced_solution(flow, u0=sp.Rational(1, 10))
    assert residual == 0
    assert sp.simplify(u_tau.subs(sp.Symbol("tau", nonnegative=True), 0) - sp.Rational(1, 10)) == 0
    assert sp.limit(u_tau, sp.Symbol("tau", nonnegative=True), sp.oo) == limit_of_product(flow)


@pytest.mark.parametrize("law, hypothesis", [(FullOneLaw(2), r"\(S\)"), (AnisotropicGaussian([1, 2]), r"\(E\)")],
                         ids=["full-one", "anisotropic"])
def test_reduced_flow_refuses_when_manifold_not_invariant(law, hypothesis):
    with pytest.raises(ValueError, match=f"not invariant.*hypothesis {hypothesis} fails"):
        reduced_flow(2, 3, law)


def test_masked_full_one_flow():
    flow = reduced_flow(2, 4, FullOneLaw(2), masked=True)
    gamma, lam = 2 + sp.Rational(3, 2), 2          # kappas (1, 1, 1, 1)
    assert sp.expand(flow.a_dot + b_sym * (gamma * a_sym * b_sym - lam)) == 0


@pytest.mark.parametrize("d, t", [(1, 2), (2, 3), (3, 3)])
def test_one_step_gd_reading(d, t):
    yhat, X, Xc = attention_prediction_on_ab(d, t)
    _, gd = one_step_gd_prediction(d, t, u_sym / (t - 1), X, Xc)
    assert sp.expand(yhat - gd) == sp.zeros(d, 1)
    _, wrong = one_step_gd_prediction(d, t, u_sym / t, X, Xc)          # rho_t = t is wrong
    assert sp.expand(yhat - wrong) != sp.zeros(d, 1)


def test_per_step_counting():
    second, cross, target = per_step_coefficients()
    assert sp.simplify(second - (k2 + k3 / (t_sym - 1))) == 0
    assert cross == k1 and target == k0
    i, j = sp.symbols("i j", integer=True)
    assert sp.expand(count_solutions([], [i, j], t_sym - 1) - (t_sym - 1) ** 2) == 0
    assert count_solutions([i - j], [i, j], t_sym - 1) == t_sym - 1
    assert count_solutions([i - t_sym], [i, j], t_sym - 1) == 0
    assert sp.expand(count_solutions([i - j - 1], [i, j], t_sym - 1)) == t_sym - 2


def test_reduced_flow_function_is_fast_and_correct():
    flow = reduced_flow(2, 4, MomentTableLaw(2, 1, 3, 15, 3))
    rhs, jac = reduced_flow_function(flow)
    a, b = 0.5, 1.5
    expected = [float(e.subs({a_sym: a, b_sym: b})) for e in flow.rhs]
    assert rhs(0.0, [a, b]) == pytest.approx(expected)
    assert len(jac(0.0, [a, b])) == 2
    per_call = min(timeit.repeat(lambda: rhs(0.0, [a, b]), number=2000, repeat=3)) / 2000
    assert per_call < 50e-6


@pytest.mark.parametrize("kwargs, message", [
    ({"d": 0}, "d must be an integer >= 1"),
    ({"T": 2}, "T must be an integer >= 3 (got 2): the first prediction needs two context tokens"),
    ({"T": 5, "t": 1}, "t must be an integer >= 2"),
    ({"T": 5, "t": 5}, "t must be <= T - 1 = 4"),
], ids=["d0", "T2", "t1", "tT"])
def test_size_validation(kwargs, message):
    with pytest.raises(ValueError) as info:
        check_sizes(**kwargs)
    assert message in str(info.value)


def test_population_derivatives_rejects_mismatched_law():
    W_PV, W_KQ = manifold_ab(2, a_sym, b_sym)
    with pytest.raises(ValueError, match="law must have dimension d = 2"):
        population_derivatives(2, 3, W_PV, W_KQ, RealGaussian(3), params=(a_sym, b_sym))


# -- property: any exchangeable sign-symmetric law follows the stated reduced flow ------------
from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _exchangeable_law(magnitudes):
    """Permutation- and sign-symmetrised discrete law on C^2 from magnitude pairs."""
    import itertools

    from theory.moments import DiscreteLaw

    atoms = []
    for m in magnitudes:
        for perm in ((m[0], m[1]), (m[1], m[0])):
            for signs in itertools.product((1, -1), repeat=2):
                atoms.append([s * v for s, v in zip(signs, perm)])
    return DiscreteLaw(atoms, [sp.Rational(1, len(atoms))] * len(atoms))


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 3)), min_size=1, max_size=3), st.integers(3, 5))
@example([(0, 1)], 3)                       # sparse-like: kappa_3 = 0
@example([(1, 1)], 4)                       # Rademacher-like
@settings(max_examples=12, deadline=None)
def test_exchangeable_laws_follow_the_stated_flow(magnitudes, T):
    from proofs_check.claims.zheng2024 import stated_flow, stated_limit

    law = _exchangeable_law(magnitudes)
    assert law.satisfies_S() and law.satisfies_E() and law.satisfies_E_transposed()
    flow = reduced_flow(2, T, law)
    expected = stated_flow(law.kappas(), T, a_sym, b_sym)
    assert all(sp.expand(x - y) == 0 for x, y in zip(flow.rhs, expected))
    assert sp.simplify(limit_of_product(flow) - stated_limit(law.kappas(), T)) == 0


@pytest.mark.parametrize("params, weight, message", [
    ((sp.Symbol("a"),), sp.Symbol("a"), "params must be real Symbols"),
    ((sp.Symbol("z_1", real=True),), sp.Symbol("z_1", real=True), "reserved names"),
    ((), sp.Float(0.5), "weights must be exact"),
    ((), sp.Symbol("q", real=True), "only contain the declared real parameters"),
], ids=["not-real", "reserved", "float", "undeclared"])
def test_population_derivatives_validates_weights(params, weight, message):
    W_PV, W_KQ = manifold_ab(1, weight, 1)
    with pytest.raises(ValueError, match=message):
        population_derivatives(1, 3, W_PV, W_KQ, RealGaussian(1), params=params)


def test_entrywise_flow_all_T_uses_column_sums_for_a():
    from theory.dynamics import entrywise_flow_all_T
    from theory.zheng_patterns import coordinate_moment_symbol as m

    a_dots, b_dots = entrywise_flow_all_T(2)
    H = sp.harmonic(T_sym - 2)
    gamma_col = (T_sym - 2) * m({1: 3}) + H * m({2: 1, 1: 2})        # sum_{k != 1} E|z_k|^2 |z_1|^4
    gamma_row = (T_sym - 2) * m({1: 3}) + H * m({1: 1, 2: 2})        # kappa_3 of coordinate 1
    lam = (T_sym - 2) * m({1: 2})
    assert sp.expand(a_dots[0] + b_sym * (gamma_col * a_sym * b_sym - lam)) == 0
    assert sp.expand(b_dots[0] + a_sym * (gamma_row * a_sym * b_sym - lam)) == 0


def test_diagonal_loss_rejects_bad_dimension():
    from theory.zheng_patterns import diagonal_loss_all_T

    with pytest.raises(ValueError, match="d must be an integer >= 1"):
        diagonal_loss_all_T(0)


def test_off_block_invariance_for_every_d_and_T():
    from theory.zheng_invariance import OFF_BLOCKS, ON_BLOCKS, off_block_invariance

    survivors = off_block_invariance()
    assert all(survivors[b] == [] for b in OFF_BLOCKS)
    assert all(survivors[b] for b in ON_BLOCKS)


def test_invariance_rejects_unknown_block():
    from theory.zheng_invariance import block_phase_counts

    with pytest.raises(ValueError, match="block must be one of"):
        block_phase_counts("W_QK_11")
