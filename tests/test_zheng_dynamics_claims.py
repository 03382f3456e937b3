"""Zheng et al. beyond the fixed point (claims D1-D5): each verifies for symbolic T, and a wrong
closed form of each is REFUTED with an exact counterexample."""
from __future__ import annotations

import pytest
import sympy as sp

from proofs_check import verify
from proofs_check.claims import zheng2024_dynamics as D
from proofs_check.verdicts import Status


@pytest.mark.parametrize("claim_id", ["zheng2024.D1", "zheng2024.D2", "zheng2024.D3", "zheng2024.D4",
                                      "zheng2024.D5"])
def test_claims_verify(claim_id):
    verdict = verify(claim_id)
    assert verdict.status is Status.VERIFIED, verdict.reason


def _wrong_limits(a0, b0, u):
    c = b0 ** 2 - a0 ** 2                                   # sign of c flipped
    a = sp.sqrt((c + sp.sqrt(c ** 2 + 4 * u ** 2)) / 2)
    return a, u / a


WRONG = [
    ("D1: c sign flipped", lambda: D.check_d1(stated=_wrong_limits)),
    ("D2: + Lambda^2/Gamma", lambda: D.check_d2(stated=lambda G, L, K: sp.Rational(1, 2) * (K + L ** 2 / G))),
    ("D2: missing 1/2", lambda: D.check_d2(stated=lambda G, L, K: K - L ** 2 / G)),
    ("D3: rate Gamma (a^2 - b^2)", lambda: D.check_d3(stated=lambda G, a, b: G * (a ** 2 - b ** 2))),
    ("D3: rate 2 Gamma (a^2 + b^2)", lambda: D.check_d3(stated=lambda G, a, b: 2 * G * (a ** 2 + b ** 2))),
    ("D4: rate Lambda instead of 2 Lambda",
     lambda: D.check_d4(stated=lambda us, L, u0, tau: us * u0 / (u0 + (us - u0) * sp.exp(-L * tau)))),
    ("D4: time without (1 - eps)",
     lambda: D.check_d4(stated_time=lambda us, L, u0, eps: sp.log((us - u0) / (eps * u0)) / (2 * L))),
]


@pytest.mark.parametrize("name, run", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_closed_forms_are_refuted(name, run):
    result = run()
    assert result.status is Status.REFUTED, (name, result.reason)
    assert result.counterexample


def test_a6_consequence_claim_verifies():
    verdict = verify("zheng2024.A7")
    assert verdict.status is Status.VERIFIED, verdict.reason


def test_a6_consequence_unequal_products_and_lower_loss():
    import numpy as np

    sol, end, gnorm, limit_loss, best_scalar, _ = D._diagonal_limit(4)
    u = end[:3] * end[3:]
    assert gnorm < 1e-8 and np.ptp(u) > 1e-3          # unequal a_j b_j: not a multiple of the identity
    assert limit_loss < float(best_scalar)
