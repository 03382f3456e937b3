"""Named Hypothesis property checks of the theorems, and the runner behind ``mesacheck verify --property``.

A :class:`Property` is either

* ``"forall"``: a statement that must hold on every generated example (a failure is shrunk by
  Hypothesis and reported as REFUTED with the minimal counterexample), or
* ``"exists"``: a statement that some generated example must witness (e.g. "a law violating (S)
  breaks the invariance"); :func:`hypothesis.find` searches and shrinks; the witness is
  reported with the VERIFIED result, and not finding one is INCONCLUSIVE (absence of a witness
  in a finite search proves nothing).

Outcomes are :class:`~proofs_check.verdicts.CheckResult` objects with
``Method.PROPERTY_BASED``. Anything that is not a clean pass or a clean counterexample is
INCONCLUSIVE with the reason, never a pass: a strategy whose filters cannot be satisfied
(Hypothesis health check, ``Unsatisfiable``), a check that raises, a check that declares itself
undecided (:class:`Undecided`, e.g. an integrator that did not converge), free symbols that no
strategy covers.

Every example of the Zheng properties is exact: discrete laws with rational atoms and weights,
exact population gradients (:mod:`theory.dynamics`), exact moments
(:mod:`proofs_check.strategies`, computed independently of :mod:`theory.moments`). The only
floats are in the integrated flow and the float64 von Oswald property, whose tolerances are
scaled by the magnitude of the cancelling terms and the conditioning.

Heavy imports (SymPy, Hypothesis, theory) happen inside functions.
"""
from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from .verdicts import (CheckResult, CheckTimeout, Method, Status, Verdict, _evidence, _verified, inconclusive,
                       refuted, verified)

__all__ = ["Property", "Undecided", "PROPERTIES", "register_property", "select_properties", "run_property",
           "run_properties", "identity_property", "reproduce_command"]

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3
METHOD = Method.PROPERTY_BASED


class Undecided(Exception):
    """Raised by a property body when an example can be neither confirmed nor refuted."""


@dataclass
class Property:
    """A named property check.

    Attributes
    ----------
    name : str
        ``"<claim id>.<label>"``, e.g. ``"zheng2024.C2.invariance"``.
    claim : str
        The claim it tests (``"zheng2024.C2"``).
    title : str
    strategy : callable () -> SearchStrategy
        Built lazily (Hypothesis is imported only when properties run).
    body : callable (example) -> object
        ``forall``: raises AssertionError on a counterexample, :class:`Undecided` when it cannot
        decide. ``exists``: returns True when the example is a witness.
    kind : {"forall", "exists"}
    examples : int
        Default budget (examples to generate).
    pinned : callable () -> list of examples
        Fixed examples always run first (``forall`` only), like ``@example``.
    slow : bool
        Left out of the default run; run by naming it.
    """

    name: str
    claim: str
    title: str
    strategy: Callable[[], Any]
    body: Callable[[Any], Any]
    kind: str = "forall"
    examples: int = 10
    pinned: Callable[[], list] | None = None
    slow: bool = False
    description: str = ""


PROPERTIES: dict[str, Property] = {}


def register_property(prop: Property) -> Property:
    if prop.name in PROPERTIES:
        raise ValueError(f"property {prop.name!r} registered twice")
    if prop.kind not in ("forall", "exists"):
        raise ValueError(f"kind must be 'forall' or 'exists' (got {prop.kind!r})")
    PROPERTIES[prop.name] = prop
    return prop


def select_properties(patterns=None, include_slow: bool = False) -> list[Property]:
    """Properties whose name equals a pattern or starts with ``pattern + "."``.

    Without patterns: every non-slow property. A slow property runs when a pattern names it
    or its claim. Raises ``KeyError`` with a hint for a pattern that matches nothing.
    """
    props = list(PROPERTIES.values())
    if not patterns:
        return [p for p in props if include_slow or not p.slow]
    chosen: list[Property] = []
    for pattern in patterns:
        stem = pattern.rstrip(".")
        matched = [p for p in props if p.name == stem or p.name.startswith(stem + ".")]
        if not matched:
            import difflib

            near = difflib.get_close_matches(pattern, list(PROPERTIES), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            raise KeyError(f"no property matches {pattern!r}: the properties are {', '.join(PROPERTIES)}.{hint}")
        chosen.extend(p for p in matched if p not in chosen)
    return chosen


def reproduce_command(name: str, seed: int, examples: int) -> str:
    return f"mesacheck verify --property {name} --seed {seed} --examples {examples}"


# --------------------------------------------------------------------------- describing examples
def describe(example) -> Any:
    """A JSON-friendly, readable form of a generated example (strings for exact values)."""
    if hasattr(example, "describe"):
        return example.describe()
    if isinstance(example, dict):
        return {str(k): describe(v) for k, v in example.items()}
    if isinstance(example, (tuple, list)):
        return [describe(v) for v in example]
    if hasattr(example, "tolist"):
        return describe(example.tolist())
    if isinstance(example, (int, float, str, bool)) or example is None:
        return example
    return str(example)


# --------------------------------------------------------------------------- the runner
def _hypothesis_settings(examples: int):
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    # No "explain" phase: it re-runs the (exact, slow) body many times only to annotate the report.
    return settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
                    report_multiple_bugs=False, print_blob=False, verbosity=Verbosity.quiet,
                    suppress_health_check=[HealthCheck.too_slow])


