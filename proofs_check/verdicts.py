"""Verdicts: the outcome of checking a claim, and the method that decided it.

No SymPy import at module level: ``mesacheck list`` and ``--help`` must stay fast.
"""
from __future__ import annotations

import enum
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
    """How a verdict was established, strongest first."""

    SYMBOLIC_ALL_DIMENSIONS = "symbolic-all-dimensions"
    SYMBOLIC_ALL_T = "symbolic-all-T"
    SYMBOLIC_AT_SIZES = "symbolic-at-sizes"
    EXACT_RANDOM_INSTANCES = "exact-random-instances"
    NUMERIC_TOLERANCE = "numeric-tolerance"
    PROPERTY_BASED = "property-based"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value

    @property
    def description(self) -> str:
        return _METHOD_DESCRIPTIONS[self]


_METHOD_DESCRIPTIONS = {
    Method.SYMBOLIC_ALL_DIMENSIONS: "exact symbolic identity for all dimensions (block-matrix algebra)",
    Method.SYMBOLIC_ALL_T: "exact symbolic identity for every sequence length T (symbolic t)",
    Method.SYMBOLIC_AT_SIZES: "exact symbolic identity, entry by entry, at the listed sizes",
    Method.EXACT_RANDOM_INSTANCES: "exact rational arithmetic on random instances (Schwartz-Zippel)",
    Method.NUMERIC_TOLERANCE: "floating point within a stated tolerance",
    Method.PROPERTY_BASED: "Hypothesis property test over generated instances",
}

# Status combination order: one refutation refutes the claim; otherwise one
# undecided check leaves the claim undecided.
_SEVERITY = {Status.VERIFIED: 0, Status.INCONCLUSIVE: 1, Status.REFUTED: 2}


@dataclass
class CheckResult:
    """Outcome of one check of a claim.

    Attributes
    ----------
    name : str
        Short name of the check (``"block algebra"``, ``"entrywise Nx=N=10"``).
    status : Status
    method : Method
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
    """

    name: str
    status: Status
    method: Method
    detail: str = ""
    reason: str | None = None
    counterexample: dict | None = None
    expressions: dict = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.method = Method(self.method)
        if self.status is Status.INCONCLUSIVE and not self.reason:
            raise ValueError("an INCONCLUSIVE check must carry a reason")
        if self.status is Status.REFUTED and not self.counterexample:
            raise ValueError("a REFUTED check must carry a counterexample")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "status": self.status.value,
            "method": self.method.value,
            "method_description": self.method.description,
            "detail": self.detail,
            "reason": self.reason,
            "counterexample": _stringify(self.counterexample),
            "expressions": {k: _srepr_str(v) for k, v in self.expressions.items()},
            "seconds": round(self.seconds, 4),
        }

    def _repr_markdown_(self) -> str:
        from .reports import check_markdown

        return check_markdown(self)


def verified(name: str, method: Method, detail: str, **expressions: Any) -> CheckResult:
    return CheckResult(name, Status.VERIFIED, method, detail=detail, expressions=expressions)


def refuted(name: str, method: Method, detail: str, counterexample: dict, **expressions: Any) -> CheckResult:
    return CheckResult(name, Status.REFUTED, method, detail=detail, counterexample=counterexample,
                       expressions=expressions)


def inconclusive(name: str, method: Method, reason: str, detail: str = "", **expressions: Any) -> CheckResult:
    return CheckResult(name, Status.INCONCLUSIVE, method, detail=detail, reason=reason, expressions=expressions)


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


def run_check(name: str, method: Method, fn: Callable[[], CheckResult]) -> CheckResult:
    """Run one check, timing it; an exception inside becomes INCONCLUSIVE, never a pass."""
    start = time.perf_counter()
    try:
        result = fn()
        if not isinstance(result, CheckResult):
            result = inconclusive(name, method, f"check returned {type(result).__name__}, not a CheckResult")
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure inside a check is undecided
        result = inconclusive(name, method, f"the check raised {type(exc).__name__}: {exc}")
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
