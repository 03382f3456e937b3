"""Gradient-flow integration: closed forms, Jacobians, terminal events."""
import numpy as np
import pytest

from numerics import flows


def test_reduced_flow_logistic_closed_form():
    """a0 = b0 keeps a = b; u = a^2 solves du/dt = -2u(Gamma u - Lambda), a logistic curve."""
    G, L, a0 = 7.0, 3.0, 0.2
    res = flows.integrate_reduced(G, L, a0, a0, t_max=20.0, grad_tol=None)
    u0, us = a0 * a0, L / G
    exact = us / (1 + (us / u0 - 1) * np.exp(-2 * L * res.t))
    np.testing.assert_allclose(res.y[:, 0] * res.y[:, 1], exact, rtol=1e-9, atol=1e-12)
    assert res.status == "max-time"


def test_reduced_flow_converges_to_lambda_over_gamma_and_conserves():
    res = flows.integrate_reduced(5.0, 2.0, 0.1, 1.3)
    assert res.status == "converged"
    assert abs(res.y_final[0] * res.y_final[1] - 0.4) < 1e-10
    assert res.drift["a2-b2"] < 1e-10


def test_reduced_jacobian_matches_finite_differences():
    rhs, jac = flows.reduced_rhs(3.0, 1.5), flows.reduced_jac(3.0, 1.5)
    y = np.array([0.7, -0.4])
    h = 1e-7
    fd = np.column_stack([(rhs(0, y + h * e) - rhs(0, y - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(jac(0, y), fd, rtol=1e-7, atol=1e-9)


def test_blow_up_is_reported():
    res = flows.integrate_flow(lambda t, y: y ** 2, [1.0], t_max=5.0, grad_tol=None, blowup=1e4)
    assert res.status == "blew-up"
    assert res.t_final == pytest.approx(1 - 1e-4, rel=1e-5)      # y = 1/(1-t) reaches 1e4


def test_max_time_is_reported():
    res = flows.integrate_flow(lambda t, y: -y, [1.0], t_max=1.0, grad_tol=1e-12)
    assert res.status == "max-time" and res.t_final == 1.0


def test_geometric_grid_and_bad_span():
    g = flows.geometric_grid(10.0, 5, 0.01)
    assert g[0] == 0 and np.allclose(np.diff(np.log(g[1:])), np.log(10) * 3 / 4)
    with pytest.raises(ValueError, match="t_max must be (a )?positive"):
        flows.integrate_flow(lambda t, y: -y, [1.0], t_max=0.0)
