"""pytest plugin for mesacheck (registered through the ``pytest11`` entry point).

Loaded in every pytest run of an environment where mesacheck is installed, so it imports
nothing heavy at module level (SymPy, Hypothesis and the claim modules load on first use) and
changes nothing unless asked:

``pytest --mesacheck``
    adds one test item per registered claim (:func:`proofs_check.registry.all_claims`), marked
    ``mesacheck``, with id ``mesacheck::<claim id>``. Outcome: VERIFIED passes; REFUTED fails and
    shows the counterexample; INCONCLUSIVE fails with the reason (``--mesacheck-inconclusive=xfail``
    reports it as xfailed instead). INCONCLUSIVE never passes. ``--mesacheck-slow`` includes
    checks marked slow.

``@pytest.mark.mesacheck_claim``
    on an ordinary test function that *returns* a :class:`~proofs_check.registry.Claim`, a
    :class:`~proofs_check.verdicts.Verdict` or a :class:`~proofs_check.verdicts.CheckResult`: the
    plugin checks it and maps the status as above.

``mesacheck`` fixture
    ``mesacheck.assert_identity(lhs, rhs, symbols=..., strategies=...)``,
    ``mesacheck.verify(claim_or_result)``, ``mesacheck.check_property(body, strategy, ...)``:
    each returns the result when VERIFIED and otherwise fails the test with the counterexample
    or the reason.

See ``docs/property_testing.md``.
"""
from __future__ import annotations

import pytest

INCONCLUSIVE_MODES = ("fail", "xfail")


def pytest_addoption(parser):
    group = parser.getgroup("mesacheck")
    group.addoption("--mesacheck", action="store_true", default=False,
                    help="collect every registered mesacheck claim as a test item")
    group.addoption("--mesacheck-slow", action="store_true", default=False,
                    help="with --mesacheck, also run the claims' checks marked slow")
    group.addoption("--mesacheck-inconclusive", choices=INCONCLUSIVE_MODES, default="fail",
                    help="outcome of an INCONCLUSIVE verdict: fail (default) or xfail; never a pass")


def pytest_configure(config):
    config.addinivalue_line("markers", "mesacheck: a registered mesacheck claim collected by --mesacheck")
    config.addinivalue_line("markers", "mesacheck_claim: the test returns a mesacheck Claim, Verdict or "
                                       "CheckResult, which the plugin checks (VERIFIED passes)")


# --------------------------------------------------------------------------- outcomes
def _format(result) -> str:
    """Readable report of a Verdict or CheckResult: status, method, reason, counterexample."""
    import json

    from .verdicts import Verdict

    lines = []
    if isinstance(result, Verdict):
        lines.append(f"{result.claim_id}: {result.status.value} ({result.title})")
        checks = result.checks
        if not checks:
            lines.append("  reason: no check ran (every check of this claim is marked slow: add --mesacheck-slow)")
    else:
        checks = [result]
    for c in checks:
        lines.append(f"  [{c.status.value}] {c.name} ({c.method.value}){': ' + c.detail if c.detail else ''}")
        if c.reason:
            lines.append(f"      reason: {c.reason}")
        if c.counterexample:
            text = json.dumps(c.to_dict()["counterexample"], indent=2, default=str)
            lines.append("      counterexample: " + text.replace("\n", "\n      "))
    return "\n".join(lines)


def _to_result(value, include_slow: bool = False):
    """A Claim is verified; a Verdict or CheckResult is taken as is; anything else is INCONCLUSIVE."""
    from .registry import Claim
    from .verdicts import CheckResult, Method, Verdict, inconclusive

    if isinstance(value, Claim):
        return value.verify(include_slow=include_slow)
    if isinstance(value, CheckResult):
        from .verdicts import earned

        return earned(value)
    if isinstance(value, Verdict):
        return value
    return inconclusive("mesacheck_claim", Method.PROPERTY_BASED,
                        f"the test returned {type(value).__name__}, not a Claim, Verdict or CheckResult")


def enforce(result, inconclusive: str = "fail"):
    """Return ``result`` if VERIFIED; otherwise fail (or xfail an INCONCLUSIVE) with the report."""
    from .verdicts import Status

    status = result.status
    if status is Status.VERIFIED:
        return result
    report = _format(result)
    if status is Status.INCONCLUSIVE and inconclusive == "xfail":
        pytest.xfail("mesacheck INCONCLUSIVE (not a pass):\n" + report)
    pytest.fail(f"mesacheck {status.value}:\n{report}", pytrace=False)


# --------------------------------------------------------------------------- --mesacheck collection
class ClaimItem(pytest.Item):
    """One registered claim as a test item."""

    def __init__(self, *, claim_id: str, **kwargs):
        super().__init__(**kwargs)
        self.claim_id = claim_id
        self.add_marker("mesacheck")

    def runtest(self):
        from .registry import get

        config = self.config
        verdict = get(self.claim_id).verify(include_slow=config.getoption("mesacheck_slow"))
        self.user_properties.append(("mesacheck_status", verdict.status.value))
        enforce(verdict, config.getoption("mesacheck_inconclusive"))

    def reportinfo(self):
        return "mesacheck", None, f"claim {self.claim_id}"


