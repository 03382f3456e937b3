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

from .verdicts import CheckResult, Method, Status, inconclusive, refuted, verified

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


def _random_value(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    """An exact rational respecting the symbol's assumptions (positive, integer, ...)."""
    if symbol.is_integer:
        low = 1 if symbol.is_positive else (0 if symbol.is_nonnegative else -9)
        return sp.Integer(rng.randint(low, 9))
    value = sp.Rational(rng.randint(1, 29), rng.randint(1, 11))
    if symbol.is_positive or symbol.is_nonnegative:
        return value
    return value if rng.random() < 0.5 else -value


def exact_value(expr: sp.Expr) -> sp.Expr:
    """Evaluate an expression with no free symbols exactly (no floats)."""
    value = sp.nsimplify(expr) if expr.has(sp.Float) else expr
    value = sp.cancel(sp.together(value.doit()))
    return value


def find_witness(expr: sp.Expr, symbols: Iterable[sp.Symbol] | None = None, tries: int = 40,
                 seed: int = 0) -> tuple[dict, sp.Expr] | None:
    """Exact rational point where ``expr`` is a non-zero number, or None."""
    rng = random.Random(seed)
    free = sorted(expr.free_symbols if symbols is None else set(symbols) | expr.free_symbols, key=str)
    for _ in range(tries):
        point = {s: _random_value(s, rng) for s in free}
        try:
            value = exact_value(expr.xreplace(point))
        except (ZeroDivisionError, ValueError, TypeError):
            continue
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or value.free_symbols:
            continue
        if value.is_zero is False and value.is_number:
            return point, value
    return None


def zero_test(expr: sp.Expr, seed: int = 0) -> ZeroTest:
    """Decide exactly whether a scalar expression is identically zero."""
    expr = sp.sympify(expr)
    if expr == 0:
        return ZeroTest(True, reduced=sp.Integer(0), reason="identically 0")
    expr = expr.doit()
    is_rational = expr.is_rational_function(*expr.free_symbols) if expr.free_symbols else expr.is_number
    if is_rational:
        reduced = sp.cancel(sp.together(expr))
        if reduced == 0:
            return ZeroTest(True, reduced=reduced, reason="cancel(together(.)) is 0")
        found = find_witness(reduced, seed=seed)
        if found is not None:
            return ZeroTest(False, witness=found[0], value=found[1], reduced=reduced,
                            reason="the canonical rational form is non-zero")
        return ZeroTest(None, reduced=reduced,
                        reason="canonical rational form is non-zero but no exact witness was found")
    # Not a rational function: try the exact reductions that are sound, then instances.
    for reducer in (sp.expand, lambda e: sp.cancel(sp.together(sp.expand(e))), sp.radsimp):
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


def check_zero(name: str, residual, method: Method, detail: str, seed: int = 0,
               **expressions) -> CheckResult:
    """CheckResult for "``residual`` is identically zero" (scalar, Matrix, list or dict of them).

    VERIFIED if every entry reduces exactly to 0; REFUTED with an exact witness if some
    entry is provably non-zero; otherwise INCONCLUSIVE with the reason.
    """
    undecided = []
    for index, entry in _entries(residual):
        result = zero_test(entry, seed=seed)
        if result.is_zero is False:
            counterexample = {str(k): str(v) for k, v in result.witness.items()}
            counterexample["entry"] = str(index)
            counterexample["residual"] = str(result.value)
            return refuted(name, method, f"{detail}; entry {index} of the residual is non-zero",
                           counterexample, residual_entry=result.reduced, **expressions)
        if result.is_zero is None:
            undecided.append((index, result))
    if undecided:
        index, result = undecided[0]
        return inconclusive(name, method, f"entry {index}: {result.reason} ({len(undecided)} entries undecided)",
                            detail=detail, **expressions)
    return verified(name, method, detail, **expressions)


def check_equal(name: str, lhs, rhs, method: Method, detail: str, seed: int = 0, **expressions) -> CheckResult:
    """CheckResult for ``lhs == rhs`` exactly (scalars or matrices of equal shape)."""
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        if getattr(lhs, "shape", None) != getattr(rhs, "shape", None):
            return refuted(name, method, f"{detail}; shapes differ",
                           {"lhs shape": str(getattr(lhs, "shape", "scalar")),
                            "rhs shape": str(getattr(rhs, "shape", "scalar"))}, **expressions)
        residual = sp.Matrix(lhs) - sp.Matrix(rhs)
    else:
        residual = sp.sympify(lhs) - sp.sympify(rhs)
    return check_zero(name, residual, method, detail, seed=seed, **expressions)


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
                    instance_sizes: list[dict] | tuple = (), seed: int = 0, **expressions) -> CheckResult:
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

    for key, residual in residuals.items():
        if isinstance(residual, PolyMatrix):
            nonzero = residual.nonzero_entries()
            if not nonzero:
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
        result = check_zero(name, residual, method, detail, seed=seed, **expressions)
        if result.status is not Status.VERIFIED:
            return result
    return verified(name, method, detail, **expressions)
