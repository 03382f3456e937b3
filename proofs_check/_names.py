"""The names under which the card's packages are imported in this process.

In the repository (tests run from its root) the packages are the top-level ``theory``,
``numerics`` and ``proofs_check``; installed, they are ``mesacheck.theory``, ``mesacheck.numerics``
and ``mesacheck.proofs_check`` (see :mod:`mesacheck`). Import *statements* need nothing (mesacheck's
loader rewrites them); a module name held in a *string* (``importlib.import_module``, a mutation's
patch target, the cache's code hash, ``python -m``) goes through :func:`qualify`.
"""
from __future__ import annotations

#: The card's packages (the legacy top-level names).
PACKAGES = ("theory", "numerics", "proofs_check")

#: ``""`` when the packages are imported under their legacy names, ``"mesacheck."`` when installed.
PREFIX = __name__[: -len("proofs_check._names")]


def qualify(name: str) -> str:
    """The importable name of the legacy module name ``name`` (``"theory.dynamics"`` ->
    ``"mesacheck.theory.dynamics"`` when installed); any other name is returned unchanged."""
    if PREFIX and name.split(".", 1)[0] in PACKAGES:
        return PREFIX + name
    return name


def legacy(name: str) -> str | None:
    """The legacy name of the module ``name`` if it is one of the card's (``None`` otherwise):
    ``"mesacheck.theory.dynamics"`` (installed) or ``"theory.dynamics"`` -> ``"theory.dynamics"``."""
    if PREFIX and name.startswith(PREFIX):
        name = name[len(PREFIX):]
    elif PREFIX:
        return None
    return name if name.split(".", 1)[0] in PACKAGES else None
