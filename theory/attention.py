"""Linear self-attention (von Oswald et al. 2022, Sec. 2) as an exact symbolic map.

Every operand is a 2 x 2 grid of blocks, split along the token's ``(x, y)`` parts:
``[[B_xx, B_xy], [B_yx, B_yy]]`` with ``None`` for a zero block. A block is either a
``MatrixSymbol`` expression (symbolic sizes: a proof for all dimensions) or an explicit
``sympy.Matrix`` (concrete sizes: entry-by-entry checks). The same code serves both.

The layer, with context tokens ``e_1..e_N`` (keys and values) and every token updated::

    e <- e + P W_V (sum_i e_i e_i^T) W_K^T W_Q e

Only ``W_PV = P W_V`` and ``W_KQ = W_K^T W_Q`` enter.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions import Identity, MatrixSymbol, ZeroMatrix

from .validation import require_int, require_type

Blocks = list  # [[block or None, block or None], [block or None, block or None]]


def _is_explicit(n) -> bool:
    return isinstance(n, (int, sp.Integer))


def eye(n):
    """Identity of size ``n``: explicit for an integer, ``Identity`` for a symbol."""
    return sp.eye(int(n)) if _is_explicit(n) else Identity(n)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _mul(*factors):
    if any(f is None for f in factors):
        return None
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out


def _scale(c, a):
    return None if a is None else c * a


def block_mul(A: Blocks, B: Blocks) -> Blocks:
    """Product of two 2 x 2 block grids."""
    return [[_add(_mul(A[i][0], B[0][j]), _mul(A[i][1], B[1][j])) for j in range(2)] for i in range(2)]


def block_transpose(A: Blocks) -> Blocks:
    return [[None if A[j][i] is None else A[j][i].T for j in range(2)] for i in range(2)]


def block_scale(c, A: Blocks) -> Blocks:
    return [[_scale(c, A[i][j]) for j in range(2)] for i in range(2)]


def block_apply(A: Blocks, x, y):
    """``A @ (x; y)`` for a block grid and a token (or a matrix of tokens) split as ``(x, y)``."""
    return _add(_mul(A[0][0], x), _mul(A[0][1], y)), _add(_mul(A[1][0], x), _mul(A[1][1], y))


@dataclass(frozen=True)
class LSAWeights:
    """Weights of one linear self-attention layer, as 2 x 2 block grids.

    Attributes
    ----------
    P, W_V, W_K, W_Q : Blocks
        Each of shape ``(Nx + Ny, Nx + Ny)`` in blocks.
    """

    P: Blocks
    W_V: Blocks
    W_K: Blocks
    W_Q: Blocks

    @property
    def W_PV(self) -> Blocks:
        """``P W_V``: the only product of the value side that enters the layer."""
        return block_mul(self.P, self.W_V)

    @property
    def W_KQ(self) -> Blocks:
        """``W_K^T W_Q``: the only product of the key/query side that enters the layer."""
        return block_mul(block_transpose(self.W_K), self.W_Q)


@dataclass(frozen=True)
class Tokens:
    """A prompt: context tokens (columns of ``X``, ``Y``) and one query token.

    Attributes
    ----------
    X : matrix, shape (Nx, N)
    Y : matrix, shape (Ny, N)
    x_query : matrix, shape (Nx, 1)
    y_query : matrix, shape (Ny, 1)
    """

    X: object
    Y: object
    x_query: object
    y_query: object


def lsa_layer(W_PV: Blocks, W_KQ: Blocks, tokens: Tokens) -> Tokens:
    """One LSA layer applied to every token, keys and values from the context only.

    .. math:: e \\leftarrow e + W_{PV} \\Big(\\sum_{i=1}^{N} e_i e_i^\\top\\Big) W_{KQ}\\, e

    Parameters
    ----------
    W_PV, W_KQ : Blocks, shape (Nx + Ny, Nx + Ny)
    tokens : Tokens

    Returns
    -------
    Tokens
        The updated context and query.

    References
    ----------
    von Oswald et al. 2022, Eq. (5) (linear self-attention without softmax).
    """
    _validate(W_PV, W_KQ, tokens)
    from .models import N

    X, Y = tokens.X, tokens.Y
    context_gram = [[X * X.T, X * Y.T], [Y * X.T, Y * Y.T]]
    model = _layer_model()
    inv_rho = 1 / model.normaliser.subs(N, X.shape[1])
    blocks = {"W_PV_1": W_PV, "W_KQ_1": W_KQ}
    S = lambda v: block_apply(context_gram, *v)  # noqa: E731
    X2, Y2 = model.update(S, (X, Y), inv_rho, blocks, _BLOCK_OPS)
    xq, yq = model.update(S, (tokens.x_query, tokens.y_query), inv_rho, blocks, _BLOCK_OPS)
    return Tokens(X2, Y2, xq, yq)


@functools.lru_cache(maxsize=1)
def _layer_model():
    """von Oswald et al.'s layer as the model description (:func:`theory.models.oswald_model`): its formula
    is dimension-free, the block arithmetic carries the (possibly symbolic) sizes."""
    from .models import oswald_model

    return oswald_model(1)


class _BlockOps:
    """The arithmetic of :meth:`theory.LinearAttention.update` on 2 x 2 block grids acting on ``(x, y)`` pairs."""

    @staticmethod
    def matvec(M, v):
        return block_apply(M, *v)

    @staticmethod
    def transpose(M):
        return block_transpose(M)

    @staticmethod
    def add(u, v):
        return _add(u[0], v[0]), _add(u[1], v[1])

    @staticmethod
    def scale(c, v):
        return (v[0], v[1]) if c == 1 else (_scale(c, v[0]), _scale(c, v[1]))


_BLOCK_OPS = _BlockOps()


def _validate(W_PV: Blocks, W_KQ: Blocks, tokens: Tokens) -> None:
    """Shapes must agree; the message names the offending argument and the expected shape."""
    require_type("tokens", tokens, Tokens, "a theory.Tokens (X, Y, x_query, y_query)")
    for wname, W in (("W_PV", W_PV), ("W_KQ", W_KQ)):
        require_type(wname, W, (list, tuple), "a 2 x 2 grid of blocks [[xx, xy], [yx, yy]] (None for zero)")
    X, Y = tokens.X, tokens.Y
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"tokens.Y must have one column per context token like tokens.X: "
                         f"got X {X.shape} and Y {Y.shape}")
    dims = (X.shape[0], Y.shape[0])
    for name, value, expected in (("x_query", tokens.x_query, (dims[0], 1)), ("y_query", tokens.y_query, (dims[1], 1))):
        if tuple(value.shape) != expected:
            raise ValueError(f"tokens.{name} must have shape {expected} (got {tuple(value.shape)})")
    for wname, W in (("W_PV", W_PV), ("W_KQ", W_KQ)):
        if len(W) != 2 or any(len(row) != 2 for row in W):
            raise ValueError(f"{wname} must be a 2 x 2 grid of blocks [[xx, xy], [yx, yy]] (None for zero)")
        for i in range(2):
            for j in range(2):
                block = W[i][j]
                if block is not None and tuple(block.shape) != (dims[i], dims[j]):
                    raise ValueError(f"{wname} block ({i}, {j}) must have shape {(dims[i], dims[j])} "
                                     f"to act on tokens of sizes (Nx, Ny) = {dims} (got {tuple(block.shape)})")


def lsa_forward(weights: LSAWeights | list, tokens: Tokens, layers: int = 1) -> list[Tokens]:
    """Apply ``layers`` LSA layers (the same weights, or one per layer); return every state.

    Returns
    -------
    list of Tokens
        ``[tokens, after layer 1, ..., after layer K]``.
    """
    require_int("layers", layers, 1, "the number of LSA layers")
    require_type("weights", weights, (LSAWeights, list), "an LSAWeights or a list of them (one per layer)")
    if isinstance(weights, list) and layers != 1 and len(weights) != layers:
        raise ValueError(f"weights must have one LSAWeights per layer ({layers} layers, got {len(weights)}): "
                         "pass layers=len(weights) or one LSAWeights")
    per_layer = weights if isinstance(weights, list) else [weights] * layers
    states = [tokens]
    for w in per_layer:
        states.append(lsa_layer(w.W_PV, w.W_KQ, states[-1]))
    return states


def prediction(tokens: Tokens):
    """The model's prediction: minus the ``y``-part of the (updated) query token."""
    require_type("tokens", tokens, Tokens, "a theory.Tokens (X, Y, x_query, y_query)")
    return -tokens.y_query
