"""The vectorised Zheng gradient against a per-t loop and finite differences; the LSA gradient."""
import numpy as np
import pytest

from numerics import sampling, training


def _random_params(rng, d):
    P = rng.standard_normal((d, 2 * d)) + 1j * rng.standard_normal((d, 2 * d))
    Q = rng.standard_normal((2 * d, 2 * d)) + 1j * rng.standard_normal((2 * d, 2 * d))
    return P, Q


def _fd_complex(f, M, idx, h=1e-6):
    E = np.zeros_like(M)
    E[idx] = 1
    du = (f(M + h * E) - f(M - h * E)) / (2 * h)
    dv = (f(M + 1j * h * E) - f(M - 1j * h * E)) / (2 * h)
    return du + 1j * dv


@pytest.mark.parametrize("m,T,d,law,chunk", [(5, 3, 1, "gaussian", 2), (7, 6, 3, "sparse", 3),
                                             (4, 9, 2, "rademacher", 10), (6, 5, 4, "full-one", 1)])
def test_vectorised_gradient_equals_per_t_loop(m, T, d, law, chunk):
    rng = np.random.default_rng(m * T + d)
    x = sampling.zheng_sequences(m, T, d, law, rng=rng)
    P, Q = _random_params(rng, d)
    l0, p0, q0 = training.zheng_loss_and_grad_loop(x, P, Q)
    for data in (x, training.ZhengPrefix(x, chunk=chunk)):
        l1, p1, q1 = training.zheng_loss_and_grad(data, P, Q, chunk=chunk)
        scale = max(1.0, abs(l0))
        assert abs(l1 - l0) <= 1e-12 * scale
        assert np.max(np.abs(p1 - p0)) <= 1e-12 * max(1.0, np.max(np.abs(p0)))
        assert np.max(np.abs(q1 - q0)) <= 1e-12 * max(1.0, np.max(np.abs(q0)))


def test_vectorised_gradient_matches_finite_differences():
    """grad = dL/du + i dL/dv (real coordinates), the PyTorch convention."""
    rng = np.random.default_rng(3)
    x = sampling.zheng_sequences(6, 6, 2, "gaussian", rng=rng)
    P, Q = _random_params(rng, 2)
    _, gP, gQ = training.zheng_loss_and_grad(x, P, Q)
    f_P = lambda M: training.zheng_loss_and_grad(x, M, Q, need_grad=False)  # noqa: E731
    f_Q = lambda M: training.zheng_loss_and_grad(x, P, M, need_grad=False)  # noqa: E731
    tolP = 1e-6 * max(1.0, np.max(np.abs(gP)))
    tolQ = 1e-6 * max(1.0, np.max(np.abs(gQ)))
    for idx in np.ndindex(P.shape):
        assert abs(_fd_complex(f_P, P, idx) - gP[idx]) <= tolP
    for idx in np.ndindex(Q.shape):
        assert abs(_fd_complex(f_Q, Q, idx) - gQ[idx]) <= tolQ


def test_loss_of_zero_model_is_half_the_target_energy():
    rng = np.random.default_rng(0)
    x = sampling.zheng_sequences(50, 8, 3, "gaussian", rng=rng)
    P, Q = np.zeros((3, 6), complex), np.zeros((6, 6), complex)
    expected = 0.5 * np.sum(np.abs(x[:, 2:]) ** 2) / 50
    assert training.zheng_loss_and_grad(x, P, Q, need_grad=False) == pytest.approx(expected, rel=1e-13)


def test_last_prediction_matches_full_forward():
    rng = np.random.default_rng(1)
    x = sampling.zheng_sequences(5, 7, 2, "gaussian", rng=rng)
    P, Q = _random_params(rng, 2)
    E = training.embed(x)
    S = np.einsum("mti,mtj->mij", E[:, :6], E[:, :6].conj())
    direct = np.einsum("ij,mjk,kl,ml->mi", P, S, Q, E[:, 5]) / 5
    np.testing.assert_allclose(training.last_prediction(x, P, Q), direct, rtol=1e-12, atol=1e-12)


def test_sparse_diagonal_model_at_ab_one_predicts_exactly():
    """kappa_3 = 0 for the sparse law: ab = 1/c^2 gives yhat_t = x_{t+1} exactly (claim C5)."""
    rng = np.random.default_rng(2)
    x = sampling.zheng_sequences(20, 10, 4, "sparse", scale=2.0, rng=rng)
    P, Q = training.diagonal_init(4, 0.5, 0.5)
    assert training.zheng_loss_and_grad(x, P, Q, need_grad=False) < 1e-25


def test_mask_keeps_diagonal_blocks_diagonal():
    rng = np.random.default_rng(4)
    x = sampling.zheng_sequences(30, 6, 3, "full-one", rng=rng)
    res = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-3, epochs=3, mask=True)
    off = ~np.eye(3, dtype=bool)
    assert np.all(res.P[:, :3][off] == 0) and np.all(res.Q[3:, :3][off] == 0)
    res2 = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-3, epochs=3, mask=False)
    assert np.max(np.abs(res2.Q[3:, :3][off])) > 0       # full-one: off-diagonal gradient (claim C7)