class RegistryErrorItem(pytest.Item):
    """Stands for the claims when the registry cannot be loaded: fails with the error (never passes)."""

    def __init__(self, *, error: str, **kwargs):
        super().__init__(**kwargs)
        self.error = error
        self.add_marker("mesacheck")

    def runtest(self):
        pytest.fail(f"mesacheck INCONCLUSIVE: the claim registry could not be loaded: {self.error}", pytrace=False)

    def reportinfo(self):
        return "mesacheck", None, "claim registry"


class ClaimCollector(pytest.Collector):
    """The registered claims, collected under ``mesacheck::``."""

    def collect(self):
        try:
            from .registry import all_claims

            claims = all_claims()
        except Exception as exc:  # noqa: BLE001 - a broken claim module must not break collection
            return [RegistryErrorItem.from_parent(self, name="registry", error=f"{type(exc).__name__}: {exc}")]
        return [ClaimItem.from_parent(self, name=c.id, claim_id=c.id) for c in claims]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    # tryfirst: the claim items are added before pytest's own -k / -m deselection runs.
    if not config.getoption("mesacheck"):
        return
    collector = ClaimCollector.from_parent(session, name="mesacheck")
    items.extend(collector.collect())


def pytest_report_header(config):
    if config.getoption("mesacheck"):
        return (f"mesacheck: registered claims collected; INCONCLUSIVE -> "
                f"{config.getoption('mesacheck_inconclusive')}")
    return None


# --------------------------------------------------------------------------- marker
@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if pyfuncitem.get_closest_marker("mesacheck_claim") is None:
        return None
    func = pyfuncitem.obj
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    try:
        value = func(**args)
    except (pytest.fail.Exception, pytest.skip.Exception, pytest.xfail.Exception):
        raise
    except Exception as exc:  # noqa: BLE001 - a claim that raises is undecided, never a pass
        from .verdicts import Method, inconclusive

        value = inconclusive(pyfuncitem.name, Method.PROPERTY_BASED,
                             f"the claim raised {type(exc).__name__}: {exc}")
    result = _to_result(value, include_slow=pyfuncitem.config.getoption("mesacheck_slow"))
    enforce(result, pyfuncitem.config.getoption("mesacheck_inconclusive"))
    return True


# --------------------------------------------------------------------------- fixture
class Mesacheck:
    """Helpers for checking one's own claims inside an ordinary test (the ``mesacheck`` fixture).

    Every method returns the VERIFIED result, and otherwise fails the test: REFUTED with the
    counterexample, INCONCLUSIVE with the reason (or xfails it under
    ``--mesacheck-inconclusive=xfail``). Nothing undecided ever passes.
    """

    def __init__(self, inconclusive: str = "fail", include_slow: bool = False):
        self.inconclusive = inconclusive
        self.include_slow = include_slow

    def result_of(self, value):
        """The Verdict/CheckResult for a Claim, Verdict or CheckResult, without enforcing it."""
        return _to_result(value, include_slow=self.include_slow)

    def verify(self, value):
        """Check a :class:`Claim` (or take a Verdict/CheckResult) and enforce the outcome."""
        return enforce(self.result_of(value), self.inconclusive)

    def identity(self, lhs, rhs, symbols=None, strategies=None, examples: int = 50, seed: int | None = 0,
                 name: str = "identity"):
        """CheckResult of ``lhs == rhs`` (scalars or SymPy matrices), without enforcing it.

        * ``strategies`` (symbol -> Hypothesis strategy of exact values): a property-based check on
          drawn values (:func:`proofs_check.properties.identity_property`).
        * otherwise an exact symbolic zero test (:func:`proofs_check.zero.check_equal`).

        ``symbols`` declares the variables of the identity: a free symbol outside it (or outside
        ``strategies``) makes the result INCONCLUSIVE, since its value was never considered.
        """
        from .checks import check_identity

        return check_identity(lhs, rhs, symbols=symbols, strategies=strategies, examples=examples, seed=seed,
                              name=name)

    def assert_identity(self, lhs, rhs, symbols=None, strategies=None, examples: int = 50, seed: int | None = 0,
                        name: str = "identity"):
        """:meth:`identity`, enforced: returns the VERIFIED result or fails the test."""
        return enforce(self.identity(lhs, rhs, symbols, strategies, examples, seed, name), self.inconclusive)

    def check_property(self, body, strategy, examples: int = 50, seed: int | None = 0, name: str = "property",
                       kind: str = "forall"):
        """Run ``body(example)`` on examples of ``strategy`` (AssertionError = counterexample) and enforce.

        ``kind="exists"``: ``body`` returns True for a witness; one must be found.
        """
        from .properties import Property, run_property

        prop = Property(name, "user", name, lambda: strategy, body, kind=kind, examples=examples)
        return enforce(run_property(prop, examples=examples, seed=seed), self.inconclusive)


@pytest.fixture
def mesacheck(request):
    """Check your own claims: ``mesacheck.assert_identity``, ``mesacheck.verify``, ``mesacheck.check_property``."""
    config = request.config
    return Mesacheck(config.getoption("mesacheck_inconclusive"), config.getoption("mesacheck_slow"))
