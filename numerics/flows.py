"""Gradient flows integrated with :func:`scipy.integrate.solve_ivp`.

Every integration is bounded: a capped time span, terminal events for convergence (gradient
norm below a threshold chosen above the integrator's noise floor) and blow-up (state norm above
a bound), and a result object that reports how it ended instead of raising.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from theory.validation import (require_callable, require_finite, require_finite_array, require_int,
                               require_positive)
from scipy.integrate import solve_ivp

STATUSES = ("converged", "blew-up", "max-time", "failed")


@dataclass
class FlowResult:
    """Outcome of :func:`integrate_flow`.

    Attributes
    ----------
    status : {"converged", "blew-up", "max-time", "failed"}
    message : str
    t : ndarray, shape (n,)
        Geometric grid of sample times (plus the final time).
    y : ndarray, shape (n, p)
        The state at ``t``.
    nfev, njev : int
    conserved : dict of str -> ndarray, shape (n,)
        Each supplied conserved quantity along ``t``.
    drift : dict of str -> float
        ``max_t |q(t) - q(0)|`` for each conserved quantity.
    """

    status: str
    message: str
    t: np.ndarray
    y: np.ndarray
    nfev: int = 0
    njev: int = 0
    conserved: dict = field(default_factory=dict)
    drift: dict = field(default_factory=dict)

    @property
    def y_final(self) -> np.ndarray:
        return self.y[-1]

    @property
    def t_final(self) -> float:
        return float(self.t[-1])


def geometric_grid(t_max: float, n: int = 200, t_min: float | None = None) -> np.ndarray:
    """``0`` followed by ``n`` geometrically spaced times from ``t_min`` to ``t_max``."""
    require_positive("t_max", t_max, "the end of the time span")
    require_int("n", n, 1, "the number of sample times")
    if t_min is not None:
        require_positive("t_min", t_min, "the first positive sample time")
        if t_min >= t_max:
            raise ValueError(f"t_min must be < t_max = {t_max} (got {t_min}): the grid runs from t_min to t_max")
    t_min = t_max * 1e-6 if t_min is None else t_min
    return np.concatenate([[0.0], np.geomspace(t_min, t_max, n)])


def integrate_flow(rhs: Callable, y0, t_max: float = 1e3, jac: Callable | None = None,
                   method: str = "LSODA", rtol: float = 1e-10, atol: float = 1e-12,
                   grad_tol: float | None = 1e-9, blowup: float = 1e6, n_samples: int = 200,
                   conserved: dict[str, Callable] | None = None, max_step: float = np.inf) -> FlowResult:
    """Integrate ``dy/dt = rhs(t, y)`` for a gradient flow, with terminal events.

    Parameters
    ----------
    rhs : callable (t, y) -> ndarray, shape (p,)
        Minus the gradient (real coordinates).
    y0 : array_like, shape (p,)
    t_max : float
        Cap on the time span.
    jac : callable (t, y) -> ndarray, shape (p, p), optional
        Jacobian of ``rhs``; used by LSODA, Radau and BDF.
    rtol, atol : float
        Passed to ``solve_ivp``.
    grad_tol : float or None
        Terminal event ``||rhs|| = grad_tol`` (status "converged"). Must lie above the noise
        floor of the integrator, roughly ``atol * ||jac||``; a value below it is raised to it.
    blowup : float
        Terminal event ``||y|| = blowup`` (status "blew-up").
    conserved : dict of name -> callable (y) -> float
        Quantities whose drift along the trajectory is reported.
    """
    require_callable("rhs", rhs, "a callable rhs(t, y) -> dy/dt")
    y0 = require_finite_array("y0", y0, ndim=1, why="the initial state").astype(float)
    require_positive("t_max", t_max, "the end of the time span")
    _check_solver(jac, method, rtol, atol)
    require_int("n_samples", n_samples, 1, "the number of output times")
    require_positive("blowup", blowup, "the norm at which the run is called diverged")
    if grad_tol is not None:
        require_positive("grad_tol", grad_tol, "the gradient norm at which the run is called converged")
    if grad_tol is not None and jac is not None:
        floor = 10 * atol * max(1.0, float(np.linalg.norm(jac(0.0, y0), 2)))
        grad_tol = max(grad_tol, floor)

    events = []

    def blow(t, y):
        return np.linalg.norm(y) - blowup

    blow.terminal = True
    blow.direction = 1
    events.append(blow)
    if grad_tol is not None:
        def conv(t, y):
            return np.linalg.norm(rhs(t, y)) - grad_tol

        conv.terminal = True
        conv.direction = -1
        events.append(conv)

    t_eval = geometric_grid(t_max, n_samples)
    kwargs = {} if method in ("RK45", "RK23", "DOP853") or jac is None else {"jac": jac}
    try:
        sol = solve_ivp(rhs, (0.0, t_max), y0, method=method, t_eval=t_eval, events=events,
                        rtol=rtol, atol=atol, max_step=max_step, **kwargs)
    except Exception as exc:  # noqa: BLE001 - report, never raise, from inside the integrator
        return FlowResult("failed", f"solve_ivp raised {type(exc).__name__}: {exc}",
                          np.array([0.0]), y0[None, :])
    t, y = sol.t, sol.y.T
    if sol.status == -1:
        status, message = "failed", sol.message
    elif sol.status == 1 and len(sol.t_events[0]):
        status, message = "blew-up", f"||y|| reached {blowup:g} at t = {sol.t_events[0][0]:.6g}"
        t, y = np.append(t, sol.t_events[0][0]), np.vstack([y, sol.y_events[0][0]])
    elif sol.status == 1:
        te = sol.t_events[1][0]
        status, message = "converged", f"||grad|| fell to {grad_tol:.3g} at t = {te:.6g}"
        t, y = np.append(t, te), np.vstack([y, sol.y_events[1][0]])
    else:
        status, message = "max-time", f"reached t_max = {t_max:g} without meeting the convergence event"
    cons, drift = {}, {}
    for name, q in (conserved or {}).items():
        vals = np.array([q(yy) for yy in y])
        cons[name] = vals
        drift[name] = float(np.max(np.abs(vals - vals[0])))
    return FlowResult(status, message, t, y, int(sol.nfev), int(sol.njev), cons, drift)


# --- the reduced (a, b) flow of claim C3 ------------------------------------------------------

#: The integrators this module is tuned for (stiff flows need a Jacobian-aware method).
METHODS = ("LSODA", "Radau", "BDF", "RK45", "RK23", "DOP853")


def _check_solver(jac, method, rtol, atol) -> None:
    if jac is not None:
        require_callable("jac", jac, "a callable jac(t, y) -> matrix, or None")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} (got {method!r}): LSODA or Radau for stiff flows")
    require_positive("rtol", rtol, "a relative tolerance")
    require_positive("atol", atol, "an absolute tolerance")


def _check_coefficients(Gamma, Lambda) -> None:
    require_positive("Gamma", Gamma, "Gamma > 0 is the coefficient of (ab)^2 in the reduced loss")
    require_finite("Lambda", Lambda)


def reduced_rhs(Gamma: float, Lambda: float) -> Callable:
    """Right-hand side of the reduced flow, as a function of supplied coefficients.

    .. math:: \\dot a = -b(\\Gamma ab - \\Lambda), \\quad \\dot b = -a(\\Gamma ab - \\Lambda)

    This is the entrywise form (the loss per diagonal entry); writing the loss as a function of
    the two scalars multiplies the right-hand side by d (a time rescaling).
    """
    _check_coefficients(Gamma, Lambda)
    def rhs(t, y):
        a, b = y
        g = Gamma * a * b - Lambda
        return np.array([-b * g, -a * g])

    return rhs


def reduced_jac(Gamma: float, Lambda: float) -> Callable:
    """Analytic Jacobian of :func:`reduced_rhs`."""
    _check_coefficients(Gamma, Lambda)
    def jac(t, y):
        a, b = y
        g = Gamma * a * b - Lambda
        return np.array([[-Gamma * b * b, -g - Gamma * a * b],
                         [-g - Gamma * a * b, -Gamma * a * a]])

    return jac


def integrate_reduced(Gamma: float, Lambda: float, a0: float, b0: float, t_max: float = 1e4,
                      rtol: float = 1e-12, atol: float = 1e-14, grad_tol: float | None = 1e-12,
                      n_samples: int = 200) -> FlowResult:
    """Integrate the reduced flow from ``(a0, b0)`` with its analytic Jacobian (LSODA).

    The conserved quantity ``a^2 - b^2`` is tracked as ``"a2-b2"``.
    """
    _check_coefficients(Gamma, Lambda)
    require_finite("a0", a0)
    require_finite("b0", b0)
    return integrate_flow(reduced_rhs(Gamma, Lambda), [a0, b0], t_max=t_max,
                          jac=reduced_jac(Gamma, Lambda), rtol=rtol, atol=atol, grad_tol=grad_tol,
                          n_samples=n_samples, conserved={"a2-b2": lambda y: y[0] ** 2 - y[1] ** 2})


def integrate_on_times(rhs: Callable, y0, times, jac: Callable | None = None, method: str = "LSODA",
                       rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    """The solution at the given increasing ``times`` (starting at 0), shape (len(times), p).

    Non-finite values mark times after a failure (status reported by :func:`integrate_flow`).
    """
    require_callable("rhs", rhs, "a callable rhs(t, y) -> dy/dt")
    y0 = require_finite_array("y0", y0, ndim=1, why="the initial state").astype(float)
    times = require_finite_array("times", times, ndim=1, why="the output times", complex_ok=False).astype(float)
    if times.size and (times[0] < 0 or np.any(np.diff(times) <= 0)):
        raise ValueError("times must be non-negative and strictly increasing (got "
                         f"{times[:5].tolist()}...): sort them")
    _check_solver(jac, method, rtol, atol)
    y0 = np.asarray(y0, dtype=float)
    kwargs = {} if jac is None else {"jac": jac}
    out = np.full((len(times), len(y0)), np.nan)
    try:
        sol = solve_ivp(rhs, (0.0, float(times[-1])), y0, method=method, t_eval=times, rtol=rtol,
                        atol=atol, **kwargs)
        out[: sol.y.shape[1]] = sol.y.T
    except Exception:  # noqa: BLE001 - leave NaN, the caller reports
        pass
    return out
