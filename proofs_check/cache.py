"""Derivations computed once: exact derivations kept on disk, shared by processes and runs.

:func:`derivation_cache` decorates a claim module's derivation helper (a function of hashable
plain arguments such as ``(law key, d, T)`` returning SymPy objects). Its result is stored with
`diskcache <https://grantjenks.com/docs/diskcache/>`_ (SQLite-backed, safe across processes, so
the worker processes of ``mesacheck verify -j N`` share it within a run) in the user cache
directory, ``platformdirs.user_cache_dir("mesacheck")/derivations`` (``~/.cache/mesacheck/...``
on Linux), or ``$MESACHECK_CACHE_DIR``.

The key is the package version, a SHA-256 of the deriving code (every source file of the
``theory`` package and the helper's own source) and the arguments, so an edited derivation never
meets an old entry. Every entry carries its key's fields and a SHA-256 of its pickled payload:
on read both are checked, and an entry that fails (corrupt, truncated, stale, unreadable) is
deleted and recomputed, never trusted. ``MESACHECK_NO_CACHE=1`` (or ``--no-cache`` on
``mesacheck verify`` / ``report``) turns the disk cache off. theory/ stays pure: all I/O is here.

A second layer, :func:`cached_check` (applied by :meth:`proofs_check.registry.Claim.verify`),
keeps each check's decided result (VERIFIED / REFUTED with its evidence), keyed on all of the
code (theory/, numerics/, proofs_check/) and the library versions: a warm ``mesacheck verify``
replays what the same code decided on the same inputs; ``--no-cache`` decides everything afresh.
Anything that alters the code in memory rather than on disk (a mutation run patching
functions) must run with the cache off.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import os
import pickle
import threading
from pathlib import Path

ENV_DIR = "MESACHECK_CACHE_DIR"
ENV_OFF = "MESACHECK_NO_CACHE"
#: Bytes the cache may hold before diskcache evicts the least recently stored entries.
SIZE_LIMIT = 2 ** 30
_FORMAT = 1

#: Counters of this process: hits, misses, rejected (corrupt or stale) entries, store failures.
stats = {"hit": 0, "miss": 0, "rejected": 0, "unstored": 0}
_lock = threading.Lock()
_caches: dict = {}


def enabled() -> bool:
    """False when ``$MESACHECK_NO_CACHE`` is set to anything but "" or "0"."""
    return os.environ.get(ENV_OFF, "") in ("", "0")


def cache_dir() -> Path:
    """``$MESACHECK_CACHE_DIR``, else the platform's user cache directory + ``derivations``."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mesacheck")) / "derivations"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mesacheck")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


@functools.lru_cache(maxsize=None)
def code_hash(packages: tuple = ("theory",)) -> str:
    """SHA-256 of the version and of every ``.py`` source file of ``packages`` (sorted by path)."""
    import importlib.util

    from ._names import qualify

    h = hashlib.sha256(_version().encode())
    for name in packages:                                   # located, not imported
        root = Path(importlib.util.find_spec(qualify(name)).origin).parent
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _cache():
    import diskcache

    path = str(cache_dir())
    with _lock:
        if path not in _caches:
            _caches[path] = diskcache.Cache(path, size_limit=SIZE_LIMIT)
        return _caches[path]


