"""Earned verdicts (issue 8): labels come from the engine's evidence, never from a caller; exact
means exact; structural non-zero tests and assumption-blind witnesses are gone; every check ends.

Each test is table-driven over the class of mistake it guards against.
"""
from __future__ import annotations

import time

import pytest
import sympy as sp

import proofs_check as pc
from proofs_check.registry import Check, Claim
from proofs_check.verdicts import Evidence, Method, Status, run_check, verified
from proofs_check.zero import ExactnessError, check_equal, check_zero

x, y = sp.symbols("x y")
T = sp.Symbol("T", integer=True, positive=True)
N, d = sp.symbols("N d", integer=True, positive=True)


# --------------------------------------------------------------------------- declared labels
def _identity_only_for_small_d(size):
    """(AB - BA) = 0 holds for 1x1 matrices only: true at d = 1, false from d = 2 on."""
    A = sp.Matrix(size, size, lambda i, j: sp.Symbol(f"a{i}{j}"))
    B = sp.Matrix(size, size, lambda i, j: sp.Symbol(f"b{i}{j}"))
    return A * B - B * A


LABEL_CASES = [
    # (id, check function, declared method, expected earned method)
    ("explicit matrices at d=1 declared all-dimensions",
     lambda: check_zero("c", _identity_only_for_small_d(1), Method.SYMBOLIC_ALL_DIMENSIONS, "", sizes={"d": 1}),
     Method.SYMBOLIC_ALL_DIMENSIONS, Method.SYMBOLIC_AT_SIZES),
    ("scalar identity with symbolic T declared at-sizes stays capped",
     lambda: check_equal("c", sp.harmonic(T) - sp.harmonic(T - 1), 1 / T, Method.SYMBOLIC_AT_SIZES, ""),
     Method.SYMBOLIC_AT_SIZES, Method.SYMBOLIC_AT_SIZES),
    ("scalar identity with symbolic T uncapped earns all-T",
     lambda: check_equal("c", (T ** 2 - 1) / (T - 1), T + 1, Method.SYMBOLIC_ALL_DIMENSIONS, ""),
     Method.SYMBOLIC_ALL_DIMENSIONS, Method.SYMBOLIC_ALL_T),
    ("float comparison declared symbolic",
     lambda: pc.check_close(1.0, 1.0 + 1e-13, rtol=1e-9), Method.SYMBOLIC_ALL_DIMENSIONS, Method.NUMERIC_TOLERANCE),
    ("free algebra normal form earns all-dimensions",
     lambda: pc.check_identity(sp.MatrixSymbol("A", N, N) * (sp.MatrixSymbol("B", N, N) + sp.Identity(N)),
                               sp.MatrixSymbol("A", N, N) * sp.MatrixSymbol("B", N, N) + sp.MatrixSymbol("A", N, N)),
     Method.SYMBOLIC_ALL_DIMENSIONS, Method.SYMBOLIC_ALL_DIMENSIONS),
]


@pytest.mark.parametrize("name, fn, declared, expected", LABEL_CASES, ids=[c[0] for c in LABEL_CASES])
def test_labels_are_earned_not_declared(name, fn, declared, expected):
    result = run_check(name, declared, fn)
    assert result.status is Status.VERIFIED
    assert result.method is expected
    assert result.scope


def test_identity_true_only_for_small_d_is_at_sizes_and_refuted_at_d2():
    ok = check_zero("c", _identity_only_for_small_d(1), Method.SYMBOLIC_ALL_DIMENSIONS, "", sizes={"d": 1})
    assert ok.method is Method.SYMBOLIC_AT_SIZES and "d in {1}" in ok.scope
    bad = check_zero("c", _identity_only_for_small_d(2), Method.SYMBOLIC_ALL_DIMENSIONS, "", sizes={"d": 2})
    assert bad.status is Status.REFUTED


FORGED = [
    ("a check returning verified() by hand", lambda: verified("c", Method.SYMBOLIC_ALL_DIMENSIONS, "trust me")),
    ("combine of a forged part", lambda: pc.combine("c", [verified("p", Method.SYMBOLIC_AT_SIZES, "")])),
]


