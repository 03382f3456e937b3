"""Public checks: the only ways to earn a VERIFIED.

Each function returns a :class:`~proofs_check.verdicts.CheckResult` whose label (``method``) and
``scope`` come from the evidence it produced, never from its caller:

* :func:`check_identity` -- ``lhs == rhs`` exactly: scalars, explicit matrices, PolyMatrix, and
  matrix expressions with symbolic sizes (free-algebra normal form, a proof for all dimensions);
* :func:`check_nonzero` -- an exact non-zero witness;
* :func:`check_inequality` -- an exact sign decision;
* :func:`check_close` -- floating point within a stated tolerance;
* :func:`combine` -- several checks that must all hold (label: the weakest);
* :func:`check_induction` -- every K from a base case and an induction step;
* :func:`counting_evidence` -- every d and T from index patterns counted by a proved counter.

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> r = check_identity((x + y)**2, x**2 + 2*x*y + y**2)
>>> r.status.value, r.method.value
('VERIFIED', 'symbolic-exact')
>>> check_identity(x * sp.Float(0.5), x / 2)
Traceback (most recent call last):
...
proofs_check.zero.ExactnessError: lhs contains a floating-point number (0.500000000000000): exact checks need exact numbers; write sympy.Rational(1, 10) (or sympy.Rational(x) for the float's exact binary value), or use check_close
"""
from __future__ import annotations

import math

import sympy as sp

from .verdicts import CheckResult, Method, Status, _evidence, _verified, combine, inconclusive, refuted
from .zero import (check_equal, check_residuals, find_witness, number_is_zero, require_distinct_names,
                   require_exact, residual_of, zero_test)

__all__ = ["check_identity", "check_nonzero", "check_inequality", "check_close", "check_float_less", "combine",
           "check_induction", "counting_evidence"]

#: No cap: the label is whatever the evidence earns.
_UNCAPPED = Method.SYMBOLIC_ALL_DIMENSIONS


def _free(obj) -> set:
    if isinstance(obj, sp.MatrixBase):
        return set().union(*(sp.sympify(e).free_symbols for e in obj)) if obj.rows * obj.cols else set()
    return set(getattr(sp.sympify(obj), "free_symbols", set()))


def _as_sympy(value, argument: str):
    from theory.polymatrix import PolyMatrix

    if isinstance(value, PolyMatrix):
        return value
    if isinstance(value, (list, tuple)):
        raise TypeError(f"{argument} must be a SymPy expression or matrix (got a {type(value).__name__}): "
                        "wrap it in sympy.Matrix(...)")
    try:
        value = sp.sympify(value, strict=True)
    except sp.SympifyError as exc:
        raise TypeError(f"{argument} must be a SymPy expression or matrix (got {type(value).__name__}): {exc}") \
            from None
    if isinstance(value, sp.Eq) or isinstance(value, sp.logic.boolalg.BooleanAtom):
        raise TypeError(f"{argument} is a relation or a truth value ({value}), not an expression: pass the two "
                        "sides separately")
    return value


def _undeclared(symbols, *objs):
    if symbols is None:
        return None
    free = set().union(*(_free(o) for o in objs))
    extra = free - set(symbols)
    return ", ".join(sorted(map(str, extra))) if extra else None


