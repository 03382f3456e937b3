"""The zheng2024 claims: healthy verdicts, wrong variants REFUTED, hypotheses failing INCONCLUSIVE."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp

from proofs_check.claims import zheng2024 as z
from proofs_check.registry import get, select
from proofs_check.verdicts import Status

SMALL = ((1, 3), (2, 4))


def test_claim_module_imports_no_sympy():
    code = ("import sys; import proofs_check.claims.zheng2024; "
            "print(any(m in sys.modules for m in ('sympy', 'numpy', 'theory')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_registered_ids():
    ids = {c.id for c in _theory_claims()}
    assert {f"zheng2024.C{n}" for n in range(1, 8)} <= ids
    assert {f"zheng2024.A{n}" for n in range(1, 7)} <= ids


@pytest.mark.parametrize("claim_id", ["zheng2024.C5", "zheng2024.C6", "zheng2024.A1", "zheng2024.A2",
                                      "zheng2024.A3", "zheng2024.A4", "zheng2024.A5", "zheng2024.A6"])
def test_fast_claims_verify(claim_id):
    verdict = get(claim_id).verify()
    assert verdict.status is Status.VERIFIED, verdict.reason or verdict.counterexample
    json.dumps(verdict.to_dict())


def _theory_claims():
    """The claims of proofs_check/claims/zheng2024.py (not the simulation claims zheng2024.sim.*)."""
    return [c for c in select(["zheng2024"]) if c.id.count(".") == 1]


@pytest.mark.slow
def test_all_zheng_claims_verify():
    for claim in _theory_claims():
        verdict = claim.verify(include_slow=True)
        assert verdict.status is Status.VERIFIED, (claim.id, verdict.reason, verdict.counterexample)


def test_checks_at_small_sizes_verify():
    assert z.check_c1(sizes=((1, 3), (2, 3))).status is Status.VERIFIED
    assert z.check_c2(laws=("moment-table", "sparse"), sizes=SMALL).status is Status.VERIFIED
    assert z.check_c3_sizes(laws=("real-gaussian",), sizes=SMALL).status is Status.VERIFIED
    assert z.check_c3_all_T().status is Status.VERIFIED
    assert z.check_c4_all_T().status is Status.VERIFIED
    assert z.check_c4_sizes(laws=("moment-table",), sizes=SMALL).status is Status.VERIFIED


def _wrong_harmonic(kappas, T):
    k0, k1, k2, k3 = kappas
    return (T - 2) * k2 + sp.harmonic(T - 1) * k3, (T - 2) * k1      # H_{T-1} instead of H_{T-2}


def _wrong_limit(kappas, T):
    k0, k1, k2, k3 = kappas
    return k1 / (k2 + k3 * sp.harmonic(T - 2) / (T - 1))


@pytest.mark.parametrize("run", [
    lambda: z.check_c3_all_T(gamma_lambda=_wrong_harmonic),
    lambda: z.check_c3_sizes(laws=("moment-table",), sizes=SMALL, gamma_lambda=_wrong_harmonic),
    lambda: z.check_c4_all_T(limit=_wrong_limit),
    lambda: z.check_c4_sizes(laws=("real-gaussian",), sizes=((2, 4),), limit=_wrong_limit),
], ids=["C3-all-T-H_{T-1}", "C3-sizes-H_{T-1}", "C4-all-T-(T-1)", "C4-sizes-(T-1)"])
def test_wrong_variants_are_refuted(run):
    result = run()
    assert result.status is Status.REFUTED
    assert result.counterexample


def test_law_violating_hypotheses_is_not_a_test_of_c2():
    result = z.check_c2(laws=("full-one",), sizes=((2, 3),))
    assert result.status is Status.INCONCLUSIVE and "does not satisfy (S) and (E)" in result.reason


def test_latex_statements_are_derived():
    c3 = get("zheng2024.C3").latex()
    assert r"\Gamma" in c3 and "H_{T - 2}" in c3 and r"\kappa_{3}" in c3
    c4 = get("zheng2024.C4").latex()
    assert r"\kappa_{1}" in c4 and "H_{T - 2}" in c4


def test_expressions_round_trip_through_sympify():
    verdict = get("zheng2024.C5").verify()
    for check in verdict.to_dict()["checks"]:
        for text in check["expressions"].values():
            sp.sympify(text)


def test_c1_all_dimensions_and_its_control():
    assert z.check_c1_all().status is Status.VERIFIED
    # the blocks that do move on M_AB must show surviving phase patterns: fed as "off" blocks, REFUTED
    wrong = z.check_c1_all(blocks=("W_PV_11",))
    assert wrong.status is Status.REFUTED and "survives" in wrong.detail


def test_c1_factor_lists_match_the_model():
    assert z.check_c1_factor_lists(sizes=((2, 2),)).status is Status.VERIFIED


def test_c2_needs_every_listed_S_moment():
    assert z.check_c2_off_diagonal_all().status is Status.VERIFIED
    listed = z.hypothesis_S_moment_types()
    # drop E|z_q|^4 z_p conj(z_q) (and its conjugate) from (S): the check must find it surviving
    dropped = {((1, 0), (2, 3)), ((0, 1), (3, 2))}
    result = z.check_c2_off_diagonal_all(s_types=listed - dropped, controls=False)
    assert result.status is Status.REFUTED


def test_finite_T_capability_both_directions_and_a_wrong_bound_fails(monkeypatch):
    import sympy as sp

    from proofs_check.claims import zheng2024 as z
    from proofs_check.verdicts import Status

    assert z.check_c5_needs_kappa3().status is Status.VERIFIED
    # A wrong per-step coefficient (kappa_3 dropped from E|A_tj|^2) breaks the "needs kappa_3 = 0" direction.
    from theory import zheng_patterns

    second, cross, target = zheng_patterns.per_step_coefficients()
    k3 = z._kappa_symbols()[3]
    monkeypatch.setattr(zheng_patterns, "per_step_coefficients",
                        lambda: (sp.expand(second).subs(k3, 0), cross, target))
    assert z.check_c5_needs_kappa3().status is not Status.VERIFIED


def test_ratio_from_model_catches_a_wrong_normaliser(monkeypatch):
    """The derived W-average of yhat/x is u |z_j|^2 only with rho_t = t - 1: a prediction scaled by
    (t-1)/t (rho_t = t) is refuted."""
    from proofs_check.claims import zheng2024 as z
    from proofs_check.verdicts import Status
    from theory import causal_attention

    assert z.check_c6_ratio_from_model(sizes=((2, 3),)).status is Status.VERIFIED
    original = causal_attention.causal_prediction
    monkeypatch.setattr(causal_attention, "causal_prediction",
                        lambda W_PV, W_KQ, X, Xc, t: original(W_PV, W_KQ, X, Xc, t) * (t - 1) / t)
    assert z.check_c6_ratio_from_model(sizes=((2, 3),)).status is Status.REFUTED
