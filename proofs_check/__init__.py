"""mesacheck's claim engine: the registry of paper statements, their verification, reports.

Public surface::

    verify(claim_id)      -> Verdict       check one claim
    verify_all(patterns)  -> list[Verdict] check claims by id or prefix
    get(claim_id)         -> Claim
    all_claims()          -> list[Claim]
    Claim, Check, Verdict, CheckResult, Status, Method, register
"""
from __future__ import annotations

from .registry import Check, Claim, UnknownClaimError, all_claims, get, register, select
from .verdicts import CheckResult, Method, Status, Verdict


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
           "CheckResult", "Status", "Method", "UnknownClaimError"]