def run_property(prop: Property, examples: int | None = None, seed: int | None = None) -> CheckResult:
    """Run one property within its budget; never raises (except KeyboardInterrupt).

    Returns
    -------
    CheckResult
        ``name`` is the property name; ``detail`` includes the number of examples and the rate;
        a REFUTED result's counterexample holds the shrunk example, the error and the command
        that reproduces it; ``expressions["examples_per_second"]`` the measured rate.
    """
    examples = prop.examples if examples is None else int(examples)
    seed = random.randrange(2 ** 31) if seed is None else int(seed)
    if prop.name in PROPERTIES:
        command = reproduce_command(prop.name, seed, examples)
    else:  # a user's property, not reachable from the command line
        command = f"run_property(..., seed={seed}, examples={examples})"
    start = time.perf_counter()
    try:
        result = _run_exists(prop, examples, seed, command) if prop.kind == "exists" else \
            _run_forall(prop, examples, seed, command)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - the runner itself failing is undecided, never a pass
        result = inconclusive(prop.name, METHOD, f"the property runner raised {type(exc).__name__}: {exc}",
                              detail=f"reproduce with: {command}")
    result.seconds = time.perf_counter() - start
    return result


def _classify_hypothesis_error(exc: BaseException) -> str | None:
    from hypothesis.errors import FailedHealthCheck, Flaky, HypothesisException, Unsatisfiable

    if isinstance(exc, FailedHealthCheck):
        return f"Hypothesis health check failed (the strategy's filters are too hard to satisfy?): {exc}"
    if isinstance(exc, Unsatisfiable):
        return f"the strategy could not produce valid examples (Unsatisfiable): {exc}"
    if isinstance(exc, Flaky):
        return f"the failure did not reproduce (Flaky): {exc}"
    if isinstance(exc, HypothesisException):
        return f"Hypothesis error {type(exc).__name__}: {exc}"
    return None


def _run_forall(prop: Property, examples: int, seed: int, command: str) -> CheckResult:
    from hypothesis import given
    from hypothesis import seed as hypothesis_seed

    state = {"calls": 0, "last": None, "pinned": 0}

    for example in (prop.pinned() if prop.pinned else []):
        state["pinned"] += 1
        outcome = _apply_forall(prop, example, command, "pinned example")
        if outcome is not None:
            return outcome

    def test(example):
        state["calls"] += 1
        state["last"] = example
        prop.body(example)

    wrapped = hypothesis_seed(seed)(_hypothesis_settings(examples)(given(prop.strategy())(test)))
    start = time.perf_counter()
    try:
        wrapped()
    except BaseException as exc:  # noqa: BLE001 - classified below
        if isinstance(exc, (KeyboardInterrupt, CheckTimeout)):
            raise
        reason = _classify_hypothesis_error(exc)
        if reason is not None:
            return inconclusive(prop.name, METHOD, reason, detail=f"reproduce with: {command}")
        return _failure(prop, exc, state["last"], command, "shrunk counterexample", calls=state["calls"])
    elapsed = time.perf_counter() - start
    n = state["calls"]
    rate = n / elapsed if elapsed > 0 else float("inf")
    ev = _evidence(METHOD, f"held on {state['pinned']} pinned and {n} generated examples (seed {seed})")
    return _verified(prop.name, METHOD,
                     f"{prop.title}: held on {state['pinned']} pinned and {n} generated examples "
                     f"({rate:.1f} examples/s, seed {seed})", [ev],
                     examples=n, examples_per_second=round(rate, 2), seed=seed)


def _apply_forall(prop: Property, example, command: str, what: str) -> CheckResult | None:
    try:
        prop.body(example)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001
        return _failure(prop, exc, example, command, what)
    return None


def _failure(prop: Property, exc: BaseException, example, command: str, what: str,
             calls: int | None = None) -> CheckResult:
    stats = {} if calls is None else {"examples": calls}
    if isinstance(exc, AssertionError):
        return refuted(prop.name, METHOD, f"{prop.title}: fails on a {what}",
                       {"example": describe(example), "failure": str(exc) or "assertion failed",
                        "reproduce": command}, **stats)
    if isinstance(exc, Undecided):
        return inconclusive(prop.name, METHOD, f"undecided on a {what}: {exc}",
                            detail=f"example: {describe(example)}; reproduce with: {command}", **stats)
    return inconclusive(prop.name, METHOD, f"the check raised {type(exc).__name__}: {exc}",
                        detail=f"on a {what}: {describe(example)}; reproduce with: {command}", **stats)


def _run_exists(prop: Property, examples: int, seed: int, command: str) -> CheckResult:
    from hypothesis import find
    from hypothesis.errors import NoSuchExample

    state = {"calls": 0}

    def condition(example):
        state["calls"] += 1
        return bool(prop.body(example))

    start = time.perf_counter()
    try:
        witness = find(prop.strategy(), condition, settings=_hypothesis_settings(examples),
                       random=random.Random(seed))
    except NoSuchExample:
        return inconclusive(prop.name, METHOD, f"no witness found in {examples} examples (seed {seed}); a "
                            "finite search cannot show that none exists", detail=f"reproduce with: {command}")
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001
        reason = _classify_hypothesis_error(exc) or f"the check raised {type(exc).__name__}: {exc}"
        return inconclusive(prop.name, METHOD, reason, detail=f"reproduce with: {command}")
    elapsed = time.perf_counter() - start
    n = state["calls"]
    rate = n / elapsed if elapsed > 0 else float("inf")
    ev = _evidence(METHOD, f"a witness found and shrunk in {n} evaluations (seed {seed}): {describe(witness)}")
    return _verified(prop.name, METHOD,
                    f"{prop.title}: Hypothesis found and shrank a witness in {n} evaluations "
                    f"({rate:.1f} examples/s, seed {seed})", [ev],
                    witness=json.dumps(describe(witness)), examples=n, examples_per_second=round(rate, 2),
                    seed=seed)


