r"""The reduced flow of Zheng et al. for symbolic ``T``, and what follows from it beyond the fixed point.

Everything here starts from the counted coefficients :math:`\Gamma(T)`, :math:`\Lambda(T)`,
:math:`K_0(T)` (:func:`theory.zheng_patterns.coefficients_all_T`, derived from the model by
index-pattern counting, valid for every :math:`T \ge 3` and every exchangeable law; claim C3 ties
them to the model's exact gradient). The per-coordinate loss on :math:`M_{a,b}` is

.. math::

    \ell(a, b) = c\,[\Gamma\,(ab)^2 - 2\Lambda\,ab + K_0], \qquad c = \text{LOSS\_SCALE},

and the entrywise flow is :math:`\dot a = -\partial_a \ell`, :math:`\dot b = -\partial_b \ell`
(SymPy's derivative, not a typed right-hand side). The functions below *derive* the individual
limits, the loss at the limit, the linearisation there and the balanced trajectory; the claims
module compares them with the stated closed forms.

References
----------
Zheng et al. (2024), Theorem 4.1 and its proof; spec ``zheng2024.md`` claims C3, C4.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .dynamics import LOSS_SCALE, a_sym, b_sym, tau, u_sym

__all__ = ["GENERIC", "ReducedAllT", "reduced_all_T", "individual_limits", "limit_loss", "linearisation",
           "balanced_trajectory", "time_to_fraction", "convergence_factor", "T_from_n", "n_sym"]

#: ``T = n + 3``: a nonnegative integer ``n`` makes "every T >= 3" an assumption SymPy can use.
n_sym = sp.Symbol("n", integer=True, nonnegative=True)


def T_from_n(expr):
    """Substitute ``T = n + 3`` (so that ``T >= 3`` is an assumption of the symbol ``n``)."""
    from .zheng_patterns import T_sym

    return sp.sympify(expr).subs(T_sym, n_sym + 3)


@dataclass(frozen=True)
class ReducedAllT:
    """The reduced flow for symbolic ``T`` (kappa symbols of an exchangeable law).

    Attributes
    ----------
    Gamma, Lambda, K0 : sympy.Expr
        Counted coefficients, functions of ``T`` and ``kappa_0..kappa_3``.
    loss : sympy.Expr
        Per-coordinate loss :math:`\\ell(a, b)`.
    a_dot, b_dot : sympy.Expr
        :math:`-\\partial_a\\ell`, :math:`-\\partial_b\\ell`.
    u_star : sympy.Expr
        The value of ``ab`` on the non-trivial fixed-point curve, solved from ``a_dot = 0``.
    """

    Gamma: sp.Expr
    Lambda: sp.Expr
    K0: sp.Expr
    loss: sp.Expr
    a_dot: sp.Expr
    b_dot: sp.Expr
    u_star: sp.Expr


#: Generic positive coefficients: identities derived with them hold for every positive Gamma, Lambda.
GENERIC = (sp.Symbol("Gamma", positive=True), sp.Symbol("Lambda", positive=True), sp.Symbol("K_0", positive=True))


def reduced_all_T(coefficients=None) -> ReducedAllT:
    """The reduced loss and flow for symbolic ``T``, derived from the counted coefficients.

    Parameters
    ----------
    coefficients : (Gamma, Lambda, K0), optional
        Default: :func:`theory.zheng_patterns.coefficients_all_T`. Pass :data:`GENERIC` to derive with
        generic positive symbols (lighter expressions; substitute the counted ones afterwards).
    """
    if coefficients is None:
        from .zheng_patterns import coefficients_all_T

        coefficients = coefficients_all_T()
    Gamma, Lambda, K0 = coefficients
    u = a_sym * b_sym
    loss = LOSS_SCALE * (Gamma * u ** 2 - 2 * Lambda * u + K0)
    a_dot = sp.factor(-sp.diff(loss, a_sym))
    b_dot = sp.factor(-sp.diff(loss, b_sym))
    # Non-trivial fixed points: a_dot = 0 with b != 0, solved for the product.
    roots = [r for r in sp.solve(sp.cancel(a_dot / b_sym).subs(a_sym, u_sym / b_sym), u_sym) if r != 0]
    if len(roots) != 1:
        raise ValueError(f"expected one non-zero fixed value of ab (got {roots})")
    return ReducedAllT(Gamma, Lambda, K0, sp.expand(loss), a_dot, b_dot, sp.cancel(roots[0]))


def individual_limits(flow: ReducedAllT, a0, b0):
    r"""``(a_inf, b_inf)`` from a start with :math:`a_0 b_0 > 0`, solved from the conserved
    :math:`a^2 - b^2` and :math:`ab \to u^*` (SymPy's ``solve``; the branch with the sign of :math:`a_0`).

    Returns
    -------
    (a_inf, b_inf, conserved)
        ``conserved`` is :math:`\frac{d}{d\tau}(a^2 - b^2)` of the flow (0 when it is conserved).
    """
    a0, b0 = sp.sympify(a0), sp.sympify(b0)
    conserved = sp.expand(2 * a_sym * flow.a_dot - 2 * b_sym * flow.b_dot)
    A, B = sp.symbols("A B")                            # |a_inf|, |b_inf| (same signs as a0, b0: a0 b0 > 0)
    c, U = sp.Symbol("c", real=True), sp.Symbol("U", positive=True)
    sols = sp.solve([A ** 2 - B ** 2 - c, A * B - U], [A, B], dict=True)
    # Keep the branch that is real and positive (checked at exact points on both sides of c = 0).
    probes = [{c: sp.Rational(1, 3), U: 2}, {c: -sp.Rational(5, 2), U: sp.Rational(1, 7)}]
    def positive_real(value):
        value = sp.N(value)
        return bool(value.is_real and value > 0)

    keep = [s_ for s_ in sols if all(positive_real(s_[A].subs(p)) and positive_real(s_[B].subs(p)) for p in probes)]
    if len(keep) != 1:
        raise ValueError(f"expected one positive branch for (|a_inf|, |b_inf|) (got {keep})")
    at = {c: a0 ** 2 - b0 ** 2, U: flow.u_star}
    sign = sp.sign(a0)
    return sign * keep[0][A].subs(at), sign * keep[0][B].subs(at), conserved


def limit_loss(flow: ReducedAllT) -> sp.Expr:
    """The per-coordinate loss at the limit: :math:`\\ell` on the curve ``ab = u*``."""
    return sp.cancel(flow.loss.subs(a_sym, flow.u_star / b_sym))


def linearisation(flow: ReducedAllT):
    r"""The Jacobian of :math:`(\dot a, \dot b)` at the point :math:`(a, u^*/a)` of the fixed-point curve
    and its eigenvalues (a dict eigenvalue -> multiplicity), ``a`` symbolic."""
    J = sp.Matrix([flow.a_dot, flow.b_dot]).jacobian([a_sym, b_sym])
    at = J.subs(b_sym, flow.u_star / a_sym).applyfunc(sp.cancel)
    return at, {sp.cancel(k): v for k, v in at.eigenvals().items()}


def balanced_trajectory(flow: ReducedAllT, u0=None):
    r"""The balanced case :math:`a_0 = b_0`: :math:`u = a^2` obeys :math:`\dot u = 2a\dot a`, a Bernoulli
    equation; :math:`v = 1/u` obeys a *linear* ODE, solved by ``dsolve`` (no Bernoulli solver, which can hang).

    Returns
    -------
    (u_of_tau, rhs, residual)
        ``u(tau)``, :math:`\dot u` as a function of ``u``, and ``du/dtau - rhs(u(tau))`` (must be 0).
    """
    u0 = sp.Symbol("u_0", positive=True) if u0 is None else sp.sympify(u0)
    root = sp.sqrt(u_sym)
    rhs = sp.expand((2 * a_sym * flow.a_dot).subs({a_sym: root, b_sym: root}))
    v = sp.Function("v")
    v_rhs = sp.expand(-rhs.subs(u_sym, 1 / v(tau)) * v(tau) ** 2)     # dv/dtau = -u'/u^2
    if sp.diff(v_rhs, v(tau), 2) != 0:
        raise ValueError(f"the v = 1/u equation is not linear ({v_rhs}): not a logistic flow")
    sol = sp.dsolve(sp.Eq(v(tau).diff(tau), v_rhs), v(tau), ics={v(0): 1 / u0})
    u_tau = sp.cancel(1 / sol.rhs)
    residual = sp.cancel(sp.diff(u_tau, tau) - rhs.subs(u_sym, u_tau))
    return u_tau, rhs, residual


def time_to_fraction(u_tau, u_star, eps):
    r"""The time at which the balanced trajectory reaches :math:`(1 - \varepsilon) u^*` (from
    :math:`u_0 < u^*`), solved by SymPy; a list of solutions (one expected)."""
    t = sp.Symbol("tau_eps")
    solutions = sp.solve(sp.Eq(u_tau.subs(tau, t), (1 - eps) * u_star), t)
    # Keep the real, positive solutions at exact probe points with 0 < eps < 1 and u_0 < u*.
    free = sorted((u_tau.free_symbols | sp.sympify(u_star).free_symbols | {eps}) - {tau}, key=str)
    probes = []
    for k, values in enumerate(((sp.Rational(1, 10), 1), (sp.Rational(1, 3), 3))):
        point = {s: sp.Integer(2 + k + j) for j, s in enumerate(free)}
        point[eps] = values[0]
        u0 = [s for s in free if s.name == "u_0"]
        if u0:
            point[u0[0]] = sp.Rational(1, 100)             # below u* at these points
        probes.append(point)

    def real_positive(value):
        value = sp.N(value)
        return bool(value.is_real and value > 0)

    return [s for s in solutions if all(real_positive(s.subs(p)) for p in probes)]


def convergence_factor(flow: ReducedAllT) -> sp.Expr:
    r""":math:`\dot u / ((a^2 + b^2)(u^* - u))` for :math:`u = ab` (chain rule), as a function of ``T``."""
    u_dot = flow.a_dot * b_sym + a_sym * flow.b_dot
    return sp.cancel(u_dot / ((a_sym ** 2 + b_sym ** 2) * (flow.u_star - a_sym * b_sym)))
