"""Related closed forms: derived from the models, and wrong statements are refuted."""
import pytest
import sympy as sp

from proofs_check import Status, verify
from proofs_check.claims import related
from theory.related import eta_sym, n_sym, one_step_risk, s_sym


@pytest.mark.parametrize("claim_id", ["related.N", "related.ZFB1"])
def test_verified(claim_id):
    assert verify(claim_id).status is Status.VERIFIED


WRONG_STEPS = [
    ("without the +1", lambda n, d, s: n / (n + d + s ** 2)),
    ("noise not squared", lambda n, d, s: n / (n + d + 1 + s)),
    ("the noiseless step", lambda n, d, s: n / (n + d + 1)),
]


@pytest.mark.parametrize("name, stated", WRONG_STEPS, ids=[w[0] for w in WRONG_STEPS])
def test_wrong_step_refuted_with_exact_witness(name, stated):
    result = related.check_label_noise(dimensions=(2,), stated=stated)
    assert result.status is Status.REFUTED
    point = {n_sym: sp.sympify(result.counterexample["n"]), s_sym: sp.sympify(result.counterexample["s"])}
    derived = n_sym / (n_sym + 3 + s_sym ** 2)
    assert (derived - stated(n_sym, 2, s_sym)).xreplace(point) != 0


def test_risk_at_the_optimum_is_below_the_noiseless_guess():
    # For s > 0 the noiseless step n/(n+d+1) over-shoots: its risk is strictly larger.
    risk = one_step_risk(2)
    best = risk.xreplace({eta_sym: n_sym / (n_sym + 3 + s_sym ** 2)})
    naive = risk.xreplace({eta_sym: n_sym / (n_sym + 3)})
    gap = sp.factor(naive - best)
    assert gap.xreplace({n_sym: 5, s_sym: sp.Rational(1, 2)}) > 0


def test_bad_dimension():
    with pytest.raises(ValueError, match="d must be an integer >= 1"):
        one_step_risk(0)
