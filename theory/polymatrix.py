"""Matrices of exact polynomials that stay expanded (SymPy's ``DomainMatrix`` over ``QQ[...]``).

Entry-by-entry identities at concrete sizes are decided by canonical polynomial forms:
every product is expanded as it is formed, so a residual is zero iff every entry is the
zero polynomial. This is the same exact criterion as ``expand(lhs - rhs) == 0`` but avoids
building and then expanding deep unexpanded trees (the cost that makes ``simplify`` slow).

Backends. When python-flint is installed (``pip install 'mesacheck[fast]'``) the entries are
FLINT's multivariate polynomials over Q (``fmpq_mpoly``, C arithmetic) in
:class:`FlintPolyMatrix`, a drop-in subclass; otherwise SymPy's ``DomainMatrix`` over
``QQ[gens]``. Both are canonical expanded forms over the same generators, so they decide the
same identities and return the same SymPy entries (tested). ``MESACHECK_POLY_BACKEND=sympy``
forces SymPy's; :func:`backend` names the one in use.
"""
from __future__ import annotations

import os
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
    def ring(generators: Iterable[sp.Symbol], backend_name: str | None = None):
        """The polynomial ring ``QQ[generators]`` (generators sorted by name), in the backend
        ``backend_name`` (default :func:`backend`)."""
        gens = tuple(sorted(set(generators), key=str))
        if (backend_name or backend()) == "flint":
            return FlintRing(gens)
        return sp.QQ[gens]

    @classmethod
    def from_sympy(cls, matrix: sp.MatrixBase, ring) -> "PolyMatrix":
        if _entry_ring(ring):
            return FlintPolyMatrix.from_sympy(matrix, ring)
        return cls(DomainMatrix.from_Matrix(sp.Matrix(matrix)).convert_to(ring))

    @classmethod
    def eye(cls, n: int, ring) -> "PolyMatrix":
        if _entry_ring(ring):
            return FlintPolyMatrix.eye(n, ring)
        return cls(DomainMatrix.eye(n, ring))

    @classmethod
    def zeros(cls, rows: int, cols: int, ring) -> "PolyMatrix":
        if _entry_ring(ring):
            return FlintPolyMatrix.zeros(rows, cols, ring)
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


# ------------------------------------------------------------------------------------- flint
try:  # optional: pip install 'mesacheck[fast]'
    import flint as _flint
except ImportError:  # pragma: no cover - exercised when python-flint is absent
    _flint = None


def _entry_ring(ring) -> bool:
    """A ring object of the entry protocol (zero, one, is_zero, mul, from_sympy, to_sympy) rather
    than a SymPy domain: its matrices are :class:`FlintPolyMatrix` (rows of ring elements)."""
    from sympy.polys.domains.domain import Domain

    return not isinstance(ring, Domain)


def backend() -> str:
    """"flint" when python-flint is importable (and ``MESACHECK_POLY_BACKEND`` is not "sympy"), else "sympy"."""
    choice = os.environ.get("MESACHECK_POLY_BACKEND", "").lower()
    if choice == "sympy" or _flint is None:
        return "sympy"
    return "flint"


class FlintRing:
    """``QQ[gens]`` as a FLINT ``fmpq_mpoly`` context, with conversions from and to SymPy."""

    __slots__ = ("gens", "ctx", "_index", "_vars")

    def __init__(self, gens: tuple):
        if _flint is None:
            raise RuntimeError("the flint backend needs python-flint: pip install 'mesacheck[fast]'")
        self.gens = tuple(gens)
        names = tuple(f"g{k}" for k in range(len(self.gens)))        # any SymPy name is allowed
        self.ctx = _flint.fmpq_mpoly_ctx.get(names, "lex")
        self._index = {g: k for k, g in enumerate(self.gens)}
        self._vars = self.ctx.gens()

    def __eq__(self, other):
        return isinstance(other, FlintRing) and other.gens == self.gens

    def __hash__(self):
        return hash(("FlintRing", self.gens))

    def zero(self):
        return self.ctx.from_dict({})

    def one(self):
        return self.ctx.constant(1)

    @staticmethod
    def is_zero(p) -> bool:
        return p.is_zero()

    @staticmethod
    def mul(a, b):
        return a * b

    def from_sympy(self, expr):
        """A polynomial in the generators with rational coefficients -> ``fmpq_mpoly``."""
        expr = sp.sympify(expr)
        if expr.is_Rational:
            return self.ctx.constant(_flint.fmpq(int(expr.p), int(expr.q)))
        if expr.is_Symbol:
            if expr not in self._index:
                raise ValueError(f"{expr} is not a generator of this ring")
            return self._vars[self._index[expr]]
        if expr.is_Add:
            out = self.zero()
            for a in expr.args:
                out = out + self.from_sympy(a)
            return out
        if expr.is_Mul:
            out = self.ctx.constant(1)
            for a in expr.args:
                out = out * self.from_sympy(a)
            return out
        if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
            return self.from_sympy(expr.base) ** int(expr.exp)
        raise ValueError(f"{expr} is not a polynomial with rational coefficients in the ring's generators")

    def to_sympy(self, p) -> sp.Expr:
        terms = []
        for monom, c in p.terms():
            coeff = sp.Rational(int(c.p), int(c.q))
            terms.append(sp.Mul(coeff, *[g ** e for g, e in zip(self.gens, monom) if e]))
        return sp.Add(*terms)


