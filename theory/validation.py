"""Argument checks at the public boundary, shared by theory, numerics and proofs_check.

One message format everywhere: ``"<name> must be <what> (got <value>): <why or fix>"``, raised
as ``TypeError`` (wrong kind of object) or ``ValueError`` (right kind, bad value). Symbolic
values (SymPy expressions with free symbols) pass the numeric checks unless SymPy can decide
they violate them (e.g. a symbol declared ``negative=True`` given as a step size).

Pure Python and SymPy: NumPy is imported only inside the array checks, when an array is
given, so ``theory`` stays a SymPy-only package.

Examples
--------
>>> require_int("T", 5, 3, "the first prediction needs two context tokens")
5
>>> require_int("T", 2, 3, "the first prediction needs two context tokens")
Traceback (most recent call last):
...
ValueError: T must be an integer >= 3 (got 2): the first prediction needs two context tokens
"""
from __future__ import annotations

import math
import numbers
import operator

__all__ = ["require_int", "require_bool", "require_positive", "require_nonnegative", "require_finite",
           "require_choice", "require_type", "require_callable", "require_finite_array", "require_psd",
           "require_square", "require_matrix", "require_scalar", "fail"]


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suffix(why: str) -> str:
    return f": {why}" if why else ""


def fail(name: str, what: str, value, why: str = "", kind: type = ValueError):
    """Raise ``kind("<name> must be <what> (got <value>): <why>")``."""
    raise kind(f"{name} must be {what} (got {_shown(value)}){_suffix(why)}")


def _is_symbolic(value) -> bool:
    return bool(getattr(value, "free_symbols", None))


def require_int(name: str, value, minimum: int | None = None, why: str = "", maximum: int | None = None) -> int:
    """``value`` as a Python int, checked against ``minimum <= value <= maximum``.

    Accepts ``int``, NumPy and SymPy integers; rejects ``bool``, floats (even ``3.0``) and
    strings with a ``TypeError``.

    Parameters
    ----------
    name : str
        The argument's name, as the user wrote it.
    value : object
    minimum, maximum : int, optional
    why : str
        Why the bound holds, or how to fix the call.

    Returns
    -------
    int
    """
    bound = ("an integer" if minimum is None else f"an integer >= {minimum}") if maximum is None else \
        f"an integer in [{minimum}, {maximum}]"
    if isinstance(value, bool) or _is_symbolic(value):
        fail(name, bound, value, why or "pass a concrete int", TypeError)
    try:
        number = operator.index(value)
    except TypeError:
        number = None
    if number is None and getattr(value, "is_Integer", False):
        number = int(value)
    if number is None:
        fail(name, bound, value, why or "pass an int", TypeError)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        fail(name, bound, value, why)
    return number


