r"""Causal linear self-attention on the autoregressive process of Zheng et al. (2024).

Explicit SymPy matrices at concrete ``d`` and ``T``:

* tokens :math:`x_{t,j} = \lambda_j^{t-1} z_j` (``x_{t+1} = W x_t``, ``W = diag(lambda)``),
  with :math:`\overline{\lambda_j} = \lambda_j^{-1}` (unit circle) and :math:`\overline{z_j}`
  a separate symbol ``zbar_j``;
* embedding :math:`e_i = (x_i; x_{i-1}) \in \mathbb{C}^{2d}`, :math:`x_0 = 0`;
* prediction :math:`\hat y_t = \rho_t^{-1} W^{PV} E_t E_t^H W^{KQ} e_t`, :math:`\rho_t = t-1`.

References
----------
Zheng et al. (2024), Sec. 3 (model, eq. for :math:`\hat y_t`); spec ``zheng2024.md`` sections 1-3.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .validation import require_int, require_matrix, require_type

__all__ = ["TokenSymbols", "token_symbols", "check_sizes", "sequence", "embedding", "conjugate",
           "causal_prediction", "manifold_AB", "manifold_ab"]


def check_sizes(d=None, T=None, t=None) -> None:
    """Validate ``d >= 1``, ``T >= 3`` and ``2 <= t <= T - 1`` (only those given)."""
    if d is not None and (isinstance(d, bool) or not isinstance(d, (int, sp.Integer)) or d < 1):
        raise ValueError(f"d must be an integer >= 1 (got {d!r}): the token dimension counts coordinates")
    if T is not None and (isinstance(T, bool) or not isinstance(T, (int, sp.Integer)) or T < 3):
        raise ValueError(f"T must be an integer >= 3 (got {T!r}): the first prediction needs two context tokens")
    if t is not None:
        if isinstance(t, bool) or not isinstance(t, (int, sp.Integer)) or t < 2:
            raise ValueError(f"t must be an integer >= 2 (got {t!r}): rho_t = t - 1 must be positive")
        if T is not None and t > T - 1:
            raise ValueError(f"t must be <= T - 1 = {T - 1} (got {t}): the target x_(t+1) must exist")


@dataclass(frozen=True)
class TokenSymbols:
    """Symbols of one sequence: ``z``, ``zbar`` (its conjugate) and the phases ``lam``."""

    z: tuple
    zbar: tuple
    lam: tuple

    @property
    def d(self) -> int:
        return len(self.z)


def _check_symbols(symbols, d: int | None = None) -> None:
    require_type("symbols", symbols, TokenSymbols, "a TokenSymbols from token_symbols(d)")
    if d is not None and symbols.d != d:
        raise ValueError(f"symbols must be for dimension d = {d} (got d = {symbols.d}): pass token_symbols({d})")


def token_symbols(d: int) -> TokenSymbols:
    """Symbols ``z_j``, ``zbar_j`` (conjugate of ``z_j``) and ``lambda_j``, j = 1..d."""
    check_sizes(d=d)
    return TokenSymbols(tuple(sp.symbols(f"z_1:{d + 1}")), tuple(sp.symbols(f"zbar_1:{d + 1}")),
                        tuple(sp.symbols(f"lambda_1:{d + 1}", nonzero=True)))


def sequence(d: int, T: int, symbols: TokenSymbols | None = None) -> sp.Matrix:
    r"""The tokens :math:`x_1..x_T` as columns, shape (d, T): :math:`x_{t,j} = \lambda_j^{t-1} z_j`.

    Examples
    --------
    >>> sequence(1, 3)
    Matrix([[z_1, lambda_1*z_1, lambda_1**2*z_1]])
    """
    check_sizes(d=d, T=T)
    if symbols is not None:
        _check_symbols(symbols, d)
    s = symbols or token_symbols(d)
    return sp.Matrix(d, T, lambda j, t: s.lam[j] ** t * s.z[j])


def conjugate(expr, symbols: TokenSymbols):
    r"""Complex conjugate of an expression in ``z``, ``zbar``, ``lambda`` and real parameters.

    Swaps ``z_j`` and ``zbar_j``, maps :math:`\lambda_j \to \lambda_j^{-1}` and
    :math:`i \to -i`; all other symbols are taken real.
    """
    _check_symbols(symbols)
    swap = {}
    for z, zb, lam in zip(symbols.z, symbols.zbar, symbols.lam):
        swap[z] = zb
        swap[zb] = z
        swap[lam] = 1 / lam
    swap[sp.I] = -sp.I
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: sp.sympify(e).xreplace(swap))
    return sp.sympify(expr).xreplace(swap)


def embedding(X: sp.Matrix, i: int) -> sp.Matrix:
    """``e_i = (x_i; x_{i-1})``, shape (2d, 1), with ``x_0 = 0`` (i is 1-based).

    The blocks and their time shifts are those of :func:`theory.causal_model.causal_model`.
    """
    from .causal_model import causal_model

    require_matrix("X", X, why="the tokens as columns, shape (d, T)")
    require_int("i", i, why=f"i is 1-based, in 1..T = {X.cols}")
    d = X.rows
    if not 1 <= i <= X.cols:
        raise ValueError(f"i must be in 1..T = {X.cols} (got {i}): e_i needs the token x_i")
    return sp.Matrix.vstack(*causal_model().block_parts(i, X.cols, lambda s: X[:, s - 1], sp.zeros(d, 1)))


def causal_prediction(W_PV: sp.Matrix, W_KQ: sp.Matrix, X: sp.Matrix, X_conj: sp.Matrix, t: int) -> sp.Matrix:
    r"""The prediction :math:`\hat y_t = \frac{1}{\rho_t} W^{PV} E_t E_t^H W^{KQ} e_t`, shape (d, 1).

    Embedding, context, and :math:`\rho_t` are those of :func:`theory.causal_model.causal_model`.

    Parameters
    ----------
    W_PV : Matrix, shape (d, 2d)
    W_KQ : Matrix, shape (2d, 2d)
    X : Matrix, shape (d, T)
        The tokens as columns (from :func:`sequence`, or any symbols).
    X_conj : Matrix, shape (d, T)
        Their entrywise conjugates (``conjugate(X, symbols)`` for :func:`sequence`).
    t : int, 2 <= t <= T - 1

    Returns
    -------
    Matrix, shape (d, 1)
    """
    for name, M in (("W_PV", W_PV), ("W_KQ", W_KQ), ("X", X), ("X_conj", X_conj)):
        require_matrix(name, M)
    d = X.rows
    check_sizes(d=d, T=X.cols, t=t)
    if W_PV.shape != (d, 2 * d) or W_KQ.shape != (2 * d, 2 * d):
        raise ValueError(f"W_PV must be (d, 2d) and W_KQ (2d, 2d) with d = {d} (got {W_PV.shape}, {W_KQ.shape})")
    from .causal_model import causal_model
    from .models import zheng_model

    structure, model = causal_model(), zheng_model(d)
    structure.rho_at(t)  # the normaliser must be positive at this step
    context = range(1, t + structure.context_last + 1)
    if X_conj.shape != X.shape:
        raise ValueError(f"X_conj must have the shape of X {X.shape} (got {X_conj.shape})")
    # the prediction of the model description (theory.models), at these weights
    at = dict(zip(model.parameters["v_1"], W_PV.T)) | dict(zip(model.parameters["W_KQ_1"], W_KQ))
    tokens = [embedding(X, i) for i in context]
    conj_tokens = [embedding(X_conj, i) for i in context]
    return model.apply(tokens, embedding(X, t), conj_tokens).xreplace(at)


def manifold_AB(A: sp.Matrix, B: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    r"""The point of :math:`M_{A,B}`: ``W_PV = [B, 0]``, ``W_KQ = [[0, 0], [A, 0]]``."""
    require_matrix("A", A)
    require_matrix("B", B)
    d = A.rows
    if A.shape != (d, d) or B.shape != (d, d):
        raise ValueError(f"A and B must be square of the same size (got {A.shape}, {B.shape})")
    W_PV = B.row_join(sp.zeros(d, d))
    W_KQ = sp.zeros(d, 2 * d).col_join(A.row_join(sp.zeros(d, d)))
    return W_PV, W_KQ


def manifold_ab(d: int, a, b) -> tuple[sp.Matrix, sp.Matrix]:
    r"""The point of :math:`M_{a,b}` (Assumption 3.1 form): ``A = a I``, ``B = b I``."""
    check_sizes(d=d)
    return manifold_AB(a * sp.eye(d), b * sp.eye(d))
