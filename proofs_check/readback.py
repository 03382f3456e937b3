"""Statements that read back, and the provenance every JSON document carries.

``load_statement`` restores a statement from the ``srepr`` string a JSON document holds (``mesacheck
verify --json``, ``report.json``): the same SymPy object, matrix names, symbol assumptions and
unevaluated relations included (``sympy.sympify`` of the same string turns ``MatrixSymbol`` names into
``Str`` objects and evaluates ``Eq(Symbol, Matrix)`` to ``False``). The string is parsed, never
``eval``-ed: only calls of SymPy classes (and of the printer's statement objects) with literal
arguments are accepted.
"""
from __future__ import annotations

import ast

__all__ = ["load_statement", "provenance"]


def _namespace() -> dict:
    import sympy as sp
    from sympy.core.symbol import Str

    from theory import printing

    names = {k: v for k, v in vars(sp).items() if not k.startswith("_")}
    names.update(Str=Str, Gradient=printing.Gradient, Expectation=printing.Expectation, Entry=printing.Entry,
                 Where=printing.Where)
    return names


def load_statement(payload):
    """The SymPy statement of a JSON document's ``statement`` entry.

    Parameters
    ----------
    payload : dict or str
        A claim's ``statement`` entry (``{"srepr": ..., "latex": ...}``) or the ``srepr`` string itself.

    Returns
    -------
    SymPy object
        The claim's ``statement()`` as ``srepr`` wrote it: the same names, assumptions, unevaluated
        relations and tree, with a sum's terms in ``srepr``'s canonical order (so ``srepr`` of the
        result equals the document's string; ``==`` holds unless the original kept a sum unsorted).

    Raises
    ------
    ValueError
        If the text is not an ``srepr`` of SymPy objects (anything else is refused, not run).

    Examples
    --------
    >>> import sympy as sp
    >>> W = sp.MatrixSymbol("W_KQ", 2, 2)
    >>> e = sp.Eq(sp.Symbol("x"), sp.Matrix([[1, 0], [0, 1]]), evaluate=False)
    >>> load_statement(sp.srepr(e)) == e
    True
    >>> load_statement(sp.srepr(W.T)).arg.name
    'W_KQ'
    """
    import sympy as sp

    text = payload.get("srepr") if isinstance(payload, dict) else payload
    if not isinstance(text, str):
        raise ValueError("load_statement needs a statement entry with an 'srepr' string (or the string)")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an srepr string: {exc.msg}") from None
    return _build(tree.body, _namespace())


def _build(node, names):
    import sympy as sp

    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_build(e, names) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Name):
        value = names.get(node.id)
        if isinstance(value, sp.Basic) or (isinstance(value, type) and issubclass(value, sp.Basic)):
            return value
        raise ValueError(f"not an srepr string: unknown name {node.id!r}")
    if isinstance(node, ast.Call):
        func = _build(node.func, names)
        if not (isinstance(func, type) and issubclass(func, sp.Basic)):
            raise ValueError("not an srepr string: only SymPy classes may be called")
        args = [_build(a, names) for a in node.args]
        kwargs = {k.arg: _build(k.value, names) for k in node.keywords}
        if issubclass(func, sp.core.relational.Relational):
            kwargs.setdefault("evaluate", False)
        return func(*args, **kwargs)
    raise ValueError(f"not an srepr string: {type(node).__name__} is not allowed")


def provenance(seed=None, parameters: dict | None = None) -> dict:
    """Versions, the git commit when known, the seed and parameters of a run, for a JSON document.

    Returns
    -------
    dict
        ``{"mesacheck", "python", "sympy", "numpy", "scipy", "git_commit", "seed", "parameters"}``;
        a package that is not importable is recorded as ``None``.
    """
    import platform
    from collections.abc import Mapping
    from importlib import import_module

    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an integer or None (got {seed!r}): the seed the run used")
    if parameters is not None and not isinstance(parameters, Mapping):
        raise TypeError(f"parameters must be a mapping of name -> value or None (got {type(parameters).__name__})")
    out: dict = {"mesacheck": _mesacheck_version(), "python": platform.python_version()}
    for name in ("sympy", "numpy", "scipy"):
        try:
            out[name] = import_module(name).__version__
        except ImportError:
            out[name] = None
    out["git_commit"] = _git_commit()
    out["seed"] = seed
    out["parameters"] = dict(parameters or {})
    return out


def _mesacheck_version():
    try:
        from importlib.metadata import version

        return version("mesacheck")
    except Exception:  # noqa: BLE001 - not installed: no version to state
        return None


def _git_commit():
    """HEAD of the git checkout the running code comes from, or None (an installed copy, no git)."""
    import os
    import subprocess

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.exists(os.path.join(here, ".git")):
        return None
    try:
        proc = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = proc.stdout.strip()
    return commit if proc.returncode == 0 and len(commit) == 40 else None
