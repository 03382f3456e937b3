"""The in-context least-squares problem and gradient descent on it (von Oswald et al. 2022).

The gradient is derived by differentiating the loss (SymPy matrix calculus for symbolic
sizes, entrywise partial derivatives for explicit sizes), never typed in.
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatrixSymbol, Trace

from .matrix_algebra import evaluate
from .polymatrix import PolyMatrix
from .validation import require_finite, require_int, require_matrix


def least_squares_loss(W, X, Y, N):
    """In-context loss :math:`L(W) = \\frac{1}{2N} \\sum_i \\|W x_i - y_i\\|^2`.

    Parameters
    ----------
    W : matrix, shape (Ny, Nx)
    X : matrix, shape (Nx, N)
    Y : matrix, shape (Ny, N)
    N : int or Symbol

    References
    ----------
    von Oswald et al. 2022, Eq. (1).
    """
    _check_operands(W, X, Y, N)
    R = W * X - Y
    if isinstance(R, sp.MatrixBase):
        return sum((r ** 2 for r in R), sp.Integer(0)) / (2 * N)
    return Trace(R.T * R) / (2 * N)


def least_squares_gradient(W, X, Y, N):
    """:math:`\\nabla_W L(W)`, derived by differentiating :func:`least_squares_loss`.

    Returns
    -------
    matrix, shape (Ny, Nx)
    """
    _check_operands(W, X, Y, N)
    if isinstance(X, PolyMatrix):
        return _gradient_on_operands(W, X, Y, N)
    if isinstance(X, sp.MatrixBase):
        rows, cols = Y.shape[0], X.shape[0]
        Ws = sp.Matrix(rows, cols, lambda i, j: sp.Dummy(f"w{i}{j}"))
        loss = sp.expand(least_squares_loss(Ws, X, Y, N))
        grad = sp.Matrix(rows, cols, lambda i, j: sp.diff(loss, Ws[i, j]))
        return grad.xreplace(dict(zip(Ws, sp.Matrix(W))))
    Ws = MatrixSymbol("W_grad", Y.shape[0], X.shape[0])
    grad = least_squares_loss(Ws, X, Y, N).diff(Ws)
    return grad.xreplace({Ws: W})


def gd_step(W, X, Y, N, eta):
    """One gradient step :math:`W - \\eta \\nabla L(W)`."""
    _check_eta(eta)
    return W - eta * least_squares_gradient(W, X, Y, N)


def gd_iterates(W0, X, Y, N, eta, steps: int) -> list:
    """``[W_0, W_1, ..., W_steps]`` of plain gradient descent on the in-context loss."""
    require_int("steps", steps, 0, "the number of GD steps")
    _check_eta(eta)
    iterates = [W0]
    for _ in range(steps):
        iterates.append(gd_step(iterates[-1], X, Y, N, eta))
    return iterates


def _check_eta(eta) -> None:
    """Any real scalar: the identities are polynomial in eta, so the symbolic layer does not insist on
    eta > 0 (the property tests substitute negative values on purpose)."""
    if isinstance(eta, (str, bytes)) or getattr(eta, "is_Matrix", False):
        raise ValueError(f"eta must be a number or a SymPy scalar (got {eta!r}): the GD step size")
    require_finite("eta", eta, "the GD step size")


def _check_operands(W, X, Y, N) -> None:
    """W (Ny, Nx), X (Nx, N), Y (Ny, N); N a positive integer (or symbol) equal to X's columns."""
    require_matrix("X", X, why="X holds the N inputs as columns")
    Nx, n_cols = X.shape
    require_matrix("Y", Y, (None, n_cols), "one column per input, like X")
    require_matrix("W", W, (Y.shape[0], Nx), "W maps inputs (Nx) to outputs (Ny)")
    if getattr(N, "free_symbols", None):
        if getattr(N, "is_positive", None) is False:
            raise ValueError(f"N must be a positive integer (got {N}): the number of in-context examples")
        return
    require_int("N", N, 1, "the number of in-context examples")
    if not getattr(n_cols, "free_symbols", None) and int(n_cols) != int(N):
        raise ValueError(f"N must equal the number of columns of X (got N = {N}, X has {n_cols})")


def symbolic_gradient():
    """The gradient derived once for symbolic sizes, with its operands.

    Returns
    -------
    (grad, (W, X, Y, N))
        ``grad`` is SymPy's matrix derivative of the loss with respect to ``W``.
    """
    Nx, Ny, N = sp.symbols("N_x N_y N", integer=True, positive=True)
    W, X, Y = MatrixSymbol("W", Ny, Nx), MatrixSymbol("X", Nx, N), MatrixSymbol("Y", Ny, N)
    return least_squares_loss(W, X, Y, N).diff(W), (W, X, Y, N)


def _gradient_on_operands(W, X, Y, N):
    """Evaluate the derived symbolic gradient on explicit (polynomial) operands."""
    grad, (Ws, Xs, Ys, Ns) = symbolic_gradient()
    return evaluate(grad, {Ws: W, Xs: X, Ys: Y}, {Ns: sp.Integer(N)})
