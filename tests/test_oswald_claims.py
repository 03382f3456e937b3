"""von Oswald et al. 2022: the claims verify, and deliberately wrong variants are REFUTED
with a counterexample that reproduces."""
from __future__ import annotations

import pytest
import sympy as sp

from proofs_check import Status, verify
from proofs_check.claims import oswald2022 as o
from proofs_check.zero import check_residuals
from theory.attention import LSAWeights
from theory.constructions import gd_construction, gdpp_construction, regression_prompt
from theory.matrix_algebra import evaluate


@pytest.mark.parametrize("claim_id", ["oswald2022.O1", "oswald2022.O2", "oswald2022.O3", "oswald2022.O4"])
def test_claim_verified(claim_id):
    verdict = verify(claim_id)
    assert verdict.status is Status.VERIFIED, verdict.to_dict()
    assert all(c.status is Status.VERIFIED for c in verdict.checks)


def test_o1_strongest_method_is_all_dimensions():
    verdict = verify("oswald2022.O1")
    assert verdict.methods[0].value == "symbolic-all-dimensions"


# ---- wrong variants -------------------------------------------------------------
def p_without_1_over_N(prompt):
    w = gd_construction(prompt)
    Ix, Iy = prompt.eye(prompt.Nx), prompt.eye(prompt.Ny)
    return LSAWeights(P=[[prompt.eta * Ix, None], [None, prompt.eta * Iy]], W_V=w.W_V, W_K=w.W_K, W_Q=w.W_Q)


def flipped_sign_in_W_V(prompt):
    w = gd_construction(prompt)
    return LSAWeights(P=w.P, W_V=[[None, None], [prompt.W0, prompt.eye(prompt.Ny)]], W_K=w.W_K, W_Q=w.W_Q)


def W0_dropped_from_W_V(prompt):
    w = gd_construction(prompt)
    return LSAWeights(P=w.P, W_V=[[None, None], [None, -prompt.eye(prompt.Ny)]], W_K=w.W_K, W_Q=w.W_Q)


def eta_doubled(prompt):
    return gd_construction(prompt, eta=2 * prompt.eta)


def gamma_divided_by_N(prompt, gamma):
    return gdpp_construction(prompt, gamma / prompt.N)


def gamma_sign_flipped(prompt, gamma):
    return gdpp_construction(prompt, -gamma)


def gdpp_without_x_identity(prompt, gamma):
    w = gdpp_construction(prompt, gamma)
    return LSAWeights(P=w.P, W_V=[[None, None], w.W_V[1]], W_K=w.W_K, W_Q=w.W_Q)


WRONG = [
    ("O1 P = eta I", o.check_o1_all_dimensions, o.check_o1_at_sizes, {"construction": p_without_1_over_N}),
    ("O1 flipped sign in W_V", o.check_o1_all_dimensions, o.check_o1_at_sizes,
     {"construction": flipped_sign_in_W_V}),
    ("O1 W_0 dropped from query", o.check_o1_all_dimensions, o.check_o1_at_sizes, {"query_with_W0": False}),
    ("O1 W_0 dropped from W_V", o.check_o1_all_dimensions, o.check_o1_at_sizes,
     {"construction": W0_dropped_from_W_V}),
    ("O2 P = eta I", o.check_o2_all_dimensions, o.check_o2_at_sizes, {"construction": p_without_1_over_N}),
    ("O2 flipped sign in W_V", o.check_o2_all_dimensions, o.check_o2_at_sizes,
     {"construction": flipped_sign_in_W_V}),
    ("O2 eta doubled", o.check_o2_all_dimensions, o.check_o2_at_sizes, {"construction": eta_doubled}),
    ("O3 gamma / N", o.check_o3_all_dimensions, o.check_o3_at_sizes, {"construction": gamma_divided_by_N}),
    ("O3 gamma sign flipped", o.check_o3_all_dimensions, o.check_o3_at_sizes,
     {"construction": gamma_sign_flipped}),
    ("O3 no identity in W_V", o.check_o3_all_dimensions, o.check_o3_at_sizes,
     {"construction": gdpp_without_x_identity}),
]


