r"""The ONE definition of Zheng et al.'s causal model, and the index-term structure generated from it.

The model (spec ``zheng2024.md`` section 2) is :class:`CausalModel`:

* the embedding as blocks with time shifts, ``e_i = (x_{i + s_1}; x_{i + s_2})`` with
  ``shifts = (0, -1)`` and :math:`x_s = 0` for ``s < 1``;
* the parametrisation :math:`W^{PV}` (one row block, ``len(shifts)`` column blocks) and
  :math:`W^{KQ}` (``len(shifts)`` x ``len(shifts)`` blocks);
* the context :math:`E_t = [e_1, \dots, e_t]` and the target :math:`x_{t+1}` (the readout
  :math:`\hat y_t = \rho_t^{-1} W^{PV} E_t E_t^H W^{KQ} e_t` is the description's formula,
  :func:`theory.zheng_model`);
* the normaliser ``rho`` and the loss scale, read at call time from the conventions of
  :mod:`theory.dynamics` (``RHO``, ``LOSS_SCALE``): a change there flows into everything;
* the prediction steps ``t = first_step .. T - target_shift``.

:func:`theory.causal_attention.causal_prediction` and
:func:`theory.zheng_population.population_derivatives` read the time structure from here and the
prediction from the model description :func:`theory.zheng_model` (built from this structure). For
symbolic ``t`` and ``d`` the *term structure* is generated from the same description:
:func:`prediction_terms` runs its :meth:`~theory.LinearAttention.readout_formula` in an index-term
arithmetic (weight factors with block and coordinate labels, token factors with time offsets and
conjugation flags, the summation range of the context index, the normaliser);
:func:`derivative_terms` differentiates a
term list along a weight block entry ``(p, q)``; :func:`conjugate_terms` conjugates;
:func:`manifold_point` reads the blocks of :math:`M_{A,B}`, :math:`M_{a,b}` or the diagonal
manifold off :func:`theory.causal_attention.manifold_AB` / ``manifold_ab`` and
:func:`at_point` substitutes them (``A = aI`` ties the row and column labels of the factor).
:func:`phase_patterns` then enumerates, for a term, the set partitions of its coordinate labels
(which labels coincide) and counts the index tuples with zero net phase with the proved counter
:func:`theory.lattice_count.count_lattice_points`.

References
----------
Zheng et al. (2024), Sec. 3; spec ``zheng2024.md`` sections 2, 4 and 6.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from functools import lru_cache

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from .lattice_count import LatticeCount, count_lattice_points, t_sym

__all__ = ["CausalModel", "causal_model", "Token", "Weight", "Term", "prediction_terms", "residual_terms",
           "derivative_terms", "conjugate_terms", "product_terms", "manifold_point", "at_point", "gradient_terms",
           "loss_terms", "Pattern", "phase_patterns", "evaluate_terms", "assemble_expectation", "BLOCK_NAMES",
           "block_key", "FIXED_LABELS"]

#: Labels that denote given coordinates (a gradient entry (p, q), an output coordinate j); all others are summed.
FIXED_LABELS = ("p", "q", "j")
_I = sp.Symbol("i", integer=True)


@dataclass(frozen=True)
class CausalModel:
    """The causal linear-attention model (see the module docstring).

    Attributes
    ----------
    rho : Expr
        The normaliser as an expression in ``t`` (``theory.dynamics.RHO``).
    loss_scale : Expr
        ``c`` in ``L = E sum_t c ||yhat_t - x_{t+1}||^2`` (``theory.dynamics.LOSS_SCALE``).
    shifts : tuple of int
        Time shift of each embedding block: block ``b`` of ``e_i`` is ``x_{i + shifts[b]}``.
    target_shift : int
        The target of step ``t`` is ``x_{t + target_shift}``.
    first_step : int
        The first prediction step (``rho(first_step) > 0``).
    context_last : int
        The context of step ``t`` is ``e_1 .. e_{t + context_last}``.
    """

    rho: sp.Expr
    loss_scale: sp.Expr
    shifts: tuple = (0, -1)
    target_shift: int = 1
    first_step: int = 2
    context_last: int = 0

    @property
    def n_blocks(self) -> int:
        return len(self.shifts)

    def rho_at(self, t: int) -> sp.Expr:
        """``rho`` at a concrete step (must be positive)."""
        value = sp.sympify(self.rho).subs(t_sym, t)
        if not (value.is_positive is True):
            raise ValueError(f"rho_t must be positive at t = {t} (got {value}): check RHO in theory.dynamics")
        return value

    def steps(self, T: int) -> range:
        """The prediction steps ``t`` of a sequence of length ``T``."""
        return range(self.first_step, T - self.target_shift + 1)

    def token_time(self, i, block: int):
        """Time of block ``block`` of ``e_i``."""
        return i + self.shifts[block]

    def block_parts(self, i: int, T: int, token, zero) -> list:
        """The parts of ``e_i`` in a sequence of length ``T``: ``token(s)`` for block time ``s`` in ``1..T``,
        else ``zero`` (``x_s = 0`` outside the sequence); the one place this rule is written."""
        return [token(s) if 1 <= s <= T else zero for s in (self.token_time(i, b) for b in range(self.n_blocks))]


def causal_model() -> CausalModel:
    """The model with the conventions of :mod:`theory.dynamics` as they are *now* (read at call time)."""
    from . import dynamics

    return CausalModel(rho=sp.sympify(dynamics.RHO), loss_scale=sp.sympify(dynamics.LOSS_SCALE))


# ----------------------------------------------------------------------------- term algebra
@dataclass(frozen=True)
class Token:
    """A token factor ``x_{time, label}`` (or its conjugate)."""

    label: str
    time: sp.Expr
    conj: bool


@dataclass(frozen=True)
class Weight:
    """A weight factor ``name[row, col]`` (or its conjugate).

    ``name`` is a block key ``("PV" | "KQ", row_block, col_block)`` before a point is substituted,
    then a matrix name (``kind = "generic"``) or a scalar / diagonal name (``kind = "scalar"`` /
    ``"diagonal"``: row and column label tied).
    """

    name: object
    row: str
    col: str
    conj: bool
    kind: str = "free"


@dataclass(frozen=True)
class Term:
    """``coeff(t) * prod(weights) * sum_{indices} prod(tokens)`` at output coordinate ``output``."""

    coeff: sp.Expr
    weights: tuple
    tokens: tuple
    indices: tuple          # ((Symbol, lo, hi), ...)
    output: str
    requires: tuple = field(default=())     # pairs of fixed labels that must be equal

    @property
    def labels(self) -> tuple:
        labs = {tok.label for tok in self.tokens} | {w.row for w in self.weights} | {w.col for w in self.weights}
        labs.add(self.output)
        return tuple(sorted(labs))

    @property
    def token_labels(self) -> tuple:
        return tuple(sorted({tok.label for tok in self.tokens}))


def block_key(name: str) -> tuple:
    """``"W_PV_12"`` -> ``("PV", 0, 1)`` (1-based block numbers in the name)."""
    try:
        _, matrix, rc = name.split("_")
        key = (matrix, int(rc[0]) - 1, int(rc[1]) - 1)
    except (ValueError, IndexError):
        key = None
    if key is None or key[0] not in ("PV", "KQ") or len(rc) != 2:
        raise ValueError(f"block must be named like 'W_PV_11' or 'W_KQ_21' (got {name!r})")
    return key


def BLOCK_NAMES(model: CausalModel) -> tuple:
    """Every weight block of the model, ``W_PV_1c`` and ``W_KQ_rc`` (1-based)."""
    n = model.n_blocks
    return tuple([f"W_PV_1{c + 1}" for c in range(n)] + [f"W_KQ_{r + 1}{c + 1}" for r in range(n) for c in range(n)])


def _rename(term: Term, mapping: dict) -> Term:
    m = lambda x: mapping.get(x, x)          # noqa: E731
    return replace(term, weights=tuple(replace(w, row=m(w.row), col=m(w.col)) for w in term.weights),
                   tokens=tuple(replace(tok, label=m(tok.label)) for tok in term.tokens), output=m(term.output),
                   requires=tuple((m(a), m(b)) for a, b in term.requires))


def prediction_terms(model: CausalModel) -> list[Term]:
    r"""Index terms of :math:`\hat y_{t,P}`, generated from the model description's one formula.

    :meth:`theory.LinearAttention.readout_formula` of :func:`theory.zheng_model` (at ``d = 1``, so that each
    coordinate of the description stands for a block of ``d`` entries) runs in the index-term arithmetic
    :class:`_IndexOps`: a weight block times a vector of terms adds a weight factor with a fresh row label
    contracted with the vector's label; the context applies
    :math:`\sum_i x_{i+s_\beta, m}\,\overline{x_{i+s_\gamma, n}}` with the index ``i`` over the context,
    restricted to the tokens that exist (``x_s = 0`` for ``s < 1``). For the present model this is
    :math:`\rho_t^{-1}\sum_{\beta\gamma\delta}\sum_{m n s} W^{PV}_{(0,P),(\beta,m)}
    \sum_{i} x_{i+s_\beta, m}\,\overline{x_{i+s_\gamma, n}}\, W^{KQ}_{(\gamma,n),(\delta,s)}\, x_{t+s_\delta, s}`.
    """
    from .models import N, zheng_model

    description = zheng_model(1, model)
    if description.heads != 1 or description.parametrisation != "merged" or description.value != "readout":
        raise NotImplementedError("index terms are generated for one head, merged W_KQ and value rows")
    n = model.n_blocks
    for b in range(n):
        if model.token_time(model.first_step, b) < 1:
            raise NotImplementedError("a query block that does not exist at the first step is not handled")
    ops = _IndexOps()
    query = [[_Partial(sp.Integer(1), (), (Token("s", model.token_time(t_sym, b), False),), (), "s")] for b in range(n)]

    def context(v):                                  # S v = sum_i e_i conj(e_i)^T v, blockwise
        label = ops.fresh()
        out = []
        for b1 in range(n):
            row = []
            for b2 in range(n):
                lo = max(1, 1 - model.shifts[b1], 1 - model.shifts[b2])
                rng = ((_I, sp.Integer(lo), t_sym + model.context_last),)
                row += [replace(p, tokens=(Token(label, model.token_time(_I, b1), False),
                                           Token(p.label, model.token_time(_I, b2), True)) + p.tokens,
                                indices=rng + p.indices, label=label) for p in v[b2]]
            out.append(row)
        return out

    blocks = {"v_1": _BlockWeight("PV", transposed=True, shape=(n, 1)), "W_KQ_1": _BlockWeight("KQ", shape=(n, n))}
    inv_rho = 1 / description.normaliser.subs(N, t_sym + model.context_last)
    (row,) = description.readout_formula(context, query, inv_rho, blocks, ops)
    return [Term(p.coeff, p.weights, p.tokens, p.indices, p.label) for p in row]


@dataclass(frozen=True)
class _Partial:
    """A term under construction: its free (row) label is ``label``."""

    coeff: sp.Expr
    weights: tuple
    tokens: tuple
    indices: tuple
    label: str


@dataclass(frozen=True)
class _BlockWeight:
    """A weight matrix of the description as blocks: entry ``(r, c)`` is block ``(r, c)`` of ``W^{name}``
    (``(c, r)`` when ``transposed``: the description's ``v_1`` holds the rows of ``W^{PV}`` as columns)."""

    name: str
    transposed: bool = False
    shape: tuple = (1, 1)

    def key(self, r: int, c: int) -> tuple:
        return (self.name, c, r) if self.transposed else (self.name, r, c)


class _IndexOps:
    """:meth:`theory.LinearAttention.readout_formula`'s arithmetic on index terms (vectors: lists, one per
    block, of term lists). Fresh labels are handed out in the order the formula creates them."""

    _LABELS = ("n", "m", "P")

    def __init__(self):
        self._next = 0

    def fresh(self) -> str:
        label = self._LABELS[self._next]
        self._next += 1
        return label

    def matvec(self, M, v):
        label = self.fresh()
        rows, cols = M.shape
        return [[replace(p, weights=(Weight(M.key(r, c), label, p.label, False),) + p.weights, label=label)
                 for c in range(cols) for p in v[c]] for r in range(rows)]

    @staticmethod
    def transpose(M):
        return _BlockWeight(M.name, not M.transposed, M.shape[::-1])

    @staticmethod
    def add(u, v):
        return [a + b for a, b in zip(u, v)]

    @staticmethod
    def scale(c, v):
        return [[replace(p, coeff=c * p.coeff) for p in row] for row in v]

    @staticmethod
    def rows(M, idx):  # pragma: no cover - value rows only (checked above)
        raise NotImplementedError("index terms need the value rows (value='readout')")

    entries = rows


def residual_terms(model: CausalModel) -> list[Term]:
    r"""Index terms of :math:`r_{t,P} = \hat y_{t,P} - x_{t+1,P}`."""
    target = Term(sp.Integer(-1), (), (Token("P", t_sym + model.target_shift, False),), (), "P")
    return prediction_terms(model) + [target]


def derivative_terms(terms, block: str, p: str = "p", q: str = "q") -> list[Term]:
    r"""Directional derivative of a term list along the entry ``(p, q)`` of ``block`` (e.g. ``"W_KQ_12"``).

    Each unconjugated weight factor of that block is replaced by 1 and its row and column labels
    by ``p`` and ``q`` (a Kronecker delta); the output label follows if it was the row label.
    """
    key = block_key(block)
    out = []
    for term in terms:
        for n, w in enumerate(term.weights):
            if w.name == key and not w.conj:
                rest = replace(term, weights=term.weights[:n] + term.weights[n + 1:])
                out.append(_rename(rest, {w.row: p, w.col: q}))
    return out


def conjugate_terms(terms) -> list[Term]:
    """Complex conjugate: flips every conjugation flag (the coefficients are real functions of t)."""
    return [replace(term, coeff=sp.conjugate(term.coeff),
                    weights=tuple(replace(w, conj=not w.conj) for w in term.weights),
                    tokens=tuple(replace(tok, conj=not tok.conj) for tok in term.tokens)) for term in terms]


def _apart(term: Term, tag: str) -> Term:
    mapping = {lab: lab + tag for lab in term.labels if lab not in FIXED_LABELS and lab != term.output}
    renamed = _rename(term, mapping)
    new_indices = []
    subs = {}
    for sym, lo, hi in term.indices:
        new = sp.Symbol(sym.name + tag, integer=True)
        subs[sym] = new
        new_indices.append((new, lo, hi))
    return replace(renamed, tokens=tuple(replace(tok, time=tok.time.xreplace(subs)) for tok in renamed.tokens),
                   indices=tuple(new_indices))


def product_terms(left, right, scale=1) -> list[Term]:
    """``scale * sum_P left_P * right_P``: term-by-term products at a common output coordinate."""
    out = []
    for a in left:
        for b in right:
            a2, b2 = _apart(a, "1"), _apart(b, "2")
            a2 = _rename(a2, {a2.output: b2.output}) if a2.output != b2.output else a2
            out.append(Term(sp.sympify(scale) * a2.coeff * b2.coeff, a2.weights + b2.weights, a2.tokens + b2.tokens,
                            a2.indices + b2.indices, b2.output, a2.requires + b2.requires))
    return out


@lru_cache(maxsize=None)
def manifold_point(kind: str) -> tuple:
    """The blocks of a manifold, read off :mod:`theory.causal_attention`'s constructors.

    ``kind``: ``"AB"`` (:math:`M_{A,B}`, generic ``A``, ``B``), ``"ab"`` (:math:`M_{a,b}`, ``aI``, ``bI``)
    or ``"diag"`` (``diag(a)``, ``diag(b)``).  Returns ``((block_key, (kind, name)), ...)`` for the
    non-zero blocks; the others are zero.
    """
    from .causal_attention import manifold_AB, manifold_ab

    d = 2
    A = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"A_{r}{c}"))
    B = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"B_{r}{c}"))
    a, b = sp.symbols("a b")
    if kind == "AB":
        W_PV, W_KQ = manifold_AB(A, B)
    elif kind == "ab":
        W_PV, W_KQ = manifold_ab(d, a, b)
    elif kind == "diag":
        W_PV, W_KQ = manifold_AB(sp.diag(*sp.symbols("a_0 a_1")), sp.diag(*sp.symbols("b_0 b_1")))
    else:
        raise ValueError(f"kind must be 'AB', 'ab' or 'diag' (got {kind!r})")
    out = []
    for matrix, W in (("PV", W_PV), ("KQ", W_KQ)):
        for rb in range(W.rows // d):
            for cb in range(W.cols // d):
                blk = W[rb * d:(rb + 1) * d, cb * d:(cb + 1) * d]
                key = (matrix, rb, cb)
                if blk.is_zero_matrix:
                    continue
                names = {str(e).split("_")[0] for e in blk if e != 0}
                (name,) = names
                if blk == sp.Matrix(d, d, lambda r, c: sp.Symbol(f"{name}_{r}{c}")):
                    out.append((key, ("generic", name)))
                elif blk == blk[0, 0] * sp.eye(d) and blk[0, 0].is_Symbol:
                    out.append((key, ("scalar", name)))
                elif blk.is_diagonal() and len(set(blk[r, r] for r in range(d))) == d:
                    out.append((key, ("diagonal", name)))
                else:
                    raise NotImplementedError(f"block {key} of the manifold {kind} is not recognised: {blk}")
    return tuple(out)


def at_point(terms, kind: str) -> list[Term]:
    """Substitute a manifold (:func:`manifold_point`): drop terms with a zero block; ``aI`` ties labels."""
    point = dict(manifold_point(kind))
    out = []
    for term in terms:
        weights = []
        mapping: dict = {}
        requires = list(term.requires)
        dropped = False
        for w in term.weights:
            if w.name not in point:
                dropped = True
                break
            kind_w, name = point[w.name]
            weights.append(replace(w, name=name, kind=kind_w))
        if dropped:
            continue
        new = replace(term, weights=tuple(weights))
        for w in weights:
            if w.kind in ("scalar", "diagonal"):        # A = a I: the row and column labels coincide
                r, c = mapping.get(w.row, w.row), mapping.get(w.col, w.col)
                r, c = _find(mapping, r), _find(mapping, c)
                if r == c:
                    continue
                if c not in FIXED_LABELS:
                    mapping[c] = r
                elif r not in FIXED_LABELS:
                    mapping[r] = c
                else:
                    requires.append((r, c))
        flat = {lab: _find(mapping, lab) for lab in mapping}
        new = _rename(replace(new, requires=tuple(requires)), flat)
        out.append(new)
    return out


def _find(mapping, lab):
    while lab in mapping:
        lab = mapping[lab]
    return lab


def gradient_terms(model: CausalModel, block: str, kind: str = "AB") -> list[Term]:
    r"""Terms of one step's contribution to :math:`\mathrm{grad}_{w} L` for the entry ``(p, q)`` of ``block``.

    :math:`\mathrm{grad}_w L = \partial_u L + i\,\partial_v L = 2c\sum_t\sum_P r_{t,P}\,\overline{\partial_w r_{t,P}}`
    (``c`` the loss scale, :math:`r` holomorphic in the weights), at the manifold ``kind``.
    """
    r = residual_terms(model)
    dr = derivative_terms(r, block)
    return at_point(product_terms(r, conjugate_terms(dr), scale=2 * model.loss_scale), kind)


def loss_terms(model: CausalModel, kind: str = "ab") -> list[Term]:
    r"""Terms of one step's per-coordinate loss :math:`c\,|r_{t,j}|^2` at the manifold ``kind``."""
    r = [_rename(term, {"P": "j"}) for term in residual_terms(model)]
    return at_point(product_terms(r, conjugate_terms(r), scale=model.loss_scale), kind)


# ----------------------------------------------------------------------------- phase patterns
@dataclass(frozen=True)
class Pattern:
    """One set partition of a term's token labels with its zero-phase count.

    Attributes
    ----------
    term : Term
    blocks : tuple of tuple of str
        Labels that take the same coordinate; distinct blocks take distinct coordinates.
    count : LatticeCount
        Number of index tuples with zero net phase in every block, proved for every t >= t_min.
    moment : tuple of (int, int)
        Per block, the exponents (a, b) of :math:`z^a \\bar z^b`.
    equations : tuple of Expr
    """

    term: Term
    blocks: tuple
    count: LatticeCount
    moment: tuple
    equations: tuple

    @property
    def proved_for(self) -> str:
        """The range of t for which the count is proved."""
        return self.count.scope

    def block_of(self, label: str) -> int:
        for n, blk in enumerate(self.blocks):
            if label in blk:
                return n
        raise KeyError(label)

    @property
    def fixed_blocks(self) -> dict:
        return {lab: n for n, blk in enumerate(self.blocks) for lab in blk if lab in FIXED_LABELS}

    def assignments(self, d):
        """Number of ways to give the non-fixed blocks distinct coordinates, different from the fixed
        ones: ``(d - f)(d - f - 1)...(d - f - r + 1)`` (``d`` may be a Symbol)."""
        f = len(set(self.fixed_blocks.values()))
        r = len(self.blocks) - f
        return sp.Mul(*[(d - f - k) for k in range(r)])


def _exponent(tok: Token):
    return -(tok.time - 1) if tok.conj else (tok.time - 1)


@lru_cache(maxsize=None)
def _count(equations: tuple, indices: tuple, t_min: int) -> LatticeCount:
    variables = [sym for sym, _, _ in indices]
    ranges = {sym: (lo, hi) for sym, lo, hi in indices}
    return count_lattice_points(list(equations), variables, ranges, t_min=t_min)


def phase_patterns(term: Term, distinct_fixed: bool, t_min: int = 2) -> list[Pattern]:
    """Every set partition of the term's token labels with its zero-phase count.

    Parameters
    ----------
    term : Term
    distinct_fixed : bool
        Put the fixed labels (``p``, ``q``, ``j``) in distinct blocks (an off-diagonal entry).
        Otherwise they may coincide too.  ``term.requires`` (fixed labels tied by the point) is honoured.
    t_min : int
        The first step (counts are proved for every t >= t_min).
    """
    labels = list(term.token_labels)
    out = []
    for partition in multiset_partitions(labels):
        blocks = tuple(tuple(b) for b in partition)
        block_of = {lab: n for n, blk in enumerate(blocks) for lab in blk}
        fixed = [lab for lab in labels if lab in FIXED_LABELS]
        if distinct_fixed and len({block_of[f] for f in fixed}) < len(fixed):
            continue
        ok = True
        for a, b in term.requires:
            if a in block_of and b in block_of and block_of[a] != block_of[b]:
                ok = False
            if distinct_fixed and a != b:
                ok = False
        if not ok:
            continue
        exps = [sp.Integer(0)] * len(blocks)
        moment = [[0, 0] for _ in blocks]
        for tok in term.tokens:
            n = block_of[tok.label]
            exps[n] += _exponent(tok)
            moment[n][1 if tok.conj else 0] += 1
        equations = tuple(sp.expand(e) for e in exps)
        count = _count(equations, term.indices, t_min)
        out.append(Pattern(term, blocks, count, tuple(tuple(m) for m in moment), equations))
    return out


# ----------------------------------------------------------------------------- evaluation at sizes
def _weight_value(w: Weight, values: dict, d: int, weights: dict):
    r, c = values[w.row], values[w.col]
    if w.kind == "free":
        matrix, rb, cb = w.name
        v = weights[matrix][rb * d + r, cb * d + c]
    elif w.kind == "generic":
        v = weights[w.name][r, c]
    elif w.kind == "scalar":
        v = weights[w.name] if r == c else 0
    else:
        v = weights[w.name][r] if r == c else 0
    if w.conj:
        conj = weights.get("__conj__")
        return conj(w, v, r, c) if conj is not None else sp.conjugate(v)
    return v


def evaluate_terms(terms, d: int, t: int, X: sp.Matrix, Xc: sp.Matrix, weights: dict, fixed: dict | None = None,
                   out=None):
    """Brute-force value of a term list at concrete ``d``, ``t``: every label and index value.

    Parameters
    ----------
    terms : list of Term
    d, t : int
    X, Xc : Matrix, shape (d, >= t + 1)
        Column ``s - 1`` holds ``x_s`` (resp. its conjugate).
    weights : dict
        ``"PV"``, ``"KQ"`` (free blocks) or the point's names to matrices / scalars / lists.
    fixed : dict, optional
        Values (0-based) of the fixed labels.
    out : optional
        A polynomial ring's zero: evaluate in that ring (``X``, ``Xc``, ``weights`` hold its elements,
        see :func:`assemble_expectation`) and return a list.

    Returns
    -------
    Matrix, shape (d, 1)
        Indexed by the output coordinate (terms whose output is fixed contribute at that row only).
    """
    fixed = dict(fixed or {})
    out = sp.zeros(d, 1) if out is None else [out] * d
    for term in terms:
        if any(fixed.get(a) != fixed.get(b) for a, b in term.requires):
            continue
        summed = [lab for lab in term.labels if lab not in fixed]
        conv = weights.get("__conv__", lambda x: x)
        one = weights.get("__one__", sp.Integer(1))
        coeff = conv(sp.sympify(term.coeff).subs(t_sym, t))
        ranges = [range(int(sp.sympify(lo).subs(t_sym, t)), int(sp.sympify(hi).subs(t_sym, t)) + 1)
                  for _, lo, hi in term.indices]
        syms = [s for s, _, _ in term.indices]
        for vals in itertools.product(range(d), repeat=len(summed)):
            values = {**fixed, **dict(zip(summed, vals))}
            w = one
            for wt in term.weights:
                w = w * _weight_value(wt, values, d, weights)
                if w == 0:
                    break
            if w == 0:
                continue
            total = 0 * one
            for idx in itertools.product(*ranges):
                sub = dict(zip(syms, idx))
                sub[t_sym] = t
                val = one
                for tok in term.tokens:
                    s = int(tok.time.xreplace(sub))
                    if s < 1:
                        val = 0 * one
                        break
                    val = val * (Xc if tok.conj else X)[values[tok.label], s - 1]
                total = total + val
            out[values[term.output]] += coeff * w * total
    return out


def assemble_expectation(patterns, d: int, t: int, z, zbar, weights: dict, fixed: dict):
    r""":math:`\mathbb{E}_W` of a term list at concrete ``(d, t)`` from its patterns' closed-form counts.

    Sums, over the patterns, the count at ``t`` times the coefficient, the weight factors and the
    z-monomial, over every assignment of distinct coordinates to the blocks (fixed labels take
    their values) and every value of the labels that carry no token.  Compared with the brute-force
    :func:`theory.zheng_population.population_derivatives`, this tests the counts and the patterns.
    """
    conv = weights.get("__conv__", lambda x: x)
    one = weights.get("__one__", sp.Integer(1))
    total = 0 * one
    for pat in patterns:
        c = pat.count.at(t)
        if c == 0:
            continue
        term = pat.term
        if any(fixed.get(a) != fixed.get(b) for a, b in term.requires):
            continue
        fixed_blocks = pat.fixed_blocks
        chosen_fixed = {}
        ok = True
        for lab, n in fixed_blocks.items():
            if n in chosen_fixed and chosen_fixed[n] != fixed[lab]:
                ok = False
            chosen_fixed[n] = fixed[lab]
        if not ok or len(set(chosen_fixed.values())) < len(chosen_fixed):
            continue
        others = [n for n in range(len(pat.blocks)) if n not in chosen_fixed]
        free_coords = [v for v in range(d) if v not in chosen_fixed.values()]
        weight_only = [lab for lab in term.labels if lab not in term.token_labels and lab not in fixed]
        coeff = conv(sp.sympify(term.coeff).subs(t_sym, t) * c)
        for vals in itertools.permutations(free_coords, len(others)):
            coord = {**chosen_fixed, **dict(zip(others, vals))}
            values = {lab: coord[n] for n, blk in enumerate(pat.blocks) for lab in blk}
            values.update(fixed)
            mono = one
            for n, (a, b) in enumerate(pat.moment):
                mono = mono * z[coord[n]] ** a * zbar[coord[n]] ** b
            for extra in itertools.product(range(d), repeat=len(weight_only)):
                vv = {**values, **dict(zip(weight_only, extra))}
                w = coeff * mono
                for wt in term.weights:
                    w = w * _weight_value(wt, vv, d, weights)
                total = total + w
    return total if "__one__" in weights else sp.expand(total)
