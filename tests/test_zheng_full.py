"""The gradient of every parameter (theory.zheng_full) and its flow (numerics.population)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from numerics.population import integrate_full_population, pack_full, unpack_full
from theory.dynamics import a_sym, b_sym, reduced_flow
from theory.moments import RealGaussian, SparseLaw
from theory.zheng_full import full_population_gradient


@pytest.mark.parametrize("law", [RealGaussian(1, 1), SparseLaw(1, c=2)], ids=["gaussian", "sparse"])
def test_full_gradient_restricts_to_the_reduced_flow(law):
    d, T = 1, 4
    g = full_population_gradient(d, T, law)
    pv_re, pv_im, kq_re, kq_im = g.params
    on_manifold = {s: 0 for block in g.params for row in block for s in row}
    on_manifold.update({kq_re[1][0]: a_sym, pv_re[0][0]: b_sym})
    flow = reduced_flow(d, T, law)
    da, db = flow.rhs
    assert sp.expand(-g.grad[2][1][0].xreplace(on_manifold) - da) == 0
    assert sp.expand(-g.grad[0][0][0].xreplace(on_manifold) - db) == 0
    # C1 at the level of every parameter: all other components vanish on M_{a,b}.
    others = [g.grad[0][0][1], g.grad[2][0][0], g.grad[2][0][1], g.grad[2][1][1]]
    others += [e for block in (g.grad[1], g.grad[3]) for row in block for e in row]
    assert all(sp.expand(e.xreplace(on_manifold)) == 0 for e in others)


def test_full_gradient_bad_input():
    with pytest.raises(ValueError, match="T"):
        full_population_gradient(1, 2, RealGaussian(1, 1))
    with pytest.raises(ValueError, match="law must be"):
        full_population_gradient(1, 3, "gaussian")


def test_pack_roundtrip_and_shape_errors():
    rng = np.random.default_rng(0)
    W_PV = rng.normal(size=(2, 4)) + 1j * rng.normal(size=(2, 4))
    W_KQ = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    pv_re, pv_im, kq_re, kq_im = unpack_full(pack_full(W_PV, W_KQ), 2)
    assert np.array_equal(pv_re + 1j * pv_im, W_PV) and np.array_equal(kq_re + 1j * kq_im, W_KQ)
    with pytest.raises(ValueError, match="W_PV0 must have shape"):
        integrate_full_population(lambda *a: a, 2, W_KQ, W_KQ)


def test_full_flow_reaches_the_limit_and_keeps_the_blocks():
    d, T, law = 1, 4, RealGaussian(1, 1)
    f = full_population_gradient(d, T, law).function()
    result = integrate_full_population(f, d, [[0.5, 0]], [[0, 0], [0.2, 0]])
    assert result.status == "converged"
    pv_re, pv_im, kq_re, kq_im = unpack_full(result.y_final, d)
    assert abs(kq_re[1, 0] * pv_re[0, 0] - 0.2) < 1e-8       # Gamma = 30, Lambda = 6: lim ab = 1/5
    assert np.abs(pv_im).max() == 0 and np.abs(kq_re[0]).max() == 0
    # The conserved a^2 - b^2 of the reduced flow holds at the level of all parameters too.
    assert abs((kq_re[1, 0] ** 2 - pv_re[0, 0] ** 2) - (0.2 ** 2 - 0.5 ** 2)) < 1e-7
