"""Verdicts: the outcome of checking a claim, and the method that decided it.

No SymPy import at module level: ``mesacheck list`` and ``--help`` must stay fast.
"""
from __future__ import annotations

import contextlib
import enum
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable


class Status(str, enum.Enum):
    """Tri-state outcome of a check.  ``INCONCLUSIVE`` is never a pass."""

    VERIFIED = "VERIFIED"
    REFUTED = "REFUTED"
    INCONCLUSIVE = "INCONCLUSIVE"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


class Method(str, enum.Enum):
    """How a verdict was established.

    The label of a result is *earned*: it is computed from the :class:`Evidence` that the engine's
    own checks attached (:func:`proofs_check.zero.check_zero`, :func:`proofs_check.checks.check_identity`,
    ...), never taken from what a check's author declared. A declared method is only an upper bound.
    """

    SYMBOLIC_ALL_DIMENSIONS = "symbolic-all-dimensions"
    INDEX_PATTERN_COUNT = "index-pattern-count"
    SYMBOLIC_INDUCTION = "symbolic-induction"
    SYMBOLIC_ALL_T = "symbolic-all-T"
    SYMBOLIC_EXACT = "symbolic-exact"
    SYMBOLIC_AT_SIZES = "symbolic-at-sizes"
    EXACT_RANDOM_INSTANCES = "exact-random-instances"
    PROPERTY_BASED = "property-based"
    NUMERIC_TOLERANCE = "numeric-tolerance"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value

    @property
    def description(self) -> str:
        return _METHOD_DESCRIPTIONS[self]

    @property
    def rank(self) -> int:
        """Strength: 0 is strongest. A combination of evidence is as strong as its weakest part."""
        return _METHOD_RANK[self]


_METHOD_DESCRIPTIONS = {
    Method.SYMBOLIC_ALL_DIMENSIONS: "exact identity for all dimensions: the residual's normal form in the free "
                                    "algebra of the matrix symbols is 0",
    Method.INDEX_PATTERN_COUNT: "every d and T: each index pattern generated from the model counted by a counter "
                                "proved for every t >= 2, and the counts checked against brute force",
    Method.SYMBOLIC_INDUCTION: "every K: base case and induction step, each an exact identity for all dimensions",
    Method.SYMBOLIC_ALL_T: "exact identity for every value of the symbolic integer parameters in the scope "
                           "(sequence length T, step t, sample size N, ...)",
    Method.SYMBOLIC_EXACT: "exact identity of the given expressions in their symbols (no size parameter)",
    Method.SYMBOLIC_AT_SIZES: "exact identity, entry by entry, at the listed sizes only",
    Method.EXACT_RANDOM_INSTANCES: "exact rational arithmetic on random instances (Schwartz-Zippel)",
    Method.PROPERTY_BASED: "Hypothesis property test over generated instances",
    Method.NUMERIC_TOLERANCE: "floating point within a stated tolerance",
}
_METHOD_RANK = {
    Method.SYMBOLIC_ALL_DIMENSIONS: 0, Method.INDEX_PATTERN_COUNT: 0, Method.SYMBOLIC_INDUCTION: 0,
    Method.SYMBOLIC_ALL_T: 1, Method.SYMBOLIC_EXACT: 1, Method.SYMBOLIC_AT_SIZES: 2,
    Method.EXACT_RANDOM_INSTANCES: 3, Method.PROPERTY_BASED: 4, Method.NUMERIC_TOLERANCE: 5,
}

#: Only the engine's own routines hold this key, so only they can make :class:`Evidence`.
_ENGINE = object()


@dataclass(frozen=True)
class Evidence:
    """What one engine routine established, and for which sizes.

    Attributes
    ----------
    method : Method
        The mechanism (normal form, counting, exact zero test at sizes, tolerance, ...).
    scope : str
        What was proved for which sizes, in words ("every Nx, Ny, N"; "every T; at d = 2").
    symbolic : tuple of str
        Size or index names proved for every value.
    sizes : tuple of tuple
        Concrete size points covered, each a tuple of ``(name, value)`` pairs.
    """

    method: Method
    scope: str
    symbolic: tuple = ()
    sizes: tuple = ()
    key: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.key is not _ENGINE:
            raise TypeError("Evidence is produced by the engine's checks only (proofs_check.check_identity, "
                            "check_zero, check_close, ...): call one of them instead of building it")
        object.__setattr__(self, "method", Method(self.method))

    def to_dict(self) -> dict:
        return {"method": self.method.value, "scope": self.scope, "symbolic": list(self.symbolic),
                "sizes": [dict(p) for p in self.sizes]}


