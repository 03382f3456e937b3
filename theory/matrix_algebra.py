"""Exact normal form of matrix expressions in the free algebra of matrix symbols.

SymPy's ``expand`` does not distribute a product over a sum of matrix expressions, and
``MatPow`` never expands. :func:`matrix_terms` does both: it writes a matrix expression
as a finite sum ``sum_k c_k * F_k1 F_k2 ... F_kn`` where every ``F`` is a matrix symbol
or its transpose, identities are dropped and scalars are collected. Two expressions with
the same normal form are equal for every dimension and every value of the symbols: that is
the "symbolic for all dimensions" proof used by the claim engine.
"""
from __future__ import annotations

from collections import defaultdict

import sympy as sp
from sympy.matrices.expressions import (Identity, MatAdd, MatMul, MatPow, MatrixSymbol, Transpose,
                                        ZeroMatrix)
from sympy.matrices.expressions.blockmatrix import BlockMatrix

Word = tuple  # tuple of MatrixSymbol / Transpose(MatrixSymbol)


def _transpose_word(word: Word) -> Word:
    return tuple(_transpose_atom(f) for f in reversed(word))


def _transpose_atom(atom):
    if isinstance(atom, Transpose):
        return atom.arg
    if isinstance(atom, Identity):
        return atom
    return Transpose(atom)


def _mul_terms(left: dict, right: dict) -> dict:
    out: dict = defaultdict(lambda: sp.Integer(0))
    for wl, cl in left.items():
        for wr, cr in right.items():
            out[wl + wr] += cl * cr
    return out


def matrix_terms(expr) -> dict[Word, sp.Expr]:
    """Normal form of a matrix expression: ``{word: scalar coefficient}``.

    Parameters
    ----------
    expr : sympy.MatrixExpr
        Built from ``MatrixSymbol``, ``Identity``, ``ZeroMatrix``, sums, products, integer
        powers, transposes and scalar factors.

    Returns
    -------
    dict
        Words (tuples of symbols and transposed symbols) mapped to scalar coefficients;
        coefficients are not yet reduced.

    Examples
    --------
    >>> import sympy as sp
    >>> n = sp.Symbol('n', integer=True, positive=True)
    >>> X = sp.MatrixSymbol('X', n, n)
    >>> sorted(matrix_terms((sp.Identity(n) - X)**2).values(), key=str)
    [-2, 1, 1]
    """
    if isinstance(expr, ZeroMatrix):
        return {}
    if isinstance(expr, Identity):
        return {(): sp.Integer(1)}
    if isinstance(expr, MatrixSymbol):
        return {(expr,): sp.Integer(1)}
    if isinstance(expr, Transpose):
        inner = matrix_terms(expr.arg)
        return {_transpose_word(w): c for w, c in inner.items()}
    if isinstance(expr, MatAdd):
        out: dict = defaultdict(lambda: sp.Integer(0))
        for arg in expr.args:
            for w, c in matrix_terms(arg).items():
                out[w] += c
        return dict(out)
    if isinstance(expr, MatMul):
        acc: dict = {(): sp.Integer(1)}
        for arg in expr.args:
            if getattr(arg, "is_Matrix", False) or isinstance(arg, sp.MatrixExpr):
                acc = _mul_terms(acc, matrix_terms(arg))
            else:
                acc = {w: c * arg for w, c in acc.items()}
        return dict(acc)
    if isinstance(expr, MatPow):
        base, exp = expr.args
        if not (exp.is_Integer and exp >= 0):
            raise ValueError(f"only non-negative integer matrix powers expand (got exponent {exp})")
        acc = {(): sp.Integer(1)}
        base_terms = matrix_terms(base)
        for _ in range(int(exp)):
            acc = _mul_terms(acc, base_terms)
        return dict(acc)
    if isinstance(expr, BlockMatrix):
        raise TypeError("collapse block matrices first (block_collapse) and compare block by block")
    if isinstance(expr, sp.MatrixExpr):
        doit = expr.doit()
        if doit != expr:
            return matrix_terms(doit)
    raise TypeError(f"cannot expand matrix expression of type {type(expr).__name__}: {expr}")


def reduced_terms(expr) -> dict[Word, sp.Expr]:
    """:func:`matrix_terms` with exactly reduced coefficients and zero terms removed."""
    out = {}
    for word, coeff in matrix_terms(expr).items():
        reduced = sp.cancel(sp.together(coeff))
        if reduced != 0:
            out[word] = reduced
    return out


def evaluate(expr, bindings: dict, scalars: dict | None = None, eye=None):
    """Evaluate a matrix expression tree on concrete operands.

    Parameters
    ----------
    expr : sympy.MatrixExpr
    bindings : dict
        ``MatrixSymbol -> value``; values may be ``sympy.Matrix``, :class:`PolyMatrix`, or
        anything supporting ``+``, ``*``, ``.T``.
    scalars : dict, optional
        Scalar symbol -> value substitutions for coefficients (e.g. sizes).
    eye : callable, optional
        ``eye(n) -> identity``; required if ``expr`` contains ``Identity``.
    """
    scalars = scalars or {}
    if isinstance(expr, MatrixSymbol):
        return bindings[expr]
    if isinstance(expr, Transpose):
        return evaluate(expr.arg, bindings, scalars, eye).T
    if isinstance(expr, Identity):
        return eye(int(expr.rows.xreplace(scalars)))
    if isinstance(expr, MatAdd):
        parts = [evaluate(a, bindings, scalars, eye) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out
    if isinstance(expr, MatMul):
        scalar = sp.Integer(1)
        out = None
        for a in expr.args:
            if isinstance(a, sp.MatrixExpr):
                v = evaluate(a, bindings, scalars, eye)
                out = v if out is None else out * v
            else:
                scalar *= sp.sympify(a).xreplace(scalars)
        return out if scalar == 1 else scalar * out
    if isinstance(expr, MatPow):
        base, exp = expr.args
        v = evaluate(base, bindings, scalars, eye)
        out = v
        for _ in range(int(exp) - 1):
            out = out * v
        return out
    raise TypeError(f"cannot evaluate matrix expression of type {type(expr).__name__}")