@pytest.mark.parametrize("name, fn", FORGED, ids=[c[0] for c in FORGED])
def test_declared_verified_without_evidence_is_inconclusive(name, fn):
    result = run_check(name, Method.SYMBOLIC_ALL_DIMENSIONS, fn)
    assert result.status is Status.INCONCLUSIVE
    assert "evidence" in result.reason
    claim = Claim("user.forged", "t", "s", checks=[Check("c", Method.SYMBOLIC_AT_SIZES, fn)])
    assert claim.verify().status is Status.INCONCLUSIVE


def test_evidence_cannot_be_built_outside_the_engine():
    with pytest.raises(TypeError, match="engine"):
        Evidence(Method.SYMBOLIC_ALL_DIMENSIONS, "every d")


def test_combination_label_is_the_weakest_part():
    exact = pc.check_identity((T ** 2 - 1) / (T - 1), T + 1)
    numeric = pc.check_close(2.0, 2.0, rtol=1e-12)
    both = pc.combine("both", [exact, numeric])
    assert both.status is Status.VERIFIED and both.method is Method.NUMERIC_TOLERANCE
    assert "symbolic-all-T" in both.scope and "numeric-tolerance" in both.scope


# --------------------------------------------------------------------------- floats
FLOAT_CASES = [
    ("x/2 + tiny vs x/2", x * sp.Float(0.5) + x * sp.Float(2 ** -60), x / 2, "lhs"),
    ("python float on the right", x, 0.5, "rhs"),
    ("float inside a matrix", sp.Matrix([[sp.Float(0.1)]]), sp.Matrix([[sp.Rational(1, 10)]]), "lhs"),
]


@pytest.mark.parametrize("name, lhs, rhs, argument", FLOAT_CASES, ids=[c[0] for c in FLOAT_CASES])
def test_floats_in_exact_identities_are_refused(name, lhs, rhs, argument):
    with pytest.raises(ExactnessError, match=f"^{argument} contains a floating-point number"):
        pc.check_identity(lhs, rhs)


def test_float_residual_in_engine_is_inconclusive_not_rounded():
    result = check_zero("z", x * sp.Float(0.5) - x / 3, Method.SYMBOLIC_AT_SIZES, "")
    assert result.status is Status.INCONCLUSIVE and "float" in result.reason


@pytest.mark.parametrize("value, exact", [(0.1000000001, sp.Rational(0.1000000001)), (0.5, sp.Rational(1, 2))])
def test_constructions_convert_floats_exactly_never_nearby(value, exact):
    from theory.constructions import gd_construction, regression_prompt

    with pytest.warns(UserWarning, match="converted exactly"):
        w = gd_construction(regression_prompt(1, 1, 2, polynomial=False), eta=value)
    eta_entry = w.P[0][0][0, 0] * 2                      # P = (eta/N) I with N = 2
    assert eta_entry == exact
    assert value != 0.5 or eta_entry == sp.Rational(1, 2)
    assert eta_entry != sp.Rational(1, 10)


# --------------------------------------------------------------------------- structural non-zero tests
TRUE_IDENTITIES = [
    ("Pythagoras", sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1)),
    ("surds", (1 + sp.sqrt(2)) ** 2 * x, (3 + 2 * sp.sqrt(2)) * x),
    ("unevaluated rationals", sp.Add(sp.Rational(-3, 2), sp.Rational(3, 2), evaluate=False), sp.Integer(0)),
    ("zero matrix equals 0", sp.zeros(2, 3), sp.Integer(0)),
    ("nested radicals", sp.sqrt(3 + 2 * sp.sqrt(2)), 1 + sp.sqrt(2)),
]


@pytest.mark.parametrize("name, lhs, rhs", TRUE_IDENTITIES, ids=[c[0] for c in TRUE_IDENTITIES])
@pytest.mark.parametrize("path", ["symbolic", "strategies"])
def test_true_identities_are_never_refuted(name, lhs, rhs, path):
    from hypothesis import strategies as st

    if path == "strategies":
        free = (lhs.free_symbols | sp.sympify(rhs).free_symbols) if not isinstance(lhs, sp.MatrixBase) else set()
        strategies = {s: st.fractions(max_denominator=7).map(sp.Rational) for s in free}
        result = pc.check_identity(lhs, rhs, strategies=strategies, examples=20)
    else:
        result = pc.check_identity(lhs, rhs)
    assert result.status is not Status.REFUTED, result
    if path == "symbolic":
        assert result.status is Status.VERIFIED