# --------------------------------------------------------------------------- user identities
def identity_property(lhs, rhs, strategies: dict, examples: int = 50, seed: int | None = None,
                      name: str = "identity") -> CheckResult:
    """Check ``lhs == rhs`` exactly on values drawn from ``strategies`` (symbol -> strategy).

    Each example substitutes exact values (rationals, or anything SymPy takes exactly) and
    reduces the difference with ``cancel``; a non-zero value is REFUTED with the shrunk values.
    A free symbol that no strategy covers makes the result INCONCLUSIVE: its value was never
    chosen, so nothing was checked for it.
    """
    import sympy as sp

    from .zero import number_is_zero

    def residual_of(values):
        diff = sp.sympify(lhs) - sp.sympify(rhs)
        if isinstance(diff, sp.MatrixBase):
            return [sp.cancel(sp.together(e.xreplace(values))) for e in diff]
        return [sp.cancel(sp.together(diff.xreplace(values)))]

    free = sp.sympify(lhs).free_symbols | sp.sympify(rhs).free_symbols
    covered = {s for s in strategies}
    missing = sorted(map(str, free - covered))
    if missing:
        return inconclusive(name, METHOD, f"free symbols with no strategy: {', '.join(missing)} (give a strategy "
                            "for each, or substitute them)")
    from hypothesis import strategies as st

    keys = sorted(strategies, key=str)
    strategy = st.fixed_dictionaries({str(k): strategies[k] for k in keys})
    by_name = {str(k): k for k in keys}

    def body(values):
        point = {by_name[k]: sp.sympify(v) for k, v in values.items()}
        for value in residual_of(point):
            if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                raise Undecided(f"the residual is not finite at {values} ({value})")
            if value.free_symbols:
                raise Undecided(f"the residual still has free symbols {sorted(map(str, value.free_symbols))}")
            zero = number_is_zero(value)
            if zero is None:
                raise Undecided(f"the residual {value} at {values} could not be decided exactly")
            if zero is False:
                raise AssertionError(f"lhs - rhs = {value} at {values}")

    prop = Property(name, "user", f"{lhs} == {rhs}", lambda: strategy, body, examples=examples)
    return run_property(prop, examples=examples, seed=seed)


# --------------------------------------------------------------------------- Zheng et al. 2024
_ZHENG_T = {2: 6, 3: 5}  # largest T per d: the law-free W-average is computed once per (d, T), ~0.1-1.5 s


def _zheng_case(law_strategy, with_init: bool = False, max_T: int | None = None):
    from hypothesis import strategies as st

    from . import strategies as S

    @st.composite
    def case(draw):
        law = draw(law_strategy)
        T = draw(st.integers(3, max_T or _ZHENG_T.get(law.d, 3)))
        if with_init:
            return law, T, draw(S.initialisations())
        return law, T

    return case()


def _gradient(law, T):
    """Exact population loss and gradient on M_(a,b) for a generated discrete law.

    The W-average (phase lemma) does not depend on the law, so it is computed once per
    ``(d, T)`` by :func:`theory.dynamics.gradient_on_ab` with ``law=None`` (polynomials in
    ``a, b, z, zbar``) and cached; the z-expectation is then the law's exact moments
    (:meth:`proofs_check.strategies.GeneratedLaw.moment`, Fractions), monomial by monomial.
    ``tests/test_properties_zheng.py`` checks that this equals ``gradient_on_ab(d, T, law.law)``.
    """
    import sympy as sp

    from theory.zheng_population import PopulationDerivatives

    terms = _law_free_terms(law.d, T)
    cache: dict = {}

    def expect(entry_terms):
        total = sp.Integer(0)
        for coeff, zmono in entry_terms:
            if zmono not in cache:
                cache[zmono] = law.moment(zmono).to_sympy()
            m = cache[zmono]
            if m != 0:
                total += coeff * m
        return sp.expand(total)

    loss = expect(terms["loss"])
    d = law.d
    grad_PV = sp.Matrix(d, 2 * d, [expect(t) for t in terms["PV"]])
    grad_KQ = sp.Matrix(2 * d, 2 * d, [expect(t) for t in terms["KQ"]])
    return PopulationDerivatives(loss, grad_PV, grad_KQ)


_LAW_FREE: dict = {}


def _law_free_terms(d: int, T: int) -> dict:
    """``{"loss": terms, "PV": [terms per entry], "KQ": [...]}``; terms are (coeff in a, b; z-monomial)."""
    key = (d, T)
    if key in _LAW_FREE:
        return _LAW_FREE[key]
    import sympy as sp

    from theory.dynamics import gradient_on_ab

    deriv = gradient_on_ab(d, T, None)
    z, zbar = list(deriv.z), list(deriv.zbar)

    def split(expr):
        poly = sp.Poly(sp.expand(expr), *z, *zbar)
        return [(coeff, tuple((e[j], e[d + j]) for j in range(d))) for e, coeff in poly.terms()]

    out = {"loss": split(deriv.loss), "PV": [split(e) for e in deriv.grad_PV],
           "KQ": [split(e) for e in deriv.grad_KQ]}
    _LAW_FREE[key] = out
    return out


def _nonzero_residuals(deriv, d, include_AB: bool = True) -> list[str]:
    import sympy as sp

    from theory.dynamics import invariance_residuals_AB, invariance_residuals_ab

    bad = []
    groups = dict(invariance_residuals_ab(deriv, d))
    if include_AB:
        groups.update({k: list(v) for k, v in invariance_residuals_AB(deriv, d).items()})
    for name, values in groups.items():
        for k, value in enumerate(values):
            value = sp.expand(value)
            if value != 0:
                bad.append(f"{name}[{k}] = {value}")
    return bad


def _c2_invariance(case):
    law, T = case
    bad = _nonzero_residuals(_gradient(law, T), law.d)
    assert not bad, (f"M_(a,b) is not invariant at T = {T}: " + "; ".join(bad[:4])
                     + f" (law satisfies (S): {law.satisfies_S()}, (E): {law.satisfies_E()})")


