"""The pytest entry point: ``pytest --mesacheck``, the ``mesacheck_claim`` marker and the
``mesacheck`` fixture. VERIFIED passes, REFUTED fails with its counterexample, INCONCLUSIVE
fails (or xfails on request) with its reason: it never passes."""
from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = '''
from mesacheck.proofs_check.registry import Check, Claim, _REGISTRY, register
from mesacheck.proofs_check.checks import check_close
from mesacheck.proofs_check.verdicts import Method, inconclusive, refuted, verified

M = Method.EXACT_RANDOM_INSTANCES


def _claim(cid, result):
    if cid not in _REGISTRY:
        register(Claim(cid, cid + " title", "test", checks=[Check("c", M, lambda: result)]))


_claim("demo.verified", check_close(1.0, 1.0, rtol=1e-12, name="c"))
_claim("demo.refuted", refuted("c", M, "it fails", {"x": "3", "residual": "7/2"}))
_claim("demo.inconclusive", inconclusive("c", M, "no exact reduction reached 0"))
if "demo.slowonly" not in _REGISTRY:
    register(Claim("demo.slowonly", "only slow checks", "test",
                   checks=[Check("slow", M, lambda: check_close(2.0, 2.0, rtol=1e-12, name="slow"), slow=True)]))
'''

USER_TESTS = '''
import pytest
import sympy as sp
from hypothesis import strategies as st

from mesacheck.proofs_check.registry import Check, Claim
from mesacheck.proofs_check.verdicts import Method, inconclusive, refuted, verified

x, y = sp.symbols("x y")
M = Method.SYMBOLIC_AT_SIZES


def test_identity_holds(mesacheck):
    result = mesacheck.assert_identity((x ** 2 - y ** 2) / (x - y), x + y, symbols=[x, y])
    assert result.status.value == "VERIFIED"


def test_identity_refuted(mesacheck):
    mesacheck.assert_identity((x + 1) ** 2, x ** 2 + 1, symbols=[x])


def test_identity_undeclared_symbol(mesacheck):
    mesacheck.assert_identity((x + y) ** 2, x ** 2 + 2 * x * y + y ** 2, symbols=[x])


def test_identity_property_based(mesacheck):
    q = st.fractions(max_denominator=5).map(sp.Rational)
    mesacheck.assert_identity((x + 1) ** 3, x ** 3 + 3 * x ** 2 + 3 * x + 1, strategies={x: q})


def test_property_counterexample(mesacheck):
    def body(n):
        assert n * n != 49
    mesacheck.check_property(body, st.integers(0, 20), examples=300, name="no square 49")  # 7 is sure to be drawn


@pytest.mark.mesacheck_claim
def test_claim_verified():
    from mesacheck.proofs_check.checks import check_identity
    return Claim("mine.ok", "ok", "me", checks=[Check("c", M, lambda: check_identity(x * (x + 1), x ** 2 + x))])


@pytest.mark.mesacheck_claim
def test_claim_forged():
    return Claim("mine.forged", "forged", "me", checks=[Check("c", M, lambda: verified("c", M, "fine"))])


@pytest.mark.mesacheck_claim
def test_claim_refuted():
    return Claim("mine.bad", "bad", "me",
                 checks=[Check("c", M, lambda: refuted("c", M, "no", {"t": "5", "residual": "1/3"}))])


@pytest.mark.mesacheck_claim
def test_result_inconclusive():
    return inconclusive("c", M, "the integrator did not converge")


@pytest.mark.mesacheck_claim
def test_claim_raises():
    raise RuntimeError("boom inside the claim")


@pytest.mark.mesacheck_claim
def test_returns_nothing():
    pass
'''


def test_mesacheck_option_collects_claims(pytester):
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest_subprocess("--mesacheck", "-k", "demo", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3, deselected=result.parseoutcomes().get("deselected", 0))
    out = result.stdout.str()
    assert "mesacheck REFUTED" in out and '"residual": "7/2"' in out
    assert "mesacheck INCONCLUSIVE" in out and "no exact reduction reached 0" in out
    result.stdout.fnmatch_lines(["*FAILED*demo.refuted*", "*FAILED*demo.inconclusive*"])
    assert "no check ran (every check of this claim is marked slow: add --mesacheck-slow)" in out
    slow = pytester.runpytest_subprocess("--mesacheck", "--mesacheck-slow", "-k", "slowonly", "-p", "no:cacheprovider")
    slow.assert_outcomes(passed=1, deselected=slow.parseoutcomes().get("deselected", 0))


def test_inconclusive_can_be_xfailed_but_never_passes(pytester):
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest_subprocess("--mesacheck", "--mesacheck-inconclusive=xfail", "-k", "demo",
                                           "-p", "no:cacheprovider", "-rx")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1 and outcomes.get("failed") == 1 and outcomes.get("xfailed") == 2
    assert "no exact reduction reached 0" in result.stdout.str()


def test_without_the_option_no_claim_is_collected(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q")
    assert "demo." not in result.stdout.str()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mesacheck", "-m", "mesacheck",
                                           "--collect-only", "-q")
    out = result.stdout.str()
    assert "mesacheck::demo.verified" in out and "test_plain" not in out


def test_a_registered_claim_runs_as_an_item(pytester):
    result = pytester.runpytest_subprocess("--mesacheck", "-k", "oswald2022.O4", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes().get("deselected", 0))


def test_marker_and_fixture_outcomes(pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 3, result.stdout.str()  # two identities and one verified claim
    assert outcomes.get("failed") == 8
    out = result.stdout.str()
    for name in ("test_identity_holds", "test_identity_property_based", "test_claim_verified"):
        assert f"PASSED test_user.py::{name}" in out
    for name, status in [("test_identity_refuted", "REFUTED"), ("test_identity_undeclared_symbol", "INCO"),
                         ("test_property_counterexample", "REFUTED"), ("test_claim_refuted", "REFUTED"),
                         ("test_result_inconclusive", "INCONCLUSIVE"), ("test_claim_raises", "INCONCLUSIVE"),
                         ("test_returns_nothing", "INCONCLUSIVE"), ("test_claim_forged", "INCONCLUSIVE")]:
        assert f"FAILED test_user.py::{name} - Failed: mesacheck {status}" in out, name
    assert '"example": 7' in out  # the shrunk counterexample of the property (7 * 7 == 49)
    assert "free symbols not declared in symbols=: y" in out
    assert "the claim raised RuntimeError: boom inside the claim" in out
    assert '"residual": "1/3"' in out


@pytest.mark.parametrize("mode, expected", [("fail", {"failed": 1}), ("xfail", {"xfailed": 1})])
def test_fixture_inconclusive_modes(pytester, mode, expected):
    pytester.makepyfile(test_one='''
import sympy as sp

def test_undeclared(mesacheck):
    x, y = sp.symbols("x y")
    mesacheck.assert_identity(x * y, y * x + 0 * x, symbols=[x])
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--mesacheck-inconclusive={mode}")
    result.assert_outcomes(**expected)


def test_a_broken_claim_module_fails_one_item_and_does_not_break_collection(pytester):
    pytester.makeconftest('''
import mesacheck.proofs_check.registry as registry

def _broken():
    raise ImportError("claims module failed to import")

registry.all_claims = _broken
''')
    pytester.makepyfile(test_plain="def test_one():\n    assert 2 * 2 == 4\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mesacheck")
    result.assert_outcomes(passed=1, failed=1)
    assert "the claim registry could not be loaded: ImportError: claims module failed to import" in result.stdout.str()
