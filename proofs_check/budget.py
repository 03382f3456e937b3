"""Time and memory estimates for checks run at user sizes (``mesacheck verify ID --at ...``).

Each sized check gets a cost model: the number of polynomial terms (or of exact moment
evaluations) its derivation produces, as a function of the sizes, times a per-term cost
calibrated roughly on this code (timings at three to four small sizes; see the constants).
The estimates are order-of-magnitude guards against a run that would take hours or exhaust
memory, not predictions: :func:`check_budget` refuses sizes whose estimate is over the budget
and names the largest size that fits. ``--force`` skips the check.

Budgets: ``MESACHECK_TIME_BUDGET`` (seconds, default 300) and ``MESACHECK_MEMORY_BUDGET``
(bytes; default half of the physical memory, at most 8 GB).
"""
from __future__ import annotations

import inspect
import os
from typing import Callable

__all__ = ["estimate", "check_budget", "time_budget", "memory_budget", "COST_MODELS"]

_MB = 2 ** 20
#: Resident memory of a worker with SymPy and the claim modules imported.
BASE_BYTES = 150 * _MB


def _oswald_terms(Nx, Ny, N):
    """Monomials in all entries of the layer's output: (Nx+Ny)(N+1) entries of ~Nx Ny N terms."""
    return (Nx + Ny) * (N + 1) * Nx * Ny * N


def _o1(Nx, Ny, N):
    terms = _oswald_terms(Nx, Ny, N)  # (10, 1, 10): 12100 terms, 1.6 s, +30 MB
    return 1.4e-4 * terms, 1.5e3 * terms


def _o2(K, Nx, Ny, N):
    terms = (Nx + Ny) * (N + 1) * (Nx * Ny * N) ** K  # degree grows with the layers
    return 0.05 + 7e-4 * terms, 1.5e3 * terms


def _o3(Nx, Ny, N):
    terms = _oswald_terms(Nx, Ny, N)  # (4, 1, 5): 600 terms, 0.8 s
    return 0.05 + 1.3e-3 * terms, 1.5e3 * terms


def _zheng(scale):
    """Exact population gradient at (d, T): cost ~ d^5 T^2 (measured: C1 at (2,4) 1.2 s, (2,6) 2.4 s,
    (3,4) 10 s; C2 at (3,5) 1.3 s); memory ~ 5 MB per estimated second."""
    def model(d, T):
        seconds = scale * (d / 2) ** 5.3 * (T / 4) ** 1.8
        return seconds, 5 * _MB * seconds
    return model


def _label_noise(d):
    return 0.02 * d ** 2, 1e5 * d ** 2


def _zfb(d):
    return 1e-3 * d ** 4, 1e4 * d ** 4


#: ``claim id -> model(**sizes) -> (seconds, bytes)``; claims not listed have no estimate.
COST_MODELS: dict[str, Callable[..., tuple]] = {
    "oswald2022.O1": _o1,
    "oswald2022.O2": _o2,
    "oswald2022.O3": _o3,
    "zheng2024.C1": _zheng(1.2),
    "zheng2024.C2": _zheng(0.3),
    "zheng2024.C3": _zheng(0.3),
    "zheng2024.C4": _zheng(0.3),
    "related.N": _label_noise,
    "related.ZFB1": _zfb,
}


def _zsls(base, rate):
    """ZSLS 2025 claims at dimension D: exact population loss with symbolic N, cost ~ rate^D (measured on
    2 shared cores: M2 0.6 / 1.2 / 5 s, M3 1.8 / 3 / 16 s, S1 2 / 5 / 34 s at D = 1, 2, 3)."""
    def model(D, N=2):
        seconds = base * rate ** D + 1e-3 * (D * N) ** 2
        return seconds, 5 * _MB * seconds
    return model


COST_MODELS.update({"zsls2025.M1": _zsls(0.5, 3.2), "zsls2025.M2": _zsls(0.15, 3.5),
                    "zsls2025.M3": _zsls(0.3, 3.5), "zsls2025.S1": _zsls(0.2, 5.5)})

def time_budget() -> float:
    """Seconds a sized check may take (``MESACHECK_TIME_BUDGET``, default 300)."""
    return _env_number("MESACHECK_TIME_BUDGET", 300.0)