def test_divergence_is_a_status_with_the_epoch():
    rng = np.random.default_rng(5)
    x = sampling.zheng_sequences(20, 20, 3, "gaussian", rng=rng)
    res = training.zheng_gd(x, x, 2.0, 2.0, lr=10.0, epochs=50)
    assert res.status == "diverged"
    assert res.diverged_at is not None and 0 < res.diverged_at < 50
    assert f"epoch {res.diverged_at}" in res.message
    assert np.all(np.isfinite(res.ab))


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": 0.0}, "lr must be a positive step size"),
    ({"lr": -1e-3}, "lr must be a positive step size"),
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"epochs": 2.5}, "epochs must be a positive integer"),
], ids=["lr-zero", "lr-negative", "epochs-zero", "epochs-fractional"])
def test_bad_training_arguments(kwargs, message):
    x = sampling.zheng_sequences(3, 4, 2, rng=0)
    args = {"lr": 1e-3, "epochs": 2} | kwargs
    with pytest.raises(ValueError, match=message):
        training.zheng_gd(x, None, **args)


def test_short_sequences_rejected():
    with pytest.raises(ValueError, match="T must be an integer >= 3"):
        sampling.zheng_sequences(3, 2, 2, rng=0)


def test_lsa_gradient_matches_finite_differences():
    rng = np.random.default_rng(6)
    X, Y, xq, yq = sampling.oswald_tasks(7, N=5, Nx=4, r=2.0, rng=rng)
    WP, WK = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    _, gP, gK = training.lsa_loss_and_grad(WP, WK, X, Y, xq, yq)
    f = lambda a, b: training.lsa_loss_and_grad(a, b, X, Y, xq, yq)[0]  # noqa: E731
    h = 1e-6
    for idx in np.ndindex(WP.shape):
        E = np.zeros_like(WP); E[idx] = h
        assert abs((f(WP + E, WK) - f(WP - E, WK)) / (2 * h) - gP[idx]) <= 1e-6 * max(1, np.abs(gP).max())
        assert abs((f(WP, WK + E) - f(WP, WK - E)) / (2 * h) - gK[idx]) <= 1e-6 * max(1, np.abs(gK).max())


def test_gd_construction_is_one_gd_step():
    """Proposition 1 numerically: the LSA with the construction predicts (eta/N) sum y_i x_i^T x_test."""
    rng = np.random.default_rng(8)
    X, Y, xq, _ = sampling.oswald_tasks(11, rng=rng)
    WP, WK = training.gd_construction(10, 10, 0.7)
    y_lsa, _ = training.lsa_predict(WP, WK, X, Y, xq)
    np.testing.assert_allclose(y_lsa, training.gd_one_step_predict(X, Y, xq, 0.7), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(training.lsa_sensitivity(WP, WK, X, Y), training.gd_sensitivity(X, Y, 0.7),
                               rtol=1e-12, atol=1e-14)


def test_line_searched_eta_is_optimal():
    rng = np.random.default_rng(9)
    X, Y, xq, yq = sampling.oswald_tasks(500, rng=rng)
    eta = training.gd_best_eta(X, Y, xq, yq)
    loss = lambda e: np.mean((training.gd_one_step_predict(X, Y, xq, e) - yq) ** 2)  # noqa: E731
    assert loss(eta) <= min(loss(eta * 0.99), loss(eta * 1.01))


def test_single_precision_prefix_within_float32_rounding():
    rng = np.random.default_rng(12)
    x = sampling.zheng_sequences(9, 12, 3, "gaussian", rng=rng)
    P, Q = _random_params(rng, 3)
    l0, p0, q0 = training.zheng_loss_and_grad_loop(x, P, Q)
    l1, p1, q1 = training.zheng_loss_and_grad(training.ZhengPrefix(x, chunk=4, dtype=np.complex64), P, Q)
    assert abs(l1 - l0) <= 1e-5 * l0
    assert np.max(np.abs(p1 - p0)) <= 1e-5 * np.max(np.abs(p0))
    assert np.max(np.abs(q1 - q0)) <= 1e-5 * np.max(np.abs(q0))


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_recurrent_lsa_gradient_matches_finite_differences(layers):
    rng = np.random.default_rng(13)
    X, Y, xq, yq = sampling.oswald_tasks(6, N=5, Nx=3, r=2.0, rng=rng)
    WP, WK = 0.3 * rng.standard_normal((4, 4)), 0.3 * rng.standard_normal((4, 4))
    _, gP, gK, _ = training.lsa_recurrent_loss_and_grad(WP, WK, X, Y, xq, yq, layers)
    f = lambda a, b: training.lsa_recurrent_loss_and_grad(a, b, X, Y, xq, yq, layers, need_grad=False)[0]  # noqa: E731
    h = 1e-6
    scale = max(1.0, np.abs(gP).max(), np.abs(gK).max())
    for idx in np.ndindex(WP.shape):
        E = np.zeros_like(WP); E[idx] = h
        assert abs((f(WP + E, WK) - f(WP - E, WK)) / (2 * h) - gP[idx]) <= 1e-6 * scale
        assert abs((f(WP, WK + E) - f(WP, WK - E)) / (2 * h) - gK[idx]) <= 1e-6 * scale


def test_gdpp_with_zero_gamma_is_gd_and_two_layers_are_two_gd_steps():
    """Claims O2/O3 numerically: the recurrent LSA with the GD++ weights at gamma = 0 is K GD steps."""
    rng = np.random.default_rng(14)
    X, Y, xq, yq = sampling.oswald_tasks(20, N=6, Nx=4, rng=rng)
    eta = 0.9
    WP, WK = training.gdpp_weights(4, 6, eta, 0.0)
    _, yhat = training.lsa_recurrent_loss_and_grad(WP, WK, X, Y, xq, yq, 2, need_grad=False)
    W = np.zeros((20, 4))
    for _ in range(2):
        W = W - eta * np.einsum("bn,bni->bi", np.einsum("bni,bi->bn", X, W) - Y, X) / 6
    np.testing.assert_allclose(yhat, np.einsum("bi,bi->b", W, xq), rtol=1e-10, atol=1e-12)
