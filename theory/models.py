r"""A linear-attention model described once: embedding, parametrisation, readout and normaliser.

A model here is a *description* that the generic derivations of :mod:`theory.derive` consume; the
papers' models are instances (:func:`zheng_model`, :func:`oswald_model`, and the users' own).

One layer maps the context tokens :math:`z_1, \dots, z_n \in \mathbb{R}^E` (or :math:`\mathbb{C}^E`) and
a query token :math:`z_q` to

.. math::

    \hat y = s\, \Big[\, \delta\, z_q + \sum_{h=1}^{H} V_h^\top\, \frac{S}{\rho(n)}\, (KQ)_h\, z_q \Big]_{R},
    \qquad S = \sum_{i=1}^{n} z_i\, \overline{z_i}^{\top},

where :math:`(KQ)_h` is one merged matrix :math:`W^{KQ}_h` (``parametrisation="merged"``) or
:math:`K_h^\top Q_h` with :math:`K_h, Q_h \in \mathbb{R}^{r \times E}` (``"separate"``, rank ``r``);
:math:`V_h \in \mathbb{R}^{E \times |R|}` holds the readout rows of the value-projection matrix
(``value="readout"``) or all of :math:`W^{PV}_h = V_h^\top` (``value="full"``, then the residual
term :math:`\delta z_q` is kept, :math:`\delta = 1`); :math:`R` are the readout coordinates, :math:`s = \pm 1`
the readout sign and :math:`\rho` the normaliser, an expression in the number of context tokens ``N``.

Because :math:`\hat y` is linear in :math:`S`, it is a linear combination of the *cubic features*
:math:`S_{ij}\, z_{q,k}/\rho` with coefficients polynomial in the weights (:meth:`LinearAttention.features`):
this is the structure that lets :mod:`theory.derive` take population expectations for symbolic ``N``
(Zhang, Singh, Latham and Saxe 2025, Sec. 3, make the same observation).

References
----------
von Oswald et al. (2022), Eq. (5); Zheng et al. (2024), Sec. 3; Zhang, Singh, Latham, Saxe (2025), Sec. 3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy as sp

from .validation import fail, require_callable, require_choice, require_int, require_matrix, require_scalar

__all__ = ["SYMBOLS", "Embedding", "regression_embedding", "pair_embedding", "LinearAttention", "Features",
           "zheng_model", "oswald_model"]

#: The library's symbols with their assumptions (recreating one without them gives another symbol).
SYMBOLS = {
    "N": sp.Symbol("N", integer=True, positive=True),
    "T": sp.Symbol("T", integer=True, positive=True),
    "t": sp.Symbol("t", integer=True, positive=True),
    "eta": sp.Symbol("eta", real=True),
    "sigma": sp.Symbol("sigma", positive=True),
    "a": sp.Symbol("a", real=True),
    "b": sp.Symbol("b", real=True),
    "u": sp.Symbol("u", real=True),
    "c": sp.Symbol("c", real=True),
    "n": sp.Symbol("n", integer=True, positive=True),
    "s": sp.Symbol("s", positive=True),
}
N = SYMBOLS["N"]


@dataclass(frozen=True)
class Embedding:
    """How a task's token parts become the vectors the attention layer sees.

    Attributes
    ----------
    dim : int
        ``E``, the length of an embedded token.
    token : callable
        ``token(*parts) -> Matrix (E, 1)``; the parts are the task's (``(x_n, y_n)`` for in-context
        regression, ``(x_i, x_{i-1})`` for the autoregressive task).
    query : callable
        ``query(*parts) -> Matrix (E, 1)`` for the query token.
    name : str
    """

    dim: int
    token: Callable
    query: Callable
    name: str = "embedding"

    def __post_init__(self):
        require_int("dim", self.dim, minimum=1, why="the embedding dimension E counts coordinates")
        require_callable("token", self.token, "a callable token(*parts) -> Matrix (E, 1)")
        require_callable("query", self.query, "a callable query(*parts) -> Matrix (E, 1)")

    def embed(self, parts: Sequence, query: bool = False) -> sp.Matrix:
        """The embedded token, checked to be an ``(E, 1)`` matrix."""
        vec = (self.query if query else self.token)(*parts)
        vec = sp.Matrix(vec)
        if vec.shape != (self.dim, 1):
            which = "query" if query else "token"
            raise ValueError(f"embedding.{which} must return a ({self.dim}, 1) matrix (got shape {vec.shape}): "
                             f"make it agree with dim = {self.dim}")
        return vec


def regression_embedding(D: int) -> Embedding:
    r"""The in-context regression embedding :math:`z_n = (x_n; y_n)`, query :math:`z_q = (x_q; 0)`, ``E = D + 1``."""
    D = require_int("D", D, minimum=1, why="the input dimension counts coordinates")
    return Embedding(D + 1, lambda x, y: sp.Matrix.vstack(sp.Matrix(x), sp.Matrix([[y]])),
                     lambda x, y=0: sp.Matrix.vstack(sp.Matrix(x), sp.Matrix([[0]])), f"(x; y), D = {D}")


def pair_embedding(d: int, n_blocks: int = 2) -> Embedding:
    r"""Zheng et al.'s embedding: ``n_blocks`` stacked tokens, :math:`e_i = (x_i; x_{i-1})` for two blocks
    (the time shifts are the task's, :class:`theory.causal_model.CausalModel`), ``E = n_blocks d``."""
    d = require_int("d", d, minimum=1, why="the token dimension counts coordinates")
    n_blocks = require_int("n_blocks", n_blocks, minimum=1)
    stack = lambda *parts: sp.Matrix.vstack(*[sp.Matrix(p) for p in parts])  # noqa: E731
    return Embedding(n_blocks * d, stack, stack, f"(x_i; x_(i-1)), d = {d}")


@dataclass(frozen=True)
class Features:
    r"""The model's prediction as a linear combination of cubic features.

    ``prediction[k] = sum_f coefficients[k][f] * feature_f``, with ``feature_f`` the monomial
    ``monomials[f]`` in the symbols ``S`` (``E x E`` matrix of context sums), ``zq`` (query token) and
    ``inv_rho`` (``1/rho``).

    Attributes
    ----------
    S : Matrix, shape (E, E)
    zq : Matrix, shape (E, 1)
    inv_rho : Symbol
    monomials : tuple of Expr
    coefficients : tuple of tuple of Expr, shape (|R|, len(monomials))
    """

    S: sp.Matrix
    zq: sp.Matrix
    inv_rho: sp.Symbol
    monomials: tuple
    coefficients: tuple

    def prediction(self) -> sp.Matrix:
        """The prediction rebuilt from the features, shape ``(|R|, 1)``."""
        return sp.Matrix([sum((c * m for c, m in zip(row, self.monomials)), sp.Integer(0))
                          for row in self.coefficients])


class LinearAttention:
    r"""A (multi-head) linear-attention model described by its parts (see the module docstring).

    Parameters
    ----------
    D : int, optional
        Input dimension for the default regression embedding ``(x; y)`` (``E = D + 1``).
    embedding : Embedding, optional
        A user's embedding (exclusive with ``D``).
    heads : int, >= 1
    parametrisation : {"merged", "separate"}
    rank : int, optional
        Rank ``r`` of ``K_h, Q_h`` for ``"separate"`` (default ``E``).
    value : {"readout", "full"}
        ``"readout"``: only the readout rows of ``W^{PV}`` (blocks ``v_h``, shape ``(E, |R|)``);
        ``"full"``: ``W_PV_h`` of shape ``(E, E)`` and the residual stream.
    readout : int or sequence of int
        Output coordinates (default: the last, ``-1``).
    readout_sign : {1, -1}
        von Oswald et al. read the prediction as minus the query's ``y``-entry.
    normaliser : Expr in ``SYMBOLS["N"]``
        ``rho(N)`` with ``N`` the number of context tokens (default ``N``).
    fixed : dict, optional
        ``block name -> Matrix``: blocks held fixed (not trained), e.g. ``{"v_1": Matrix([0, 0, 1])}``.
    layers : int, >= 1
        Depth ``K`` (``value="full"``): each layer but the last updates every token
        :math:`z \leftarrow z + \sum_h W^{PV}_h (S/\rho) (KQ)_h z` (von Oswald et al., Eq. (5)); the last one
        reads out. Blocks of layer ``l`` are named ``W_KQ_<h>_L<l>``, ``W_PV_<h>_L<l>``.
    name : str

    Attributes
    ----------
    parameters : dict[str, Matrix]
        Every block (trained ones hold real Symbols; fixed ones their given values).
    symbols : tuple of Symbol
        The trained weights in a fixed order.

    Examples
    --------
    >>> m = LinearAttention(D=2, heads=2)
    >>> sorted(m.parameters)
    ['W_KQ_1', 'W_KQ_2', 'v_1', 'v_2']
    >>> len(m.symbols)
    24
    """

    def __init__(self, D: int | None = None, *, embedding: Embedding | None = None, heads: int = 1,
                 parametrisation: str = "merged", rank: int | None = None, value: str = "readout", readout=-1,
                 readout_sign: int = 1, normaliser=N, fixed: dict | None = None, layers: int = 1, name: str = "model"):
        if (D is None) == (embedding is None):
            raise ValueError("LinearAttention needs exactly one of D (the default (x; y) embedding) and embedding= "
                             f"(got D={D!r}, embedding={embedding!r})")
        if embedding is None:
            embedding = regression_embedding(D)
        elif not isinstance(embedding, Embedding):
            fail("embedding", "a theory.Embedding (see theory.regression_embedding, theory.pair_embedding)",
                 embedding, kind=TypeError)
        self.embedding = embedding
        E = self.E = embedding.dim
        self.heads = require_int("heads", heads, minimum=1)
        self.parametrisation = require_choice("parametrisation", parametrisation, ("merged", "separate"))
        if rank is not None and parametrisation != "separate":
            raise ValueError(f"rank applies only to parametrisation='separate' (got rank={rank!r} with "
                             f"{parametrisation!r}): drop rank or use separate K and Q")
        self.rank = E if rank is None else require_int("rank", rank, minimum=1, maximum=E)
        self.value = require_choice("value", value, ("readout", "full"))
        self.layers = require_int("layers", layers, minimum=1)
        if self.layers > 1 and self.value != "full":
            raise ValueError(f"layers = {layers} needs value='full' (got value={value!r}): a deeper layer reads the "
                             "tokens the previous one wrote, so every row of W_PV matters")
        coords = [readout] if isinstance(readout, int) and not isinstance(readout, bool) else list(readout) \
            if isinstance(readout, (list, tuple, range)) else None
        if not coords or any(isinstance(c, bool) or not isinstance(c, int) or not -E <= c < E for c in coords):
            fail("readout", f"an output coordinate or a list of them in [-{E}, {E})", readout,
                 "e.g. -1 for the y-entry", ValueError)
        self.readout = tuple(c % E for c in coords)
        if len(set(self.readout)) != len(self.readout):
            fail("readout", "distinct coordinates", readout)
        self.readout_sign = require_choice("readout_sign", readout_sign, (1, -1))
        self.normaliser = require_scalar("normaliser", normaliser, "an expression in theory.SYMBOLS['N']")
        extra = self.normaliser.free_symbols - {N}
        if extra:
            fail("normaliser", "an expression in theory.SYMBOLS['N'] only", normaliser,
                 f"it also has {sorted(map(str, extra))}")
        self.name = str(name)
        self.parameters = self._blocks()
        self.fixed = self._fix(fixed or {})
        for key, val in self.fixed.items():
            self.parameters[key] = val
        self.symbols = tuple(s for key in sorted(self.parameters) if key not in self.fixed
                             for s in self.parameters[key] if isinstance(s, sp.Symbol))

    # ------------------------------------------------------------------ description
    def _tag(self, h: int, layer: int) -> str:
        """Block suffix: ``h`` for one layer, ``h_L<layer>`` for deep models."""
        return f"{h}" if self.layers == 1 else f"{h}_L{layer}"

    def _shapes(self) -> dict:
        shapes = {}
        for layer in range(1, self.layers + 1):
            shapes |= self._layer_shapes(layer)
        return shapes

    def _layer_shapes(self, layer: int) -> dict:
        E, r, R = self.E, self.rank, len(self.readout)
        shapes = {}
        for k in range(1, self.heads + 1):
            h = self._tag(k, layer)
            if self.parametrisation == "merged":
                shapes[f"W_KQ_{h}"] = (E, E)
            else:
                shapes[f"K_{h}"] = (r, E)
                shapes[f"Q_{h}"] = (r, E)
            if self.value == "readout":
                shapes[f"v_{h}"] = (E, R)
            else:
                shapes[f"W_PV_{h}"] = (E, E)
        return shapes

    def _blocks(self) -> dict:
        blocks = {}
        for key, (rows, cols) in self._shapes().items():
            base, h = (key.rsplit("_", 2)[0], "".join(key.rsplit("_", 2)[1:])) if "_L" in key else key.rsplit("_", 1)
            stem = base.replace("_", "")
            sep = "," if max(rows, cols) > 9 else ""
            blocks[key] = sp.Matrix(rows, cols, lambda i, j: sp.Symbol(
                f"{stem}{h}_{i + 1}{sep}{j + 1}" if cols > 1 else f"{stem}{h}_{i + 1}", real=True))
        return blocks

    def _fix(self, fixed: dict) -> dict:
        if not isinstance(fixed, dict):
            fail("fixed", "a dict block name -> Matrix", fixed, kind=TypeError)
        shapes = self._shapes()
        out = {}
        for key, val in fixed.items():
            if key not in shapes:
                fail("fixed", f"keyed by the model's blocks {sorted(shapes)}", key)
            require_matrix(f"fixed[{key!r}]", val, shapes[key], f"the block {key} is {shapes[key]}")
            val = sp.Matrix(val)
            if val.has(sp.Float):
                fail(f"fixed[{key!r}]", "exact (a float rounds)", val, "use sympy.Rational")
            out[key] = val
        return out

    def with_values(self, values: dict | None) -> dict:
        """``symbol -> value`` substitution for ``values`` keyed by symbol or by block name."""
        if not values:
            return {}
        if not isinstance(values, dict):
            fail("values", "a dict (symbol -> value, or block name -> Matrix)", values, kind=TypeError)
        out = {}
        for key, val in values.items():
            if isinstance(key, str):
                if key not in self.parameters:
                    fail("values", f"keyed by the model's blocks {sorted(self.parameters)} or symbols", key)
                require_matrix(f"values[{key!r}]", val, self.parameters[key].shape)
                for s, v in zip(self.parameters[key], sp.Matrix(val)):
                    if isinstance(s, sp.Symbol):
                        out[s] = v
            elif isinstance(key, sp.Symbol):
                out[key] = val
            else:
                fail("values", "keyed by block names or the model's symbols", key, kind=TypeError)
        return out

    # ------------------------------------------------------------------ forward
    def apply(self, tokens: Sequence[sp.Matrix], query: sp.Matrix, conj_tokens: Sequence[sp.Matrix] | None = None,
              n=None) -> sp.Matrix:
        r"""The prediction for embedded tokens, shape ``(|R|, 1)`` (the formula of the module docstring).

        ``conj_tokens`` are the entrywise conjugates (default: the tokens, real data); ``n`` the number of
        context tokens put into the normaliser (default ``len(tokens)``).
        """
        real = conj_tokens is None
        if self.layers > 1 and not real:
            raise ValueError("a deep model (layers > 1) takes real tokens: pass conj_tokens=None")
        conj_tokens = tokens if real else conj_tokens
        n = len(tokens) if n is None else n
        inv_rho = 1 / self.normaliser.subs(N, n)
        if self.layers > 1:  # stacked in one place (theory.derive_layers.stack_tokens), read out at the end
            from .derive_layers import stack_tokens

            weights = [(self.parameters, layer) for layer in range(1, self.layers + 1)]
            _, queries = stack_tokens(self, list(tokens), sp.Matrix(query), weights, inv_rho, expand=False)
            return self.readout_sign * sp.Matrix([queries[-1][k] for k in self.readout])
        S = sp.zeros(self.E, self.E)
        for z, zc in zip(tokens, conj_tokens):
            S += z * zc.T
        return self._from_moments(S, query, inv_rho, self.layers)

    def _from_moments(self, S, zq, inv_rho, layer: int = 1) -> sp.Matrix:
        return self.readout_formula(lambda v: S * v, zq, inv_rho, layer=layer)

    def readout_formula(self, apply_S: Callable, zq, inv_rho, blocks: dict | None = None, ops=None, layer: int = 1):
        r"""The model's one formula :math:`s\,[\delta z_q + \sum_h V_h^\top S (KQ)_h z_q / \rho]_R`, in any arithmetic.

        Every evaluation of the model goes through here or through :meth:`update` (the same formula on
        every row): :meth:`apply` and :meth:`features` with SymPy matrices, stacked layers
        (:func:`theory.derive_layers.stack_tokens`) with polynomial matrices, the exact autoregressive
        expectation (:mod:`theory.zheng_population`) with first-order jets over a polynomial ring, and
        the block-matrix LSA layer for symbolic sizes (:func:`theory.attention.lsa_layer`).

        Parameters
        ----------
        apply_S : callable
            ``v -> S v`` for the context sum :math:`S = \sum_i z_i \overline{z_i}^\top` (``S`` need not be
            formed: the ring evaluates :math:`\sum_i z_i (\overline{z_i}^\top v)`).
        zq : vector, length E
            The query token.
        inv_rho : scalar of the arithmetic
            :math:`1/\rho`.
        blocks : dict, optional
            ``block name -> matrix`` in the arithmetic (default: :attr:`parameters`, SymPy).
        ops : object, optional
            The arithmetic: ``matvec(M, v)``, ``transpose(M)``, ``add(u, v)``, ``scale(c, v)``,
            ``rows(M, idx)``, ``entries(v, idx)`` (default :data:`SYMPY_OPS`).
        layer : int

        Returns
        -------
        vector, length ``|R|``
        """
        out = self._attend(apply_S, zq, inv_rho, blocks, SYMPY_OPS if ops is None else ops, layer, self.readout)
        return out if self.readout_sign == 1 else (SYMPY_OPS if ops is None else ops).scale(-1, out)

    def update(self, apply_S: Callable, z, inv_rho, blocks: dict | None = None, ops=None, layer: int = 1):
        r"""One layer's update of a token, every row: :math:`z + \sum_h W^{PV}_h S (KQ)_h z / \rho`
        (``value="full"``; von Oswald et al., Eq. (5)). Arguments as :meth:`readout_formula`; ``z`` may be
        a matrix of tokens (one per column)."""
        if self.value != "full":
            raise ValueError("update needs value='full' (the whole W_PV): a readout-only model writes no token")
        return self._attend(apply_S, z, inv_rho, blocks, SYMPY_OPS if ops is None else ops, layer, None)

    def _attend(self, apply_S, z, inv_rho, blocks, ops, layer, rows):
        """``delta z + sum_h V_h^T S (KQ)_h z / rho`` on ``rows`` (``None``: every row)."""
        blocks = self.parameters if blocks is None else blocks
        out = None
        for h in range(1, self.heads + 1):
            tag = self._tag(h, layer)
            if self.parametrisation == "merged":
                v = ops.matvec(blocks[f"W_KQ_{tag}"], z)
            else:
                v = ops.matvec(ops.transpose(blocks[f"K_{tag}"]), ops.matvec(blocks[f"Q_{tag}"], z))
            if self.value == "readout":
                V = ops.transpose(blocks[f"v_{tag}"])
            else:
                V = blocks[f"W_PV_{tag}"] if rows is None else ops.rows(blocks[f"W_PV_{tag}"], rows)
            y = ops.matvec(V, apply_S(v))
            out = y if out is None else ops.add(out, y)
        out = ops.scale(inv_rho, out)
        if self.value == "full":
            out = ops.add(out, z if rows is None else ops.entries(z, rows))
        return out

    def predict(self, xs: Sequence, ys: Sequence, x_q, values: dict | None = None) -> sp.Expr | sp.Matrix:
        """The prediction on an in-context regression prompt ``(x_n, y_n)_n, x_q`` (scalar for one readout)."""
        if len(xs) != len(ys):
            raise ValueError(f"xs and ys must have the same length (got {len(xs)} and {len(ys)}): one label per input")
        tokens = [self.embedding.embed((x, y)) for x, y in zip(xs, ys)]
        out = self.apply(tokens, self.embedding.embed((x_q, 0), query=True)).subs(self.with_values(values))
        return out[0] if out.shape == (1, 1) else out

    def features(self) -> Features:
        """The prediction as cubic features ``S_ij z_q,k / rho`` with weight-polynomial coefficients (one layer)."""
        if self.layers > 1:
            raise ValueError(f"features exist for one layer only (got layers = {self.layers}): a deep model's "
                             "prediction is not linear in the context sums; use an integer N")
        E = self.E
        S = sp.Matrix(E, E, lambda i, j: sp.Symbol(f"S_{i + 1}{j + 1}"))
        zq = sp.Matrix(E, 1, lambda i, j: sp.Symbol(f"zq_{i + 1}"))
        inv_rho = sp.Symbol("rho_inv", positive=True)
        gens = list(S) + list(zq) + [inv_rho]
        pred = self._from_moments(S, zq, inv_rho)
        polys = [sp.Poly(sp.expand(p), *gens) for p in pred]
        monos = sorted({m for p in polys for m in p.monoms()}, reverse=True)
        monomials = tuple(sp.Mul(*[g ** k for g, k in zip(gens, m)]) for m in monos)
        coefficients = tuple(tuple(dict(p.terms()).get(m, sp.Integer(0)) for m in monos) for p in polys)
        return Features(S, zq, inv_rho, monomials, coefficients)

    def __repr__(self) -> str:
        kq = "W_KQ" if self.parametrisation == "merged" else f"K^T Q (rank {self.rank})"
        return (f"LinearAttention({self.name!r}: {self.embedding.name}, {self.heads} head(s), {kq}, value "
                f"{self.value}, readout {list(self.readout)}, rho = {self.normaliser})")


class _SympyOps:
    """The arithmetic of :meth:`LinearAttention.readout_formula` on SymPy matrices."""

    @staticmethod
    def matvec(M, v):
        return M * v

    @staticmethod
    def transpose(M):
        return M.T

    @staticmethod
    def add(u, v):
        return u + v

    @staticmethod
    def scale(c, v):
        return c * v

    @staticmethod
    def rows(M, idx):
        return sp.Matrix([M.row(k) for k in idx])

    @staticmethod
    def entries(v, idx):
        return sp.Matrix([v[k] for k in idx])


#: SymPy matrices: the default arithmetic of :meth:`LinearAttention.readout_formula`.
SYMPY_OPS = _SympyOps()


def zheng_model(d: int, structure=None) -> LinearAttention:
    r"""Zheng et al.'s causal model as an instance, read from :func:`theory.causal_model.causal_model` (its one
    definition): the embedding's blocks from its time shifts, the readout the first ``d`` coordinates of
    :math:`W^{PV} E_t E_t^H W^{KQ} e_t / \rho_t`, and :math:`\rho` from its ``rho`` with the context
    :math:`e_1..e_{t + c}` of ``N = t + c`` tokens (``c = context_last``).

    ``structure`` is a :class:`theory.causal_model.CausalModel` (default: the current conventions)."""
    from .causal_model import CausalModel, causal_model

    d = require_int("d", d, minimum=1, why="the token dimension counts coordinates")
    cm = causal_model() if structure is None else structure
    if not isinstance(cm, CausalModel):
        fail("structure", "a theory.causal_model.CausalModel or None", structure, kind=TypeError)
    rho = sp.sympify(cm.rho).subs(SYMBOLS["t"], N - cm.context_last)
    return LinearAttention(embedding=pair_embedding(d, cm.n_blocks), readout=list(range(d)), normaliser=rho,
                           name="zheng2024")


def oswald_model(D: int, layers: int = 1) -> LinearAttention:
    r"""von Oswald et al.'s one-layer LSA as an instance: residual stream, :math:`\hat y = -[z_q + W^{PV} S W^{KQ} z_q]_y`
    (no normaliser: their constructions carry :math:`\eta/N`)."""
    return LinearAttention(D=D, value="full", readout_sign=-1, normaliser=sp.Integer(1), layers=layers,
                           name="oswald2022")