def _pinned_symmetric():
    from fractions import Fraction

    from .strategies import GaussianRational as G
    from .strategies import _law

    one, zero, two = G(Fraction(1)), G(Fraction(0)), G(Fraction(2))
    sparse = _law([((one, zero), Fraction(1))], "each", "cyclic", "sparse law, Example 4.1 (c = 1)")
    rademacher = _law([((one, one, one), Fraction(1))], "each", "cyclic", "Rademacher {+1,-1}^3")
    mixed = _law([((one, two), Fraction(1, 3)), ((zero, one), Fraction(2, 3))], "each", "cyclic",
                 "two seed atoms, two moduli")
    return [sparse, rademacher, mixed]


def _witness_S(case):
    law, T = case
    deriv = _gradient(law, T)
    return any("off-diagonal" in r for r in _nonzero_residuals(deriv, law.d, include_AB=False))


def _witness_E(case):
    law, T = case
    deriv = _gradient(law, T)
    return any("diagonal spread" in r for r in _nonzero_residuals(deriv, law.d, include_AB=False))


def _harmonic(n: int):
    from fractions import Fraction

    return sum((Fraction(1, s) for s in range(1, n + 1)), Fraction(0))


def _to_fraction(value):
    from fractions import Fraction

    import sympy as sp

    value = sp.nsimplify(value) if value.has(sp.Float) else sp.Rational(value)
    return Fraction(int(value.p), int(value.q))


def _c4_fixed_point(case):
    import sympy as sp

    from theory.dynamics import attention_prediction_on_ab, limit_of_product, one_step_gd_prediction, reduced_flow

    law, T, (a0, b0) = case
    d = law.d
    flow = reduced_flow(d, T, law.law, deriv=_gradient(law, T))
    u_star = sp.Rational(limit_of_product(flow))
    # C4's closed form, from moments computed independently of theory.moments.
    k0, k1, k2, k3 = law.kappas()
    n = T - 2
    formula = k1 / (k2 + k3 * _harmonic(n) / n)
    assert _to_fraction(u_star) == formula, (
        f"lim ab of the reduced flow is {u_star}, C4's formula kappa_1/(kappa_2 + kappa_3 H_(T-2)/(T-2)) "
        f"gives {formula} (kappas {k0}, {k1}, {k2}, {k3}; T = {T})")
    # The trained model at the fixed point is one OLS GD step with eta_t = u*/(t-1), for every t.
    for t in range(2, T):
        yhat, X, Xc = attention_prediction_on_ab(d, t, u_star)
        _, gd = one_step_gd_prediction(d, t, u_star / (t - 1), X, Xc)
        diff = (yhat - gd).applyfunc(sp.expand)
        assert diff == sp.zeros(d, 1), f"at t = {t} the model at ab = {u_star} differs from one GD step: {diff.T}"
    # The integrated reduced flow converges to the fixed point from (a0, b0).
    _integrated_limit(flow, u_star, a0, b0, T)


def _integrated_limit(flow, u_star, a0: float, b0: float, T: int):
    import math

    import numpy as np
    import sympy as sp

    from numerics.flows import integrate_flow
    from theory.dynamics import reduced_flow_function

    rhs, jac = reduced_flow_function(flow)
    # Rates: escape from the saddle ~ Lambda, attraction ~ Gamma (a^2 + b^2); cap the time at
    # a generous multiple of the slowest scale.
    coeffs = sp.Poly(sp.expand(-flow.b_dot), flow.a, flow.b)
    Gamma = float(abs(coeffs.coeff_monomial(flow.a ** 2 * flow.b)))
    Lambda = float(abs(coeffs.coeff_monomial(flow.a)))
    if Gamma == 0 or Lambda == 0:
        raise Undecided(f"degenerate reduced flow (Gamma = {Gamma}, Lambda = {Lambda})")
    t_max = 200.0 * (1.0 + math.log(1.0 + 1.0 / abs(a0 * b0))) / min(Lambda, Gamma * (a0 * a0 + b0 * b0))
    rtol, atol = 1e-11, 1e-13
    result = integrate_flow(lambda t, y: np.asarray(rhs(t, y), dtype=float), [a0, b0], t_max=t_max,
                            jac=lambda t, y: np.asarray(jac(t, y), dtype=float), rtol=rtol, atol=atol,
                            grad_tol=1e-10)
    if result.status != "converged":
        raise Undecided(f"the integrated flow did not converge from (a0, b0) = ({a0}, {b0}): {result.status}, "
                        f"{result.message}")
    a, b = result.y_final
    u = float(u_star)
    # At the convergence event |Gamma ab - Lambda| sqrt(a^2 + b^2) = grad_tol (the gradient norm),
    # so |ab - u*| <= grad_tol / (Gamma ||(a, b)||); add the integrator's relative error.
    norm = math.hypot(a, b)
    tol = 10 * (1e-10 / (Gamma * norm) + rtol * abs(u) * max(1.0, result.nfev ** 0.5))
    assert abs(a * b - u) <= tol, (f"the integrated flow from ({a0}, {b0}) ends at ab = {a * b!r}, "
                                   f"not at the fixed point {u!r} (|diff| {abs(a * b - u):.3g} > tol {tol:.3g})")
    c = a0 * a0 - b0 * b0
    a_lim = math.copysign(math.sqrt((c + math.sqrt(c * c + 4 * u * u)) / 2), a0)
    drift = result.drift.get("a2-b2", 0.0)
    tol_a = 10 * (tol / max(norm, 1e-300) + rtol * abs(a_lim) * max(1.0, result.nfev ** 0.5)) + drift / abs(a_lim)
    assert abs(a - a_lim) <= tol_a, (
        f"lim a = {a!r}, conservation of a^2 - b^2 predicts {a_lim!r}")


