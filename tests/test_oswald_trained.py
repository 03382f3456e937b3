"""Trained recurrent K-layer LSA (von Oswald et al.): the numerics it rests on (exact sensitivities, fitted
GD++ parameters, the comparison against GD and GD++) and its claims, with wrong statements REFUTED."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from numerics import sampling, training
from proofs_check import Status, verify
from proofs_check.claims import oswald2022_trained as ot
from proofs_check.registry import override_stated


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_recurrent_sensitivity_is_the_exact_derivative_and_gives_the_prediction(layers):
    rng = np.random.default_rng(3)
    X, Y, xq, yq = sampling.oswald_tasks(7, N=5, Nx=3, r=2.0, rng=rng)
    WP, WK = 0.3 * rng.standard_normal((4, 4)), 0.3 * rng.standard_normal((4, 4))
    s = training.lsa_recurrent_sensitivity(WP, WK, X, Y, layers)

    def pred(x):
        return training.lsa_recurrent_loss_and_grad(WP, WK, X, Y, x, yq, layers, need_grad=False)[1]

    h = 1e-6
    fd = np.stack([(pred(xq + h * e) - pred(xq - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    scale = np.abs(s).max()
    assert np.abs(s - fd).max() <= 1e-7 * scale
    # the prediction is linear in x_test: yhat = s . x_test
    assert np.abs(np.einsum("bi,bi->b", s, xq) - pred(xq)).max() <= 1e-12 * max(1.0, np.abs(pred(xq)).max())
    if layers == 1:
        np.testing.assert_allclose(s, training.lsa_sensitivity(WP, WK, X, Y), rtol=1e-12, atol=1e-14)


def test_fitted_gdpp_parameters_recover_gdpp_weights_under_rescaling():
    rng = np.random.default_rng(4)
    X, Y, _, _ = sampling.oswald_tasks(9, N=6, Nx=3, rng=rng)
    for eta, gamma in ((0.7, 0.2), (3.0, -0.1), (1.0, 0.0)):
        WP, WK = training.gdpp_weights(3, 6, eta, gamma)
        for s in (1.0, -2.5):
            e, g = training.fitted_gdpp_parameters(s * WP, WK / s, X, Y)
            assert e == pytest.approx(eta, rel=1e-12) and g == pytest.approx(gamma, rel=1e-12, abs=1e-15)


def test_compare_recurrent_lsa_on_the_gdpp_construction_is_gdpp():
    base = {"eta_gd": 5.0, "eta_gdpp": 9.0, "gamma_gdpp": 0.15}
    WP, WK = training.gdpp_weights(4, 8, base["eta_gdpp"], base["gamma_gdpp"])
    m = training.compare_recurrent_lsa(WP, WK, layers=2, n_tasks=200, N=8, Nx=4, seed=1, baselines=base)
    assert m["loss_tf"] == m["loss_gdpp"] and m["pred_diff_rms_gdpp"] == 0.0
    assert m["sensitivity_cosine_gdpp"] == pytest.approx(1.0, abs=1e-12)
    assert m["gamma_learned"] == pytest.approx(0.15, rel=1e-12) and m["eta_learned"] == pytest.approx(9.0, rel=1e-12)
    assert m["sensitivity_cosine_gd"] < 1.0


def test_train_lsa_adam_from_given_weights_and_with_a_decaying_lr():
    WP, WK = training.gdpp_weights(3, 5, 2.0, 0.1)
    saved = WP.copy()
    res = training.train_lsa_adam(steps=3, batch=8, N=5, Nx=3, layers=2, init=(WP, WK), lr_final=1e-5)
    assert res.status == "finished" and np.array_equal(WP, saved)          # the start is copied, not trained in place
    assert 0 < np.abs(res.W_PV - WP).max() <= 3 * 1e-3 * 1.01               # Adam moves each weight by at most ~lr per step
    with pytest.raises(ValueError, match="W_PV"):
        training.train_lsa_adam(steps=1, batch=2, N=5, Nx=3, init=(np.zeros((3, 3)), WK))
    with pytest.raises(TypeError, match="init"):
        training.train_lsa_adam(steps=1, batch=2, N=5, Nx=3, init=WP)
    with pytest.raises(ValueError, match="lr_final"):
        training.train_lsa_adam(steps=1, batch=2, N=5, Nx=3, lr_final=0.0)


def test_line_search_starts_are_validated():
    X, Y, xq, yq = sampling.oswald_tasks(20, N=5, Nx=3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="starts"):
        training.line_search_gd(X, Y, xq, yq, plus=True, starts=())


# --------------------------------------------------------------------------------------------- claims
def test_trained_k2_quick_verified_and_a_wrong_statement_refuted():
    verdict = verify("oswald2022.trained-K2")
    assert verdict.status is Status.VERIFIED, verdict.to_dict()
    L_TF, L_GD, L_PP, c_PP, _, _ = ot._symbols()
    # "the trained model matches plain GD" (instead of GD++): refuted by the same run (cached, no retraining)
    with override_stated("oswald2022.trained-K2", sp.Tuple(L_TF - L_GD, L_GD - L_TF, c_PP - 1)):
        assert ot.check_trained(2, "quick").status is Status.REFUTED
    # "GD is below the trained model"
    with override_stated("oswald2022.trained-K2", sp.Tuple(L_TF - L_PP, L_TF - L_GD, c_PP - 1)):
        assert ot.check_trained(2, "quick").status is Status.REFUTED


def _fake_measure(gamma_learned, loss_tf=0.105):
    def measure(K, N, mode="quick", seed=0):
        return {"status": "finished", "message": "", "layers": K, "N": N, "mode": mode, "seed": seed,
                "config": dict(ot.QUICK[K] if mode == "quick" else ot.SLOW[K]), "loss_tf": loss_tf, "loss_gd": 0.15,
                "loss_gdpp": 0.10, "sensitivity_cosine_gdpp": 0.995, "sensitivity_cosine_gd": 0.96,
                "gamma_learned": gamma_learned, "gamma_gdpp": 0.18, "eta_learned": 12.6, "eta_gdpp": 13.8,
                "eta_gd": 6.0, "start": None, "pred_diff_rms_gd": 0.2, "pred_diff_rms_gdpp": 0.1}
    return measure


@pytest.mark.parametrize("loss_tf, status", [(0.105, Status.VERIFIED), (0.13, Status.INCONCLUSIVE),
                                             (0.08, Status.REFUTED)])
def test_slow_check_an_unconverged_run_is_inconclusive_a_better_one_refutes(monkeypatch, loss_tf, status):
    """From scratch, a run stopping above GD++ (not converged) cannot decide "matches GD++"; one far below refutes it."""
    monkeypatch.setattr(ot, "measure", _fake_measure(0.17, loss_tf))
    assert ot.check_trained(3, "slow").status is status


def test_learned_gamma_sign_convention_decides_the_verdict(monkeypatch):
    """On given measurements (no training): the stated convention passes, the opposite sign is REFUTED, and a
    learned gamma of the opposite sign to GD++'s (an under-trained run) is REFUTED."""
    *_, g_TF, g_PP = ot._symbols()
    monkeypatch.setattr(ot, "measure", _fake_measure(0.17))
    assert ot.check_learned_gamma("quick").status is Status.VERIFIED
    with override_stated("oswald2022.learned-gamma", sp.Tuple(g_TF + g_PP)):
        assert ot.check_learned_gamma("quick").status is Status.REFUTED
    monkeypatch.setattr(ot, "measure", _fake_measure(-0.10))
    assert ot.check_learned_gamma("quick").status is Status.REFUTED


@pytest.mark.slow
def test_learned_gamma_quick_verified():
    assert verify("oswald2022.learned-gamma").status is Status.VERIFIED


@pytest.mark.slow
def test_trained_k3_quick_verified():
    assert verify("oswald2022.trained-K3").status is Status.VERIFIED
