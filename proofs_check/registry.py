"""The claim registry: each paper statement as a :class:`Claim` with its checks.

Claim modules (``proofs_check/claims/*.py``) register their claims at import and must
not import SymPy, NumPy or SciPy at module level: the derivations are imported inside
the check functions, so that ``mesacheck list`` stays fast.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Callable

from .verdicts import CheckResult, Method, Verdict, run_check

#: Modules that register claims, in display order (legacy names; see :mod:`proofs_check._names`).
CLAIM_MODULES = (
    "proofs_check.claims.oswald2022",
    "proofs_check.claims.oswald2022_trained",
    "proofs_check.claims.zheng2024",
    "proofs_check.claims.zheng2024_dynamics",
    "proofs_check.claims.simulations",
    "proofs_check.claims.related",
    "proofs_check.claims.zfb2024",
    "proofs_check.claims.zsls2025",
    "proofs_check.claims.ahn2023",
)


@dataclass
class Check:
    """One way of checking a claim.

    Attributes
    ----------
    name : str
    method : Method
        The method this check uses when it decides.
    run : callable () -> CheckResult
    slow : bool
        Excluded from ``mesacheck verify`` unless ``--slow`` is given.
    parameters : tuple of str
        Size names the check accepts as keyword arguments (``mesacheck verify ID --at
        Nx=12,N=12``); each value is a positive integer. ``sized(**at)`` builds the call.
    sized : callable, optional
        ``sized(**sizes) -> CheckResult``.
        The check at user-given sizes.
    minimums : dict
        ``{size name: (least value, why)}`` for sizes that must be larger than 1.
    """

    name: str
    method: Method
    run: Callable[[], CheckResult]
    slow: bool = False
    parameters: tuple = ()
    sized: Callable[..., CheckResult] | None = None
    minimums: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from .verdicts import _enum

        self.method = _enum("method", Method, self.method) if not isinstance(self.method, Method) else self.method
        _require(callable(self.run), "run", "a callable () -> CheckResult", self.run)
        _require(self.sized is None or callable(self.sized), "sized", "a callable (**sizes) -> CheckResult or None",
                 self.sized)
        _require(isinstance(self.parameters, tuple) and all(isinstance(p, str) for p in self.parameters),
                 "parameters", "a tuple of size names, e.g. ('d', 'T')", self.parameters)


@dataclass
class Claim:
    """A statement from a paper, with how to check it.

    Attributes
    ----------
    id : str
        ``"<paper>.<label>"``, e.g. ``"oswald2022.O1"``.
    title : str
    source : str
        Paper, proposition / equation.
    hypotheses : list of str
    statement : callable () -> SymPy object or None
        The statement as derived SymPy (an ``Eq`` or a tuple of them), for LaTeX.
    checks : list of Check
    description : str
        How it is checked, in prose.
    stated : callable () -> SymPy object, optional
        The claim's stated closed form (a SymPy expression, or a ``Tuple`` of them) in named
        symbols. Checks read it through :func:`stated` (never a typed copy), so that
        ``mesacheck mutate`` can perturb it and see whether the checks refute the perturbation.
        ``None`` for claims without a closed form (existence results, numerical agreements).
    """

    id: str
    title: str
    source: str
    hypotheses: list[str] = field(default_factory=list)
    statement: Callable[[], object] | None = None
    checks: list[Check] = field(default_factory=list)
    description: str = ""
    stated: Callable[[], object] | None = None

    def __post_init__(self) -> None:
        _require(isinstance(self.id, str), "id", "a string '<paper>.<label>'", self.id)
        paper, dot, label = self.id.partition(".")
        if not (paper and dot and label):
            raise ValueError(f"id must be '<paper>.<label>', e.g. 'mine.T1' (got {self.id!r})")
        _require(isinstance(self.checks, list) and all(isinstance(c, Check) for c in self.checks),
                 "checks", "a list of Check", self.checks)
        _require(self.statement is None or callable(self.statement), "statement",
                 "a callable () -> SymPy expression, or None", self.statement)
        _require(self.stated is None or callable(self.stated), "stated",
                 "a callable () -> the stated closed form (SymPy), or None", self.stated)

    @property
    def paper(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def parameters(self) -> tuple:
        """Size names accepted by ``verify(at=...)`` (the union over the checks)."""
        names: list[str] = []
        for c in self.checks:
            names.extend(p for p in c.parameters if p not in names)
        return tuple(names)

    def verify(self, include_slow: bool = False, at: dict | None = None) -> Verdict:
        """Run the checks (all, or with ``at`` the ones that accept those sizes).

        Raises
        ------
        ValueError
            If ``at`` names a size no check of this claim accepts, or a value that is not a
            positive integer.
        """
        _require(isinstance(include_slow, bool), "include_slow", "True or False", include_slow)
        _require(at is None or isinstance(at, dict), "at", "a dict of sizes, e.g. {'d': 2}", at)
        start = time.perf_counter()
        if at:
            validate_sizes(self, at)
            chosen = [c for c in self.checks if c.sized is not None and set(at) <= set(c.parameters)]
            results = [run_check(c.name, c.method, lambda c=c: c.sized(**at)) for c in chosen]
        else:
            from .cache import cached_check

            results = [run_check(c.name, c.method, cached_check(self.id, c)) for c in self.checks
                       if include_slow or not c.slow]
        return Verdict(self.id, self.title, results, seconds=time.perf_counter() - start)

    def latex(self) -> str:
        from theory.printing import latex

        if self.statement is None:
            return ""
        return latex(self.statement())

    def _repr_markdown_(self) -> str:
        from .reports import claim_markdown

        return claim_markdown(self)

    def _repr_latex_(self) -> str | None:
        text = self.latex()
        return "$$" + text + "$$" if text else None  # None: Jupyter falls back to the Markdown display


def _require(ok: bool, name: str, what: str, value) -> None:
    if not ok:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise TypeError(f"{name} must be {what} (got {shown})")


def _require_id(claim_id) -> None:
    _require(isinstance(claim_id, str), "claim_id", "a claim id string such as 'oswald2022.O1'", claim_id)


def validate_sizes(claim: Claim, at: dict) -> None:
    """Every size named must be accepted by a check of ``claim`` and be a positive integer."""
    accepted = claim.parameters
    if not accepted:
        raise ValueError(f"claim {claim.id} takes no sizes: drop --at (it is checked at fixed sizes)")
    for name, value in at.items():
        if name not in accepted:
            raise ValueError(f"claim {claim.id} has no size {name!r}: use {', '.join(accepted)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"size {name} must be a positive integer (got {value!r})")
        for check in claim.checks:
            least, why = check.minimums.get(name, (1, ""))
            if value < least:
                raise ValueError(f"size {name} must be an integer >= {least} (got {value}): {why}")


_REGISTRY: dict[str, Claim] = {}
_LOADED = False
#: Statement overrides active in this process (``override_stated``), by claim id.
_STATED_OVERRIDES: dict[str, object] = {}


def stated(claim_id: str):
    """The stated closed form of a claim: its ``Claim.stated()``, or the override in force.

    Claim modules build the statement they compare against from this, by substituting into
    it, so that a statement mutant (:func:`override_stated`) reaches every check.

    Raises
    ------
    UnknownClaimError
        If no claim has this id.
    ValueError
        If the claim has no stated closed form.
    """
    if claim_id in _STATED_OVERRIDES:
        return _STATED_OVERRIDES[claim_id]
    claim = get(claim_id)
    if claim.stated is None:
        raise ValueError(f"claim {claim_id} has no stated closed form (Claim.stated is None)")
    return claim.stated()


class override_stated:
    """Context manager: within it, :func:`stated` returns ``form`` for ``claim_id``.

    Examples
    --------
    >>> import sympy as sp
    >>> with override_stated("related.N", sp.Integer(1)):
    ...     stated("related.N")
    1
    """

    def __init__(self, claim_id: str, form):
        if not isinstance(claim_id, str):
            raise TypeError(f"claim_id must be a claim id string such as 'related.N' (got {claim_id!r})")
        get(claim_id)                                   # an unknown id is an error, not a silent override
        self.claim_id, self.form = claim_id, form
        self._saved = None

    def __enter__(self):
        self._saved = _STATED_OVERRIDES.get(self.claim_id, _MISSING)
        _STATED_OVERRIDES[self.claim_id] = self.form
        return self.form

    def __exit__(self, *exc):
        if self._saved is _MISSING:
            _STATED_OVERRIDES.pop(self.claim_id, None)
        else:
            _STATED_OVERRIDES[self.claim_id] = self._saved
        return False


_MISSING = object()


class UnknownClaimError(KeyError):
    """No registered claim matches the given id or prefix."""

    def __str__(self) -> str:
        return self.args[0]


def register(claim: Claim) -> Claim:
    _require(isinstance(claim, Claim), "claim", "a proofs_check.Claim", claim)
    if claim.id in _REGISTRY:
        raise ValueError(f"claim id {claim.id!r} registered twice")
    _REGISTRY[claim.id] = claim
    return claim


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from ._names import qualify

    for name in map(qualify, CLAIM_MODULES):      # legacy names: "mesacheck." prefixed when installed
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def all_claims() -> list[Claim]:
    _load()
    return list(_REGISTRY.values())


def get(claim_id: str) -> Claim:
    _require_id(claim_id)
    _load()
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        raise UnknownClaimError(_unknown_message(claim_id)) from None


def select(patterns: list[str] | tuple[str, ...] | None = None) -> list[Claim]:
    """Claims whose id equals a pattern or starts with ``pattern + "."``.

    Raises
    ------
    UnknownClaimError
        If a pattern matches nothing.
    """
    if isinstance(patterns, str):
        patterns = [patterns]  # one id or prefix
    _require(patterns is None or (isinstance(patterns, (list, tuple)) and all(isinstance(p, str) for p in patterns)),
             "patterns", "a list of claim ids or prefixes (or one string, or None for all)", patterns)
    claims = all_claims()
    if not patterns:
        return claims
    chosen: list[Claim] = []
    for pattern in patterns:
        matched = [c for c in claims if c.id == pattern or c.id.startswith(pattern.rstrip(".") + ".")]
        if not matched:
            raise UnknownClaimError(_unknown_message(pattern))
        chosen.extend(c for c in matched if c not in chosen)
    return chosen


def _unknown_message(name: str) -> str:
    import difflib

    ids = list(_REGISTRY)
    near = difflib.get_close_matches(name, ids, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(near)}?" if near else ""
    return f"unknown claim {name!r}: run 'mesacheck list' to see the registered ids.{hint}"