def _c5_kind(law):
    """(recovers as T -> infinity, kappa_1^2 == kappa_0 kappa_2)."""
    import sympy as sp

    k0, k1, k2, k3 = law.kappas()
    T = sp.Symbol("T", integer=True, positive=True)
    q = lambda f: sp.Rational(f.numerator, f.denominator)  # noqa: E731
    u_T = q(k1) / (q(k2) + q(k3) * sp.harmonic(T - 2) / (T - 2))
    u_inf = sp.limit(u_T, T, sp.oo)
    # Limit predictor: W diag(u_inf |z_j|^2); it recovers the process iff u_inf |z_j|^2 = 1
    # wherever z_j != 0, for every atom of positive weight.
    recovers = all(u_inf * q(v.abs2()) == 1 for atom in law.atoms for v in atom if v)
    return recovers, k1 * k1 == k0 * k2, u_inf


def _c5_limit(law):
    recovers, identity, u_inf = _c5_kind(law)
    assert recovers == identity, (
        f"C5 fails: recovery as T -> oo is {recovers} (lim ab -> {u_inf}) but kappa_1^2 = kappa_0 kappa_2 is "
        f"{identity} (kappas {law.kappas()})")


def _c5_finite_T(case):
    import sympy as sp

    from theory.dynamics import attention_prediction_on_ab, limit_of_product, reduced_flow

    law, T = case
    d = law.d
    flow = reduced_flow(d, T, law.law, deriv=_gradient(law, T))
    u_star = sp.Rational(limit_of_product(flow))
    lam = sp.symbols(f"lambda_1:{d + 1}", nonzero=True)
    exact = True
    failing = None
    for t in range(2, T):
        yhat, X, Xc = attention_prediction_on_ab(d, t, u_star)
        for atom in law.atoms:
            zs = [v.to_sympy() for v in atom]
            point = {}
            for i in range(t + 1):
                for j in range(d):
                    point[X[j, i]] = lam[j] ** i * zs[j]
                    point[Xc[j, i]] = lam[j] ** (-i) * sp.conjugate(zs[j])
            residual = (yhat.xreplace(point) - X[:, t].xreplace(point)).applyfunc(sp.expand)
            if residual != sp.zeros(d, 1):
                exact, failing = False, (t, atom, residual.T)
                break
        if not exact:
            break
    k0, k1, k2, k3 = law.kappas()
    expected = k3 == 0 and k1 * k1 == k0 * k2
    assert exact == expected, (
        f"exact recovery at T = {T} is {exact} but (kappa_3 = 0 and kappa_1^2 = kappa_0 kappa_2) is {expected} "
        f"(kappas {k0}, {k1}, {k2}, {k3}; lim ab = {u_star}"
        + (f"; residual at t = {failing[0]}, atom {failing[1]}: {failing[2]}" if failing else "") + ")")


def _zheng_properties():
    from . import strategies as S  # noqa: F401  (only to fail early if Hypothesis is missing)

    def sym():
        return _zheng_case(S.symmetric_laws())

    register_property(Property(
        "zheng2024.C2.invariance", "zheng2024.C2",
        "laws invariant under sign flips and cyclic shifts (so (S) and (E) hold) keep M_(a,b) invariant",
        sym, _c2_invariance, examples=60,
        pinned=lambda: [(law, 4) for law in _pinned_symmetric()],
        description="Random discrete laws symmetrised by sign flips and cyclic shifts; the exact population "
                    "gradient on M_(a,b) (polynomials in a, b) has zero off-diagonal entries, equal real "
                    "diagonal entries, and zero blocks off M_(A,B)."))
    register_property(Property(
        "zheng2024.C2.needs-S", "zheng2024.C2",
        "a law violating (S) (but not (E)) for which M_(a,b) is not invariant exists and is found",
        lambda: _zheng_case(S.laws_violating_S(d=2), max_T=4), _witness_S, kind="exists", examples=20,
        description="hypothesis.find over laws with (E) but not (S): the shrunk witness has a non-zero "
                    "off-diagonal population gradient on M_(a,b)."))
    register_property(Property(
        "zheng2024.C2.needs-E", "zheng2024.C2",
        "a law violating (E) (but not (S)) for which the diagonal is not a multiple of I is found",
        lambda: _zheng_case(S.laws_violating_E(d=2), max_T=4), _witness_E, kind="exists", examples=20,
        description="hypothesis.find over laws with (S) but not (E): the shrunk witness has unequal diagonal "
                    "gradient entries, so a(tau) I, b(tau) I is not kept."))
    register_property(Property(
        "zheng2024.A6.E-as-stated", "zheng2024.A6",
        "a law satisfying (S) and (E) as stated, with column sums mu_j depending on j, leaves M_(a,b)",
        lambda: _zheng_case(S.laws_satisfying_SE_not_exchangeable(d=3), max_T=3), _witness_E, kind="exists",
        examples=10,
        description="Laws built on the null space of the (E) constraints (sign flips of moduli patterns, "
                    "exact rational weights): (S) and (E) hold exactly, yet the diagonal gradient entries of "
                    "W^KQ_21 differ, so the diagonal manifold is not invariant: (E) must also fix "
                    "sum_(k != j) E|z_k|^2 |z_j|^4."))
    register_property(Property(
        "zheng2024.C4.fixed-point", "zheng2024.C4",
        "lim ab = kappa_1/(kappa_2 + kappa_3 H/(T-2)) is one OLS GD step with eta_t = lim ab/(t-1), "
        "and the integrated flow converges to it",
        lambda: _zheng_case(S.symmetric_laws(), with_init=True), _c4_fixed_point, examples=20,
        pinned=lambda: [(law, 3, (0.1, 0.1)) for law in _pinned_symmetric()[:1]]
        + [(_pinned_symmetric()[2], 4, (0.5, 1.5)), (_pinned_symmetric()[1], 3, (2.0, 2.0))],
        description="Fixed point of the reduced flow derived from the exact gradient (theory.dynamics), "
                    "compared with C4's formula from independently computed exact moments; the prediction "
                    "at that point equals the one-step OLS GD prediction as polynomials in the tokens, "
                    "t = 2..T-1; LSODA from (a0, b0), a0 b0 > 0, ends at ab = lim ab within the tolerance "
                    "implied by the convergence event."))
    register_property(Property(
        "zheng2024.C5.limit", "zheng2024.C5",
        "as T -> infinity the trained model recovers x_(t+1) iff kappa_1^2 = kappa_0 kappa_2",
        lambda: __import__("hypothesis").strategies.one_of(
            S.constant_modulus_laws(), S.constant_modulus_laws(complex_atoms=True),
            S.laws_without_moment_identity(), S.symmetric_laws()),
        _c5_limit, examples=40, pinned=_pinned_symmetric,
        description="lim_T lim ab = kappa_1/kappa_2 (SymPy limit of C4's formula with harmonic numbers); the "
                    "limit predictor W diag(u |z_j|^2) equals W on the support of every atom iff the moment "
                    "identity holds; laws are drawn from both sides (|z_j| constant where non-zero, or two "
                    "moduli)."))
    register_property(Property(
        "zheng2024.C5.finite-T", "zheng2024.C5",
        "at finite T, yhat_t = x_(t+1) exactly for every atom iff kappa_3 = 0 and kappa_1^2 = kappa_0 kappa_2",
        lambda: _zheng_case(__import__("hypothesis").strategies.one_of(
            S.constant_modulus_laws(single_support=True), S.constant_modulus_laws(single_support=True,
                                                                                  complex_atoms=True),
            S.constant_modulus_laws(), S.symmetric_laws(max_atoms=1))),
        _c5_finite_T, examples=30, pinned=lambda: [(law, 4) for law in _pinned_symmetric()],
        description="At the exact fixed point of the reduced flow, the prediction on each atom (a Laurent "
                    "polynomial in the lambdas) is compared with x_(t+1) exactly, t = 2..T-1."))


