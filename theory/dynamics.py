r"""Gradient flow of causal linear attention on the manifolds :math:`M_{A,B}` and :math:`M_{a,b}`.

Conventions (the single place where they are fixed; see also ``docs/zheng2024_conventions.md``)
-----------------------------------------------------------------------------------------------
* **Loss scale.** :math:`L(\theta) = \mathbb{E}_{z,W}\sum_{t=2}^{T-1} c\,\|\hat y_t - x_{t+1}\|^2`
  with ``c = LOSS_SCALE = 1/2``.  Another scale ``c'`` multiplies every gradient by ``c'/c``:
  time is rescaled, fixed points and limits are unchanged (``loss_scale`` argument of
  :func:`reduced_flow`, relative to ``LOSS_SCALE``).
* **Normaliser.** :math:`\rho_t = t - 1` (``RHO``): :math:`\hat y_t = \rho_t^{-1}W^{PV}E_tE_t^H W^{KQ}e_t`.
* **Complex gradient.** Every complex weight :math:`w = u + i v` is two real coordinates;
  :math:`\mathrm{grad}\,L = \partial L/\partial u + i\,\partial L/\partial v` and the flow is
  :math:`\dot w = -\mathrm{grad}\,L` (so :math:`\dot u = -\partial_u L`, :math:`\dot v = -\partial_v L`).
  For real-valued ``L`` this equals :math:`2\,\partial L/\partial\bar w` (Wirtinger).
* **Entrywise flow.** The reduced ODE is the flow of the matrix entries
  :math:`a = (W^{KQ}_{21})_{jj}`, :math:`b = (W^{PV}_{11})_{jj}`, *not* the gradient of the loss
  written as a function of the two scalars (that would multiply the right-hand side by d).

References
----------
Zheng et al. (2024), Sec. 3-4: Assumption 3.1, Theorem 4.1, Proposition 4.1; spec ``zheng2024.md``.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .causal_attention import causal_prediction, check_sizes, manifold_AB, manifold_ab
from .moments import TokenLaw
from .validation import require_bool, require_int, require_positive, require_scalar, require_type
from .zheng_population import PopulationDerivatives, population_derivatives, require_law

__all__ = [
    "LOSS_SCALE", "RHO", "CONVENTIONS", "a_sym", "b_sym", "u_sym", "tau", "gradient_on_ab", "gradient_on_AB",
    "invariance_residuals_AB", "invariance_residuals_ab", "ReducedFlow", "reduced_flow", "product_flow",
    "conserved_rate", "fixed_points", "limit_of_product", "limits_of_a_b", "balanced_solution",
    "one_step_gd_prediction", "attention_prediction_on_ab", "reduced_flow_function", "entrywise_flow_all_T",
]

#: Scale c of the loss  L = E sum_t c ||yhat_t - x_{t+1}||^2.
LOSS_SCALE = sp.Rational(1, 2)
#: The normaliser rho_t of the prediction, as an expression in t.
RHO = sp.Symbol("t", integer=True, positive=True) - 1
CONVENTIONS = {            # the text is built from LOSS_SCALE and RHO (the values used by theory.causal_model)
    "loss": f"L = E_{{z,W}} sum_{{t=2}}^{{T-1}} ({LOSS_SCALE}) ||yhat_t - x_{{t+1}}||^2",
    "rho_t": str(RHO),
    "complex gradient": "grad = dL/du + i dL/dv for w = u + i v; flow dw/dtau = -grad",
    "reduced flow": "entrywise: a = (W^KQ_21)_jj, b = (W^PV_11)_jj",
}

a_sym, b_sym = sp.symbols("a b", real=True)
u_sym = sp.Symbol("u", real=True)
tau = sp.Symbol("tau", nonnegative=True)


def gradient_on_ab(d: int, T: int, law: TokenLaw | None, gradient: bool = True) -> PopulationDerivatives:
    r"""Exact loss and gradient at the point of :math:`M_{a,b}` with real symbols ``a``, ``b``.

    Returns
    -------
    PopulationDerivatives
        ``grad_PV`` shape (d, 2d), ``grad_KQ`` shape (2d, 2d), polynomials in ``a_sym``, ``b_sym``.
    """
    check_sizes(d=d, T=T)
    require_law(law, d, optional=True)
    W_PV, W_KQ = manifold_ab(d, a_sym, b_sym)
    return population_derivatives(d, T, W_PV, W_KQ, law, params=(a_sym, b_sym), gradient=gradient)


def _check_flow(flow) -> None:
    require_type("flow", flow, ReducedFlow, "a ReducedFlow (from reduced_flow(d, T, law))")


def _check_deriv(deriv, d) -> None:
    require_type("deriv", deriv, PopulationDerivatives, "a PopulationDerivatives (from gradient_on_ab)")
    check_sizes(d=d)


def gradient_on_AB(d: int, T: int, law: TokenLaw | None):
    r"""Exact gradient at a generic point of :math:`M_{A,B}` (complex ``A``, ``B``).

    ``A_{jk} = p_{jk} + i q_{jk}``, ``B_{jk} = r_{jk} + i s_{jk}`` with real symbols.

    Returns
    -------
    (PopulationDerivatives, A, B)
    """
    check_sizes(d=d, T=T)
    require_law(law, d, optional=True)
    p = sp.Matrix(d, d, lambda j, k: sp.Symbol(f"p_{j + 1}{k + 1}", real=True))
    q = sp.Matrix(d, d, lambda j, k: sp.Symbol(f"q_{j + 1}{k + 1}", real=True))
    r = sp.Matrix(d, d, lambda j, k: sp.Symbol(f"r_{j + 1}{k + 1}", real=True))
    s = sp.Matrix(d, d, lambda j, k: sp.Symbol(f"s_{j + 1}{k + 1}", real=True))
    A = p + sp.I * q
    B = r + sp.I * s
    W_PV, W_KQ = manifold_AB(A, B)
    params = [*p, *q, *r, *s]
    return population_derivatives(d, T, W_PV, W_KQ, law, params=params), A, B


def invariance_residuals_AB(deriv: PopulationDerivatives, d: int) -> dict:
    r"""Gradient blocks that must vanish for :math:`M_{A,B}` to be invariant (claim C1).

    Returns
    -------
    dict
        ``"W_PV[:, d:]"`` shape (d, d) and the three ``W_KQ`` blocks other than ``[d:, :d]``.
    """
    _check_deriv(deriv, d)
    g_pv, g_kq = deriv.grad_PV, deriv.grad_KQ
    return {"W_PV_12": g_pv[:, d:], "W_KQ_11": g_kq[:d, :d], "W_KQ_12": g_kq[:d, d:], "W_KQ_22": g_kq[d:, d:]}


def invariance_residuals_ab(deriv: PopulationDerivatives, d: int) -> dict:
    r"""What must vanish for :math:`M_{a,b}` to be invariant (claim C2), beyond C1.

    Off-diagonal entries of the gradients of :math:`W^{PV}_{11}` and :math:`W^{KQ}_{21}`, the
    differences of their diagonal entries, and their imaginary parts.
    """
    _check_deriv(deriv, d)
    blocks = {"PV11": deriv.grad_PV[:, :d], "KQ21": deriv.grad_KQ[d:, :d]}
    out = {}
    for name, G in blocks.items():
        out[f"{name} off-diagonal"] = [G[j, k] for j in range(d) for k in range(d) if j != k]
        out[f"{name} diagonal spread"] = [G[j, j] - G[0, 0] for j in range(1, d)]
        out[f"{name} imaginary part"] = [sp.im(sp.expand(G[j, j])) for j in range(d)]
    return out


@dataclass
class ReducedFlow:
    r"""The reduced ODE :math:`\dot a = f(a, b)`, :math:`\dot b = g(a, b)` on :math:`M_{a,b}`.

    Attributes
    ----------
    a, b : Symbol
    a_dot, b_dot : sympy.Expr
        Derived from the entrywise real-coordinate gradient.
    loss : sympy.Expr
        The population loss on :math:`M_{a,b}` (full matrices, all d coordinates).
    d, T : int
    masked : bool
        True if the off-diagonal gradients were zeroed (the code's ``--clip``).
    """

    a: sp.Symbol
    b: sp.Symbol
    a_dot: sp.Expr
    b_dot: sp.Expr
    loss: sp.Expr
    d: int
    T: int
    masked: bool = False

    @property
    def rhs(self) -> tuple:
        return (self.a_dot, self.b_dot)


def reduced_flow(d: int, T: int, law: TokenLaw, loss_scale=None, masked: bool = False,
                 deriv: PopulationDerivatives | None = None) -> ReducedFlow:
    r"""The reduced gradient flow on :math:`M_{a,b}`, derived from the exact population gradient.

    Parameters
    ----------
    d, T : int
    law : TokenLaw
    loss_scale : exact number, optional
        Scale ``c`` of the loss (default ``LOSS_SCALE``); the right-hand side scales by ``c / LOSS_SCALE``.
    masked : bool
        Zero the off-diagonal gradient entries (allowed even if (S) fails: the masked flow).
    deriv : PopulationDerivatives, optional
        A precomputed :func:`gradient_on_ab` result.

    Returns
    -------
    ReducedFlow

    Raises
    ------
    ValueError
        If :math:`M_{a,b}` is not invariant for this law and ``masked`` is False.

    Examples
    --------
    >>> from theory.moments import MomentTableLaw, RealGaussian
    >>> reduced_flow(1, 3, MomentTableLaw(1)).a_dot
    -b*(a*b*kappa_2 - kappa_1)
    >>> limit_of_product(reduced_flow(2, 4, RealGaussian(2, sigma=1)))
    4/23

    References
    ----------
    Zheng et al. (2024), Sec. 4 (reduced dynamics behind Theorem 4.1); spec claim C3.
    """
    check_sizes(d=d, T=T)
    require_law(law, d)
    require_bool("masked", masked)
    if loss_scale is not None:
        require_positive("loss_scale", require_scalar("loss_scale", loss_scale), "the loss is c * E||yhat - y||^2, c > 0")
    if deriv is not None:
        _check_deriv(deriv, d)
    deriv = deriv or gradient_on_ab(d, T, law)
    scale = (sp.sympify(loss_scale) / LOSS_SCALE) if loss_scale is not None else sp.Integer(1)
    residuals = invariance_residuals_ab(deriv, d)
    for name, values in residuals.items():
        if masked and "off-diagonal" in name:
            continue
        for value in values:
            if sp.expand(value) != 0:
                hyp = "(S)" if "off-diagonal" in name else "(E)"
                raise ValueError(
                    f"M_(a,b) is not invariant for the {law.name} law: the {name} of the gradient is {value}; "
                    f"hypothesis {hyp} fails (pass masked=True for the masked flow)")
    a_dot = sp.factor(-scale * deriv.grad_KQ[d, 0])
    b_dot = sp.factor(-scale * deriv.grad_PV[0, 0])
    return ReducedFlow(a_sym, b_sym, a_dot, b_dot, sp.expand(scale * deriv.loss), d, T, masked)


def entrywise_flow_all_T(d: int) -> tuple[list, list]:
    r"""Entrywise flow of the diagonals at ``A = aI``, ``B = bI`` for symbolic T and arbitrary moments.

    Differentiates :func:`theory.zheng_patterns.diagonal_loss_all_T` (diagonal ``A``, ``B``,
    one moment symbol per coordinate assignment) with respect to each :math:`a_j`, :math:`b_j`
    and evaluates at :math:`a_j = a`, :math:`b_j = b`.

    Returns
    -------
    (a_dots, b_dots) : list of Expr, length d
        :math:`\dot a_j = -\partial L/\partial a_j`, :math:`\dot b_j = -\partial L/\partial b_j`.
    """
    from .zheng_patterns import diagonal_loss_all_T

    check_sizes(d=d)
    dl = diagonal_loss_all_T(d)
    at = {**{s: a_sym for s in dl.a}, **{s: b_sym for s in dl.b}}
    a_dots = [sp.expand(-sp.diff(dl.loss, s).subs(at)) for s in dl.a]
    b_dots = [sp.expand(-sp.diff(dl.loss, s).subs(at)) for s in dl.b]
    return a_dots, b_dots


def product_flow(flow: ReducedFlow) -> sp.Expr:
    r""":math:`\dot u` for :math:`u = ab`, by the chain rule: :math:`\dot a b + a \dot b`."""
    _check_flow(flow)
    return sp.factor(flow.a_dot * flow.b + flow.a * flow.b_dot)


def conserved_rate(flow: ReducedFlow) -> sp.Expr:
    r""":math:`\frac{d}{d\tau}(a^2 - b^2) = 2a\dot a - 2b\dot b` (zero when it is conserved)."""
    _check_flow(flow)
    return sp.expand(2 * flow.a * flow.a_dot - 2 * flow.b * flow.b_dot)


def fixed_points(flow: ReducedFlow) -> list[dict]:
    r"""All fixed points of the reduced flow, isolated points and curves.

    Solved with ``solve`` over a Groebner basis of the right-hand sides (``nonlinsolve``
    drops solution curves); every solution is substituted back and kept only if both
    right-hand sides vanish identically.

    Returns
    -------
    list of dict
        ``{a: ..., b: ...}`` or ``{a: expr in b}`` (a curve parametrised by ``b``).
    """
    _check_flow(flow)
    a, b = flow.a, flow.b
    basis = sp.groebner([sp.numer(sp.together(flow.a_dot)), sp.numer(sp.together(flow.b_dot))], a, b, order="lex")
    solutions = sp.solve(list(basis), [a, b], dict=True)
    checked = []
    for sol in solutions:
        residual = [sp.cancel(sp.together(e.subs(sol))) for e in flow.rhs]
        if all(r == 0 for r in residual):
            checked.append(sol)
    return checked


def limit_of_product(flow: ReducedFlow) -> sp.Expr:
    r"""The value of :math:`ab` on the non-trivial fixed-point curve (Theorem 4.1's :math:`\lim ab`)."""
    _check_flow(flow)
    values = set()
    for sol in fixed_points(flow):
        prod = sp.cancel(sp.together((flow.a * flow.b).subs(sol)))
        if prod != 0 and not (prod.free_symbols & {flow.a, flow.b}):
            values.add(prod)
    if len(values) != 1:
        raise ValueError(f"expected one non-zero value of ab on the fixed-point set (got {values})")
    return values.pop()


def limits_of_a_b(flow: ReducedFlow, a0, b0) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    r"""Limits :math:`(\lim a, \lim b, \lim ab)` from the start :math:`(a_0, b_0)`.

    :math:`a^2 - b^2 = a_0^2 - b_0^2` is conserved and :math:`ab \to u^*`, so
    :math:`a^2 = (c + \sqrt{c^2 + 4u^{*2}})/2` with the sign of :math:`a_0`.

    Raises
    ------
    ValueError
        If :math:`a_0 b_0 \le 0` (as a number): at :math:`a_0 = -b_0` the flow converges to
        the saddle :math:`ab = 0`; other starts with :math:`a_0 b_0 < 0` must first change sign.
    """
    _check_flow(flow)
    a0, b0 = require_scalar("a0", a0), require_scalar("b0", b0)
    prod = a0 * b0
    if prod.is_positive is False or (prod.is_number and prod <= 0):
        raise ValueError(
            f"a0*b0 must be > 0 (got a0 = {a0}, b0 = {b0}): (0, 0) is a saddle of the flow; from a0 = -b0 "
            f"the flow converges to it (ab -> 0), other starts with a0*b0 < 0 cross ab = 0 first")
    ustar = limit_of_product(flow)
    c = a0 ** 2 - b0 ** 2
    a_sq = (c + sp.sqrt(c ** 2 + 4 * ustar ** 2)) / 2
    a_lim = sp.sign(a0) * sp.sqrt(a_sq)
    b_lim = ustar / a_lim
    return a_lim, b_lim, ustar


def balanced_solution(flow: ReducedFlow, u0=None):
    r"""The balanced case :math:`a_0 = b_0`: :math:`u(\tau)` solved by ``dsolve`` and checked.

    On :math:`a = b` (kept by the conserved :math:`a^2 - b^2 = 0`) with :math:`u = a^2 > 0`,
    :math:`\dot u = 2a\dot a`, an ODE in ``u`` alone (logistic when the flow is C3's).

    Returns
    -------
    (u_of_tau, ode_rhs, residual)
        ``u(tau)``, the right-hand side in ``u``, and ``du/dtau - rhs(u)`` at the solution (0).
    """
    _check_flow(flow)
    u0 = sp.Symbol("u_0", positive=True) if u0 is None else require_scalar("u0", u0, "the start u(0) = a0^2")
    root = sp.sqrt(u_sym)
    rhs = sp.factor(sp.expand((2 * flow.a * flow.a_dot).subs({flow.a: root, flow.b: root})))
    f = sp.Function("u")
    solution = sp.dsolve(sp.Eq(f(tau).diff(tau), rhs.subs(u_sym, f(tau))), f(tau), ics={f(0): u0})
    if isinstance(solution, list):
        solution = [s for s in solution if sp.simplify(s.rhs.subs(tau, 0) - u0) == 0][0]
    u_tau = sp.simplify(solution.rhs)
    residual = sp.simplify(sp.diff(u_tau, tau) - rhs.subs(u_sym, u_tau))
    return u_tau, rhs, residual


def attention_prediction_on_ab(d: int, t: int, u=None) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    r"""The attention prediction :math:`\hat y_t` on :math:`M_{a,b}` for *generic* tokens.

    Tokens are free symbols ``x_{i,j}`` with conjugates ``xbar_{i,j}`` (no AR structure).

    Returns
    -------
    (yhat, X, X_conj) : Matrix (d, 1), Matrix (d, t + 1), Matrix (d, t + 1)
    """
    check_sizes(d=d, t=t)
    X = sp.Matrix(d, t + 1, lambda j, i: sp.Symbol(f"x_{i + 1}{j + 1}"))
    Xc = sp.Matrix(d, t + 1, lambda j, i: sp.Symbol(f"xbar_{i + 1}{j + 1}"))
    u = u_sym if u is None else u
    W_PV, W_KQ = manifold_ab(d, u, 1)
    return sp.expand(causal_prediction(W_PV, W_KQ, X, Xc, t)), X, Xc


def one_step_gd_prediction(d: int, t: int, eta, X: sp.Matrix, X_conj: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    r"""One GD step from :math:`W_0 = 0` on the in-context OLS loss, and its prediction.

    .. math::

        L^{OLS}_t(W) = \tfrac12 \sum_{i=1}^{t-1}\|x_{i+1} - W x_i\|^2,\qquad
        \widehat W_t = 0 - \eta\,\mathrm{grad}\,L^{OLS}_t(0),\qquad \hat y = \widehat W_t x_t,

    the gradient taken in real coordinates (``W = U + iV``, symbolic, differentiated by SymPy).

    Returns
    -------
    (W_hat, prediction) : Matrix (d, d), Matrix (d, 1)
    """
    check_sizes(d=d, t=t)
    require_scalar("eta", eta, "the GD step size")
    for name, M in (("X", X), ("X_conj", X_conj)):
        require_type(name, M, sp.MatrixBase, "a sympy.Matrix of shape (d, T)")
    U = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"U_{r + 1}{c + 1}", real=True))
    V = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"V_{r + 1}{c + 1}", real=True))
    W, W_conj = U + sp.I * V, U - sp.I * V
    loss = sp.Integer(0)
    for i in range(1, t):
        res = X[:, i] - W * X[:, i - 1]
        res_conj = X_conj[:, i] - W_conj * X_conj[:, i - 1]
        loss += (res.T * res_conj)[0, 0] / 2
    at_zero = {**{s: 0 for s in U}, **{s: 0 for s in V}}
    grad = sp.Matrix(d, d, lambda r, c: (sp.diff(loss, U[r, c]) + sp.I * sp.diff(loss, V[r, c])).subs(at_zero))
    W_hat = sp.expand(-eta * grad)
    return W_hat, sp.expand(W_hat * X[:, t - 1])