class FlintPolyMatrix(PolyMatrix):
    """:class:`PolyMatrix` with ``fmpq_mpoly`` entries (a list of rows); the same interface."""

    __slots__ = ("rows", "ring_")

    def __init__(self, rows: list, ring: FlintRing):
        self.rows = rows
        self.ring_ = ring

    @classmethod
    def from_sympy(cls, matrix, ring) -> "FlintPolyMatrix":
        M = sp.Matrix(matrix)
        return cls([[ring.from_sympy(M[i, j]) for j in range(M.cols)] for i in range(M.rows)], ring)

    @classmethod
    def eye(cls, n: int, ring: FlintRing) -> "FlintPolyMatrix":
        one, zero = ring.one(), ring.zero()
        return cls([[one if i == j else zero for j in range(n)] for i in range(n)], ring)

    @classmethod
    def zeros(cls, rows: int, cols: int, ring: FlintRing) -> "FlintPolyMatrix":
        zero = ring.zero()
        return cls([[zero] * cols for _ in range(rows)], ring)

    @property
    def dm(self):
        """The same matrix as a SymPy ``DomainMatrix`` (for code that reads ``.dm``)."""
        sring = sp.QQ[self.ring_.gens]
        return DomainMatrix.from_Matrix(self.to_sympy()).convert_to(sring)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.rows[0]) if self.rows else 0)

    @property
    def T(self) -> "FlintPolyMatrix":
        return FlintPolyMatrix([list(c) for c in zip(*self.rows)], self.ring_)

    def _scalar(self, value):
        return self.ring_.from_sympy(value)

    def _same_shape(self, other):
        if self.shape != other.shape:
            raise ValueError(f"shape mismatch: {self.shape} and {other.shape}")

    def __add__(self, other):
        self._same_shape(other)
        return FlintPolyMatrix([[a + b for a, b in zip(r, s)] for r, s in zip(self.rows, other.rows)], self.ring_)

    def __sub__(self, other):
        self._same_shape(other)
        return FlintPolyMatrix([[a - b for a, b in zip(r, s)] for r, s in zip(self.rows, other.rows)], self.ring_)

    def __neg__(self):
        return FlintPolyMatrix([[-a for a in r] for r in self.rows], self.ring_)

    def __mul__(self, other):
        if isinstance(other, PolyMatrix):
            n, k = self.shape
            k2, m = other.shape
            if k != k2:
                raise ValueError(f"shape mismatch for a product: {self.shape} and {other.shape}")
            cols = list(zip(*other.rows))
            ring = self.ring_
            zero, is_zero, mul = ring.zero(), ring.is_zero, ring.mul
            out = []
            for r in self.rows:
                row = []
                for c in cols:
                    acc = zero
                    for a, b in zip(r, c):
                        if not (is_zero(a) or is_zero(b)):
                            acc = acc + mul(a, b)
                    row.append(acc)
                out.append(row)
            return FlintPolyMatrix(out, self.ring_)
        c, mul = self._scalar(other), self.ring_.mul
        return FlintPolyMatrix([[mul(c, a) for a in r] for r in self.rows], self.ring_)

    def __rmul__(self, other):
        return self.__mul__(other)

    def is_zero_matrix(self) -> bool:
        return all(self.ring_.is_zero(a) for r in self.rows for a in r)

    def to_sympy(self) -> sp.Matrix:
        return sp.Matrix([[self.ring_.to_sympy(a) for a in r] for r in self.rows])

    def nonzero_entries(self) -> list[tuple[tuple[int, int], sp.Expr]]:
        return [((i, j), self.ring_.to_sympy(a)) for i, r in enumerate(self.rows) for j, a in enumerate(r)
                if not self.ring_.is_zero(a)]

    def __repr__(self) -> str:
        return f"FlintPolyMatrix{self.shape}"
