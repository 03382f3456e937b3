r"""Instantiate a stated closed form, written once with matrix symbols of symbolic size, at explicit matrices.

A paper states :math:`\dot U = -u^2 \Gamma\Lambda U \Lambda + u\Lambda^2` or
:math:`\operatorname{tr}(\Gamma^{-2})^{-1/4}\,\Gamma^{-1}` for every dimension ``d``; a claim checks the
derived object at ``d = 1, 2, ...``. :func:`instantiate` evaluates such a statement on explicit matrices
(traces, transposes, inverses and negative powers included), so that the stated form is written once, as
matrix algebra, and perturbing it (``mesacheck mutate``) reaches every size.
(:func:`theory.matrix_terms` and the free-algebra normal form decide identities for *symbolic* sizes; this is
the explicit-size counterpart for statements with traces and inverses.)
"""
from __future__ import annotations

import operator
from functools import reduce

import sympy as sp

__all__ = ["instantiate"]


def instantiate(expr, matrices: dict, scalars: dict | None = None):
    r"""Evaluate a statement on explicit matrices.

    Parameters
    ----------
    expr : sympy.Expr, sympy.MatrixExpr or sympy.Tuple of them
        Built from ``MatrixSymbol`` (of symbolic or numeric size), ``Identity``, ``ZeroMatrix``, ``+``,
        ``*``, integer powers (negative: the inverse), ``Transpose``, ``Inverse``, ``Trace``, ``Determinant``
        and scalar functions of traces.
    matrices : dict
        ``name (str) or MatrixSymbol -> Matrix``: the explicit value of each matrix symbol.
    scalars : dict, optional
        ``Symbol -> value`` for scalar symbols (not needed for the size symbols: they are read off the
        matrices, and must be consistent).

    Returns
    -------
    sympy.Matrix for a matrix expression, sympy.Expr for a scalar one (a Tuple for a Tuple).

    Raises
    ------
    ValueError
        A matrix symbol without a value, a value of the wrong shape, a size symbol bound to two sizes, a
        scalar added to a matrix, or a non-integer power of a matrix.

    Examples
    --------
    >>> d = sp.Symbol("d", integer=True, positive=True)
    >>> L = sp.MatrixSymbol("Lambda", d, d)
    >>> instantiate(sp.Trace(L ** -1) + sp.Trace(L.T * L), {"Lambda": sp.diag(1, 2)})
    13/2
    >>> instantiate(L ** 2 + sp.Identity(d), {"Lambda": sp.diag(1, 2)})
    Matrix([
    [2, 0],
    [0, 5]])
    """
    if not isinstance(matrices, dict):
        raise TypeError(f"matrices must be a dict name -> Matrix (got {type(matrices).__name__})")
    values = {}
    for key, val in matrices.items():
        name = key.name if isinstance(key, sp.MatrixSymbol) else key
        if not isinstance(name, str):
            raise TypeError(f"matrices must be keyed by matrix-symbol names or MatrixSymbols (got {key!r})")
        if not isinstance(val, sp.MatrixBase):
            raise TypeError(f"matrices[{name!r}] must be an explicit sympy Matrix (got {type(val).__name__})")
        values[name] = sp.Matrix(val)
    sizes: dict = {}
    state = (values, {sp.sympify(k): sp.sympify(v) for k, v in (scalars or {}).items()}, sizes)
    expr = sp.sympify(expr)
    if isinstance(expr, sp.Tuple):
        return sp.Tuple(*(_eval(e, state) for e in expr))
    return _eval(expr, state)


def _size(n, state):
    values, scalars, sizes = state
    n = sp.sympify(n).xreplace(scalars)
    if n.is_Integer:
        return int(n)
    if n in sizes:
        return sizes[n]
    raise ValueError(f"the size {n} is not known: give a matrix of that size in matrices or the size in scalars")


def _bind(n, value: int, what: str, state):
    values, scalars, sizes = state
    n = sp.sympify(n).xreplace(scalars)
    if n.is_Integer:
        if int(n) != value:
            raise ValueError(f"{what} has size {value}, its symbol says {n}: give a matrix of the symbol's shape")
        return
    if n.free_symbols and not n.is_Symbol:
        return                                     # an expression in the sizes (d + 1): not bound, not checked
    if sizes.setdefault(n, value) != value:
        raise ValueError(f"size {n} is {sizes[n]} for one matrix and {value} for {what}: give consistent shapes")


def _is_matrix(v) -> bool:
    return isinstance(v, sp.MatrixBase)


def _eval(expr, state):
    values, scalars, sizes = state
    if isinstance(expr, sp.MatrixSymbol):
        if expr.name not in values:
            raise ValueError(f"matrices has no value for the matrix symbol {expr.name}: add matrices[{expr.name!r}]")
        val = values[expr.name]
        _bind(expr.rows, val.rows, f"matrices[{expr.name!r}]", state)
        _bind(expr.cols, val.cols, f"matrices[{expr.name!r}]", state)
        return val
    if isinstance(expr, sp.Identity):
        return sp.eye(_size(expr.rows, state))
    if isinstance(expr, sp.ZeroMatrix):
        return sp.zeros(_size(expr.rows, state), _size(expr.cols, state))
    if not expr.args or not any(isinstance(a, (sp.MatrixExpr, sp.Trace, sp.Determinant))
                                for a in sp.preorder_traversal(expr)):
        return expr.xreplace(scalars)
    # matrix symbols first: their values bind the size symbols an Identity(d) elsewhere needs
    order = sorted(range(len(expr.args)), key=lambda k: not expr.args[k].has(sp.MatrixSymbol))
    evaluated = {k: _eval(expr.args[k], state) for k in order}
    args = [evaluated[k] for k in range(len(expr.args))]
    if isinstance(expr, (sp.MatAdd, sp.Add)):
        kinds = {_is_matrix(a) for a in args}
        if len(kinds) > 1:
            raise ValueError(f"the statement adds a scalar to a matrix in {expr}: it is not well-typed")
        return reduce(operator.add, args)
    if isinstance(expr, (sp.MatMul, sp.Mul)):
        return reduce(operator.mul, args)
    if isinstance(expr, (sp.MatPow, sp.Pow)):
        base, exp = args
        if _is_matrix(base):
            if not sp.sympify(exp).is_Integer:
                raise ValueError(f"a matrix power needs an integer exponent (got {exp} in {expr})")
            exp = int(exp)
            return base.inv() ** (-exp) if exp < 0 else base ** exp
        return base ** exp
    if isinstance(expr, sp.Transpose):
        return args[0].T
    if isinstance(expr, sp.Inverse):
        return args[0].inv()
    if isinstance(expr, sp.Trace):
        return args[0].trace()
    if isinstance(expr, sp.Determinant):
        return args[0].det()
    if any(_is_matrix(a) for a in args):
        raise ValueError(f"cannot instantiate {type(expr).__name__} of a matrix in {expr}")
    return expr.func(*args)