def reduced_flow_function(flow: ReducedFlow, values: dict | None = None):
    r"""The reduced ODE as fast callables (lambdified with ``cse=True``).

    Parameters
    ----------
    flow : ReducedFlow
    values : dict, optional
        Numbers for the law's symbols (e.g. ``{sigma: 1}``); remaining symbols become
        trailing arguments.

    Returns
    -------
    (rhs, jac) : callables ``rhs(tau, y, *extra) -> list[2]``, ``jac(tau, y, *extra) -> 2x2 list``
        for ``scipy.integrate.solve_ivp``.
    """
    _check_flow(flow)
    if values is not None:
        require_type("values", values, dict, "a dict {Symbol: number} for the law's symbols")
    values = values or {}
    rhs = [sp.sympify(e).subs(values) for e in flow.rhs]
    extra = sorted(set().union(*(e.free_symbols for e in rhs)) - {flow.a, flow.b}, key=str)
    jac = [[sp.diff(e, v) for v in (flow.a, flow.b)] for e in rhs]
    y0, y1 = sp.symbols("y0 y1", real=True)
    sub = {flow.a: y0, flow.b: y1}
    rhs_y = [e.xreplace(sub) for e in rhs]
    jac_y = [[e.xreplace(sub) for e in row] for row in jac]
    f_rhs = sp.lambdify((y0, y1, *extra), rhs_y, modules="math", cse=True)
    f_jac = sp.lambdify((y0, y1, *extra), jac_y, modules="math", cse=True)

    def rhs_fn(t, y, *args):
        return f_rhs(y[0], y[1], *args)

    def jac_fn(t, y, *args):
        return f_jac(y[0], y[1], *args)

    rhs_fn.extra_symbols = jac_fn.extra_symbols = tuple(extra)
    return rhs_fn, jac_fn