# --------------------------------------------------------------------------- von Oswald et al. 2022
def _rational_prompt(sizes, X, Y, xq, W0, eta):
    from theory.constructions import RegressionPrompt

    Nx, Ny, N = sizes
    return RegressionPrompt(Nx, Ny, N, X, Y, xq, W0, eta)


def _oswald_case(max_layers: int = 0, with_gamma: bool = False, max_sizes=(3, 2, 4)):
    from hypothesis import strategies as st

    from . import strategies as S

    @st.composite
    def case(draw):
        Nx, Ny, N = draw(S.regression_sizes(*max_sizes))
        import sympy as sp

        out = {
            "sizes": (Nx, Ny, N),
            "X": draw(S.rational_matrices(Nx, N)),
            "Y": draw(S.rational_matrices(Ny, N)),
            "x_query": draw(S.rational_matrices(Nx, 1)),
            "W0": draw(S.rational_matrices(Ny, Nx)),
            "eta": sp.Rational(draw(st.integers(-5, 5).filter(bool)), draw(st.integers(1, 4))),
        }
        if max_layers:
            out["layers"] = draw(st.integers(1, max_layers))
        if with_gamma:
            out["gamma"] = sp.Rational(draw(st.integers(-3, 3)), draw(st.integers(1, 5)))
        return out

    return case()


def _assert_residuals_zero(residuals: dict, what: str):
    import sympy as sp

    for key, value in residuals.items():
        value = sp.Matrix(value).applyfunc(sp.expand) if hasattr(value, "shape") else sp.expand(value)
        nonzero = [(idx, e) for idx, e in enumerate(value) if e != 0] if hasattr(value, "shape") else (
            [((), value)] if value != 0 else [])
        assert not nonzero, f"{what}: residual {key!r} is non-zero, entries {nonzero[:3]}"


def _o1(case):
    from .claims.oswald2022 import one_step_residuals

    prompt = _rational_prompt(case["sizes"], case["X"], case["Y"], case["x_query"], case["W0"], case["eta"])
    _assert_residuals_zero(one_step_residuals(prompt), "one layer vs one GD step")


def _o2(case):
    from .claims.oswald2022 import k_layer_residuals

    prompt = _rational_prompt(case["sizes"], case["X"], case["Y"], case["x_query"], case["W0"], case["eta"])
    _assert_residuals_zero(k_layer_residuals(prompt, case["layers"]), f"{case['layers']} layers vs GD steps")


def _o3(case):
    from .claims.oswald2022 import gdpp_residuals

    prompt = _rational_prompt(case["sizes"], case["X"], case["Y"], case["x_query"], case["W0"], case["eta"])
    _assert_residuals_zero(gdpp_residuals(prompt, case["gamma"]), "GD++ layer")


def _oswald_float_case():
    from hypothesis import strategies as st

    from . import strategies as S

    @st.composite
    def case(draw):
        import numpy as np

        Nx, Ny = draw(st.integers(1, 6)), draw(st.integers(1, 3))
        N = draw(st.integers(Nx, 3 * Nx + 4))
        kappa = draw(st.sampled_from((1.0, 10.0, 1e3)))
        scale = draw(st.sampled_from((1e-2, 1.0, 1e2)))
        X = draw(S.well_conditioned_matrices(Nx, N, kappa=kappa ** 0.5, scale=scale))
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
        return {"sizes": (Nx, Ny, N), "X": X, "W_true": rng.standard_normal((Ny, Nx)),
                "W0": rng.standard_normal((Ny, Nx)), "x_query": rng.standard_normal((Nx, 1)) * scale,
                "layers": draw(st.integers(1, 30)), "eta_fraction": draw(st.floats(0.1, 1.0))}

    return case()


