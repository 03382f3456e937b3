r"""Several linear-attention layers stacked: every token updated, the query read out at the end.

:class:`theory.LinearAttention` describes one layer and predicts from the query's readout coordinates.
A stack of :math:`L` such layers with the full value-projection matrix (``value="full"``) updates every
token, context and query alike, with keys and values from the context tokens only (the mask of
von Oswald et al. 2022 and Ahn et al. 2023, Eq. 3-4):

.. math::

    z^{(\ell+1)}_j = z^{(\ell)}_j + \sum_{h} W^{PV}_{h,\ell}\,
        \frac{S^{(\ell)}}{\rho(n)}\, (KQ)_{h,\ell}\, z^{(\ell)}_j,
    \qquad S^{(\ell)} = \sum_{i=1}^{n} z^{(\ell)}_i\, z^{(\ell)\top}_i,

for :math:`j = 1, \dots, n` and the query :math:`j = q`; the prediction is the model's readout (sign and
coordinates) of :math:`z^{(L)}_q`. Each layer has its own weights: one ``values`` dict per layer, keyed
by the model's block names (``"W_PV_1"``, ``"W_KQ_1"``, ...) or symbols.

References
----------
von Oswald et al. (2022), Sec. 3 (K layers, K steps); Ahn, Cheng, Daneshmand, Sra (2023), Eq. (3)-(4), Lemma 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import sympy as sp

from .models import N as N_sym
from .models import LinearAttention
from .polymatrix import PolyMatrix
from .validation import fail, require_type

__all__ = ["StackedForward", "stacked_forward", "stack_tokens"]


@dataclass(frozen=True)
class StackedForward:
    """The tokens after each layer of a stack.

    Attributes
    ----------
    context : list of list of Matrix, shape (E, 1)
        ``context[l]`` are the n context tokens after ``l`` layers (``context[0]`` the embedded prompt).
    query : list of Matrix, shape (E, 1)
        ``query[l]``, the query token after ``l`` layers.
    predictions : list of Expr or Matrix
        ``predictions[l]``: the model's readout of ``query[l]`` (sign and coordinates), ``l = 0 .. L``.
    """

    context: list
    query: list
    predictions: list

    @property
    def prediction(self):
        """The prediction after the last layer."""
        return self.predictions[-1]


def stacked_forward(model: LinearAttention, layers: Sequence[dict], xs: Sequence, ys: Sequence, x_q) -> StackedForward:
    r"""Apply ``len(layers)`` layers of ``model`` (each with its own weights) to an in-context regression prompt.

    Parameters
    ----------
    model : LinearAttention
        With ``value="full"`` (each layer needs the whole value-projection matrix to update every coordinate).
    layers : sequence of dict
        One ``values`` dict per layer (block name -> Matrix, or symbol -> value, as ``model.with_values``);
        weights not given stay symbolic (the model's symbols, shared by the layers that leave them free).
    xs, ys, x_q : the prompt: D x 1 inputs, scalar labels, the D x 1 query.

    Returns
    -------
    StackedForward

    Raises
    ------
    ValueError
        If the model reads out only the value rows (``value="readout"``) or ``layers`` is empty.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import LinearAttention
    >>> m = LinearAttention(D=1, value="full", normaliser=sp.Integer(1))
    >>> P, Q = sp.Matrix([[0, 0], [0, 1]]), sp.Matrix([[-1, 0], [0, 0]])
    >>> out = stacked_forward(m, [{"W_PV_1": P, "W_KQ_1": Q}], [sp.Matrix([2])], [sp.Integer(3)], sp.Matrix([5]))
    >>> out.prediction                   # [z_q]_y = 0 + 3 * (2 * -1 * 5)
    -30
    """
    require_type("model", model, LinearAttention, "a theory.LinearAttention")
    if model.value != "full":
        fail("model", "a LinearAttention with value='full'", model,
             "a stacked layer updates every coordinate of every token: it needs the whole W_PV")
    if isinstance(layers, dict) or not isinstance(layers, (list, tuple)) or not layers:
        fail("layers", "a non-empty list of values dicts, one per layer", layers, kind=TypeError)
    if len(xs) != len(ys):
        fail("ys", f"one label per input ({len(xs)} inputs)", ys)
    n = len(xs)
    context = [model.embedding.embed((x, y)) for x, y in zip(xs, ys)]
    query = model.embedding.embed((x_q, 0), query=True)
    inv_rho = 1 / model.normaliser.subs(N_sym, n)
    subs = []
    for layer, values in enumerate(layers, start=1):
        if not isinstance(values, dict):
            fail(f"layers[{layer - 1}]", "a dict (block name -> Matrix, or symbol -> value)", values, kind=TypeError)
        sub = model.with_values(values)
        subs.append(({name: block.xreplace(sub) for name, block in model.parameters.items()}, 1))
    history_c, history_q = stack_tokens(model, context, query, subs, inv_rho)
    predictions = []
    for z in history_q:
        out = model.readout_sign * sp.Matrix([z[k] for k in model.readout])
        predictions.append(out[0] if out.shape == (1, 1) else out)
    return StackedForward(history_c, history_q, predictions)


def stack_tokens(model: LinearAttention, context: list, query: sp.Matrix, layers: list, inv_rho,
                 expand: bool = True) -> tuple[list, list]:
    r"""The one place where layers are stacked: every token updated by the model's
    :meth:`~theory.LinearAttention.update`, :math:`z \leftarrow z + \sum_h W^{PV}_h (S/\rho) (KQ)_h z`,
    keys and values from the context.

    Parameters
    ----------
    model : LinearAttention
        ``value="full"``: its one formula (heads, merged or separate key-query) is applied.
    context : list of Matrix (E, 1)
    query : Matrix (E, 1)
    layers : list of ``(blocks, layer)``
        One per layer: the model's blocks (name -> Matrix) and which of the model's layers names them
        (``1`` for a one-layer model given new weights per layer).
    inv_rho : Expr
        ``1 / rho(n)``.
    expand : bool
        Expanded polynomials (on a polynomial ring when possible); ``False`` keeps SymPy's unexpanded
        products, cheaper when the weights are symbols to be substituted later.

    Returns
    -------
    (context history, query history)
        The tokens after ``0 .. L`` layers (used by :func:`stacked_forward` and by
        :meth:`theory.LinearAttention.apply` for ``layers > 1``).
    """
    ring = _polynomial_ring([*context, query, *(m for blocks, _ in layers for m in blocks.values())], inv_rho) \
        if expand else None
    lift = (lambda m: PolyMatrix.from_sympy(m, ring)) if ring is not None else (lambda m: m)
    drop = (lambda m: m.to_sympy()) if ring is not None else \
        ((lambda m: m.applyfunc(sp.expand)) if expand else (lambda m: m))
    ctx, qry = [lift(z) for z in context], lift(query)
    history_c, history_q = [list(context)], [query]
    for blocks, layer in layers:
        S = None
        for z in ctx:
            S = z * z.T if S is None else S + z * z.T
        lifted = {name: lift(m) for name, m in blocks.items()}
        step = lambda z: model.update(lambda v: S * v, z, inv_rho, lifted, layer=layer)  # noqa: E731
        ctx, qry = [step(z) for z in ctx], step(qry)
        history_c.append([drop(z) for z in ctx])
        history_q.append(drop(qry))
    return history_c, history_q


def _polynomial_ring(matrices, inv_rho):
    """QQ[free symbols] when every entry is a polynomial with rational coefficients (else None: SymPy path)."""
    if not sp.sympify(inv_rho).is_Rational:
        return None
    gens = set()
    for m in matrices:
        for e in m:
            e = sp.sympify(e)
            gens |= e.free_symbols
    gens = sorted(gens, key=str)
    if not gens:
        return None
    for m in matrices:
        for e in m:
            e = sp.sympify(e)
            if not e.is_polynomial(*gens) or not all(a.is_Rational for a in e.atoms(sp.Number)):
                return None
    return PolyMatrix.ring(gens)
