"""mesacheck's claim engine: the registry of paper statements, their verification, reports.

Public surface::

    verify(claim_id)      -> Verdict       check one claim
    verify_all(patterns)  -> list[Verdict] check claims by id or prefix
    get(claim_id)         -> Claim
    all_claims()          -> list[Claim]
    Claim, Check, Verdict, CheckResult, Status, Method, register
    load_statement(entry)  -> SymPy       a JSON document's statement, read back
    provenance(seed, parameters) -> dict  versions, git commit, seed, parameters of a run
"""
from __future__ import annotations

from .readback import load_statement, provenance
from .registry import Check, Claim, UnknownClaimError, all_claims, get, register, select
from .verdicts import CheckResult, Method, Status, Verdict


def verify(claim_id: str, include_slow: bool = False) -> Verdict:
    """Check one registered claim and return its :class:`Verdict`.

    Examples
    --------
    >>> verify("oswald2022.O4").status
    <Status.VERIFIED: 'VERIFIED'>
    """
    return get(claim_id).verify(include_slow=include_slow)


def verify_all(patterns=None, include_slow: bool = False) -> list[Verdict]:
    """Check every claim matching ``patterns`` (ids or prefixes; all when None)."""
    return [c.verify(include_slow=include_slow) for c in select(patterns)]


__all__ = ["verify", "verify_all", "get", "all_claims", "select", "register", "Claim", "Check", "Verdict",
           "CheckResult", "Status", "Method", "UnknownClaimError", "load_statement", "provenance"]
