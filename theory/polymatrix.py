"""Matrices of exact polynomials that stay expanded (SymPy's ``DomainMatrix`` over ``QQ[...]``).

Entry-by-entry identities at concrete sizes are decided by canonical polynomial forms:
every product is expanded as it is formed, so a residual is zero iff every entry is the
zero polynomial. This is the same exact criterion as ``expand(lhs - rhs) == 0`` but avoids
building and then expanding deep unexpanded trees (the cost that makes ``simplify`` slow).
"""
from __future__ import annotations

from typing import Iterable

import sympy as sp
from sympy.polys.matrices import DomainMatrix


class PolyMatrix:
    """A dense matrix of polynomials with rational coefficients in fixed generators.

    Supports ``+``, ``-``, unary ``-``, ``*`` (matrix product, or scalar from either side),
    ``.T`` and ``.shape``, so the generic layer code of :mod:`theory.attention` runs on it.

    Parameters
    ----------
    dm : DomainMatrix
        Over a polynomial ring ``QQ[gens]``.
    """

    __slots__ = ("dm",)

    def __init__(self, dm: DomainMatrix):
        if not isinstance(dm, DomainMatrix):
            raise TypeError(f"dm must be a sympy DomainMatrix (got {type(dm).__name__}): "
                            "build one with PolyMatrix.from_sympy(matrix, ring)")
        self.dm = dm

    # construction -----------------------------------------------------------------
    @staticmethod
    def ring(generators: Iterable[sp.Symbol]):
        """The polynomial ring ``QQ[generators]`` (generators sorted by name)."""
        return sp.QQ[tuple(sorted(set(generators), key=str))]

    @classmethod
    def from_sympy(cls, matrix: sp.MatrixBase, ring) -> "PolyMatrix":
        return cls(DomainMatrix.from_Matrix(sp.Matrix(matrix)).convert_to(ring))

    @classmethod
    def eye(cls, n: int, ring) -> "PolyMatrix":
        return cls(DomainMatrix.eye(n, ring))

    @classmethod
    def zeros(cls, rows: int, cols: int, ring) -> "PolyMatrix":
        return cls(DomainMatrix.zeros((rows, cols), ring))

    # arithmetic -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.dm.shape

    @property
    def T(self) -> "PolyMatrix":
        return PolyMatrix(self.dm.transpose())

    def _scalar(self, value):
        return self.dm.domain.from_sympy(sp.sympify(value))

    def __add__(self, other):
        return PolyMatrix(self.dm + other.dm)

    def __sub__(self, other):
        return PolyMatrix(self.dm - other.dm)

    def __neg__(self):
        return PolyMatrix(-self.dm)

    def __mul__(self, other):
        if isinstance(other, PolyMatrix):
            return PolyMatrix(self.dm * other.dm)
        return PolyMatrix(self.dm * self._scalar(other))

    def __rmul__(self, other):
        return PolyMatrix(self.dm * self._scalar(other))

    # inspection -------------------------------------------------------------------
    def is_zero_matrix(self) -> bool:
        return bool(self.dm.is_zero_matrix)

    def to_sympy(self) -> sp.Matrix:
        return self.dm.to_Matrix()

    def nonzero_entries(self) -> list[tuple[tuple[int, int], sp.Expr]]:
        """``[((i, j), entry)]`` for every non-zero entry, as SymPy expressions."""
        domain = self.dm.domain
        return [((i, j), domain.to_sympy(v)) for (i, j), v in self.dm.to_dok().items() if v]

    def __repr__(self) -> str:
        return f"PolyMatrix{self.shape}"