def _reproduce_all_dimensions(result) -> bool:
    """Re-evaluate the reported residual at the reported exact instance: non-zero?"""
    cex = result.counterexample
    key = cex["residual"]
    residual = result.expressions[f"residual_{key}"]
    sizes = {s: sp.Integer(cex[s.name]) for s in residual.free_symbols
             if isinstance(s, sp.Symbol) and s.name in ("N_x", "N_y", "N")}
    bindings = {M: sp.Matrix(sp.sympify(cex[M.name])) for M in residual.atoms(sp.MatrixSymbol)}
    scalars = dict(sizes)
    scalars.update({s: sp.sympify(cex[str(s)]) for s in residual.free_symbols
                    if isinstance(s, sp.Symbol) and s not in sizes and str(s) in cex})
    value = sp.Matrix(evaluate(residual, bindings, scalars, eye=sp.eye)).applyfunc(
        lambda e: sp.cancel(sp.sympify(e).xreplace(scalars)))
    return any(v != 0 for v in value) and str(value.tolist()) == cex["value"]


def _reproduce_at_sizes(result) -> bool:
    cex = dict(result.counterexample)
    entry = next(v for k, v in result.expressions.items() if k.startswith("residual_"))
    point = {s: sp.sympify(cex[str(s)]) for s in entry.free_symbols}
    value = sp.cancel(entry.xreplace(point))
    return value != 0 and value == sp.sympify(cex["value"])


@pytest.mark.parametrize("name, all_dims, at_sizes, kwargs", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_variant_refuted_with_reproducible_counterexample(name, all_dims, at_sizes, kwargs):
    symbolic = all_dims(**kwargs)
    assert symbolic.status is Status.REFUTED, symbolic
    assert _reproduce_all_dimensions(symbolic)
    kwargs_sizes = dict(kwargs)
    if at_sizes is o.check_o1_at_sizes:
        kwargs_sizes["sizes"] = ((2, 1, 3),)
    entrywise = at_sizes(**kwargs_sizes)
    assert entrywise.status is Status.REFUTED, entrywise
    assert _reproduce_at_sizes(entrywise)


def test_numeric_k_layers_refutes_wrong_construction():
    result = o.check_o2_numeric(layers=20, sizes=(4, 2, 9), construction=eta_doubled)
    assert result.status is Status.REFUTED
    assert result.counterexample["max_abs_difference"] > result.counterexample["tolerance"]


def test_eigenvalue_map_refutes_gamma_over_N():
    result = o.check_o3_eigenvalue_map(construction=gamma_divided_by_N)
    assert result.status is Status.REFUTED


def test_rescaling_with_unequal_factors_refuted():
    # (s W_PV, W_KQ / s^2) is not a symmetry: the check must say so for all dimensions.
    from theory.constructions import regression_prompt as rp

    s = sp.Symbol("s", nonzero=True)
    residuals = o.rescaling_residuals(rp(), s)  # the true symmetry: zero
    assert check_residuals("r", residuals, o.Method.SYMBOLIC_ALL_DIMENSIONS, "").status is Status.VERIFIED
    from theory.attention import block_scale, lsa_layer
    from sympy.matrices.expressions import MatrixSymbol

    p = rp()
    dims = (p.Nx, p.Ny)
    W_PV = [[MatrixSymbol(f"A_{i}{j}", dims[i], dims[j]) for j in range(2)] for i in range(2)]
    W_KQ = [[MatrixSymbol(f"B_{i}{j}", dims[i], dims[j]) for j in range(2)] for i in range(2)]
    a = lsa_layer(block_scale(s, W_PV), block_scale(1 / s ** 2, W_KQ), p.tokens())
    b = lsa_layer(W_PV, W_KQ, p.tokens())
    result = check_residuals("r", {"query y": a.y_query - b.y_query}, o.Method.SYMBOLIC_ALL_DIMENSIONS, "",
                             instance_sizes=o._instance_sizes())
    assert result.status is Status.REFUTED


def test_gd_gradient_is_derived_not_typed():
    # The derived gradient of L(W) = ||WX - Y||^2/(2N) is (W X - Y) X^T / N: check at an instance.
    from theory.least_squares import least_squares_gradient

    p = regression_prompt(2, 1, 3, polynomial=False)
    grad = least_squares_gradient(p.W0, p.X, p.Y, p.N)
    expected = (p.W0 * p.X - p.Y) * p.X.T / 3
    assert (grad - expected).applyfunc(sp.expand) == sp.zeros(1, 2)
