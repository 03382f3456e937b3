"""Exact zero tests.

A residual is declared zero only by an exact argument:

* a rational function of its symbols is zero iff ``cancel(together(r))`` is 0
  (a canonical form); a non-zero canonical form is a non-zero function, and a
  witness with exact rational values is searched for and reported;
* any other expression that no exact reduction brings to 0 is INCONCLUSIVE, unless
  an exact rational instance evaluates to a non-zero number (then REFUTED).

``simplify`` returning something non-zero, or ``.equals`` returning ``None``, is never
taken as proof either way.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterable

import sympy as sp

from .verdicts import CheckResult, Method, Status, _evidence, _verified, inconclusive, refuted

#: Random rational instances tried when searching for a witness.
DEFAULT_INSTANCES = 6


@dataclass
class ZeroTest:
    """Result of an exact zero test.

    Attributes
    ----------
    is_zero : bool or None
        True (exactly zero), False (a witness shows it non-zero), None (undecided).
    witness : dict or None
        Symbol -> exact value where the residual is non-zero.
    value : sympy.Expr or None
        The residual's exact value at the witness.
    reduced : sympy.Expr or None
        The reduced residual.
    reason : str
    """

    is_zero: bool | None
    witness: dict | None = None
    value: sp.Expr | None = None
    reduced: sp.Expr | None = None
    reason: str = ""


class ExactnessError(ValueError):
    """A float (or another inexact number) reached an exact test."""


_CHECKED_ASSUMPTIONS = ("integer", "rational", "real", "positive", "negative", "nonnegative", "nonpositive",
                        "nonzero", "zero", "even", "odd", "imaginary", "prime", "composite", "finite")


def respects_assumptions(symbol: sp.Symbol, value) -> bool:
    """Does the exact ``value`` have every property the symbol is assumed to have (or not have)?"""
    for key in _CHECKED_ASSUMPTIONS:
        wanted = symbol.assumptions0.get(key)
        if wanted is None:
            continue
        if getattr(sp.sympify(value), "is_" + key) is not wanted:
            return False
    return True


def _random_value(symbol: sp.Symbol, rng: random.Random):
    """An exact value respecting the symbol's assumptions (positive, negative, integer, even, ...).

    Returns None when no value of the kinds tried (integers, rationals, imaginary rationals)
    satisfies them (for example an ``irrational`` or ``transcendental`` symbol).
    """
    a = symbol.assumptions0
    for _ in range(60):
        if a.get("zero"):
            value = sp.Integer(0)
        elif a.get("integer") or a.get("even") or a.get("odd") or a.get("prime") or a.get("composite"):
            value = sp.Integer(rng.randint(1, 12))
        else:
            value = sp.Rational(rng.randint(1, 29), rng.randint(1, 11))
        if a.get("negative") or a.get("nonpositive"):
            value = -value
        elif not (a.get("positive") or a.get("nonnegative") or a.get("prime") or a.get("composite")):
            if rng.random() < 0.5:
                value = -value
        if a.get("imaginary"):
            value = sp.I * (value if value != 0 else 1)
        if respects_assumptions(symbol, value):
            return value
    return None


def require_exact(expr, argument: str = "expression"):
    """Raise :class:`ExactnessError` naming ``argument`` if ``expr`` contains a float."""
    items = expr if isinstance(expr, (list, tuple)) else [expr]
    for item in items:
        if isinstance(item, float) or (hasattr(item, "has") and item.has(sp.Float)):
            raise ExactnessError(f"{argument} contains a floating-point number ({_first_float(item)}): exact "
                                 "checks need exact numbers; write sympy.Rational(1, 10) (or "
                                 "sympy.Rational(x) for the float's exact binary value), or use check_close")
    return expr


def _first_float(item):
    if isinstance(item, float):
        return item
    floats = sorted(sp.Matrix(item).atoms(sp.Float) if isinstance(item, sp.MatrixBase) else item.atoms(sp.Float),
                    key=str)
    return floats[0] if floats else item


def require_distinct_names(symbols) -> None:
    """Two different symbols with one name would collapse in a printed counterexample."""
    seen: dict = {}
    for s in symbols:
        other = seen.setdefault(str(s), s)
        if other != s:
            given = [dict(getattr(x, "_assumptions_orig", x.assumptions0)) for x in (other, s)]
            raise ValueError(f"two different symbols are both named {str(s)!r} (assumptions {given[0] or '{}'} "
                             f"and {given[1] or '{}'}): rename one, or build both with the same assumptions")


def number_is_zero(value) -> bool | None:
    """Exact zero test of a number with no free symbols: True, False, or None (undecided).

    Rationals exactly; algebraic numbers through their minimal polynomial; others only when a
    guaranteed-accuracy evaluation is clearly non-zero. A structural comparison is never used.
    """
    value = sp.sympify(value)
    if value.free_symbols:
        raise ValueError(f"value must be a number (it has the free symbols {sorted(map(str, value.free_symbols))})")
    if value.has(sp.Float):
        raise ExactnessError(f"value contains a floating-point number ({_first_float(value)})")
    if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    for reducer in (lambda v: v, sp.expand, lambda v: sp.expand(sp.radsimp(v))):
        reduced = reducer(value)
        if reduced.is_Rational:
            return bool(reduced == 0)
    try:
        x = sp.Dummy("x")
        if value.is_algebraic is not False:
            poly = sp.minimal_polynomial(value, x)
            return bool(sp.Poly(poly, x).degree() == 1 and poly.subs(x, 0) == 0)
    except (NotImplementedError, ValueError, TypeError, sp.polys.polyerrors.PolynomialError,
            sp.polys.polyerrors.NotAlgebraic):
        pass
    try:
        approx = sp.N(value, 30, strict=True)
    except Exception:  # noqa: BLE001 - no guaranteed digits: undecided
        return None
    if approx.is_Number and approx != 0 and abs(approx) > sp.Float("1e-20"):
        return False
    return None


def exact_value(expr: sp.Expr) -> sp.Expr:
    """Evaluate an expression with no free symbols exactly (floats are refused, never rounded)."""
    require_exact(expr, "the residual")
    return sp.cancel(sp.together(expr.doit()))


def find_witness(expr: sp.Expr, symbols: Iterable[sp.Symbol] | None = None, tries: int = 40,
                 seed: int = 0) -> tuple[dict, sp.Expr] | None:
    """Exact point (respecting every symbol's assumptions) where ``expr`` is a non-zero number, or None."""
    rng = random.Random(seed)
    free = sorted(expr.free_symbols if symbols is None else set(symbols) | expr.free_symbols, key=str)
    require_distinct_names(free)
    for _ in range(tries):
        point = {}
        for s in free:
            value = _random_value(s, rng)
            if value is None:
                return None
            point[s] = value
        try:
            value = exact_value(expr.xreplace(point))
        except (ZeroDivisionError, ValueError, TypeError):
            continue
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or value.free_symbols:
            continue
        if number_is_zero(value) is False:
            return point, value
    return None


def zero_test(expr: sp.Expr, seed: int = 0) -> ZeroTest:
    """Decide exactly whether a scalar expression is identically zero."""
    expr = sp.sympify(expr)
    if expr == 0:
        return ZeroTest(True, reduced=sp.Integer(0), reason="identically 0")
    if expr.has(sp.Float):
        return ZeroTest(None, reduced=expr, reason=f"the residual contains a float ({_first_float(expr)}): an exact "
                        "test cannot decide it (floats are never rounded to rationals)")
    expr = expr.doit()
    if not expr.free_symbols:
        answer = number_is_zero(expr)
        reason = {True: "the number is exactly 0", False: "the number is non-zero",
                  None: "the number could not be decided exactly"}[answer]
        return ZeroTest(answer, witness={} if answer is False else None, value=expr if answer is False else None,
                        reduced=expr, reason=reason)
    is_rational = expr.is_rational_function(*expr.free_symbols)
    if is_rational and not _has_irrational_coefficients(expr):
        reduced = sp.cancel(sp.together(expr))
        if reduced == 0:
            return ZeroTest(True, reduced=reduced, reason="cancel(together(.)) is 0")
        found = find_witness(reduced, seed=seed)
        if found is not None:
            return ZeroTest(False, witness=found[0], value=found[1], reduced=reduced,
                            reason="the canonical rational form is non-zero")
        return ZeroTest(None, reduced=reduced,
                        reason="canonical rational form is non-zero but no exact witness was found")
    # Not a rational function over QQ: the exact reductions that are sound, then instances.
    reducers = [sp.expand, lambda e: sp.cancel(sp.together(sp.expand(e))), lambda e: sp.expand(sp.radsimp(e))]
    if expr.has(sp.harmonic):
        reducers.append(lambda e: sp.cancel(sp.together(sp.expand(shift_harmonics(e)))))
    if expr.has(sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh):
        reducers.append(lambda e: sp.expand(sp.trigsimp(e)))
    for reducer in reducers:
        try:
            reduced = reducer(expr)
        except Exception:  # noqa: BLE001 - a reducer failing leaves the question open
            continue
        if reduced == 0:
            return ZeroTest(True, reduced=reduced, reason="reduced exactly to 0")
    found = find_witness(expr, seed=seed)
    if found is not None:
        return ZeroTest(False, witness=found[0], value=found[1], reduced=expr,
                        reason="an exact instance is non-zero")
    return ZeroTest(None, reduced=expr, reason="no exact reduction reached 0 and no non-zero instance was found")


def shift_harmonics(expr):
    r"""Write every :math:`H_{n+c}` (order 1, integer offset c) through the one with the least offset:
    :math:`H_{n+c} = H_{n+c_0} + \sum_{i=c_0+1}^{c} 1/(n+i)`, an exact identity for integer n.

    Afterwards harmonic numbers of one base are a single atom, so a rational-function zero test
    applies.
    """
    groups: dict = {}
    for h in expr.atoms(sp.harmonic):
        if len(h.args) > 1 and h.args[1] != 1:
            continue
        arg = sp.expand(h.args[0])
        offset = arg.as_coeff_Add()[0] if arg.as_coeff_Add()[0].is_Integer else sp.Integer(0)
        base = sp.expand(arg - offset)
        groups.setdefault(base, []).append((offset, h))
    replacements = {}
    for base, items in groups.items():
        low = min(c for c, _ in items)
        for c, h in items:
            replacements[h] = sp.harmonic(base + low) + sum((1 / (base + i) for i in range(int(low) + 1, int(c) + 1)),
                                                            sp.Integer(0))
    return expr.xreplace(replacements)


def _has_irrational_coefficients(expr) -> bool:
    return any(not a.is_Rational for a in expr.atoms(sp.Number)) or expr.has(sp.Pow) and any(
        p.exp.is_Rational and not p.exp.is_Integer for p in expr.atoms(sp.Pow))


# -- evidence ------------------------------------------------------------------------------------------
def _size_points(sizes) -> list:
    if not sizes:
        return []
    if isinstance(sizes, dict):
        sizes = [sizes]
    return [tuple((str(k), int(v)) for k, v in point.items()) for point in sizes]


def _free_symbols(residual) -> set:
    out: set = set()
    for _, entry in _entries(residual):
        out |= sp.sympify(entry).free_symbols
    return out


def exact_evidence(residual, sizes=None, what: str = ""):
    """Evidence of an exact zero test of ``residual`` (scalar, explicit matrix, list or dict of them).

    The integer symbols left free are proved for every value; the ``sizes`` named by the caller
    (and the shape of explicit matrices) are listed as the only sizes covered.
    """
    symbolic = tuple(sorted({str(s) for s in _free_symbols(residual) if s.is_integer}))
    points = _size_points(sizes)
    if not points and _has_explicit_matrix(residual):
        shapes = sorted({f"{m.rows}x{m.cols}" for m in _explicit_matrices(residual)})
        scope = f"explicit matrices of shape {', '.join(shapes)}"
        return _evidence(Method.SYMBOLIC_AT_SIZES, scope, symbolic, [(("shape", ", ".join(shapes)),)])
    if points:
        return _evidence(Method.SYMBOLIC_AT_SIZES, what or "at the listed sizes", symbolic, points)
    if symbolic:
        return _evidence(Method.SYMBOLIC_ALL_T, "every " + ", ".join(symbolic), symbolic)
    return _evidence(Method.SYMBOLIC_EXACT, what or "exact identity in its symbols")


def _refutation_evidence(counterexample: dict, sizes=None):
    """Evidence of a refutation: an exact point (listed) where the residual is non-zero."""
    point = ", ".join(f"{k} = {v}" for k, v in counterexample.items() if k not in ("residual", "entry"))
    method = Method.SYMBOLIC_AT_SIZES if _size_points(sizes) else Method.SYMBOLIC_EXACT
    where = point or "the given values"
    return _evidence(method, f"exact counterexample: residual {counterexample.get('residual')} at {where}", (),
                     _size_points(sizes)[:1])


def _explicit_matrices(residual):
    if isinstance(residual, sp.MatrixBase):
        return [residual]
    if isinstance(residual, dict):
        return [m for v in residual.values() for m in _explicit_matrices(v)]
    if isinstance(residual, (list, tuple)):
        return [m for v in residual for m in _explicit_matrices(v)]
    return []


def _has_explicit_matrix(residual) -> bool:
    return any(m.rows * m.cols > 1 for m in _explicit_matrices(residual))


def _entries(residual) -> list[tuple[object, sp.Expr]]:
    if isinstance(residual, sp.MatrixBase):
        return [((i, j), residual[i, j]) for i in range(residual.rows) for j in range(residual.cols)]
    if isinstance(residual, dict):
        out = []
        for key, value in residual.items():
            out.extend(((key, *([idx] if not isinstance(idx, tuple) else idx)), e)
                       for idx, e in _entries(value))
        return out
    if isinstance(residual, (list, tuple)):
        out = []
        for k, value in enumerate(residual):
            out.extend(((k, idx), e) for idx, e in _entries(value))
        return out
    return [((), sp.sympify(residual))]


def check_zero(name: str, residual, method: Method, detail: str, seed: int = 0, sizes=None,
               **expressions) -> CheckResult:
    """CheckResult for "``residual`` is identically zero" (scalar, Matrix, list or dict of them).

    VERIFIED if every entry reduces exactly to 0; REFUTED with an exact witness if some
    entry is provably non-zero; otherwise INCONCLUSIVE with the reason.

    The label is earned (:func:`exact_evidence`): ``method`` is only an upper bound. ``sizes``
    (a dict, or a list of dicts) names the concrete sizes at which the residual was built.
    """
    undecided = []
    for index, entry in _entries(residual):
        result = zero_test(entry, seed=seed)
        if result.is_zero is False:
            counterexample = {str(k): str(v) for k, v in result.witness.items()}
            for k, v in (_size_points(sizes)[:1] or [()])[0]:
                counterexample.setdefault(k, str(v))
            counterexample["entry"] = str(index)
            counterexample["residual"] = str(result.value)
            out = refuted(name, method, f"{detail}; entry {index} of the residual is non-zero",
                          counterexample, residual_entry=result.reduced, **expressions)
            out.evidence = [_refutation_evidence(counterexample, sizes)]
            return out
        if result.is_zero is None:
            undecided.append((index, result))
    if undecided:
        index, result = undecided[0]
        return inconclusive(name, method, f"entry {index}: {result.reason} ({len(undecided)} entries undecided)",
                            detail=detail, **expressions)
    return _verified(name, method, detail, [exact_evidence(residual, sizes)], **expressions)


def residual_of(lhs, rhs):
    """``lhs - rhs`` for scalars and explicit matrices; a scalar 0 stands for the zero matrix.

    Raises
    ------
    ValueError
        If the shapes differ (other than a scalar 0 against a matrix).
    """
    lhs_m, rhs_m = isinstance(lhs, sp.MatrixBase), isinstance(rhs, sp.MatrixBase)
    if lhs_m and not rhs_m and sp.sympify(rhs) == 0:
        rhs = sp.zeros(*lhs.shape)
    elif rhs_m and not lhs_m and sp.sympify(lhs) == 0:
        lhs = sp.zeros(*rhs.shape)
    elif lhs_m != rhs_m or (lhs_m and lhs.shape != rhs.shape):
        raise ValueError(f"lhs and rhs have different shapes ({getattr(lhs, 'shape', 'scalar')} and "
                         f"{getattr(rhs, 'shape', 'scalar')}): compare objects of one shape")
    if lhs_m:
        return sp.Matrix(lhs) - sp.Matrix(rhs)
    return sp.sympify(lhs) - sp.sympify(rhs)


def check_equal(name: str, lhs, rhs, method: Method, detail: str, seed: int = 0, sizes=None,
                **expressions) -> CheckResult:
    """CheckResult for ``lhs == rhs`` exactly (scalars or matrices of equal shape; 0 is any zero matrix)."""
    try:
        residual = residual_of(lhs, rhs)
    except ValueError as exc:
        return refuted(name, method, f"{detail}; {exc}",
                       {"lhs shape": str(getattr(lhs, "shape", "scalar")),
                        "rhs shape": str(getattr(rhs, "shape", "scalar")), "residual": "shapes differ"},
                       **expressions)
    return check_zero(name, residual, method, detail, seed=seed, sizes=sizes, **expressions)


def random_rational_matrix(rows: int, cols: int, rng: random.Random, denominator: int = 7,
                           bound: int = 9) -> sp.Matrix:
    """A matrix of exact small rationals (generically full rank)."""
    return sp.Matrix(rows, cols, lambda i, j: sp.Rational(rng.randint(-bound, bound), rng.randint(1, denominator)))


def _matrix_symbols(expr) -> list:
    return sorted(expr.atoms(sp.MatrixSymbol), key=str)


def instantiate_residual(residual, sizes: dict, seed: int = 0) -> tuple[dict, sp.Matrix]:
    """Evaluate a symbolic-size matrix residual at exact random rational operands.

    Returns
    -------
    (point, value)
        ``point`` maps every size, matrix symbol and scalar symbol to the exact value used
        (strings that ``sympy.sympify`` reads back); ``value`` is the residual there.
    """
    from theory.matrix_algebra import evaluate

    rng = random.Random(seed)
    size_values = {k: sp.Integer(v) for k, v in sizes.items()}
    bindings, point = {}, {str(k): str(v) for k, v in size_values.items()}
    for M in _matrix_symbols(residual):
        rows, cols = (int(sp.sympify(d).xreplace(size_values)) for d in M.shape)
        value = random_rational_matrix(rows, cols, rng)
        bindings[M] = value
        point[M.name] = str(value.tolist())
    scalars = dict(size_values)
    size_symbols = set(size_values)
    for s in sorted(residual.free_symbols - size_symbols - set(bindings), key=str):
        if isinstance(s, sp.Symbol):
            scalars[s] = _random_value(s, rng)
            point[str(s)] = str(scalars[s])
    value = evaluate(residual, bindings, scalars, eye=sp.eye)
    value = sp.Matrix(value).applyfunc(lambda e: sp.cancel(sp.sympify(e).xreplace(scalars)))
    return point, value


def check_residuals(name: str, residuals: dict, method: Method, detail: str,
                    instance_sizes: list[dict] | tuple = (), seed: int = 0, sizes=None, **expressions) -> CheckResult:
    """Every residual must vanish identically.

    Parameters
    ----------
    residuals : dict
        Name -> residual. A symbolic-size matrix expression is decided by its normal form in
        the free algebra of its matrix symbols (a proof for all dimensions); a
        :class:`theory.polymatrix.PolyMatrix` by its canonical polynomial entries; anything
        else by :func:`check_zero`.
    instance_sizes : list of dict
        Sizes at which a symbolic-size residual with a non-zero normal form is instantiated
        with exact random rationals, to find a counterexample.
    """
    from theory.matrix_algebra import reduced_terms
    from theory.polymatrix import PolyMatrix

    evidence = []
    for key, residual in residuals.items():
        if isinstance(residual, PolyMatrix):
            nonzero = residual.nonzero_entries()
            if not nonzero:
                points = _size_points(sizes) or [(("shape", f"{residual.rows}x{residual.cols}"),)]
                evidence.append(_evidence(Method.SYMBOLIC_AT_SIZES, "canonical polynomial entries at the listed "
                                          "sizes", (), points))
                continue
            (i, j), entry = nonzero[0]
            found = find_witness(entry, seed=seed)
            if found is None:
                return inconclusive(name, method, f"{key}[{i},{j}] is a non-zero polynomial but no exact "
                                    "witness was found", detail=detail, **expressions)
            point, value = found
            counterexample = {str(k): str(v) for k, v in point.items()}
            counterexample.update({"residual": key, "entry": f"({i}, {j})", "value": str(value)})
            return refuted(name, method, f"{detail}; {key}[{i},{j}] = {entry} is not identically zero",
                           counterexample, **{f"residual_{key}": entry}, **expressions)
        if isinstance(residual, sp.MatrixExpr) and not isinstance(residual, sp.MatrixBase):
            terms = reduced_terms(residual)
            if not terms:
                dims = sorted({str(x) for M in [*_matrix_symbols(residual), residual] for d in M.shape
                               for x in sp.sympify(d).free_symbols})
                if dims:
                    evidence.append(_evidence(Method.SYMBOLIC_ALL_DIMENSIONS, "free-algebra normal form is 0 for "
                                              "symbolic " + ", ".join(dims), dims))
                else:
                    evidence.append(_evidence(Method.SYMBOLIC_AT_SIZES, "normal form is 0 at the given shape", (),
                                              _size_points(sizes) or [(("shape", str(residual.shape)),)]))
                continue
            normal_form = sp.Add(*[c * sp.Mul(*[sp.Symbol(str(f)) for f in w], evaluate=False)
                                   for w, c in terms.items()])
            for k, sizes in enumerate(instance_sizes):
                point, value = instantiate_residual(residual, sizes, seed=seed + k)
                if any(v != 0 for v in value):
                    point.update({"residual": key, "value": str(value.tolist())})
                    return refuted(name, method, f"{detail}; the residual {key} has the non-zero normal form "
                                   f"{normal_form} and is non-zero at an exact instance", point,
                                   **{f"residual_{key}": residual}, **expressions)
            return inconclusive(name, method, f"the normal form of {key} is non-zero ({normal_form}) but "
                                f"every exact instance tried vanished", detail=detail, **expressions)
        result = check_zero(name, residual, method, detail, seed=seed, sizes=sizes, **expressions)
        if result.status is not Status.VERIFIED:
            return result
        evidence.extend(result.evidence)
    if not evidence:
        return inconclusive(name, method, "no residual was given", detail=detail)
    return _verified(name, method, detail, evidence, **expressions)
