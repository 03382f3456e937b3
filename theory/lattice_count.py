r"""Lattice-point counting with symbolic ``t``, proved for every integer ``t >= t_min``.

:func:`count_lattice_points` counts the integer points of a box
:math:`\prod_v [lo_v(t), hi_v(t)]` (bounds affine in ``t``) that solve linear equations whose
coefficients may contain ``t``.  The answer is a :class:`LatticeCount`: a closed form valid for
every ``t >= t0`` and the explicit values at ``t_min <= t < t0``, both proved:

* equations are split into conditions on ``t`` alone (left null space of the coefficient
  matrix): such a condition holds for all ``t``, for one ``t`` or for none, and the count is
  split accordingly (never decided with a sign test);
* for ``t >= t0`` the order of every pair of affine bounds is fixed (``t0`` lies past every
  crossing point), so the count is the product of the lengths of the extreme bounds;
* below ``t0`` the count is evaluated by exhaustive enumeration at each ``t``.

References
----------
Spec ``zheng2024.md`` section 6 (counting index patterns for symbolic ``t``).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["t_sym", "LatticeCount", "count_lattice_points", "enumerate_points"]

#: The symbolic time index.
t_sym = sp.Symbol("t", integer=True, positive=True)


@dataclass(frozen=True)
class LatticeCount:
    """A count proved for every integer ``t >= t_min``.

    Attributes
    ----------
    closed : Expr
        Polynomial in ``t``, the count for every ``t >= t0``.
    t0 : int
    below : tuple of (int, int)
        ``(t, count)`` for ``t_min <= t < t0`` (exhaustive enumeration).
    t_min : int
    """

    closed: sp.Expr
    t0: int
    below: tuple = field(default=())
    t_min: int = 2

    def at(self, t: int) -> sp.Integer:
        """The count at a concrete ``t >= t_min``."""
        if t < self.t_min:
            raise ValueError(f"t must be >= {self.t_min} (got {t}): the count is proved from t = {self.t_min} on")
        if t < self.t0:
            return sp.Integer(dict(self.below)[t])
        return sp.Integer(sp.sympify(self.closed).subs(t_sym, t))

    @property
    def is_zero(self) -> bool:
        """True iff the count is 0 for every ``t >= t_min``."""
        return sp.expand(self.closed) == 0 and all(v == 0 for _, v in self.below)

    def as_expr(self) -> sp.Expr:
        """The closed form, or a Piecewise with the explicit values below ``t0``."""
        if all(sp.sympify(self.closed).subs(t_sym, t) == v for t, v in self.below):
            return sp.expand(self.closed)
        return sp.Piecewise(*[(sp.Integer(v), sp.Eq(t_sym, t)) for t, v in self.below], (sp.expand(self.closed), True))

    @property
    def scope(self) -> str:
        """Where the count is proved, in words."""
        if self.t0 <= self.t_min:
            return f"closed form for every t >= {self.t_min}"
        return f"closed form for t >= {self.t0}, explicit values at t = {self.t_min}..{self.t0 - 1}"

    def __mul__(self, other: "LatticeCount") -> "LatticeCount":
        t_min = max(self.t_min, other.t_min)
        t0 = max(self.t0, other.t0, t_min)
        below = tuple((t, int(self.at(t) * other.at(t))) for t in range(t_min, t0))
        return LatticeCount(sp.expand(self.closed * other.closed), t0, below, t_min)


def _affine(expr, variables):
    """(coefficients dict, constant) of an affine expression in ``variables`` (constant may hold t)."""
    expr = sp.expand(sp.sympify(expr))
    coeffs = {}
    rest = expr
    for v in variables:
        c = expr.coeff(v)
        if c.free_symbols & set(variables):
            raise NotImplementedError(f"{expr} is not affine in {variables}")
        coeffs[v] = c
        rest -= c * v
    rest = sp.expand(rest)
    if rest.free_symbols & set(variables):
        raise NotImplementedError(f"{expr} is not affine in {variables}")
    return coeffs, rest


def _slope_intercept(expr):
    """(alpha, beta) with expr = alpha t + beta, rationals."""
    expr = sp.expand(sp.sympify(expr))
    if expr.free_symbols - {t_sym}:
        raise NotImplementedError(f"{expr} depends on symbols other than t")
    alpha = expr.coeff(t_sym)
    beta = sp.expand(expr - alpha * t_sym)
    if beta.free_symbols or alpha.free_symbols:
        raise NotImplementedError(f"{expr} is not affine in t")
    return sp.Rational(alpha), sp.Rational(beta)


def _past_root(alpha, beta) -> int:
    """Smallest integer strictly greater than the root of alpha t + beta (alpha != 0)."""
    return int(sp.floor(-beta / alpha)) + 1


def enumerate_points(equations, variables, ranges, t: int) -> int:
    """Exhaustive count at a concrete ``t`` (the brute force the closed forms are tested against)."""
    variables = list(variables)
    eqs = []
    for e in equations:
        coeffs, const = _affine(sp.sympify(e).subs(t_sym, t), variables)
        eqs.append(([int(coeffs[v]) if coeffs[v].is_integer else coeffs[v] for v in variables], const))
    bounds = []
    for v in variables:
        lo, hi = ranges[v]
        bounds.append(range(int(sp.sympify(lo).subs(t_sym, t)), int(sp.sympify(hi).subs(t_sym, t)) + 1))
    n = 0
    for point in itertools.product(*bounds):
        if all(sum(c * x for c, x in zip(cs, point)) + const == 0 for cs, const in eqs):
            n += 1
    return n


def _result(closed, t0, equations, variables, ranges, t_min):
    t0 = max(int(t0), t_min)
    below = tuple((t, enumerate_points(equations, variables, ranges, t)) for t in range(t_min, t0))
    count = LatticeCount(sp.expand(closed), t0, below, t_min)
    for t in range(t0, t0 + 3):       # self-test of the closed form past t0 (cheap; a bug here is fatal)
        if count.at(t) != enumerate_points(equations, variables, ranges, t):
            raise AssertionError(f"count {closed} disagrees with enumeration at t = {t}")
    return count


def count_lattice_points(equations, variables, ranges, t_min: int = 2) -> LatticeCount:
    r"""Number of integer points of ``prod_v [lo_v, hi_v]`` solving the linear ``equations``.

    Parameters
    ----------
    equations : list of Expr (each = 0)
        Affine in ``variables`` with coefficients affine in ``t``-free rationals, constants affine in ``t``.
    variables : list of Symbol
    ranges : dict Symbol -> (Expr, Expr)
        Inclusive bounds, affine in ``t``.
    t_min : int
        The count is proved for every integer ``t >= t_min``.

    Returns
    -------
    LatticeCount

    Raises
    ------
    NotImplementedError
        For relations outside the proved cases (non-integer parametrisations, slopes other than
        0 and +-1, inequalities coupling two free indices).

    Examples
    --------
    >>> k = sp.Symbol("k", integer=True)
    >>> c = count_lattice_points([t_sym - 2], [k], {k: (1, t_sym)})
    >>> c.at(2), c.at(3), c.scope
    (2, 0, 'closed form for t >= 3, explicit values at t = 2..2')
    """
    for argument, value in (("equations", equations), ("variables", variables)):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise TypeError(f"{argument} must be a list (got {type(value).__name__}): "
                            + ("the equations, each an Expr = 0" if argument == "equations" else
                               "the index Symbols"))
    if not all(isinstance(v, sp.Symbol) for v in variables):
        raise TypeError(f"variables must be SymPy Symbols (got {list(variables)!r})")
    if not isinstance(ranges, dict) or any(v not in ranges for v in variables):
        missing = [str(v) for v in variables if not isinstance(ranges, dict) or v not in ranges]
        raise ValueError(f"ranges must give (low, high) for every variable (missing {', '.join(missing)})")
    if isinstance(t_min, bool) or not isinstance(t_min, int):
        raise TypeError(f"t_min must be an integer (got {t_min!r}): the least t for which the count is proved")
    variables = list(variables)
    eqs = [sp.expand(sp.sympify(e)) for e in equations]
    eqs = [e for e in eqs if e != 0]
    if eqs and variables:
        rows = [_affine(e, variables) for e in eqs]
        M = sp.Matrix([[c[v] for v in variables] for c, _ in rows])
        if M.free_symbols:
            raise NotImplementedError("equation coefficients depending on t are not handled")
        consts = [b for _, b in rows]
        conditions = [sp.expand(sum(y[n] * consts[n] for n in range(len(consts)))) for y in M.T.nullspace()]
    else:
        M = None
        conditions = list(eqs)
    fixed_t = None
    for cond in conditions:
        alpha, beta = _slope_intercept(cond)
        if alpha == 0:
            if beta != 0:
                return LatticeCount(sp.Integer(0), t_min, (), t_min)
            continue
        root = -beta / alpha
        if not root.is_integer or root < t_min:
            return LatticeCount(sp.Integer(0), t_min, (), t_min)
        if fixed_t is not None and fixed_t != root:
            return LatticeCount(sp.Integer(0), t_min, (), t_min)
        fixed_t = int(root)
    if fixed_t is not None:      # holds at one t only: explicit value there, 0 from t + 1 on
        return _result(0, fixed_t + 1, eqs, variables, ranges, t_min)
    if eqs and variables:
        (solution,) = sp.linsolve(eqs, variables)
    else:
        solution = tuple(variables)
    free = [v for v in variables if any(v in sp.sympify(s).free_symbols for s in solution)]
    for s in solution:
        coeffs, const = _affine(s, free)
        alpha, beta = _slope_intercept(const)
        if not all(c.is_integer for c in coeffs.values()) or not alpha.is_integer or not beta.is_integer:
            raise NotImplementedError(f"non-integer index relation {s}: parity-dependent counts are not handled")
    # constraints g >= 0, affine in the free indices and t
    constraints = []
    for v, s in zip(variables, solution):
        lo, hi = ranges[v]
        constraints += [sp.expand(s - lo), sp.expand(hi - s)]
    t0 = t_min
    closed = sp.Integer(1)
    per_free = {f: ([], []) for f in free}
    for g in constraints:
        coeffs, const = _affine(g, free)
        involved = [f for f in free if coeffs[f] != 0]
        if not involved:
            alpha, beta = _slope_intercept(const)
            if alpha != 0:
                t0 = max(t0, _past_root(alpha, beta))
            holds = alpha > 0 or (alpha == 0 and beta >= 0)
            if not holds:
                closed = sp.Integer(0)
            continue
        if len(involved) > 1:
            raise NotImplementedError(f"constraint {g} >= 0 couples two free indices")
        (f,) = involved
        c = coeffs[f]
        if c == 1:
            per_free[f][0].append(-const)          # f >= -const
        elif c == -1:
            per_free[f][1].append(const)           # f <= const
        else:
            raise NotImplementedError(f"index relation with slope {c} is not handled")
    for f, (lows, ups) in per_free.items():
        lo_si = [_slope_intercept(e) for e in lows]
        up_si = [_slope_intercept(e) for e in ups]
        lo_best = max(range(len(lows)), key=lambda n: lo_si[n])
        up_best = min(range(len(ups)), key=lambda n: up_si[n])
        for group, best in ((lo_si, lo_best), (up_si, up_best)):
            for n, (alpha, beta) in enumerate(group):
                a0, b0 = group[best]
                if alpha != a0:
                    t0 = max(t0, _past_root(alpha - a0, beta - b0))
        length = sp.expand(ups[up_best] - lows[lo_best] + 1)
        alpha, beta = _slope_intercept(length)
        if alpha != 0:
            t0 = max(t0, _past_root(alpha, beta))
        if alpha > 0 or (alpha == 0 and beta > 0):
            closed = closed * length
        else:
            closed = sp.Integer(0)
    return _result(closed, t0, eqs, variables, ranges, t_min)
