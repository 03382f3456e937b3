"""Property tests of von Oswald et al. 2022 (O1-O3) at random sizes and exact rational data.

The float64 property's tolerance is scaled by the size of the cancelling terms and by
cond(XX^T); a test checks that it is not vacuous (a relative error of 1e-6 in eta fails it).
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings

from proofs_check import properties as P
from proofs_check.claims.oswald2022 import one_step_residuals
from theory.attention import LSAWeights
from theory.constructions import gd_construction

FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PINNED = P._oswald_pinned()


@FAST
@given(P._oswald_case())
@example(PINNED[0])
@example(PINNED[1])
def test_o1_one_layer_is_one_gd_step(case):
    P._o1(case)


@FAST
@given(P._oswald_case(max_layers=3))
@example(PINNED[1])
def test_o2_k_layers_are_k_gd_steps(case):
    P._o2(case)


@FAST
@given(P._oswald_case(with_gamma=True))
@example(PINNED[0])
@example(PINNED[1])
def test_o3_gdpp_layer(case):
    P._o3(case)


@settings(max_examples=25, deadline=None)
@given(P._oswald_float_case())
def test_o2_float_layers_match_gd_within_scaled_tolerance(case):
    P._o2_float(case)


def _eta_off_by(relative):
    def construction(prompt):
        w = gd_construction(prompt)
        Ix, Iy = prompt.eye(prompt.Nx), prompt.eye(prompt.Ny)
        eta = prompt.eta * (1 + relative) / prompt.N
        return LSAWeights(P=[[eta * Ix, None], [None, eta * Iy]], W_V=w.W_V, W_K=w.W_K, W_Q=w.W_Q)
    return construction


def test_a_wrong_construction_is_refuted_with_a_shrunk_counterexample():
    """P = (eta/N)(1 + 1/7): the exact property fails; Hypothesis shrinks it to the smallest sizes."""
    wrong = _eta_off_by(sp.Rational(1, 7))

    def body(case):
        prompt = P._rational_prompt(case["sizes"], case["X"], case["Y"], case["x_query"], case["W0"], case["eta"])
        P._assert_residuals_zero(one_step_residuals(prompt, construction=wrong), "wrong layer")

    prop = P.Property("test.O1.wrong-eta", "oswald2022.O1", "wrong eta", lambda: P._oswald_case(max_sizes=(2, 2, 3)),
                      body, examples=30)
    result = P.run_property(prop, seed=11)
    assert result.status.value == "REFUTED"
    example_ = result.counterexample["example"]
    assert example_["sizes"] == [1, 1, 1]  # shrunk
    assert "seed=11, examples=30" in result.counterexample["reproduce"]


def test_float_tolerance_is_not_vacuous(monkeypatch):
    """The same data with eta perturbed by 1e-6 in the layer exceeds the tolerance."""
    from theory import oswald_numeric

    rng = np.random.default_rng(0)
    case = {"sizes": (4, 2, 10), "X": rng.standard_normal((4, 10)), "W_true": rng.standard_normal((2, 4)),
            "W0": rng.standard_normal((2, 4)), "x_query": rng.standard_normal((4, 1)), "layers": 5,
            "eta_fraction": 0.5}
    P._o2_float(case)  # the correct layer passes
    layer = oswald_numeric.layer_function()

    def perturbed(*args):
        X, Y, xq, yq, W0, eta, N = args
        return layer(X, Y, xq, yq, W0, eta * (1 + 1e-6), N)

    monkeypatch.setattr(oswald_numeric, "layer_function", lambda construction=None: perturbed)
    with pytest.raises(AssertionError, match="differ"):
        P._o2_float(case)


@settings(max_examples=30, deadline=None)
@given(P._gdpp_float_case())
def test_o3_eigenvalue_map_on_spd_gram_matrices(case):
    P._o3_eigenvalue_map(case)


def test_o3_eigenvalue_tolerance_is_not_vacuous(monkeypatch):
    """gamma off by 1e-6 (relative) in the layer breaks the eigenvalue map beyond the tolerance."""
    from theory import oswald_numeric

    rng = np.random.default_rng(1)
    case = {"sizes": (5, 12), "X": rng.standard_normal((5, 12)), "gamma_fraction": 0.7}
    P._o3_eigenvalue_map(case)
    update = oswald_numeric.gdpp_x_update_function()
    monkeypatch.setattr(oswald_numeric, "gdpp_x_update_function",
                        lambda construction=None: lambda X, gamma, N: update(X, gamma * (1 + 1e-6), N))
    with pytest.raises(AssertionError, match="eigenvalues"):
        P._o3_eigenvalue_map(case)