def check_identity(lhs, rhs, *, symbols=None, sizes=None, strategies=None, name: str | None = None,
                   examples: int = 50, seed: int | None = 0) -> CheckResult:
    r"""Check ``lhs == rhs`` exactly; the label says what was proved.

    Parameters
    ----------
    lhs, rhs : sympy.Expr, sympy.Matrix, PolyMatrix or matrix expression
        Floats are refused (:class:`~proofs_check.zero.ExactnessError`, a ValueError); a scalar 0
        equals a zero matrix of any shape.
    symbols : iterable of Symbol, optional
        The variables of the identity; any other free symbol makes the result INCONCLUSIVE.
    sizes : dict, optional
        The concrete sizes at which explicit matrices were built (``{"d": 2, "T": 4}``), reported in
        the scope; for matrix expressions with symbolic sizes, the sizes at which a non-zero normal
        form is instantiated to find a counterexample (``{N: 3}``).
    strategies : dict Symbol -> Hypothesis strategy, optional
        A property-based check on drawn exact values instead of a symbolic proof.

    Returns
    -------
    CheckResult
        ``symbolic-all-dimensions`` for a zero free-algebra normal form, ``symbolic-all-T`` when
        integer symbols stay symbolic, ``symbolic-at-sizes`` for explicit matrices or named sizes,
        ``symbolic-exact`` otherwise, ``property-based`` with ``strategies``.
    """
    name = name or "identity"
    for argument, value in (("lhs", lhs), ("rhs", rhs)):
        if not hasattr(value, "nonzero_entries"):
            require_exact(value, argument)
    lhs, rhs = _as_sympy(lhs, "lhs"), _as_sympy(rhs, "rhs")
    from theory.polymatrix import PolyMatrix

    if isinstance(lhs, PolyMatrix) or isinstance(rhs, PolyMatrix):
        if isinstance(lhs, PolyMatrix) and isinstance(rhs, PolyMatrix):
            if lhs.shape != rhs.shape:
                return refuted(name, _UNCAPPED, "shapes differ", {"lhs shape": str(lhs.shape),
                                                                  "rhs shape": str(rhs.shape),
                                                                  "residual": "shapes differ"})
            return check_residuals(name, {"lhs - rhs": lhs - rhs}, _UNCAPPED, "exact polynomial entries",
                                   sizes=sizes)
        lhs = lhs.to_sympy() if isinstance(lhs, PolyMatrix) else lhs
        rhs = rhs.to_sympy() if isinstance(rhs, PolyMatrix) else rhs
    missing = _undeclared(symbols, lhs, rhs)
    if missing:
        return inconclusive(name, _UNCAPPED, f"free symbols not declared in symbols=: {missing} (declare them or "
                            "substitute them)")
    require_distinct_names(_free(lhs) | _free(rhs))
    if strategies is not None:
        from .properties import identity_property

        return identity_property(lhs, rhs, strategies, examples=examples, seed=seed, name=name)
    symbolic_shape = any(isinstance(o, sp.MatrixExpr) and not isinstance(o, sp.MatrixBase) for o in (lhs, rhs))
    if symbolic_shape:
        residual = lhs - rhs
        instance = _instance_sizes(residual, sizes)
        return check_residuals(name, {"lhs - rhs": residual}, _UNCAPPED, "matrix identity for symbolic sizes",
                               instance_sizes=instance)
    return check_equal(name, lhs, rhs, _UNCAPPED, "exact identity", sizes=sizes)


def _instance_sizes(residual, sizes):
    dims = sorted({x for M in residual.atoms(sp.MatrixSymbol) for d in M.shape
                   for x in sp.sympify(d).free_symbols}, key=str)
    if sizes:
        by_name = {str(k): v for k, v in sizes.items()}
        return [{d: by_name.get(str(d), 2) for d in dims}]
    return [{d: 2 for d in dims}, {d: 3 + k for k, d in enumerate(dims)}]


