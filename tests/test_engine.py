"""The verdict engine: exact zero tests, tri-state verdicts, exceptions never pass."""
from __future__ import annotations

import pytest
import sympy as sp

from proofs_check.registry import Check, Claim
from proofs_check.verdicts import CheckResult, Method, Status, Verdict, inconclusive, refuted, run_check, verified
from proofs_check.zero import check_equal, check_zero, zero_test

x, y = sp.symbols("x y")
t = sp.Symbol("t", positive=True)

ZERO_CASES = [
    ("rational identity", (x ** 2 - y ** 2) / (x - y) - x - y, True),
    ("polynomial identity", (x + y) ** 3 - x ** 3 - 3 * x ** 2 * y - 3 * x * y ** 2 - y ** 3, True),
    ("harmonic sum", sp.harmonic(3) - sp.Rational(11, 6), True),
    ("non-zero rational", (x ** 2 - 1) / (x - 1) - x, False),
    ("non-zero polynomial", x * y - y * x + x, False),
    ("trig zero, decided by trigsimp", sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1, True),
    ("gamma recurrence, no exact reduction", sp.gamma(x + 1) - x * sp.gamma(x), None),
]


@pytest.mark.parametrize("name, expr, expected", ZERO_CASES, ids=[c[0] for c in ZERO_CASES])
def test_zero_test(name, expr, expected):
    result = zero_test(expr)
    assert result.is_zero is expected
    if expected is False:
        value = sp.cancel(expr.xreplace(result.witness))
        assert value != 0 and value == result.value


def test_check_zero_statuses_and_witness():
    assert check_zero("z", sp.Matrix([[x - x, 0]]), Method.SYMBOLIC_AT_SIZES, "").status is Status.VERIFIED
    refuted_result = check_zero("z", sp.Matrix([[0, x + 1]]), Method.SYMBOLIC_AT_SIZES, "")
    assert refuted_result.status is Status.REFUTED
    point = {sp.Symbol("x"): sp.sympify(refuted_result.counterexample["x"])}
    assert (x + 1).xreplace(point) == sp.sympify(refuted_result.counterexample["residual"])
    undecided = check_zero("z", sp.gamma(x + 1) - x * sp.gamma(x), Method.SYMBOLIC_AT_SIZES, "")
    assert undecided.status is Status.INCONCLUSIVE and undecided.reason


def test_positive_symbols_get_positive_witnesses():
    result = zero_test(sp.sqrt(t ** 2) - t + 1 / t)
    assert result.is_zero is False
    assert result.witness[t] > 0


def test_check_equal_shape_mismatch_refuted():
    result = check_equal("shape", sp.Matrix([1, 2]), sp.Matrix([[1, 2]]), Method.SYMBOLIC_AT_SIZES, "")
    assert result.status is Status.REFUTED


def test_verdict_combination():
    ok = check_equal("a", x + x, 2 * x, Method.SYMBOLIC_AT_SIZES, "")
    undecided = inconclusive("b", Method.NUMERIC_TOLERANCE, "tolerance not met")
    bad = refuted("c", Method.EXACT_RANDOM_INSTANCES, "", {"x": "1"})
    assert Verdict("c", "", [ok]).status is Status.VERIFIED
    assert Verdict("c", "", [ok, undecided]).status is Status.INCONCLUSIVE
    assert Verdict("c", "", [ok, undecided, bad]).status is Status.REFUTED
    assert Verdict("c", "", []).status is Status.INCONCLUSIVE


def test_results_require_reason_and_counterexample():
    with pytest.raises(ValueError, match="reason"):
        CheckResult("a", Status.INCONCLUSIVE, Method.SYMBOLIC_AT_SIZES)
    with pytest.raises(ValueError, match="counterexample"):
        CheckResult("a", Status.REFUTED, Method.SYMBOLIC_AT_SIZES)


def test_raising_check_is_inconclusive_never_a_pass():
    def boom():
        raise ZeroDivisionError("division by zero in the derivation")

    result = run_check("boom", Method.SYMBOLIC_AT_SIZES, boom)
    assert result.status is Status.INCONCLUSIVE
    assert "ZeroDivisionError" in result.reason
    claim = Claim("user.X", "t", "s", checks=[Check("boom", Method.SYMBOLIC_AT_SIZES, boom)])
    assert claim.verify().status is Status.INCONCLUSIVE


def test_json_expressions_read_back():
    import json

    from proofs_check.reports import verdicts_json

    expr = sp.harmonic(sp.Symbol("T") - 2) / 3
    v = Verdict("c", "", [check_equal("a", expr, expr, Method.SYMBOLIC_AT_SIZES, "", limit=expr)])
    doc = json.loads(verdicts_json([v]))
    assert sp.sympify(doc["claims"][0]["checks"][0]["expressions"]["limit"]) == expr
