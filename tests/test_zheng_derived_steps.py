"""C5's Cesaro count and C6's mean ratio are derived from the model (no typed exponent equation, no typed
"ratio = u* kappa_0"): the derived objects agree with brute force on explicit sequences."""
from __future__ import annotations

import pytest
import sympy as sp

from proofs_check.claims import zheng2024 as Z
from theory.causal_attention import conjugate, sequence, token_symbols
from theory.dynamics import u_sym
from theory.lattice_count import t_sym
from theory.moments import RademacherLaw, RealGaussian, phase_average


def test_cesaro_mean_square_is_generated_and_proved_for_every_t():
    mean_square, patterns = Z.cesaro_mean_square()
    assert sp.simplify(mean_square - 1 / (t_sym - 1)) == 0
    assert patterns and all(p.proved_for == "closed form for every t >= 2" for p in patterns)


@pytest.mark.parametrize("t", [2, 3, 5])
def test_cesaro_mean_square_matches_brute_force(t):
    """E_W |(1, 2) entry of (1/(t-1)) sum_{i=2}^t x_i x_{i-1}^H|^2 on an explicit sequence (d = 2)."""
    s = token_symbols(2)
    X = sequence(2, t + 1, s)                   # x_1 .. x_{t+1} (the target exists)
    Xc = conjugate(X, s)
    entry = sum(X[0, i - 1] * Xc[1, i - 2] for i in range(2, t + 1)) / (t - 1)
    square = sp.expand(entry * conjugate(entry, s))
    per_moment = phase_average(square, s.lam) / (s.z[0] * s.zbar[0] * s.z[1] * s.zbar[1])
    mean_square, _ = Z.cesaro_mean_square()
    assert sp.simplify(per_moment - mean_square.subs(t_sym, t)) == 0


@pytest.mark.parametrize("law", [RealGaussian(2), RealGaussian(3), RademacherLaw(2)], ids=repr)
@pytest.mark.parametrize("t", [2, 3, 4])
def test_mean_ratio_from_the_model_is_u_kappa0_at_every_step(law, t):
    assert sp.expand(Z.mean_ratio_from_model(law, t=t) - u_sym * law.kappas()[0]) == 0