def _o2_float(case):
    """K float64 layers vs K GD steps; tolerance from the size of the cancelling terms and cond(XX^T)."""
    import numpy as np

    from theory.oswald_numeric import gd_step_function, layer_function

    Nx, Ny, N = case["sizes"]
    X, W0, xq, K = case["X"], case["W0"], case["x_query"], case["layers"]
    Y = case["W_true"] @ X
    S = X @ X.T / N
    lam = np.linalg.eigvalsh(S)
    eta = case["eta_fraction"] / lam.max()  # stable: 0 < eta <= 1/lambda_max
    layer, step = layer_function(), gd_step_function()
    state, W = (X, Y, xq, -W0 @ xq), W0
    # Magnitude of the terms that cancel in each update: eta ||W X - Y|| ||X|| / N per entry, times
    # the size of the sums; rounding is amplified at most by cond(XX^T) over K steps.
    term = max(np.abs(Y).max(), np.abs(W0 @ X).max(), 1e-300) * (1 + eta * np.linalg.norm(X, 2) ** 2 / N)
    for _ in range(K):
        state = layer(*state, W0, eta, N)
        W = step(W, X, Y, eta, N)
    cond = lam.max() / max(lam.min(), 1e-300)
    eps = np.finfo(float).eps
    scale_pred = term * np.abs(xq).max() / max(np.abs(X).max(), 1e-300) + np.abs(W0 @ xq).max()
    tol_y = 8 * K * (Nx + Ny + N) * eps * cond * term
    tol_p = 8 * K * (Nx + Ny + N) * eps * cond * scale_pred
    err_y = np.abs(state[1] - (Y - (W - W0) @ X)).max()
    err_p = np.abs(-state[3] - W @ xq).max()
    if not (np.all(np.isfinite(state[1])) and np.all(np.isfinite(state[3]))):
        raise Undecided("the float64 forward pass overflowed")
    assert err_y <= tol_y, f"context y-parts differ by {err_y:.3g} > tolerance {tol_y:.3g} (cond {cond:.3g}, K {K})"
    assert err_p <= tol_p, f"predictions differ by {err_p:.3g} > tolerance {tol_p:.3g} (cond {cond:.3g}, K {K})"


def _gdpp_float_case():
    from hypothesis import strategies as st

    from . import strategies as S

    @st.composite
    def case(draw):
        import numpy as np

        Nx = draw(st.integers(1, 8))
        N = draw(st.integers(Nx, 4 * Nx + 5))
        kappa = draw(st.sampled_from((1.0, 10.0, 1e3, 1e5)))
        scale = draw(st.sampled_from((1e-2, 1.0, 1e2)))
        Sigma = scale * draw(S.spd_matrices(Nx, kappa=kappa))  # the Gram matrix X X^T
        lam, U = np.linalg.eigh(Sigma)
        V = S._orthogonal(N, draw(st.integers(0, 2 ** 32 - 1)))[:Nx, :]
        X = (U * np.sqrt(lam)) @ V
        return {"sizes": (Nx, N), "X": X, "gamma_fraction": draw(st.floats(-1.0, 2.0))}

    return case()


def _o3_eigenvalue_map(case):
    """Spectrum of X'X'^T = lambda (1 - gamma lambda)^2 of the spectrum of X X^T, in float64."""
    import numpy as np

    from theory.oswald_numeric import gdpp_x_update_function

    Nx, N = case["sizes"]
    X = case["X"]
    lam = np.linalg.eigvalsh(X @ X.T)
    gamma = case["gamma_fraction"] / lam.max()
    X_new = gdpp_x_update_function()(X, gamma, N)
    got = np.sort(np.linalg.eigvalsh(X_new @ X_new.T))
    want = np.sort(lam * (1.0 - gamma * lam) ** 2)
    # Rounding in X' = X - gamma X X^T X and in the two eigensolves scales with the largest
    # terms that cancel: lambda_max (1 + |gamma| lambda_max)^2, times the sizes.
    eps = np.finfo(float).eps
    tol = 16 * (Nx + N) * eps * lam.max() * (1 + abs(gamma) * lam.max()) ** 2
    err = np.abs(got - want).max()
    assert err <= tol, f"eigenvalues of X'X'^T differ from lambda (1 - gamma lambda)^2 by {err:.3g} > {tol:.3g}"


def _oswald_pinned():
    import sympy as sp

    r = sp.Rational
    return [{"sizes": (1, 1, 1), "X": sp.Matrix([[1]]), "Y": sp.Matrix([[2]]), "x_query": sp.Matrix([[-1]]),
             "W0": sp.Matrix([[r(1, 2)]]), "eta": r(1), "layers": 2, "gamma": r(1, 3)},
            {"sizes": (2, 1, 3), "X": sp.Matrix([[1, 0, 2], [0, -1, r(1, 2)]]), "Y": sp.Matrix([[1, 2, 3]]),
             "x_query": sp.Matrix([[1], [1]]), "W0": sp.zeros(1, 2), "eta": r(3, 2), "layers": 3,
             "gamma": r(-1, 2)}]


