"""Weight constructions of von Oswald et al. 2022 (Proposition 1, K layers, GD++).

Sizes may be integers (explicit matrices, entrywise checks) or positive integer symbols
(matrix symbols, proofs for all dimensions).
"""
from __future__ import annotations

from dataclasses import dataclass

import warnings

import sympy as sp
from sympy.matrices.expressions import MatrixSymbol

from .attention import LSAWeights, Tokens, eye
from .polymatrix import PolyMatrix
from .validation import require_bool, require_matrix, require_type


def _check_size(name: str, value) -> None:
    if isinstance(value, sp.Symbol):
        if not (value.is_integer and value.is_positive):
            raise ValueError(f"{name} must be a positive integer or a Symbol(integer=True, positive=True) "
                             f"(got {value!r} without those assumptions)")
        return
    if isinstance(value, bool) or not isinstance(value, (int, sp.Integer)):
        raise ValueError(f"{name} must be a positive integer (got {value!r}): sizes count tokens and coordinates")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (got {value}): sizes count tokens and coordinates")


@dataclass(frozen=True)
class RegressionPrompt:
    """A symbolic in-context regression prompt.

    Attributes
    ----------
    Nx, Ny, N : int or Symbol
        Input size, output size, number of context tokens.
    X : matrix, shape (Nx, N)
    Y : matrix, shape (Ny, N)
    x_query : matrix, shape (Nx, 1)
    W0 : matrix, shape (Ny, Nx)
        Initial weights of the least-squares model (query token carries ``-W0 x_query``).
    eta : Symbol
        Learning rate.
    """

    Nx: object
    Ny: object
    N: object
    X: object
    Y: object
    x_query: object
    W0: object
    eta: sp.Symbol
    ring: object = None

    @property
    def explicit(self) -> bool:
        return not isinstance(self.X, MatrixSymbol)

    def eye(self, n):
        """Identity of size ``n`` in this prompt's representation."""
        return PolyMatrix.eye(int(n), self.ring) if self.ring is not None else eye(n)

    def zeros(self, rows, cols):
        if self.ring is not None:
            return PolyMatrix.zeros(int(rows), int(cols), self.ring)
        return _zeros(rows, cols)

    def to_sympy(self, value):
        """A value of this prompt's representation as a SymPy matrix or expression."""
        return value.to_sympy() if isinstance(value, PolyMatrix) else value

    def tokens(self, include_W0_in_query: bool = True) -> Tokens:
        """The prompt as tokens: context ``(x_i, y_i)`` and query ``(x_test, -W0 x_test)``."""
        y_query = -self.W0 * self.x_query if include_W0_in_query else self.zeros(self.Ny, 1)
        return Tokens(self.X, self.Y, self.x_query, y_query)


def _zeros(rows, cols):
    if isinstance(rows, (int, sp.Integer)) and isinstance(cols, (int, sp.Integer)):
        return sp.zeros(int(rows), int(cols))
    return sp.ZeroMatrix(rows, cols)


def _symbol_matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}" if max(rows, cols) < 10
                                                        else f"{name}_{i + 1},{j + 1}"))


def regression_prompt(Nx=None, Ny=None, N=None, polynomial: bool = True) -> RegressionPrompt:
    """A prompt with symbolic entries.

    With no sizes, the sizes are symbols and the blocks are ``MatrixSymbol``: identities
    proved on it hold for all dimensions. With integer sizes, the blocks are explicit
    matrices of scalar symbols: kept as expanded polynomials (:class:`PolyMatrix`) when
    ``polynomial`` is true (fast exact identities), as plain ``sympy.Matrix`` otherwise.

    Examples
    --------
    >>> p = regression_prompt(2, 1, 3)
    >>> p.X.shape, p.Y.shape, p.W0.shape
    ((2, 3), (1, 3), (1, 2))
    """
    require_bool("polynomial", polynomial)
    sizes = {"Nx": Nx, "Ny": Ny, "N": N}
    if all(v is None for v in sizes.values()):
        Nx, Ny, N = sp.symbols("N_x N_y N", integer=True, positive=True)
        return RegressionPrompt(Nx, Ny, N, MatrixSymbol("X", Nx, N), MatrixSymbol("Y", Ny, N),
                                MatrixSymbol("x_test", Nx, 1), MatrixSymbol("W_0", Ny, Nx), sp.Symbol("eta"))
    for name, value in sizes.items():
        _check_size(name, value)
    Nx, Ny, N = int(Nx), int(Ny), int(N)
    eta = sp.Symbol("eta")
    X, Y = _symbol_matrix("x", Nx, N), _symbol_matrix("y", Ny, N)
    x_query, W0 = _symbol_matrix("q", Nx, 1), _symbol_matrix("w", Ny, Nx)
    if not polynomial:
        return RegressionPrompt(Nx, Ny, N, X, Y, x_query, W0, eta)
    # gamma (GD++) and s (rescaling) are generators too, so constructions may use them.
    extra = {eta, sp.Symbol("gamma"), sp.Symbol("s")}
    ring = PolyMatrix.ring(set().union(*(M.free_symbols for M in (X, Y, x_query, W0))) | extra)
    X, Y, x_query, W0 = (PolyMatrix.from_sympy(M, ring) for M in (X, Y, x_query, W0))
    return RegressionPrompt(Nx, Ny, N, X, Y, x_query, W0, eta, ring)


