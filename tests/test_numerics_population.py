"""The exact population level: phase-lemma counts, gradients, and agreement with the reduced flow."""
import itertools

import numpy as np
import pytest

from numerics import flows, population, sampling, training


def _brute_force_tensors(law, d, T):
    """K, J by exact finite averaging: lambda over N-th roots of unity (N > every exponent), z enumerated."""
    N = 2 * T + 1
    roots = np.exp(2j * np.pi * np.arange(N) / N)
    if law == "rademacher":
        zs = [np.array(s, float) for s in itertools.product((-1, 1), repeat=d)]
    elif law == "sparse":
        zs = [s * np.eye(d)[k] for k in range(d) for s in (-1, 1)]
    else:
        zs = [np.ones(d)]
    K = np.zeros((d,) * 6, complex)
    J = np.zeros((d,) * 4, complex)
    count = 0
    for lam in itertools.product(roots, repeat=d):
        lam = np.array(lam)
        for z in zs:
            x = lam[None, :] ** np.arange(T)[:, None] * z[None, :]      # x[t-1] = x_t
            for t in range(2, T):
                C = sum(np.outer(x[i - 1], x[i - 2].conj()) for i in range(2, t + 1)) / (t - 1)
                Cx = np.einsum("pq,r->pqr", C, x[t - 1])
                K += np.einsum("pqr,stu->pqrstu", Cx, Cx.conj())
                J += np.einsum("k,pqr->kpqr", x[t].conj(), Cx)
            count += 1
    return K / count, J / count


@pytest.mark.parametrize("law", ["rademacher", "sparse", "full-one"])
def test_phase_lemma_counts_match_brute_force(law):
    d, T = 2, 4
    co = population.population_coefficients(law, d, T)
    K, J = _brute_force_tensors(law, d, T)
    np.testing.assert_allclose(co.K, K, atol=1e-12)
    np.testing.assert_allclose(co.J, J, atol=1e-12)


@pytest.mark.parametrize("law", population.LAWS)
def test_population_gradient_matches_finite_differences(law):
    d, T = 3, 6
    rng = np.random.default_rng(1)
    co = population.population_coefficients(law, d, T, scale=0.8)
    A = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
    B = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
    g = population.pack(*population.population_gradient(co, A, B))
    y0 = population.pack(A, B)
    f = lambda y: population.population_loss(co, *population.unpack(y, d))  # noqa: E731
    h = 1e-5
    fd = np.array([(f(y0 + h * e) - f(y0 - h * e)) / (2 * h) for e in np.eye(len(y0))])
    assert np.max(np.abs(fd - g)) <= 1e-7 * max(1.0, np.max(np.abs(g)))


@pytest.mark.parametrize("law,scale", [("gaussian", 1.0), ("gaussian", 0.5), ("sparse", 2.0),
                                       ("rademacher", 1.0), ("full-one", 1.0)])
@pytest.mark.parametrize("d,T", [(2, 3), (3, 10), (4, 17)])
def test_diagonal_restriction_gives_the_C3_coefficients(law, scale, d, T):
    """Gamma = (T-2) kappa_2 + H_{T-2} kappa_3 and Lambda = (T-2) kappa_1, from the exact tensors."""
    co = population.population_coefficients(law, d, T, scale)
    k = population.kappas(law, d, scale)
    Gamma = (T - 2) * k["kappa2"] + population.harmonic(T - 2) * k["kappa3"]
    assert co.Gamma == pytest.approx(Gamma, rel=1e-12)
    assert co.Lambda == pytest.approx((T - 2) * k["kappa1"], rel=1e-12)


def test_gaussian_kappas_and_limit():
    k = population.kappas("gaussian", 5, 2.0)
    assert k == {"kappa0": 4.0, "kappa1": 48.0, "kappa2": 15 * 64.0, "kappa3": 4 * 3 * 64.0}
    H = population.harmonic(98)
    assert population.limit_ab_from_kappas("gaussian", 5, 100, 2.0) == pytest.approx(1 / (4 * (5 + 4 * H / 98)))


def test_population_loss_matches_monte_carlo_within_sampling_error():
    d, T, m = 2, 5, 40000
    rng = np.random.default_rng(2)
    co = population.population_coefficients("rademacher", d, T)
    A = 0.5 * (rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d)))
    B = 0.5 * (rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d)))
    P = np.zeros((d, 2 * d), complex); P[:, :d] = B
    Q = np.zeros((2 * d, 2 * d), complex); Q[d:, :d] = A
    x = sampling.zheng_sequences(m, T, d, "rademacher", rng=rng)
    per_batch = [training.zheng_loss_and_grad(x[s:s + 1000], P, Q, need_grad=False) for s in range(0, m, 1000)]
    se = np.std(per_batch, ddof=1) / np.sqrt(len(per_batch))
    assert abs(np.mean(per_batch) - population.population_loss(co, A, B)) < 5 * se


def test_population_flow_agrees_with_reduced_flow():
    d, T = 3, 12
    co = population.population_coefficients("gaussian", d, T)
    pop = population.integrate_population(co, 0.3 * np.eye(d), 0.2 * np.eye(d), t_max=50.0, grad_tol=1e-10)
    red = flows.integrate_reduced(co.Gamma, co.Lambda, 0.3, 0.2, t_max=50.0)
    assert pop.status == "converged" and red.status == "converged"
    n = min(len(pop.t), len(red.t)) - 1
    ab_pop = np.array([population.ab_from_state(y, d) for y in pop.y[:n]])
    np.testing.assert_allclose(ab_pop, red.y[:n, 0] * red.y[:n, 1], atol=1e-9)
    assert abs(population.ab_from_state(pop.y_final, d) - co.limit_ab) < 1e-9
    assert pop.drift["|A|^2-|B|^2"] < 1e-9


def test_unknown_law_rejected():
    with pytest.raises(ValueError, match="unknown law 'cauchy'"):
        population.population_coefficients("cauchy", 2, 4)


def test_empirical_minimiser_agrees_with_population_limit_within_sampling_error():
    from numerics import metrics

    x = sampling.zheng_sequences(3000, 20, 3, "gaussian", rng=np.random.default_rng(21))
    u, se = metrics.empirical_limit_with_error(x)
    limit = population.limit_ab_from_kappas("gaussian", 3, 20)
    assert 0 < se < 0.05 * limit
    assert abs(u - limit) < 4 * se
    xs = sampling.zheng_sequences(200, 20, 3, "sparse", scale=2.0, rng=np.random.default_rng(22))
    u, se = metrics.empirical_limit_with_error(xs)
    assert u == pytest.approx(0.25, rel=1e-12) and se < 1e-12    # kappa_3 = 0: every sequence agrees
