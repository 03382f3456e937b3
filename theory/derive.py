r"""Generic derivations from a model description and a task: loss, gradient, flow, manifolds, fixed points.

From a :class:`theory.models.LinearAttention` and a task (:mod:`theory.tasks`) everything below is
derived mechanically, with no model-specific code:

1. :func:`population_loss`: :math:`L(\theta) = c\, \mathbb{E}\|\hat y - y\|^2 =
   c \sum_k \big(C_k^\top G\, C_k - 2 b_k^\top C_k + c_k\big)` with the model's feature coefficients
   :math:`C_k(\theta)` and the task's exact feature moments (symbolic ``N`` for i.i.d. tokens);
   its gradient :math:`\partial L/\partial\theta = 2c \sum_k (\partial C_k/\partial\theta)^\top (G C_k - b_k)`.
2. :func:`gradient_flow`: :math:`\dot\theta = -\nabla L`.
3. :class:`Manifold`: weights as functions :math:`\theta = \varphi(r)` of a few variables;
   :meth:`Manifold.restrict` returns the reduced flow :math:`\dot r = (J^\top J)^{-1} J^\top (-\nabla L)`
   (``J = \partial\varphi/\partial r``) and the residuals :math:`-\nabla L - J\dot r`, all zero exactly
   when the manifold is invariant.
4. :func:`conserved_quantities`: polynomial first integrals of a (reduced) flow, by a linear ansatz.
5. :func:`fixed_points`: the zeros of the flow by a Groebner basis, with the dimension of the zero set
   decided first (a curve of fixed points is reported as such, never silently dropped).
6. Named algorithms (:func:`one_step_gd`, :func:`preconditioned_gd`, :func:`k_step_gd`) and
   :func:`prediction_difference`, the model's prediction minus the algorithm's, for every data set.

References
----------
von Oswald et al. (2022), Sec. 2; Zheng et al. (2024), Sec. 4; Zhang, Frei, Bartlett (2024), Sec. 4;
Zhang, Singh, Latham, Saxe (2025), Sec. 3-5; Ahn et al. (2023), Sec. 3.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations_with_replacement

import sympy as sp

from .models import N as N_sym
from .models import LinearAttention
from .tasks import AutoregressiveTask, InContextRegression
from .validation import fail, require_int, require_matrix, require_scalar, require_type

__all__ = ["PopulationLoss", "population_loss", "Flow", "gradient_flow", "Manifold", "RestrictedFlow",
           "conserved_quantities", "FixedPoints", "fixed_points", "Algorithm", "one_step_gd",
           "preconditioned_gd", "k_step_gd", "zero_algorithm", "prediction_difference", "is_zero"]


def is_zero(expr) -> bool:
    """Exact zero test for a rational function of symbols (canonical form of ``cancel``).

    Raises on expressions with functions (``sin``, ``sqrt``...), where a canonical form is not guaranteed.
    """
    expr = sp.sympify(expr)
    if any(not (a.is_Symbol or a.is_Number) for a in expr.atoms(sp.Function, sp.Pow)
           if not isinstance(a, sp.Pow) or not a.exp.is_Integer):
        raise ValueError(f"is_zero decides rational functions only (got {expr}): use proofs_check.check_identity")
    return sp.cancel(sp.together(expr)) == 0


# ----------------------------------------------------------------------------- loss and gradient
@dataclass
class PopulationLoss:
    r"""The exact population loss of a model under a task.

    Attributes
    ----------
    model, task
    N : Symbol or int
        The context length (symbolic ``theory.SYMBOLS["N"]`` or an integer; unused by the AR task).
    scale : Expr
        ``c`` in ``L = c E||yhat - y||^2``.
    expr : Expr
        ``L`` as an expression in ``model.symbols`` (and ``N`` and the task's symbols).
    scope : str
        For which sizes it is exact.
    """

    model: LinearAttention
    task: object
    N: object
    scale: sp.Expr
    coefficients: tuple
    G: sp.Matrix
    b: sp.Matrix
    c: tuple
    scope: str
    direct: object = None
    _gradient: dict | None = field(default=None, repr=False)

    @property
    def expr(self) -> sp.Expr:
        if self.direct is not None:  # a deep model or the autoregressive task: expanded at the point
            return self.direct.loss({})
        total = sp.Integer(0)
        for k, C in enumerate(self.coefficients):
            GC = self.G * C
            total += (C.T * GC)[0] - 2 * (self.b[k, :] * C)[0] + self.c[k]
        return self.scale * total

    def at(self, values: dict) -> sp.Expr:
        """``L`` at weights ``values`` (symbol -> value or block name -> Matrix), expanded."""
        sub = self.model.with_values(values)
        if self.direct is not None:
            return self.direct.loss(sub)
        total = sp.Integer(0)
        for k, C in enumerate(self.coefficients):
            Cv = C.xreplace(sub).applyfunc(sp.expand)
            total += (Cv.T * (self.G * Cv))[0] - 2 * (self.b[k, :] * Cv)[0] + self.c[k]
        return sp.expand(self.scale * total)

    def gradient_at(self, values: dict | None = None, symbols=None) -> dict:
        """``symbol -> dL/dsymbol`` for the trained symbols, optionally at a substitution ``values``."""
        sub = self.model.with_values(values) if values else {}
        symbols = self.model.symbols if symbols is None else tuple(symbols)
        if self.direct is not None:
            return self.direct.gradient(sub, symbols)
        out = {s: sp.Integer(0) for s in symbols}
        for k, C in enumerate(self.coefficients):
            Cv = C.xreplace(sub) if sub else C
            resid = (self.G * Cv - self.b[k, :].T).applyfunc(sp.expand)
            for f in range(C.rows):
                if resid[f] == 0 or C[f] == 0:
                    continue
                for s in symbols:
                    dC = sp.diff(C[f], s)
                    if dC != 0:
                        out[s] += 2 * self.scale * (dC.xreplace(sub) if sub else dC) * resid[f]
        return {s: sp.expand(v) for s, v in out.items()}

    @property
    def gradient(self) -> dict:
        """``symbol -> dL/dsymbol`` for every trained symbol (computed once)."""
        if self._gradient is None:
            self._gradient = self.gradient_at()
        return self._gradient


def population_loss(model: LinearAttention, task, N=N_sym, scale=None) -> PopulationLoss:
    r"""Exact population loss of ``model`` under ``task``.

    Parameters
    ----------
    model : LinearAttention
    task : InContextRegression or AutoregressiveTask
    N : Symbol or int
        Context length for in-context regression (default the symbol ``N``: exact for every N).
    scale : Expr, optional
        ``c`` in :math:`L = c\,\mathbb{E}\|\hat y - y\|^2` (default the task's: 1/2 for regression, Zheng's
        ``LOSS_SCALE`` for the autoregressive task).

    Returns
    -------
    PopulationLoss

    Examples
    --------
    >>> from theory import LinearAttention, InContextRegression
    >>> m = LinearAttention(D=1)
    >>> L = population_loss(m, InContextRegression(1), N=2)
    >>> sorted(map(str, L.gradient))
    ['WKQ1_11', 'WKQ1_12', 'WKQ1_21', 'WKQ1_22', 'v1_1', 'v1_2']
    """
    require_type("model", model, LinearAttention, "a theory.LinearAttention")
    require_type("task", task, (InContextRegression, AutoregressiveTask),
                 "a theory.InContextRegression or theory.AutoregressiveTask")
    scale = task.default_scale if scale is None else require_scalar("scale", scale, "the loss scale c > 0")
    if scale.is_positive is not True:
        fail("scale", "positive", scale, "the loss is c E||yhat - y||^2 with c > 0")
    if isinstance(task, InContextRegression):
        if model.E != task.D + 1 and model.embedding.name.startswith("(x; y)"):
            raise ValueError(f"model (D = {model.E - 1}) and task (D = {task.D}) must have the same input dimension")
        if not (N == N_sym):
            N = require_int("N", N, minimum=1, why="the number of context tokens")
    if isinstance(task, AutoregressiveTask):  # the task's one exact expectation, at its T
        direct = task.direct_loss(model, scale=scale)
        return PopulationLoss(model, task, N, scale, (), sp.zeros(0, 0), sp.zeros(0, 0), (),
                              f"T = {task.T}, d = {task.d}, law {task.law!r}", direct=direct)
    if model.layers > 1:
        if not isinstance(task, InContextRegression) or not isinstance(N, int):
            raise ValueError(f"a deep model (layers = {model.layers}) has an exact loss at an integer N on in-context "
                             f"regression (got N = {N}, task {type(task).__name__}): pass N=2, 3, ...")
        direct = task.direct_loss(model, N, scale)
        return PopulationLoss(model, task, N, scale, (), sp.zeros(0, 0), sp.zeros(0, 0), (),
                              f"N = {N}, D = {task.D} (explicit prompt, {model.layers} layers)", direct=direct)
    feats = model.features()
    active = [f for f in range(len(feats.monomials)) if any(row[f] != 0 for row in feats.coefficients)]
    moments = task.feature_moments(model, N, active=active)
    keep = [f for f in range(moments.G.rows) if moments.G[f, f] != 0]
    G = moments.G.extract(keep, keep)
    b = moments.b.extract(list(range(moments.b.rows)), keep)
    coefficients = tuple(sp.Matrix([sp.expand(sp.sympify(row[f])) for f in keep])
                         for row in feats.coefficients)
    return PopulationLoss(model, task, N, scale, coefficients, G, b, moments.c, moments.scope)


# ----------------------------------------------------------------------------- flows
@dataclass
class Flow:
    """A gradient flow ``d theta/dt = rhs[theta]``.

    Attributes
    ----------
    rhs : dict Symbol -> Expr
    variables : tuple of Symbol
    loss : PopulationLoss or None
    """

    rhs: dict
    variables: tuple
    loss: PopulationLoss | None = None

    def __post_init__(self):
        if not isinstance(self.rhs, dict):
            fail("rhs", "a dict variable -> expression", self.rhs, kind=TypeError)
        self.variables = tuple(self.variables)
        missing = [v for v in self.variables if v not in self.rhs]
        if missing or not all(isinstance(v, sp.Symbol) for v in self.variables):
            fail("variables", "Symbols, each with an entry in rhs", self.variables,
                 f"missing {missing}" if missing else "")

    def derivative_of(self, quantity, expand: bool = True) -> sp.Expr:
        """``dQ/dt`` along the flow for an expression ``Q`` of the variables (unexpanded if ``expand=False``)."""
        total = sp.Add(*[sp.diff(quantity, v) * self.rhs[v] for v in self.variables])
        return sp.expand(total) if expand else total


def gradient_flow(loss: PopulationLoss) -> Flow:
    r"""The gradient flow :math:`\dot\theta = -\nabla L` of a population loss (every trained weight)."""
    require_type("loss", loss, PopulationLoss, "a theory.PopulationLoss (from theory.population_loss)")
    grad = loss.gradient
    return Flow({s: -g for s, g in grad.items()}, tuple(grad), loss)


@dataclass
class RestrictedFlow(Flow):
    """A flow restricted to a manifold; ``residuals`` are the off-manifold velocity components.

    Attributes
    ----------
    residuals : dict Symbol -> Expr
        Zero exactly when the manifold is invariant (decide with ``proofs_check.check_invariant``).
    manifold : Manifold
    velocity, tangent : Matrix
        ``-grad L`` on the manifold and its tangential part ``J rdot`` (equal iff invariant).
    """

    residuals: dict = field(default_factory=dict)
    manifold: object = None
    velocity: sp.Matrix | None = None
    tangent: sp.Matrix | None = None

    @property
    def invariant(self) -> bool:
        """True iff every residual is exactly zero (rational-function zero test)."""
        return all(is_zero(r) for r in self.residuals.values())


class Manifold:
    r"""A manifold of weights :math:`\theta = \varphi(r)` named by the user.

    Parameters
    ----------
    model : LinearAttention
    assignment : dict
        ``block name -> Matrix`` of expressions in ``variables``; every trained block not named is 0.
    variables : sequence of Symbol
        The manifold's coordinates ``r``.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import LinearAttention
    >>> a, b = sp.symbols("a b", real=True)
    >>> M = Manifold(LinearAttention(D=1), {"W_KQ_1": sp.Matrix([[a, 0], [0, 0]]), "v_1": sp.Matrix([0, b])}, (a, b))
    >>> M.point()[sp.Symbol("v1_2", real=True)]
    b
    """

    def __init__(self, model: LinearAttention, assignment: dict, variables):
        require_type("model", model, LinearAttention, "a theory.LinearAttention")
        if not isinstance(assignment, dict) or not assignment:
            fail("assignment", "a non-empty dict block name -> Matrix of expressions in the variables",
                 assignment, kind=TypeError)
        variables = tuple(variables) if isinstance(variables, (list, tuple)) else (variables,)
        if not variables or not all(isinstance(v, sp.Symbol) for v in variables):
            fail("variables", "a sequence of SymPy Symbols (the manifold's coordinates)", variables, kind=TypeError)
        self.model, self.variables = model, variables
        trained = {k for k in model.parameters if k not in model.fixed}
        for key, val in assignment.items():
            if key not in trained:
                fail("assignment", f"keyed by trained blocks {sorted(trained)}", key)
            require_matrix(f"assignment[{key!r}]", val, model.parameters[key].shape,
                           f"the block {key} is {model.parameters[key].shape}")
            extra = sp.Matrix(val).free_symbols - set(variables) - {N_sym}
            if extra & set(model.symbols):
                fail(f"assignment[{key!r}]", "an expression in the manifold's variables", val,
                     f"it uses the weights {sorted(map(str, extra & set(model.symbols)))}")
        self.assignment = {k: sp.Matrix(v) for k, v in assignment.items()}
        J = sp.Matrix([[sp.diff(self.point()[s], r) for r in variables] for s in model.symbols])
        if J.rank() < len(variables):
            fail("variables", f"independent coordinates of the manifold (the Jacobian has rank {J.rank()} < "
                 f"{len(variables)})", variables, "drop a redundant variable")
        self.jacobian = J

    def point(self) -> dict:
        """``symbol -> expression`` for every trained weight."""
        out = {s: sp.Integer(0) for s in self.model.symbols}
        for key, val in self.assignment.items():
            for s, v in zip(self.model.parameters[key], val):
                out[s] = v
        return out

    def restrict(self, flow_or_loss) -> RestrictedFlow:
        """The reduced flow on the manifold and the invariance residuals."""
        loss = flow_or_loss.loss if isinstance(flow_or_loss, Flow) else flow_or_loss
        require_type("flow_or_loss", loss, PopulationLoss, "a theory.Flow or theory.PopulationLoss")
        if loss.model is not self.model:
            raise ValueError("the flow must be the manifold's model's (got another model): build the Manifold on "
                             "loss.model")
        point = self.point()
        grad = loss.gradient_at({s: v for s, v in point.items()})
        V = sp.Matrix([-grad[s] for s in self.model.symbols])
        J = self.jacobian
        JtJ = (J.T * J).applyfunc(sp.expand)
        rdot = (JtJ.LUsolve(J.T * V)).applyfunc(sp.cancel)
        resid = (V - J * rdot).applyfunc(sp.cancel)
        residuals = {s: r for s, r in zip(self.model.symbols, resid)}
        return RestrictedFlow(dict(zip(self.variables, rdot)), self.variables, loss, residuals=residuals, manifold=self,
                              velocity=V, tangent=J * rdot)


def conserved_quantities(flow: Flow, degree: int = 2) -> list:
    r"""Polynomial first integrals :math:`Q(r)` of a flow, of total degree ``1..degree`` (a basis).

    Solves the linear equations on the coefficients of an ansatz for :math:`\dot Q \equiv 0` identically
    (exact, over the rational functions of the other symbols).

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", real=True)
    >>> conserved_quantities(Flow({a: b * (1 - a * b), b: a * (1 - a * b)}, (a, b)))
    [a**2 - b**2]
    """
    require_type("flow", flow, Flow, "a theory.Flow or theory.RestrictedFlow")
    degree = require_int("degree", degree, minimum=1, maximum=6)
    vs = flow.variables
    monomials = [sp.Mul(*c) for k in range(1, degree + 1) for c in combinations_with_replacement(vs, k)]
    cs = sp.symbols(f"c_0:{len(monomials)}")
    Q = sum((c * m for c, m in zip(cs, monomials)), sp.Integer(0))
    num = sp.numer(sp.together(flow.derivative_of(Q)))
    eqs = sp.Poly(sp.expand(num), *vs).coeffs() if num != 0 else []
    if not eqs:
        return [sp.expand(m) for m in monomials]
    A, _ = sp.linear_eq_to_matrix(eqs, cs)
    basis = A.nullspace()
    out = []
    for vec in basis:
        q = sp.expand(sum((sp.cancel(v) * m for v, m in zip(vec, monomials)), sp.Integer(0)))
        lead = sp.Poly(q, *vs).coeffs()[0]
        out.append(sp.expand(sp.cancel(q / lead)))
    return out


@dataclass
class FixedPoints:
    """The zeros of a flow.

    Attributes
    ----------
    status : {"finite", "positive-dimensional", "none", "unsolved"}
    points : list of dict
        The fixed points (``finite``), each checked by substitution.
    reason : str
    basis : list of Expr
        A lex Groebner basis of the fixed-point equations.
    """

    status: str
    points: list
    reason: str
    basis: list


def fixed_points(flow: Flow, variables=None) -> FixedPoints:
    r"""Every fixed point of ``flow``, or the reason the answer is not a finite list.

    The equations' numerators get a lexicographic Groebner basis (over the rational functions of the other
    symbols, e.g. ``N``); the zero set is finite iff every variable has a pure power as a leading monomial.
    A positive-dimensional set (a curve of fixed points, as on Zheng's ``a b = const``) is reported as
    ``"positive-dimensional"`` with the free variables, never cut to isolated points.

    For a :class:`theory.dynamics.ReducedFlow` (Zheng's ``M_ab`` flow) this returns that module's list of
    points and curves (``theory.dynamics.fixed_points``).
    """
    from .dynamics import ReducedFlow as ZhengReducedFlow
    from .dynamics import fixed_points as zheng_fixed_points

    if isinstance(flow, ZhengReducedFlow):  # the Zheng reduced flow keeps its own solver (same name, one entry point)
        return zheng_fixed_points(flow)
    require_type("flow", flow, Flow, "a theory.Flow or theory.RestrictedFlow")
    vs = tuple(flow.variables if variables is None else variables)
    eqs = [sp.numer(sp.together(flow.rhs[v])) for v in flow.variables]
    eqs = [sp.expand(e) for e in eqs if sp.expand(e) != 0]
    if not eqs:
        return FixedPoints("positive-dimensional", [], f"the flow is identically zero: every point of "
                           f"{list(vs)} is fixed", [])
    G = sp.groebner(eqs, *vs, order="lex")
    basis = list(G.exprs)
    if basis == [1]:
        return FixedPoints("none", [], "the fixed-point equations are inconsistent (Groebner basis [1])", basis)
    pure = set()
    for g in basis:
        lead = max(sp.Poly(g, *vs).monoms())  # lex order is Python's tuple order (no order= string: SymPy 1.14
        # with python-flint fails on it for univariate polynomials)
        nz = [i for i, k in enumerate(lead) if k]
        if len(nz) == 1:
            pure.add(vs[nz[0]])
    free = [v for v in vs if v not in pure]
    if free:
        return FixedPoints("positive-dimensional", [], f"the fixed points form a family of positive dimension: no "
                           f"equation bounds {', '.join(map(str, free))} (leading monomials of the lex Groebner "
                           f"basis)", basis)
    try:
        sols = sp.solve(basis, vs, dict=True)
    except NotImplementedError as exc:
        return FixedPoints("unsolved", [], f"finitely many fixed points, but SymPy cannot solve the basis: {exc}",
                           basis)
    good, open_ = [], []
    for sol in sols:
        if not set(sol) >= set(vs):
            return FixedPoints("unsolved", [], f"SymPy returned a partial solution {sol}", basis)
        try:
            if not all(is_zero(e.subs(sol)) for e in eqs):
                return FixedPoints("unsolved", [], f"SymPy's solution {sol} does not satisfy the equations", basis)
            good.append(sol)
        except ValueError:  # radicals: decided by proofs_check's exact zero test (check_fixed_points)
            open_.append(sol)
    if open_:
        return FixedPoints("finite", good + open_, f"{len(good) + len(open_)} isolated fixed point(s) (zero-dimensional "
                           f"Groebner basis); {len(open_)} with radicals are substituted back by "
                           "proofs_check.check_fixed_points, not here", basis)
    return FixedPoints("finite", good, f"{len(good)} isolated fixed point(s) (zero-dimensional Groebner basis), each "
                       "substituted back", basis)


# ----------------------------------------------------------------------------- named algorithms
@dataclass(frozen=True)
class Algorithm:
    r"""An in-context algorithm's prediction as a function of the regression statistics.

    ``predict(A, beta, x_q, N)`` with :math:`A = \frac1N\sum_n x_n x_n^\top` (D x D),
    :math:`\beta = \frac1N\sum_n y_n x_n` (D x 1), the query ``x_q`` (D x 1).
    """

    name: str
    predict: object
    D: int

    def on_data(self, xs, ys, x_q) -> sp.Expr:
        """The prediction on an explicit prompt."""
        n = len(xs)
        A = sum((sp.Matrix(x) * sp.Matrix(x).T for x in xs), sp.zeros(self.D, self.D)) / n
        beta = sum((y * sp.Matrix(x) for x, y in zip(xs, ys)), sp.zeros(self.D, 1)) / n
        return sp.expand(self.predict(A, beta, sp.Matrix(x_q), n))


def zero_algorithm(D: int) -> Algorithm:
    """The algorithm that always predicts 0 (a control: a model is not trivially zero)."""
    D = require_int("D", D, minimum=1)
    return Algorithm("the zero predictor", lambda A, beta, xq, N: sp.Integer(0), D)


def one_step_gd(D: int, eta) -> Algorithm:
    r"""One GD step from :math:`w_0 = 0` on :math:`\frac{1}{2N}\sum_n (w^\top x_n - y_n)^2`:
    :math:`\hat y = \eta\, \beta^\top x_q` (von Oswald et al. 2022, Eq. (2))."""
    D = require_int("D", D, minimum=1)
    eta = require_scalar("eta", eta, "the step size")
    return Algorithm(f"one GD step (eta = {eta})", lambda A, beta, xq, N: eta * (beta.T * xq)[0], D)


def preconditioned_gd(P) -> Algorithm:
    r"""One preconditioned GD step from 0: :math:`\hat y = x_q^\top P \beta` (Ahn et al. 2023, Sec. 3)."""
    require_matrix("P", P)
    P = sp.Matrix(P)
    if P.rows != P.cols:
        fail("P", "a square D x D preconditioner", P.shape)
    return Algorithm("one preconditioned GD step", lambda A, beta, xq, N: (xq.T * P * beta)[0], P.rows)


def k_step_gd(D: int, eta, K: int) -> Algorithm:
    r"""``K`` GD steps from 0: :math:`w_{k+1} = w_k - \eta (A w_k - \beta)`, :math:`\hat y = w_K^\top x_q`."""
    D = require_int("D", D, minimum=1)
    K = require_int("K", K, minimum=1)
    eta = require_scalar("eta", eta, "the step size")

    def predict(A, beta, xq, N):
        w = sp.zeros(D, 1)
        for _ in range(K):
            w = w - eta * (A * w - beta)
        return (w.T * xq)[0]

    return Algorithm(f"{K} GD steps (eta = {eta})", predict, D)


def prediction_difference(model: LinearAttention, values: dict, algorithm: Algorithm, N=N_sym) -> sp.Expr:
    r"""The model's prediction at ``values`` minus the algorithm's, for every prompt.

    For the default ``(x; y)`` embedding this is a polynomial in the statistics :math:`S = \sum_n z_n z_n^\top`
    (its symbols ``S_ij``, ``i <= j``) and ``x_q``, exact for symbolic ``N``: it is zero iff the two predictions
    agree on every prompt of every length. For another embedding ``N`` must be an integer and the difference
    is a polynomial in the prompt's symbols.
    """
    require_type("model", model, LinearAttention, "a theory.LinearAttention")
    require_type("algorithm", algorithm, Algorithm, "a theory.Algorithm (theory.one_step_gd, ...)")
    D = algorithm.D
    sub = model.with_values(values)
    if model.embedding.name.startswith("(x; y)") and model.layers == 1:
        if model.E != D + 1:
            raise ValueError(f"algorithm is for D = {D}, the model for D = {model.E - 1}")
        feats = model.features()
        E = model.E
        sym = {feats.S[j, i]: feats.S[i, j] for i in range(E) for j in range(i + 1, E)}
        xq = sp.Matrix(D, 1, lambda i, j: sp.Symbol(f"xq_{i + 1}", real=True))
        zq = list(xq) + [sp.Integer(0)]
        rho = model.normaliser.subs(N_sym, N)
        point = sym | dict(zip(feats.zq, zq)) | {feats.inv_rho: 1 / rho}
        pred = feats.prediction()[0].xreplace(sub).xreplace(point)
        S = feats.S.xreplace(sym)
        A = S[:D, :D] / N
        beta = S[:D, D] / N
        return sp.expand(sp.cancel(pred - algorithm.predict(A, beta, xq, N)))
    N = require_int("N", N, minimum=1, why="a user's embedding is compared on prompts of a concrete length")
    task = InContextRegression(D)
    xs, ys = [], []
    for n in range(1, N + 1):
        x = sp.Matrix(D, 1, lambda i, j: sp.Symbol(f"x{n}_{i + 1}", real=True))
        xs.append(x)
        ys.append(sp.Symbol(f"y_{n}", real=True))
    pred = model.predict(xs, ys, task.x_q, values)
    return sp.expand(pred - algorithm.on_data(xs, ys, task.x_q))