def require_bool(name: str, value) -> bool:
    """``value`` must be ``True`` or ``False`` (NumPy booleans accepted)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    fail(name, "True or False", value, "pass a bool", TypeError)


def _real(name: str, value, what: str, why: str):
    """A finite real number from ``value`` (None for symbolic values); TypeError if not numeric."""
    if isinstance(value, bool) or isinstance(value, (str, bytes)) or value is None:
        fail(name, what, value, why or "pass a number", TypeError)
    if _is_symbolic(value):
        return None
    if isinstance(value, numbers.Real) or hasattr(value, "is_Number") or type(value).__module__ == "numpy":
        try:
            number = float(value)
        except (TypeError, ValueError):
            fail(name, what, value, why or "pass a real number", TypeError)
        if not math.isfinite(number):
            fail(name, what, value, why or "pass a finite number (NaN and infinity are not data)")
        return number
    fail(name, what, value, why or "pass a real number", TypeError)


def require_positive(name: str, value, why: str = ""):
    """``value`` must be a finite real number > 0 (symbolic values pass unless known <= 0)."""
    number = _real(name, value, "a positive number", why)
    if number is None:
        if getattr(value, "is_positive", None) is False:
            fail(name, "a positive number", value, why)
    elif not number > 0:
        fail(name, "a positive number", value, why)
    return value


def require_nonnegative(name: str, value, why: str = ""):
    """``value`` must be a finite real number >= 0 (symbolic values pass unless known < 0)."""
    number = _real(name, value, "a non-negative number", why)
    if number is None:
        if getattr(value, "is_nonnegative", None) is False:
            fail(name, "a non-negative number", value, why)
    elif not number >= 0:
        fail(name, "a non-negative number", value, why)
    return value


def require_finite(name: str, value, why: str = ""):
    """``value`` must be a finite real number (or symbolic)."""
    _real(name, value, "a finite real number", why)
    return value


def require_choice(name: str, value, choices, why: str = ""):
    """``value`` must be one of ``choices`` (compared with ``==``; unhashable values rejected)."""
    choices = list(choices)
    try:
        ok = value in choices
    except TypeError:
        ok = False
    if not ok:
        listed = ", ".join(repr(c) for c in choices)
        fail(name, f"one of {listed}", value, why, ValueError if isinstance(value, str) else TypeError)
    return value


def require_type(name: str, value, types, what: str, why: str = ""):
    """``value`` must be an instance of ``types``; ``what`` says it in words ("a TokenLaw")."""
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        fail(name, what, value, why, TypeError)
    return value


def _as_tuple(types):
    return types if isinstance(types, tuple) else (types,)


def require_callable(name: str, value, what: str = "a callable", why: str = ""):
    """``value`` must be callable."""
    if not callable(value):
        fail(name, what, value, why, TypeError)
    return value


def require_square(name: str, value, size: int | None = None, why: str = ""):
    """A SymPy matrix (or anything with ``.shape``) that is square, of side ``size`` if given."""
    shape = getattr(value, "shape", None)
    if shape is None or len(shape) != 2:
        fail(name, "a square matrix", value, why or "pass a SymPy Matrix", TypeError)
    if shape[0] != shape[1] or (size is not None and shape[0] != size):
        side = f"a {size} x {size} matrix" if size is not None else "a square matrix"
        raise ValueError(f"{name} must be {side} (got shape {tuple(shape)}){_suffix(why)}")
    return value


def require_scalar(name: str, value, why: str = ""):
    """``value`` as a SymPy scalar (numbers and expressions; strings are not parsed).

    Floats are rejected (exactness first): use ``sympy.Rational``.
    """
    import sympy as sp

    if isinstance(value, (float, str, bytes)) or value is None or isinstance(value, bool):
        kind = "exact (a float rounds)" if isinstance(value, float) else "a number or SymPy scalar expression"
        fail(name, kind, value, why or "e.g. sympy.Rational(1, 2) or a Symbol", ValueError)
    try:
        expr = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError):
        fail(name, "a number or SymPy scalar expression", value, why, ValueError)
    if not isinstance(expr, sp.Expr) or getattr(expr, "is_Matrix", False):
        fail(name, "a number or SymPy scalar expression", value, why, ValueError)
    if expr.has(sp.Float):
        fail(name, "exact (a float rounds)", value, why or "use sympy.Rational", ValueError)
    return expr


def require_matrix(name: str, value, shape: tuple | None = None, why: str = ""):
    """A matrix-like operand (SymPy Matrix, MatrixExpr, PolyMatrix: anything with a 2-d ``.shape``).

    ``shape`` entries that are None, or symbolic on either side, match anything.
    """
    got = getattr(value, "shape", None)
    if isinstance(value, (str, bytes)) or not isinstance(got, tuple) or len(got) != 2:
        fail(name, "a matrix (sympy.Matrix, MatrixSymbol expression or PolyMatrix)", value, why, TypeError)
    if shape is not None:
        for want, have in zip(shape, got):
            if want is None or _is_symbolic(want) or _is_symbolic(have):
                continue
            if int(want) != int(have):
                wanted = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
                raise ValueError(f"{name} must have shape {wanted} (got {tuple(got)}){_suffix(why)}")
    return value


def require_finite_array(name: str, value, ndim: int | tuple | None = None, shape: tuple | None = None,
                         why: str = "", complex_ok: bool = True):
    """``value`` as a NumPy array of finite numbers, with the given ``ndim`` / ``shape``.

    ``shape`` entries that are None match any length. NaN or infinite entries are bad input
    (a ``ValueError`` saying so), not something to train on.

    Returns
    -------
    ndarray
    """
    import numpy as np

    if value is None or isinstance(value, (str, bytes, bool)):
        fail(name, "an array of numbers", value, why or "pass a NumPy array", TypeError)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        fail(name, "an array of numbers", value, why or "pass a NumPy array", TypeError)
    if arr.dtype.kind not in ("iuf" + ("c" if complex_ok else "")) or arr.dtype.kind == "b":
        kinds = "real or complex numbers" if complex_ok else "real numbers"
        raise TypeError(f"{name} must be an array of {kinds} (got dtype {arr.dtype}){_suffix(why)}")
    if ndim is not None and arr.ndim not in _as_tuple(ndim):
        wanted = " or ".join(str(n) for n in _as_tuple(ndim))
        raise ValueError(f"{name} must be an array with {wanted} dimensions (got shape {arr.shape}){_suffix(why)}")
    if shape is not None and (arr.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, arr.shape))):
        wanted = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {wanted} (got {arr.shape}){_suffix(why)}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (got {int(np.sum(~np.isfinite(arr)))} NaN or infinite entries): "
                         f"{why or 'clean the data; NaN is bad input, not a training failure'}")
    return arr


def require_psd(name: str, value, why: str = "", tol: float = 1e-10):
    """A symmetric positive semi-definite matrix (NumPy array or SymPy Matrix).

    Numeric: symmetric to ``tol`` (relative) and smallest eigenvalue >= ``-tol * ||M||``.
    SymPy: exactly symmetric and not provably indefinite.
    """
    if hasattr(value, "is_symmetric") and hasattr(value, "is_positive_semidefinite"):  # SymPy Matrix
        require_square(name, value, why=why)
        if not value.is_symmetric():
            raise ValueError(f"{name} must be symmetric positive semi-definite (it is not symmetric){_suffix(why)}")
        if value.is_positive_semidefinite is False:
            raise ValueError(f"{name} must be symmetric positive semi-definite (it has a negative eigenvalue)"
                             f"{_suffix(why)}")
        return value
    import numpy as np

    arr = require_finite_array(name, value, ndim=2, why=why, complex_ok=False)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square matrix (got shape {arr.shape}){_suffix(why)}")
    scale = max(1.0, float(np.max(np.abs(arr)))) if arr.size else 1.0
    if not np.allclose(arr, arr.T, rtol=0, atol=tol * scale):
        raise ValueError(f"{name} must be symmetric positive semi-definite (it is not symmetric){_suffix(why)}")
    least = float(np.min(np.linalg.eigvalsh((arr + arr.T) / 2))) if arr.size else 0.0
    if least < -tol * scale:
        raise ValueError(f"{name} must be symmetric positive semi-definite (smallest eigenvalue {least:.3g})"
                         f"{_suffix(why)}")
    return arr