def check_nonzero(expr, *, symbols=None, sizes=None, name: str | None = None) -> CheckResult:
    """VERIFIED iff ``expr`` (scalar or matrix) is provably non-zero: an exact witness is found.

    REFUTED when it is exactly zero; INCONCLUSIVE when neither could be decided.
    """
    name = name or "non-zero"
    require_exact(expr, "expr")
    expr = _as_sympy(expr, "expr")
    missing = _undeclared(symbols, expr)
    if missing:
        return inconclusive(name, _UNCAPPED, f"free symbols not declared in symbols=: {missing}")
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    undecided = None
    for k, entry in enumerate(entries):
        result = zero_test(entry)
        if result.is_zero is False:
            where = {str(s): str(v) for s, v in (result.witness or {}).items()}
            point = ", ".join(f"{s} = {v}" for s, v in where.items()) or "(a number)"
            entry_txt = f"entry {divmod(k, expr.cols)} " if isinstance(expr, sp.MatrixBase) else "value "
            method = Method.SYMBOLIC_AT_SIZES if sizes else Method.SYMBOLIC_EXACT
            points = [tuple((str(a), int(b)) for a, b in sizes.items())] if sizes else []
            ev = _evidence(method, f"exact non-zero witness: {entry_txt}= {result.value} at {point}", (), points)
            return _verified(name, _UNCAPPED, f"non-zero: {entry_txt}= {result.value} at {point}", [ev],
                             witness=entry)
        if result.is_zero is None and undecided is None:
            undecided = result.reason
    if undecided is not None:
        return inconclusive(name, _UNCAPPED, f"no exact non-zero witness: {undecided}")
    return refuted(name, _UNCAPPED, "the expression is identically 0",
                   {"expression": str(expr), "residual": "0"})


def _points(sizes):
    return [tuple((str(a), int(b)) for a, b in sizes.items())] if sizes else []


_RELATIONS = {">": ("positive", lambda v: v > 0), ">=": ("nonnegative", lambda v: v >= 0)}


def check_inequality(expr, relation: str = ">", *, symbols=None, sizes=None, name: str | None = None,
                     seed: int = 0) -> CheckResult:
    """``expr > 0`` (or ``>= 0``) exactly: for a number by exact arithmetic, for an expression by
    SymPy's assumptions on its symbols; a violating exact point REFUTES; otherwise INCONCLUSIVE.
    """
    name = name or f"expr {relation} 0"
    if relation not in _RELATIONS:
        raise ValueError(f"relation must be '>' or '>=' (got {relation!r})")
    require_exact(expr, "expr")
    expr = _as_sympy(expr, "expr")
    missing = _undeclared(symbols, expr)
    if missing:
        return inconclusive(name, _UNCAPPED, f"free symbols not declared in symbols=: {missing}")
    key, holds = _RELATIONS[relation]
    expr = _positive_harmonics(expr)
    if not expr.free_symbols:
        zero = number_is_zero(expr)
        if zero is True:
            ok = relation == ">="
        elif zero is None:
            return inconclusive(name, _UNCAPPED, f"the sign of {expr} could not be decided exactly")
        else:
            approx = sp.N(expr, 30)
            if not approx.is_real:
                return inconclusive(name, _UNCAPPED, f"{expr} is not real")
            ok = bool(holds(approx))
        if ok:
            ev = _evidence(Method.SYMBOLIC_AT_SIZES if sizes else Method.SYMBOLIC_EXACT,
                           f"the number {expr} {relation} 0, decided exactly", (), _points(sizes))
            return _verified(name, _UNCAPPED, f"{expr} {relation} 0", [ev])
        return refuted(name, _UNCAPPED, f"{expr} is not {relation} 0", {"value": str(expr), "residual": str(expr)})
    answer = _sign_by_assumptions(expr, key)
    if answer is True:
        ev = _evidence(Method.SYMBOLIC_AT_SIZES if sizes else Method.SYMBOLIC_EXACT,
                       f"{relation} 0 for every value allowed by the symbols' assumptions",
                       tuple(sorted(str(s) for s in expr.free_symbols if s.is_integer)), _points(sizes))
        return _verified(name, _UNCAPPED, f"{expr} {relation} 0 by the assumptions on its symbols", [ev])
    rng_seed = seed
    for attempt in range(40):
        found = find_witness(expr, seed=rng_seed + attempt, tries=1)
        if found is None:
            continue
        point, value = found
        approx = sp.N(value, 30)
        if approx.is_real and not holds(approx):
            cex = {str(k): str(v) for k, v in point.items()}
            cex["residual"] = str(value)
            return refuted(name, _UNCAPPED, f"{relation} 0 fails at an exact point", cex)
    return inconclusive(name, _UNCAPPED, f"the sign of {expr} is not decided by the assumptions of its symbols "
                        "and no violating point was found")