def _evidence(method: Method, scope: str, symbolic=(), sizes=()) -> Evidence:
    """Engine-internal constructor (proofs_check.zero, .checks, .properties)."""
    return Evidence(Method(method), scope, tuple(symbolic), tuple(tuple(p) for p in sizes), key=_ENGINE)


def weakest(methods) -> Method | None:
    """The weakest of several methods (ties: the first)."""
    methods = list(methods)
    return max(methods, key=lambda m: m.rank) if methods else None


# Status combination order: one refutation refutes the claim; otherwise one
# undecided check leaves the claim undecided.
_SEVERITY = {Status.VERIFIED: 0, Status.INCONCLUSIVE: 1, Status.REFUTED: 2}


def _enum(name: str, kind, value):
    """``kind(value)``, or a one-line error naming the argument and the choices."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in kind)
        raise ValueError(f"{name} must be a {kind.__name__} or one of {choices} (got {value!r})") from None


@dataclass
class CheckResult:
    """Outcome of one check of a claim.

    Attributes
    ----------
    name : str
        Short name of the check (``"block algebra"``, ``"entrywise Nx=N=10"``).
    status : Status
    declared : Method
        The method the check's author declared: only an upper bound on the label.
    detail : str
        What was established, in one sentence (sizes, tolerance, instances).
    reason : str or None
        Why the check is INCONCLUSIVE (required then).
    counterexample : dict or None
        For REFUTED: the concrete values (as strings) that reproduce the failure,
        including the non-zero residual.
    expressions : dict
        Derived expressions worth showing (SymPy objects or strings), keyed by name.
    seconds : float
    evidence : list of Evidence
        What the engine's routines established; a VERIFIED result without evidence is not
        accepted by :func:`run_check` (it becomes INCONCLUSIVE).

    The label :attr:`method` and the :attr:`scope` are computed from ``evidence``.
    """

    name: str
    status: Status
    declared: Method
    detail: str = ""
    reason: str | None = None
    counterexample: dict | None = None
    expressions: dict = field(default_factory=dict)
    seconds: float = 0.0
    evidence: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.status = _enum("status", Status, self.status)
        self.declared = _enum("method", Method, self.declared)
        if self.status is Status.INCONCLUSIVE and not self.reason:
            raise ValueError("an INCONCLUSIVE check must carry a reason")
        if self.status is Status.REFUTED and not self.counterexample:
            raise ValueError("a REFUTED check must carry a counterexample")
        for e in self.evidence:
            if not isinstance(e, Evidence):
                raise TypeError(f"evidence must be Evidence objects from the engine (got {type(e).__name__})")

    @property
    def method(self) -> Method:
        """The earned label: the weakest evidence, capped by the declared method."""
        earned = weakest(e.method for e in self.evidence)
        if earned is None:
            return self.declared
        return earned if earned.rank >= self.declared.rank else self.declared

    @property
    def scope(self) -> str:
        """What was proved for which sizes (empty when nothing was)."""
        return summarize_scope(self.evidence) if self.status is Status.VERIFIED else ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status.value,
            "method": self.method.value,
            "method_description": self.method.description,
            "declared_method": self.declared.value,
            "scope": self.scope,
            "detail": self.detail,
            "reason": self.reason,
            "counterexample": _stringify(self.counterexample),
            "expressions": {k: _srepr_str(v) for k, v in self.expressions.items()},
            "evidence": [e.to_dict() for e in self.evidence],
            "seconds": round(self.seconds, 4),
        }

    def _repr_markdown_(self) -> str:
        from .reports import check_markdown

        return check_markdown(self)


def summarize_scope(evidence) -> str:
    """One line per mechanism: what was proved for which sizes."""
    groups: dict = {}
    for e in evidence:
        entry = groups.setdefault(e.method, {"sizes": [], "scopes": [], "symbolic": []})
        entry["symbolic"].extend(n for n in e.symbolic if n not in entry["symbolic"])
        if e.sizes:
            for point in e.sizes:
                if point not in entry["sizes"]:
                    entry["sizes"].append(point)
        elif e.scope not in entry["scopes"]:
            entry["scopes"].append(e.scope)
    parts = []
    for method, entry in groups.items():
        symbolic = entry["symbolic"]
        text = []
        if symbolic:
            text.append("every " + ", ".join(symbolic))
        if entry["sizes"]:
            names = []
            for point in entry["sizes"]:
                for n, _ in point:
                    if n not in names:
                        names.append(n)
            if len(names) == 1:
                values = sorted({dict(p).get(names[0]) for p in entry["sizes"]}, key=str)
                text.append(f"at {names[0]} in {{{', '.join(map(str, values))}}}")
            else:
                pts = ", ".join("(" + ",".join(str(dict(p).get(n, "-")) for n in names) + ")"
                                for p in entry["sizes"])
                text.append(f"at ({', '.join(names)}) in {{{pts}}}")
        if not text:
            text = entry["scopes"][:2] + ([f"+{len(entry['scopes']) - 2} more"] if len(entry["scopes"]) > 2 else [])
        parts.append(f"{method.value}: {'; '.join(text)}")
    return " | ".join(parts)


def verified(name: str, method: Method, detail: str, **expressions: Any) -> CheckResult:
    """A VERIFIED result *without* evidence: accepted only when evidence is attached afterwards by the
    engine (:func:`run_check` turns an evidence-less VERIFIED into INCONCLUSIVE)."""
    return CheckResult(name, Status.VERIFIED, method, detail=detail, expressions=expressions)


def _verified(name: str, method: Method, detail: str, evidence, **expressions: Any) -> CheckResult:
    """Engine-internal: a VERIFIED result with its evidence."""
    return CheckResult(name, Status.VERIFIED, method, detail=detail, expressions=expressions,
                       evidence=list(evidence))


def refuted(name: str, method: Method, detail: str, counterexample: dict, **expressions: Any) -> CheckResult:
    return CheckResult(name, Status.REFUTED, method, detail=detail, counterexample=counterexample,
                       expressions=expressions)


def inconclusive(name: str, method: Method, reason: str, detail: str = "", **expressions: Any) -> CheckResult:
    return CheckResult(name, Status.INCONCLUSIVE, method, detail=detail, reason=reason, expressions=expressions)


def combine(name: str, results, detail: str = "", **expressions: Any) -> CheckResult:
    """One result from several that must all hold.

    The first REFUTED sub-result refutes (its counterexample is kept); otherwise the first
    INCONCLUSIVE one leaves it undecided; a VERIFIED sub-result without engine evidence makes it
    INCONCLUSIVE. The label of the combination is the weakest of its parts' evidence.
    """
    if isinstance(results, (str, bytes)) or not hasattr(results, "__iter__"):
        raise TypeError(f"results must be a list of CheckResult (got {type(results).__name__}): pass the results "
                        "of check_identity, check_close, ...")
    results = list(results)
    bad = [type(r).__name__ for r in results if not isinstance(r, CheckResult)]
    if bad:
        raise TypeError(f"results must be a list of CheckResult (got a {bad[0]}): pass the results of the checks")
    if not results:
        return inconclusive(name, Method.NUMERIC_TOLERANCE, "nothing was checked", detail=detail)
    declared = weakest(r.declared for r in results)
    for r in results:
        if r.status is Status.REFUTED:
            return CheckResult(name, Status.REFUTED, r.declared, detail=f"{detail}; failed at {r.name}: {r.detail}",
                               counterexample=r.counterexample, expressions=dict(r.expressions),
                               evidence=list(r.evidence))
    for r in results:
        if r.status is Status.INCONCLUSIVE:
            return inconclusive(name, declared, f"{r.name}: {r.reason}", detail=detail)
    for r in results:
        if not r.evidence:
            return inconclusive(name, declared, f"{r.name}: VERIFIED without engine evidence (it was declared, "
                                "not checked by the engine)", detail=detail)
    merged: dict = {}
    for r in results:
        merged.update(r.expressions)
    merged.update(expressions)
    return CheckResult(name, Status.VERIFIED, declared, detail=detail, expressions=merged,
                       evidence=[e for r in results for e in r.evidence])


@dataclass
class Verdict:
    """The verdict on a claim: the combination of its checks.

    REFUTED if any check refuted it, else INCONCLUSIVE if any check was undecided,
    else VERIFIED.
    """

    claim_id: str
    title: str
    checks: list[CheckResult]
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.checks, list) or not all(isinstance(c, CheckResult) for c in self.checks):
            raise TypeError(f"checks must be a list of CheckResult (got {type(self.checks).__name__})")
        self.checks = [earned(c) for c in self.checks]

    @property
    def status(self) -> Status:
        if not self.checks:
            return Status.INCONCLUSIVE
        return max((c.status for c in self.checks), key=_SEVERITY.__getitem__)

    @property
    def methods(self) -> list[Method]:
        seen: list[Method] = []
        for c in self.checks:
            if c.status is self.status and c.method not in seen:
                seen.append(c.method)
        return seen

    @property
    def method(self) -> str:
        return ", ".join(m.value for m in self.methods)

    @property
    def counterexample(self) -> dict | None:
        for c in self.checks:
            if c.status is Status.REFUTED:
                return c.counterexample
        return None

    @property
    def reason(self) -> str | None:
        for c in self.checks:
            if c.status is Status.INCONCLUSIVE:
                return f"{c.name}: {c.reason}"
        return None

    @property
    def expressions(self) -> dict:
        out: dict = {}
        for c in self.checks:
            out.update(c.expressions)
        return out

    def to_dict(self) -> dict:
        return {
            "id": self.claim_id,
            "title": self.title,
            "status": self.status.value,
            "method": self.method,
            "seconds": round(self.seconds, 4),
            "reason": self.reason,
            "counterexample": _stringify(self.counterexample),
            "checks": [c.to_dict() for c in self.checks],
        }

    def __repr__(self) -> str:
        return f"Verdict({self.claim_id!r}, {self.status.value}, method={self.method!r}, {self.seconds:.2f}s)"

    def _repr_markdown_(self) -> str:
        from .reports import verdict_markdown

        return verdict_markdown(self)


def earned(result: CheckResult) -> CheckResult:
    """The engine's rule: a VERIFIED without engine evidence is INCONCLUSIVE (declared, not earned)."""
    if result.status is Status.VERIFIED and not result.evidence:
        return inconclusive(result.name, result.declared,
                            "VERIFIED was declared without evidence from the engine's checks "
                            "(use check_identity, check_zero, check_close, ... and combine)",
                            detail=result.detail)
    return result