def test_false_identities_are_refuted_with_replayable_counterexamples():
    result = pc.check_identity((x + 1) ** 2, x ** 2 + 1)
    assert result.status is Status.REFUTED
    point = {x: sp.sympify(result.counterexample["x"])}
    assert ((x + 1) ** 2 - x ** 2 - 1).xreplace(point) == sp.sympify(result.counterexample["residual"])


# --------------------------------------------------------------------------- assumptions in witnesses
ASSUMPTION_CASES = [
    ("negative", sp.Symbol("n", negative=True), lambda s: s - 1, lambda v: v < 0),
    ("nonpositive integer", sp.Symbol("k", integer=True, nonpositive=True), lambda s: s + 100,
     lambda v: v <= 0 and v.is_integer),
    ("even", sp.Symbol("e", even=True), lambda s: s + 1, lambda v: v % 2 == 0),
    ("odd positive", sp.Symbol("o", odd=True, positive=True), lambda s: s - 2, lambda v: v % 2 == 1 and v > 0),
]


@pytest.mark.parametrize("name, symbol, expr, respects", ASSUMPTION_CASES, ids=[c[0] for c in ASSUMPTION_CASES])
def test_witnesses_respect_assumptions(name, symbol, expr, respects):
    result = pc.check_nonzero(expr(symbol))
    assert result.status is Status.VERIFIED
    value = sp.sympify(result.detail.split(" at ")[-1].split(" = ")[-1])
    assert respects(value)


def test_abs_of_negative_symbol_is_not_refuted():
    n = sp.Symbol("n", negative=True)
    assert pc.check_identity(sp.Abs(n), -n).status is Status.VERIFIED
    assert pc.check_identity(sp.sqrt(n ** 2), -n).status is Status.VERIFIED


def test_same_name_different_assumptions_is_an_error():
    with pytest.raises(ValueError, match="both named 'a'"):
        pc.check_identity(sp.Symbol("a"), sp.Symbol("a", positive=True))


# --------------------------------------------------------------------------- non-zero, inequalities
@pytest.mark.parametrize("expr, status", [(x - 1, Status.VERIFIED), (x - x, Status.REFUTED),
                                          (sp.Matrix([[0, x]]), Status.VERIFIED)])
def test_check_nonzero(expr, status):
    assert pc.check_nonzero(expr).status is status


@pytest.mark.parametrize("expr, relation, status", [
    (sp.Rational(1, 3), ">", Status.VERIFIED), (sp.Integer(0), ">", Status.REFUTED), (sp.Integer(0), ">=", Status.VERIFIED),
    (sp.Symbol("p", positive=True) + 1, ">", Status.VERIFIED), (x - 3, ">", Status.REFUTED),
    (-sp.pi, ">", Status.REFUTED)])
def test_check_inequality(expr, relation, status):
    assert pc.check_inequality(expr, relation).status is status


# --------------------------------------------------------------------------- every check ends
def _spin():
    while True:
        pass


def _sleepy():
    total = 0
    for k in range(10 ** 10):
        total += k
    return total


@pytest.mark.parametrize("fn", [_spin, _sleepy], ids=["infinite loop", "long computation"])
def test_checks_are_time_bounded(fn):
    start = time.perf_counter()
    result = run_check("hangs", Method.SYMBOLIC_AT_SIZES, fn, timeout=0.5)
    assert time.perf_counter() - start < 5
    assert result.status is Status.INCONCLUSIVE
    assert "timed out after 0.5 s" in result.reason


def test_timeout_is_not_swallowed_by_a_checks_own_except():
    def stubborn():
        try:
            _spin()
        except Exception:  # noqa: BLE001 - what a careless check might do
            return verified("c", Method.SYMBOLIC_AT_SIZES, "")
    result = run_check("stubborn", Method.SYMBOLIC_AT_SIZES, stubborn, timeout=0.3)
    assert result.status is Status.INCONCLUSIVE and "timed out" in result.reason


def test_cli_timeout_flag_reaches_the_checks(monkeypatch):
    from proofs_check.verdicts import default_timeout

    monkeypatch.setenv("MESACHECK_TIMEOUT", "7.5")
    assert default_timeout() == 7.5