def _oswald_properties():
    register_property(Property(
        "oswald2022.O1.exact", "oswald2022.O1",
        "one constructed LSA layer is one GD step (random sizes, exact rational data and eta)",
        lambda: _oswald_case(), _o1, examples=40, pinned=_oswald_pinned,
        description="one_step_residuals of the O1 claim at explicit rational X, Y, W_0, x_test, eta: every "
                    "entry exactly 0."))
    register_property(Property(
        "oswald2022.O2.exact", "oswald2022.O2",
        "K constructed layers are K GD steps (K <= 3, exact rational data)",
        lambda: _oswald_case(max_layers=3), _o2, examples=25, pinned=_oswald_pinned))
    register_property(Property(
        "oswald2022.O3.exact", "oswald2022.O3",
        "the GD++ layer maps x -> (I - gamma XX^T) x, y -> y - DeltaW x and XX^T -> S (I - gamma S)^2",
        lambda: _oswald_case(with_gamma=True), _o3, examples=30, pinned=_oswald_pinned))
    register_property(Property(
        "oswald2022.O2.float", "oswald2022.O2",
        "K <= 30 float64 layers match K GD steps within a tolerance scaled by term size and cond(XX^T)",
        _oswald_float_case, _o2_float, examples=100,
        description="Well-conditioned X = U diag(s) V^T (cond(XX^T) in {1, 10, 1e3}) at scales 1e-2..1e2; "
                    "tolerance 8 K (N_x+N_y+N) eps cond(XX^T) times the magnitude of the cancelling terms."))

    register_property(Property(
        "oswald2022.O3.eigenvalues", "oswald2022.O3",
        "GD++ maps each eigenvalue lambda of XX^T to lambda (1 - gamma lambda)^2 (float64, SPD Gram matrices)",
        _gdpp_float_case, _o3_eigenvalue_map, examples=100,
        description="X built from an SPD Gram matrix Q diag(s) Q^T with cond in {1, 10, 1e3, 1e5} and scales "
                    "1e-2..1e2; gamma = f / lambda_max, f in [-1, 2]; tolerance 16 (N_x + N) eps "
                    "lambda_max (1 + |gamma| lambda_max)^2."))


def _register_all() -> None:
    if PROPERTIES:
        return
    _zheng_properties()
    _oswald_properties()


# --------------------------------------------------------------------------- CLI entry point
def run_properties(patterns=None, examples: int | None = None, seed: int | None = None,
                   progress: Callable | None = None, as_json: bool = False, out=None) -> int:
    """Run the selected properties and print a report; return the exit code.

    Exit codes: 0 every property held, 1 a property failed (shrunk counterexample printed),
    3 something was inconclusive, 2 usage error (unknown property).
    """
    out = out or sys.stdout
    try:
        import hypothesis  # noqa: F401
    except ModuleNotFoundError:
        print("mesacheck: error: property checks need Hypothesis: pip install 'mesacheck[test]'", file=sys.stderr)
        return EXIT_USAGE
    from .strategies import use_user_storage

    use_user_storage()
    _register_all()
    try:
        props = select_properties(patterns)
    except KeyError as exc:
        print(f"mesacheck: error: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    seed = random.randrange(2 ** 31) if seed is None else seed
    results: list[tuple[Property, CheckResult]] = []
    for k, prop in enumerate(props):
        if progress:
            progress(k, len(props), f"property {prop.name}")
        results.append((prop, run_property(prop, examples=examples, seed=seed)))
    if progress:
        progress(len(props), len(props), "done")
    verdicts = _verdicts(results)
    if as_json:
        from .readback import provenance

        doc = {"mode": "property", "seed": seed, "examples": examples,
               "provenance": provenance(seed=seed, parameters={"patterns": list(patterns or []), "examples": examples}),
               "properties": [dict(r.to_dict(), claim=p.claim, kind=p.kind,
                                   reproduce=reproduce_command(p.name, seed, examples or p.examples))
                              for p, r in results],
               "verdicts": [v.to_dict() for v in verdicts]}
        print(json.dumps(doc, indent=2, default=str), file=out)
    else:
        print(_table(results, seed, examples), file=out)
    statuses = {r.status for _, r in results}
    if Status.REFUTED in statuses:
        return EXIT_REFUTED
    if Status.INCONCLUSIVE in statuses or not results:
        return EXIT_INCONCLUSIVE
    return EXIT_OK


def _verdicts(results) -> list[Verdict]:
    by_claim: dict[str, list[CheckResult]] = {}
    for prop, result in results:
        by_claim.setdefault(prop.claim, []).append(result)
    titles = {}
    try:
        from .registry import all_claims

        titles = {c.id: c.title for c in all_claims()}
    except Exception:  # noqa: BLE001 - titles are cosmetic
        pass
    return [Verdict(cid, titles.get(cid, cid), checks, seconds=sum(c.seconds for c in checks))
            for cid, checks in by_claim.items()]


def _table(results, seed: int, examples: int | None) -> str:
    lines = [f"property checks (seed {seed}{'' if examples is None else f', {examples} examples each'})"]
    width = max((len(p.name) for p, _ in results), default=10)
    for prop, r in results:
        rate = r.expressions.get("examples_per_second")
        stats = f"{r.expressions.get('examples', '?')} ex, {r.seconds:.1f}s" + (f", {rate} ex/s" if rate else "")
        lines.append(f"{r.status.value:<12} {prop.name.ljust(width)}  {stats}")
        if r.status is Status.VERIFIED and "witness" in r.expressions:
            witness = r.expressions["witness"]
            if len(witness) > 600:
                witness = witness[:600] + " ... (full witness with --json)"
            lines.append(f"{'':12}   witness (shrunk): {witness}")
        if r.status is Status.REFUTED:
            ce = r.counterexample
            lines.append(f"{'':12}   {ce.get('failure')}")
            lines.append(f"{'':12}   shrunk counterexample: {json.dumps(ce.get('example'), default=str)}")
            lines.append(f"{'':12}   reproduce with: {ce.get('reproduce')}")
        if r.status is Status.INCONCLUSIVE:
            lines.append(f"{'':12}   reason: {r.reason}")
            if r.detail:
                lines.append(f"{'':12}   {r.detail}")
    counts = {s: sum(r.status is s for _, r in results) for s in Status}
    lines.append(", ".join(f"{n} {s.value.lower()}" for s, n in counts.items() if n) or "no properties run")
    return "\n".join(lines)