#: Default per-check time bound in seconds; ``mesacheck verify --timeout S`` or the environment
#: variable ``MESACHECK_TIMEOUT`` (inherited by worker processes) override it; 0 means no bound.
DEFAULT_TIMEOUT = 120.0


def default_timeout() -> float:
    import os

    value = os.environ.get("MESACHECK_TIMEOUT")
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        return max(float(value), 0.0)
    except ValueError:
        return DEFAULT_TIMEOUT


class CheckTimeout(BaseException):
    """Raised inside a check when its time bound expires (a BaseException, so that a check's own
    ``except Exception`` cannot swallow it)."""


@contextlib.contextmanager
def time_bound(seconds: float | None):
    """Raise :class:`CheckTimeout` in the block after ``seconds`` (main thread, POSIX; else no bound)."""
    usable = (seconds is not None and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def _expire(signum, frame):
        raise CheckTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, _expire)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay:
            signal.setitimer(signal.ITIMER_REAL, old_delay, old_interval)


def run_check(name: str, method: Method, fn: Callable[[], CheckResult],
              timeout: float | None = None) -> CheckResult:
    """Run one check, timed and time-bounded; the engine's rules for what counts as a result.

    * an exception inside becomes INCONCLUSIVE, never a pass;
    * past ``timeout`` seconds the check is INCONCLUSIVE "timed out after N s";
    * a VERIFIED result without engine :class:`Evidence` becomes INCONCLUSIVE (declared, not earned);
    * the check's declared ``method`` caps the label (an upper bound, never a promotion).
    """
    timeout = default_timeout() if timeout is None else timeout
    start = time.perf_counter()
    try:
        with time_bound(timeout):
            result = fn()
        if not isinstance(result, CheckResult):
            result = inconclusive(name, method, f"check returned {type(result).__name__}, not a CheckResult")
    except KeyboardInterrupt:
        raise
    except CheckTimeout:
        result = inconclusive(name, method, f"timed out after {timeout:g} s (raise it with --timeout)")
    except Exception as exc:  # noqa: BLE001 - any failure inside a check is undecided
        result = inconclusive(name, method, f"the check raised {type(exc).__name__}: {exc}")
    result = earned(result)
    if Method(method).rank > result.declared.rank:
        result.declared = Method(method)
    result.seconds = time.perf_counter() - start
    return result


def _srepr_str(value: Any) -> Any:
    """A string that ``sympy.sympify`` reads back: ``srepr`` for SymPy objects."""
    if hasattr(value, "func") and hasattr(value, "args"):
        import sympy as sp

        return sp.srepr(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return str(value)


def _stringify(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _stringify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stringify(v) for v in value]
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)