def _scalar(name: str, value):
    """A SymPy scalar, or a clear error naming the parameter."""
    try:
        value = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError):
        raise ValueError(f"{name} must be a number or a SymPy scalar expression (got {value!r})") from None
    if not isinstance(value, sp.Expr) or getattr(value, "is_Matrix", False):
        raise ValueError(f"{name} must be a number or a SymPy scalar expression (got {value!r})")
    if value.has(sp.Float):
        # Exactness first, and never a silent rounding: a float becomes its exact binary value
        # (0.1 -> 3602879701896397/36028797018963968), not the "nearby" rational 1/10.
        exact = value.xreplace({f: sp.Rational(f) for f in value.atoms(sp.Float)})
        warnings.warn(f"{name} = {value} is a float: converted exactly to {exact}; pass sympy.Rational "
                      f"(e.g. sympy.Rational(1, 10)) for the decimal value", stacklevel=3)
        value = exact
    return value


def _construction_args(prompt, eta, W0):
    require_type("prompt", prompt, RegressionPrompt, "a RegressionPrompt (from regression_prompt())")
    eta = prompt.eta if eta is None else _scalar("eta", eta)
    W0 = prompt.W0 if W0 is None else require_matrix("W0", W0, (prompt.Ny, prompt.Nx), "W_0 is (Ny, Nx)")
    return eta, W0


def gd_construction(prompt: RegressionPrompt, eta=None, W0=None) -> LSAWeights:
    """Proposition 1: the layer that performs one GD step on the in-context loss.

    .. math::
        W_K = W_Q = \\begin{pmatrix} I_x & 0 \\\\ 0 & 0 \\end{pmatrix},\\quad
        W_V = \\begin{pmatrix} 0 & 0 \\\\ W_0 & -I_y \\end{pmatrix},\\quad
        P = \\frac{\\eta}{N} I

    References
    ----------
    von Oswald et al. 2022, Proposition 1.
    """
    eta, W0 = _construction_args(prompt, eta, W0)
    Ix, Iy = prompt.eye(prompt.Nx), prompt.eye(prompt.Ny)
    W_K = [[Ix, None], [None, None]]
    W_V = [[None, None], [W0, -Iy]]
    P = [[(eta / prompt.N) * Ix, None], [None, (eta / prompt.N) * Iy]]
    return LSAWeights(P=P, W_V=W_V, W_K=W_K, W_Q=W_K)


def gdpp_construction(prompt: RegressionPrompt, gamma, eta=None, W0=None) -> LSAWeights:
    """GD++: the layer that also preconditions the inputs, ``x <- (I - gamma X X^T) x``.

    .. math::
        W_V = \\begin{pmatrix} I_x & 0 \\\\ W_0 & -I_y \\end{pmatrix},\\quad
        P = \\begin{pmatrix} -\\gamma I_x & 0 \\\\ 0 & \\frac{\\eta}{N} I_y \\end{pmatrix}

    References
    ----------
    von Oswald et al. 2022, Sec. 4 (GD++).
    """
    eta, W0 = _construction_args(prompt, eta, W0)
    gamma = _scalar("gamma", gamma)
    Ix, Iy = prompt.eye(prompt.Nx), prompt.eye(prompt.Ny)
    W_K = [[Ix, None], [None, None]]
    W_V = [[Ix, None], [W0, -Iy]]
    P = [[-gamma * Ix, None], [None, (eta / prompt.N) * Iy]]
    return LSAWeights(P=P, W_V=W_V, W_K=W_K, W_Q=W_K)