def _plain(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    return isinstance(value, tuple) and all(_plain(v) for v in value)


def _encode(meta: tuple, value) -> bytes:
    payload = pickle.dumps((meta, value), protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.sha256(payload).digest() + payload


def _decode(meta: tuple, blob):
    """(True, value) if ``blob`` is intact and was stored under ``meta``; (False, None) otherwise."""
    if not isinstance(blob, bytes) or len(blob) < 32:
        return False, None
    digest, payload = blob[:32], blob[32:]
    if hashlib.sha256(payload).digest() != digest:
        return False, None
    try:
        stored_meta, value = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - an unreadable entry is recomputed
        return False, None
    return (True, value) if stored_meta == meta else (False, None)


def derivation_cache(func=None, *, packages: tuple = ("theory",)):
    """Keep ``func``'s results on disk (see the module docstring); a no-op when disabled.

    Calls whose arguments are not plain (None, bool, int, float, str, tuples of them) are not
    cached. A result that cannot be pickled, or a cache directory that cannot be written, only
    costs the recomputation: the derivation is returned all the same.
    """
    if func is None:
        return functools.partial(derivation_cache, packages=packages)
    source = hashlib.sha256(inspect.getsource(func).encode()).hexdigest()

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not enabled() or not (_plain(args) and _plain(tuple(sorted(kwargs.items())))):
            return func(*args, **kwargs)
        meta = (_FORMAT, func.__module__, func.__qualname__, code_hash(packages), source, args,
                tuple(sorted(kwargs.items())))
        key = hashlib.sha256(repr(meta).encode()).hexdigest()
        return _fetch_or_compute(key, meta, lambda: func(*args, **kwargs), store=lambda value: True)

    return wrapper


def _fetch_or_compute(key: str, meta: tuple, compute, store):
    """The stored value of ``key`` if it is intact and was stored under ``meta``; otherwise
    ``compute()``, stored when ``store(value)`` holds. A corrupt or stale entry is deleted and
    recomputed, never trusted; an unusable cache directory only costs the recomputation."""
    try:
        cache = _cache()
        blob = cache.get(key)
    except Exception:  # noqa: BLE001 - an unusable cache directory: compute
        cache, blob = None, None
    if blob is not None:
        ok, value = _decode(meta, blob)
        if ok:
            stats["hit"] += 1
            return value
        stats["rejected"] += 1
        try:
            cache.delete(key)
        except Exception:  # noqa: BLE001
            pass
    stats["miss"] += 1
    value = compute()
    if cache is not None and store(value):
        try:
            cache.set(key, _encode(meta, value))
        except Exception:  # noqa: BLE001 - unpicklable result or full disk: not stored
            stats["unstored"] += 1
    return value


#: What a check's verdict may depend on: all of the code, and the libraries that compute.
CHECK_PACKAGES = ("theory", "numerics", "proofs_check")


def _library_versions() -> tuple:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("sympy", "numpy", "scipy", "python-flint", "numba"):
        try:
            out.append((name, version(name)))
        except PackageNotFoundError:
            out.append((name, None))
    return tuple(out)


def cached_check(claim_id: str, check):
    """``check.run`` whose decided results (VERIFIED or REFUTED) are kept on disk.

    The key is the claim id, the check's name, method and callable (module, qualified name and
    source), a hash of every source file of theory/, numerics/ and proofs_check/, and the versions
    of the computing libraries: a change to any of them recomputes. INCONCLUSIVE results and
    exceptions are never stored (they may be transient). Returns ``check.run`` itself when the
    cache is off, when the callable is defined outside theory/, numerics/ and proofs_check/ (its
    behaviour may depend on code that is not hashed), or when its source cannot be read.
    """
    from ._names import legacy

    run = check.run
    module = getattr(run, "__module__", None) or ""
    if not enabled() or (legacy(module) or "").split(".")[0] not in CHECK_PACKAGES:
        # a check defined elsewhere (a user's or a test's claim) may depend on code or state
        # outside the hashed packages: never cached
        return run
    try:
        source = hashlib.sha256(inspect.getsource(run).encode()).hexdigest()
    except (OSError, TypeError):
        return run
    meta = (_FORMAT, "check", claim_id, check.name, check.method.value, getattr(run, "__module__", ""),
            getattr(run, "__qualname__", ""), source, code_hash(CHECK_PACKAGES), _library_versions())
    key = hashlib.sha256(repr(meta).encode()).hexdigest()

    def replay_or_run():
        return _fetch_or_compute(key, meta, run, store=lambda result: getattr(
            getattr(result, "status", None), "value", None) in ("VERIFIED", "REFUTED"))

    return replay_or_run


def clear() -> None:
    """Remove every entry of the current cache directory."""
    _cache().clear()
