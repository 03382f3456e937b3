"""mesacheck's claim engine: the registry of paper statements, their verification, reports.

Public surface::

    verify(claim_id)      -> Verdict       check one claim
    verify_all(patterns)  -> list[Verdict] check claims by id or prefix
    get(claim_id)         -> Claim
    all_claims()          -> list[Claim]
    Claim, Check, Verdict, CheckResult, Status, Method, register
    stated(claim_id)      -> SymPy object  a claim's stated closed form (override_stated(id, form) for mutants)

Mutation testing (``mesacheck mutate``): :mod:`proofs_check.mutate`.

Public checks (each returns a CheckResult whose label is earned from its evidence)::

    check_identity(lhs, rhs, *, symbols=None, sizes=None, strategies=None)
    check_nonzero(expr, ...), check_inequality(expr, ">"), check_close(actual, expected, *, rtol, atol)
    combine(name, results), check_induction(name, base, step), counting_evidence(name, patterns, brute)
    check_invariant(restricted_flow), check_conserved(flow, Q), check_fixed_point(flow, point),
    check_fixed_points(flow, expected), check_prediction(model, values, algorithm)   (theory's pipeline)
    load_statement(entry)  -> SymPy       a JSON document's statement, read back
    provenance(seed, parameters) -> dict  versions, git commit, seed, parameters of a run
"""
from __future__ import annotations

from .readback import load_statement, provenance
from .registry import Check, Claim, UnknownClaimError, all_claims, get, override_stated, register, select, stated
from .verdicts import CheckResult, Evidence, Method, Status, Verdict, combine


def __getattr__(name):
    # The public checks import SymPy: loaded on first use so that ``mesacheck list`` stays fast.
    if name in _CHECKS:
        from . import checks

        return getattr(checks, name)
    raise AttributeError(f"module 'proofs_check' has no attribute {name!r}")


_CHECKS = ("check_identity", "check_nonzero", "check_inequality", "check_close", "check_float_less", "check_induction",
           "counting_evidence", "check_invariant", "check_conserved", "check_fixed_point", "check_fixed_points",
           "check_prediction")


def verify(claim_id: str, include_slow: bool = False) -> Verdict:
    """Check one registered claim and return its :class:`Verdict`.

    Examples
    --------
    >>> verify("oswald2022.O4").status
    <Status.VERIFIED: 'VERIFIED'>
    """
    from .registry import _require_id

    _require_id(claim_id)
    return get(claim_id).verify(include_slow=include_slow)


def verify_all(patterns=None, include_slow: bool = False) -> list[Verdict]:
    """Check every claim matching ``patterns`` (ids or prefixes, or one string; all when None)."""
    if not isinstance(include_slow, bool):
        raise TypeError(f"include_slow must be True or False (got {include_slow!r})")
    return [c.verify(include_slow=include_slow) for c in select(patterns)]


__all__ = ["verify", "verify_all", "get", "all_claims", "select", "register", "Claim", "Check", "Verdict",
           "CheckResult", "Status", "Method", "UnknownClaimError", "Evidence", "combine", "load_statement",
           "provenance", "stated", "override_stated", *_CHECKS]