def _sign_by_assumptions(expr, key: str):
    """``expr.is_positive`` (or ``is_nonnegative``) on a few exact rewritings: as given, expanded,
    factored, and as numerator over denominator (each expanded). True only if one of them is decided."""
    candidates = [expr, sp.expand(expr)]
    try:
        candidates.append(sp.factor(expr))
        num, den = sp.fraction(sp.cancel(sp.together(expr)))
        num, den = sp.expand(num), sp.expand(den)
        if getattr(den, "is_positive") is True:
            candidates.append(num)
        elif getattr(den, "is_negative") is True:
            candidates.append(-num)
    except Exception:  # noqa: BLE001 - a rewriting that fails decides nothing
        pass
    for c in candidates:
        if getattr(c, "is_" + key) is True:
            return True
    return None


def _positive_harmonics(expr):
    """Replace each harmonic number H_m with a positive integer argument m (m >= 1 by the symbols'
    assumptions) by a positive symbol: H_m >= 1 > 0, so the sign question is unchanged."""
    out = {}
    for h in expr.atoms(sp.harmonic):
        if (len(h.args) == 1 or h.args[1] == 1) and h.args[0].is_integer and h.args[0].is_positive:
            out[h] = sp.Dummy(f"H_{h.args[0]}", positive=True)
    return expr.xreplace(out) if out else expr