def memory_budget() -> float:
    """Bytes a sized check may use (``MESACHECK_MEMORY_BUDGET``; default half the RAM, <= 8 GB)."""
    default = 8 * 2 ** 30
    try:
        default = min(default, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        pass
    return _env_number("MESACHECK_MEMORY_BUDGET", default)


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"environment variable {name} must be a positive number (got {text!r})") from None
    if not value > 0:
        raise ValueError(f"environment variable {name} must be a positive number (got {text!r})")
    return value


def _full_sizes(claim, at: dict) -> dict | None:
    """``at`` completed with the defaults of the sized check that will run."""
    for check in claim.checks:
        if check.sized is not None and set(at) <= set(check.parameters):
            defaults = {name: p.default for name, p in inspect.signature(check.sized).parameters.items()
                        if p.default is not inspect.Parameter.empty}
            return {**defaults, **at}
    return None


def estimate(claim, at: dict) -> tuple[float, float] | None:
    """Estimated ``(seconds, bytes)`` of ``claim.verify(at=at)``, or None without a cost model.

    Parameters
    ----------
    claim : Claim
    at : dict of str to int

    Returns
    -------
    tuple of float or None
    """
    model = COST_MODELS.get(claim.id)
    sizes = _full_sizes(claim, at)
    if model is None or sizes is None:
        return None
    seconds, nbytes = model(**sizes)
    return float(seconds), float(BASE_BYTES + nbytes)


def _fits(claim, at, seconds_budget, bytes_budget) -> bool:
    est = estimate(claim, at)
    return est is None or (est[0] <= seconds_budget and est[1] <= bytes_budget)


def _largest_fitting(claim, at, name, seconds_budget, bytes_budget) -> int | None:
    """Largest value of size ``name`` (others as given) within the budget, or None if none fits."""
    least = max([1] + [c.minimums.get(name, (1, ""))[0] for c in claim.checks])
    if not _fits(claim, {**at, name: least}, seconds_budget, bytes_budget):
        return None
    lo, hi = least, max(least + 1, 2)
    while _fits(claim, {**at, name: hi}, seconds_budget, bytes_budget):
        lo, hi = hi, hi * 2
        if hi > 2 ** 62:  # pragma: no cover - a model that never grows
            return lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _fits(claim, {**at, name: mid}, seconds_budget, bytes_budget) else (lo, mid)
    return lo


def check_budget(claims, at: dict, seconds_budget: float | None = None, bytes_budget: float | None = None) -> None:
    """Raise ValueError, naming the estimate and the largest sizes that fit, when over budget.

    Parameters
    ----------
    claims : list of Claim
    at : dict of str to int
        Sizes given with ``--at``.
    seconds_budget, bytes_budget : float, optional
        Default :func:`time_budget` and :func:`memory_budget`.

    Raises
    ------
    ValueError
        If a claim's estimate is over either budget.
    """
    seconds_budget = time_budget() if seconds_budget is None else seconds_budget
    bytes_budget = memory_budget() if bytes_budget is None else bytes_budget
    for claim in claims:
        est = estimate(claim, at)
        if est is None or (est[0] <= seconds_budget and est[1] <= bytes_budget):
            continue
        fits = []
        for name in at:
            best = _largest_fitting(claim, at, name, seconds_budget, bytes_budget)
            if best is not None:
                fits.append(f"{name}={best}")
        given = ",".join(f"{k}={v}" for k, v in at.items())
        hint = (f"the largest that fits (one size changed, the others as given): {' or '.join(fits)}"
                if fits else "no size of this kind fits: lower several sizes")
        raise ValueError(f"{claim.id} --at {given} is estimated at {_human_seconds(est[0])} and "
                         f"{_human_bytes(est[1])}, over the budget of {_human_seconds(seconds_budget)} and "
                         f"{_human_bytes(bytes_budget)}; {hint}; or add --force to run anyway")


def _human_seconds(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 365 * 100:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds:.1e} s"


def _human_bytes(nbytes: float) -> str:
    gb = nbytes / 2 ** 30
    return f"{gb:.1f} GB" if gb < 1e5 else f"{gb:.1e} GB"