def check_close(actual, expected, *, rtol: float, atol: float = 0.0, name: str | None = None, what: str = ""
                ) -> CheckResult:
    """Floating-point agreement within ``atol + rtol * max|expected|`` (label ``numeric-tolerance``).

    Parameters
    ----------
    actual, expected : array_like of the same shape (real or complex)
    rtol, atol : float, >= 0
        The tolerance; state why it is the right scale in ``what``.
    """
    import numpy as np

    name = name or "numeric agreement"
    for arg, value in (("rtol", rtol), ("atol", atol)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{arg} must be a finite number >= 0 (got {value!r})")
    if rtol == 0 and atol == 0:
        raise ValueError("rtol and atol are both 0: give the tolerance the comparison is allowed (floats round)")
    a = np.asarray(actual)
    e = np.asarray(expected)
    if a.shape != e.shape:
        raise ValueError(f"actual and expected must have one shape (got {a.shape} and {e.shape})")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
        return inconclusive(name, Method.NUMERIC_TOLERANCE, f"non-finite values in the comparison{': ' + what if what else ''}")
    err = float(np.max(np.abs(a - e))) if a.size else 0.0
    bound = atol + rtol * (float(np.max(np.abs(e))) if e.size else 0.0)
    detail = f"max |actual - expected| = {err:.3g} <= {bound:.3g} (rtol {rtol:g}, atol {atol:g}){'; ' + what if what else ''}"
    if err <= bound:
        ev = _evidence(Method.NUMERIC_TOLERANCE, f"max error {err:.2g} within {bound:.2g}" + (f" ({what})" if what else ""))
        return _verified(name, Method.NUMERIC_TOLERANCE, detail, [ev])
    k = int(np.argmax(np.abs(a - e))) if a.size else 0
    return refuted(name, Method.NUMERIC_TOLERANCE, detail.replace("<=", ">"),
                   {"index": str(np.unravel_index(k, a.shape)) if a.shape else "()",
                    "actual": str(a.flat[k]), "expected": str(e.flat[k]),
                    "max_abs_difference": err, "tolerance": bound,
                    "residual": f"{err:.6g} > tolerance {bound:.6g}"})


def check_float_less(lhs: float, rhs: float, *, margin: float, name: str | None = None, what: str = ""
                     ) -> CheckResult:
    """``lhs < rhs - margin`` in floating point (label ``numeric-tolerance``); ``margin >= 0`` states how
    far below the bound rounding cannot reach."""
    name = name or "float inequality"
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not math.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0 (got {margin!r})")
    lhs, rhs = float(lhs), float(rhs)
    if not (math.isfinite(lhs) and math.isfinite(rhs)):
        return inconclusive(name, Method.NUMERIC_TOLERANCE, f"non-finite values ({lhs}, {rhs})")
    detail = f"{lhs:.10g} < {rhs:.10g} - {margin:g}" + (f"; {what}" if what else "")
    if lhs < rhs - margin:
        ev = _evidence(Method.NUMERIC_TOLERANCE, f"{lhs:.6g} below {rhs:.6g} by more than {margin:g}")
        return _verified(name, Method.NUMERIC_TOLERANCE, detail, [ev])
    return refuted(name, Method.NUMERIC_TOLERANCE, detail.replace("<", "is not <", 1),
                   {"lhs": repr(lhs), "rhs": repr(rhs), "margin": repr(margin), "residual": repr(lhs - rhs)})


def check_induction(name: str, base: CheckResult, step: CheckResult, detail: str = "") -> CheckResult:
    """Every K >= 1 from a base case (K = 1) and an induction step (K -> K + 1).

    Both must be VERIFIED with ``symbolic-all-dimensions`` evidence (the step stated for a
    symbolic iterate); the result is labelled ``symbolic-induction``.
    """
    for argument, value in (("base", base), ("step", step)):
        if not isinstance(value, CheckResult):
            raise TypeError(f"{argument} must be a CheckResult (got {type(value).__name__}): the result of "
                            "check_identity on the base case / the induction step")
    parts = combine(name, [base, step], detail)
    if parts.status is not Status.VERIFIED:
        return parts
    if any(e.method is not Method.SYMBOLIC_ALL_DIMENSIONS for e in parts.evidence):
        return inconclusive(name, _UNCAPPED, "the base case and the step must both be proved for all dimensions "
                            f"(got {', '.join(sorted({e.method.value for e in parts.evidence}))})", detail=detail)
    dims = sorted({d for e in parts.evidence for d in e.symbolic})
    ev = _evidence(Method.SYMBOLIC_INDUCTION, "every K >= 1 by induction; base and step for symbolic "
                   + ", ".join(dims), ("K", *dims))
    return _verified(name, _UNCAPPED, detail, [ev], **parts.expressions)


def counting_evidence(name: str, patterns, brute_force_agrees, detail: str = "") -> CheckResult:
    """Every d and T from index patterns generated from the model and counted by a proved counter.

    Parameters
    ----------
    patterns : sequence
        The generated patterns with their closed-form counts (non-empty; each may carry
        ``proved_for``, the range of t for which its count is proved).
    brute_force_agrees : sequence of CheckResult
        Comparisons of the counted closed forms with brute-force exact evaluation of the model at
        concrete sizes; every one must be VERIFIED.
    """
    for argument, value in (("patterns", patterns), ("brute_force_agrees", brute_force_agrees)):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise TypeError(f"{argument} must be a sequence (got {type(value).__name__})")
    patterns = list(patterns)
    brute = list(brute_force_agrees)
    if not patterns:
        return inconclusive(name, _UNCAPPED, "no pattern was generated: nothing was counted", detail=detail)
    if not brute:
        return inconclusive(name, _UNCAPPED, "the counts were not cross-checked against brute force", detail=detail)
    cross = combine("brute force", brute)
    if cross.status is not Status.VERIFIED:
        return cross if cross.status is Status.REFUTED else inconclusive(name, _UNCAPPED, cross.reason or "",
                                                                         detail=detail)
    ranges = sorted({str(getattr(p, "proved_for", "t >= 2")) for p in patterns})
    ev = _evidence(Method.INDEX_PATTERN_COUNT, f"every d and T: {len(patterns)} generated patterns, counts proved "
                   f"for {', '.join(ranges)}; brute force agrees ({cross.scope})", ("d", "T"))
    return _verified(name, _UNCAPPED, detail, [ev, *cross.evidence[:0]])


# ----------------------------------------------------------------------------- the model-description pipeline
def _model_sizes(loss, sizes, N=None) -> dict | None:
    """The concrete sizes a pipeline derivation was built at, read from its task (never from the caller alone)."""
    out = {}
    task = getattr(loss, "task", None)
    if task is not None:
        if hasattr(task, "D"):
            out["D"] = task.D
        if hasattr(task, "T"):
            out["d"], out["T"] = task.d, task.T
    N = getattr(loss, "N", None) if N is None else N
    if isinstance(N, int) or (isinstance(N, sp.Integer)):
        out["N"] = int(N)
    return (out | dict(sizes or {})) or None


def _flow_matrix(values) -> sp.Matrix:
    values = list(values)
    return sp.Matrix(values) if values else sp.zeros(1, 1)


def check_invariant(flow, *, sizes=None, name: str | None = None) -> CheckResult:
    """The manifold of a ``theory.RestrictedFlow`` is invariant: every off-manifold velocity is exactly 0.

    With a control: the reduced flow itself is not identically zero (so the check is not vacuous).
    REFUTED with the non-zero residual when the manifold is not invariant.
    """
    from theory.derive import RestrictedFlow

    if not isinstance(flow, RestrictedFlow):
        raise TypeError(f"flow must be a theory.RestrictedFlow (from Manifold.restrict) (got {type(flow).__name__})")
    name = name or "the manifold is invariant"
    sizes = _model_sizes(flow.loss, sizes)
    residual = check_identity(flow.velocity, flow.tangent, sizes=sizes, name=f"{name}: velocity is tangent")
    control = check_nonzero(_flow_matrix(flow.rhs.values()), sizes=sizes,
                            name="control: the reduced flow is not identically 0")
    return combine(name, [residual, control], "every off-manifold velocity component vanishes identically")


def check_conserved(flow, quantity, *, sizes=None, name: str | None = None) -> CheckResult:
    """``quantity`` is conserved along ``flow`` (a ``theory.Flow``): dQ/dt = grad Q . rhs is exactly 0.

    Controls: Q is not constant and the flow is not identically zero.
    """
    from theory.derive import Flow

    if not isinstance(flow, Flow):
        raise TypeError(f"flow must be a theory.Flow or RestrictedFlow (got {type(flow).__name__})")
    require_exact(quantity, "quantity")
    quantity = sp.sympify(quantity)
    name = name or f"{quantity} is conserved"
    sizes = _model_sizes(flow.loss, sizes)
    rate = check_identity(flow.derivative_of(quantity, expand=False), 0, sizes=sizes, name=f"{name}: dQ/dt = 0")
    grad_q = _flow_matrix(sp.diff(quantity, v) for v in flow.variables)
    controls = [check_nonzero(grad_q, sizes=sizes, name="control: Q is not constant"),
                check_nonzero(_flow_matrix(flow.rhs.values()), sizes=sizes, name="control: the flow is not 0")]
    return combine(name, [rate, *controls], "the derivative along the flow vanishes identically")


def check_fixed_point(flow, point: dict, *, sizes=None, name: str | None = None) -> CheckResult:
    """``point`` (variable -> expression; a family if it leaves symbols free) is a fixed point of ``flow``.

    Control: the flow is not identically zero near it (its right-hand side is a non-zero expression).
    """
    from theory.derive import Flow

    if not isinstance(flow, Flow):
        raise TypeError(f"flow must be a theory.Flow or RestrictedFlow (got {type(flow).__name__})")
    if not isinstance(point, dict) or not point:
        raise TypeError(f"point must be a non-empty dict variable -> value (got {point!r})")
    require_exact(_flow_matrix(point.values()), "point")
    name = name or "fixed point"
    sizes = _model_sizes(flow.loss, sizes)
    at = _flow_matrix(flow.rhs[v].subs(point) for v in flow.variables)
    zero = check_identity(at, 0, sizes=sizes, name=f"{name}: the flow vanishes there")
    control = check_nonzero(_flow_matrix(flow.rhs.values()), sizes=sizes, name="control: the flow is not 0")
    return combine(name, [zero, control], f"every right-hand side vanishes at {point}")


def check_fixed_points(flow, expected: list, *, sizes=None, name: str | None = None) -> CheckResult:
    """The fixed points of ``flow`` are exactly ``expected`` (a list of dicts), by ``theory.fixed_points``.

    INCONCLUSIVE with the solver's reason when the fixed points are a positive-dimensional family or could not
    be solved (never a silent partial answer); REFUTED when the solved set differs.
    """
    from theory.derive import fixed_points

    from theory.derive import Flow

    if not isinstance(flow, Flow):
        raise TypeError(f"flow must be a theory.Flow or RestrictedFlow (got {type(flow).__name__})")
    name = name or "the fixed points"
    sizes = _model_sizes(flow.loss, sizes)
    found = fixed_points(flow)
    if found.status == "none" and not expected:
        return check_identity(sp.Integer(len(expected)), 0, sizes=sizes, name=f"{name}: there are none")
    if found.status in ("positive-dimensional", "unsolved"):
        return inconclusive(name, _UNCAPPED, found.reason)
    expected = [{k: sp.sympify(v) for k, v in e.items()} for e in expected]
    unmatched = [e for e in expected if not any(all(sp.cancel(p[k] - e[k]) == 0 for k in e) for p in found.points)]
    extra = [p for p in found.points if not any(all(sp.cancel(p[k] - e[k]) == 0 for k in e) for e in expected)]
    if unmatched or extra:
        return refuted(name, _UNCAPPED, "the solved fixed points differ from the expected ones",
                       {"expected but not fixed": str(unmatched), "fixed but not expected": str(extra),
                        "residual": f"{len(unmatched) + len(extra)} points differ"})
    checks = [check_fixed_point(flow, p, sizes=sizes, name=f"{name}: {p}") for p in found.points]
    return combine(name, checks, f"{found.reason}; each substituted back")


def check_prediction(model, values: dict, algorithm, *, N=None, sizes=None, name: str | None = None) -> CheckResult:
    """The model at ``values`` predicts like ``algorithm`` (a ``theory.Algorithm``) on every prompt.

    For the default ``(x; y)`` embedding the difference is decided for symbolic ``N`` (every prompt length).
    Control: the model's prediction at ``values`` is not identically zero.
    """
    from theory.derive import Algorithm, N_sym, prediction_difference, zero_algorithm
    from theory.models import LinearAttention

    if not isinstance(model, LinearAttention):
        raise TypeError(f"model must be a theory.LinearAttention (got {type(model).__name__})")
    if not isinstance(algorithm, Algorithm):
        raise TypeError(f"algorithm must be a theory.Algorithm such as theory.one_step_gd(D, eta) "
                        f"(got {type(algorithm).__name__})")
    N = N_sym if N is None else N
    name = name or f"prediction equals {algorithm.name}"
    sizes = dict(sizes or {})
    if model.embedding.name.startswith("(x; y)"):
        sizes.setdefault("D", model.E - 1)
    if isinstance(N, int):
        sizes.setdefault("N", N)
    model_side = prediction_difference(model, values, zero_algorithm(algorithm.D), N)
    algorithm_side = sp.expand(model_side - prediction_difference(model, values, algorithm, N))
    # unevaluated difference: its free symbols (N) are those the zero test decides for every value
    same = check_identity(sp.Add(model_side, -algorithm_side, evaluate=False), 0, sizes=sizes,
                          name=f"{name}: the two predictions")
    control = check_nonzero(model_side, sizes=sizes, name="control: the model's prediction is not identically 0")
    return combine(name, [same, control], f"model minus {algorithm.name} vanishes for every prompt")
