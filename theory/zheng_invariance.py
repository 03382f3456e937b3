r"""Invariance of :math:`M_{A,B}` and :math:`M_{a,b}` for every d, T and law, by index-pattern counting.

Everything here is generated from the model's one definition (:mod:`theory.causal_model`):
the gradient of an entry ``(p, q)`` of a block is
:math:`\mathrm{grad}_w L = 2c\sum_t\sum_P r_{t,P}\,\overline{\partial_w r_{t,P}}`, its terms are
produced by expanding the prediction blockwise, differentiating the term list along the entry,
conjugating, multiplying and substituting the manifold (:func:`theory.causal_model.gradient_terms`).
Every term is a product of tokens :math:`x_{s,\ell} = \lambda_\ell^{s-1} z_\ell` (conjugated or not)
with coordinate labels, a coefficient monomial in the weights and positive time weights; so
:math:`\mathbb{E}_W` of a gradient entry vanishes identically in ``z``, ``A``, ``B`` if for every set
partition of the token labels (which labels coincide) no choice of the time indices has zero net
exponent of every distinct :math:`\lambda`.  The partitions do not depend on d, and the counts are
proved for every t >= 2 (:mod:`theory.lattice_count`): this decides C1 for every d and T.

For C2, ``A = aI``, ``B = bI`` tie the row and column labels of each weight factor (derived from
:func:`theory.causal_attention.manifold_ab`); the z-moments of the surviving patterns of the
off-diagonal entries (``p != q``) are read off (:func:`off_diagonal_moment_types`) and compared, in
the claims module, with the moments that hypothesis (S) sets to zero.

References
----------
Zheng et al. (2024), invariance lemma behind Theorem 4.1; spec ``zheng2024.md`` C1, C2 and section 6.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .causal_model import (BLOCK_NAMES, CausalModel, assemble_expectation, block_key, causal_model, gradient_terms,
                           manifold_point, phase_patterns)

__all__ = ["off_blocks", "on_blocks", "OFF_BLOCKS", "ON_BLOCKS", "PhaseCount", "block_phase_counts",
           "off_block_invariance", "off_diagonal_moment_types", "gradient_patterns", "pattern_gradient",
           "moment_type"]


def on_blocks(model: CausalModel | None = None) -> tuple:
    """The blocks that are non-zero on :math:`M_{A,B}` (read off :func:`theory.causal_attention.manifold_AB`)."""
    model = model or causal_model()
    keys = {key for key, _ in manifold_point("AB")}
    return tuple(b for b in BLOCK_NAMES(model) if block_key(b) in keys)


def off_blocks(model: CausalModel | None = None) -> tuple:
    """The blocks that are zero on :math:`M_{A,B}` (C1: their gradient must vanish)."""
    model = model or causal_model()
    return tuple(b for b in BLOCK_NAMES(model) if b not in on_blocks(model))


#: The blocks zero on M_{A,B} and the two that move, derived from the model and the manifold.
OFF_BLOCKS = off_blocks(CausalModel(rho=sp.Integer(1), loss_scale=sp.Integer(1)))
ON_BLOCKS = on_blocks(CausalModel(rho=sp.Integer(1), loss_scale=sp.Integer(1)))


@dataclass(frozen=True)
class PhaseCount:
    """Zero-phase count of one term of a gradient entry under one coincidence pattern of its labels."""

    block: str
    term: str
    partition: tuple
    count: sp.Expr
    lattice: object = None


def _term_name(term) -> str:
    return "target" if len(term.weights) == 1 else "attention"


@lru_cache(maxsize=None)
def _gradient_patterns(model: CausalModel, block: str, kind: str, distinct_fixed: bool) -> tuple:
    out = []
    for term in gradient_terms(model, block, kind):
        out.extend(phase_patterns(term, distinct_fixed=distinct_fixed, t_min=model.first_step))
    return tuple(out)


def gradient_patterns(block: str, kind: str = "AB", distinct_fixed: bool = False, model: CausalModel | None = None):
    """Every (term, label partition) pattern of the gradient of ``block`` at the manifold ``kind``."""
    model = model or causal_model()
    if block not in BLOCK_NAMES(model):
        raise ValueError(f"block must be one of {sorted(BLOCK_NAMES(model))} (got {block!r})")
    return _gradient_patterns(model, block, kind, distinct_fixed)


def block_phase_counts(block: str) -> list[PhaseCount]:
    r"""Zero-phase counts of every term of the gradient of ``block`` at :math:`M_{A,B}`, over all label partitions.

    Returns
    -------
    list of PhaseCount
        One per (term, partition); ``count`` is proved for every ``t >= 2`` (closed form or Piecewise).
    """
    return [PhaseCount(block, _term_name(p.term), p.blocks, p.count.as_expr(), p.count)
            for p in gradient_patterns(block, "AB")]


def off_block_invariance() -> dict:
    r"""For each block: the patterns whose zero-phase count is not identically 0.

    Returns
    -------
    dict
        ``block -> list of PhaseCount`` with non-zero count.  C1 holds for every d, T and law
        iff the lists of :func:`off_blocks` are empty; the lists of :func:`on_blocks` must not be
        (a control that the enumeration sees the surviving terms).
    """
    model = causal_model()
    return {block: [pc for pc in block_phase_counts(block) if not pc.lattice.is_zero]
            for block in off_blocks(model) + on_blocks(model)}


def moment_type(moment) -> tuple:
    """Canonical form of a per-block moment ((a, b), ...) up to relabelling coordinates."""
    return tuple(sorted(m for m in moment if tuple(m) != (0, 0)))


def off_diagonal_moment_types() -> dict:
    r"""The z-moments that survive the phase average in the off-diagonal (p != q) gradient entries
    of the moving blocks at :math:`A = aI`, :math:`B = bI`, for every d and T.

    Returns
    -------
    dict
        ``moment type -> list of (block, term, partition, count)``; a moment type is the sorted
        tuple of the exponent pairs ``(a_c, b_c)`` of :math:`\prod_c z_c^{a_c}\overline{z_c}^{b_c}`
        over the distinct coordinates (the labels ``p``, ``q`` are different coordinates).
    """
    out: dict = {}
    for block in on_blocks():
        for pat in gradient_patterns(block, "ab", distinct_fixed=True):
            if pat.count.is_zero:
                continue
            out.setdefault(moment_type(pat.moment), []).append(
                (block, _term_name(pat.term), pat.blocks, pat.count.as_expr()))
    return out


def pattern_gradient(block: str, d: int, T: int, kind: str, weights: dict, z, zbar) -> sp.Matrix:
    r""":math:`\mathbb{E}_W` of the gradient of ``block`` at concrete ``(d, T)``, assembled from the patterns'
    proved counts (to be compared with :func:`theory.zheng_population.population_derivatives`).

    Parameters
    ----------
    block : str
    d, T : int
    kind : {"AB", "ab"}
    weights : dict
        ``{"A": Matrix, "B": Matrix}`` or ``{"a": a, "b": b}``.
    z, zbar : sequences of Symbol, length d

    Returns
    -------
    Matrix, shape (d, d)
        Entry ``(p, q)`` of the block's gradient, a polynomial in ``z``, ``zbar`` and the weights
        (nested lists of ring elements if ``weights`` holds a polynomial ring's ``"__one__"``).
    """
    model = causal_model()
    out = [[None] * d for _ in range(d)]
    for p in range(d):
        for q in range(d):
            pats = gradient_patterns(block, kind, distinct_fixed=(kind == "ab" and p != q), model=model)
            total = None
            for t in model.steps(T):
                e = assemble_expectation(pats, d, t, z, zbar, weights, {"p": p, "q": q})
                total = e if total is None else total + e
            out[p][q] = total
    return out if "__one__" in weights else sp.Matrix(out)


def _role_instances(moment, d: int):
    """Every assignment of distinct coordinates (0-based) to the roles of a moment ((a, b) per role)."""
    import itertools

    return itertools.permutations(range(d), len(moment))


def weakened_S_law(kept, dropped, d: int | None = None, grid=None):
    r"""An exact finite real law for which every moment of ``kept`` vanishes and ``dropped`` does not.

    Exact simplex (:func:`sympy.solvers.simplex.linprog`) over the laws supported on ``grid^d``:
    maximise the ``dropped`` moment at the coordinates ``(0, 1[, 2])`` subject to every moment of
    ``kept`` vanishing at every assignment of distinct coordinates.

    Parameters
    ----------
    kept : iterable of tuple of (int, int)
        Moments :math:`\mathbb{E}\prod_r z_{c_r}^{a_r}\overline{z_{c_r}}^{b_r}`, roles in order.
    dropped : tuple of (int, int)
    d : int, optional
        Dimension (default: the number of roles of ``dropped``, at least 2).
    grid : tuple of int, optional
        Values of each coordinate (default -2..2 for d <= 2, -1..2 for d = 3: the exact simplex stays fast).

    Returns
    -------
    (DiscreteLaw, Rational) or None
        The law and the value of the dropped moment at ``(0, 1[, 2])``; None if no law on the grid works.
    """
    import itertools

    from sympy.solvers.simplex import linprog

    from .moments import DiscreteLaw

    d = d or max(2, len(dropped))
    grid = grid or ((-2, -1, 0, 1, 2) if d <= 2 else (-1, 0, 1, 2))
    atoms = list(itertools.product(grid, repeat=d))

    def row(moment, coords):
        return [sp.Mul(*[sp.Integer(a[c]) ** (x + y) for (x, y), c in zip(moment, coords)]) for a in atoms]

    A_eq = [[sp.Integer(1)] * len(atoms)]
    b_eq = [sp.Integer(1)]
    for moment in kept:
        if len(moment) > d:
            continue
        for coords in _role_instances(moment, d):
            r = row(moment, coords)
            if any(r):
                A_eq.append(r)
                b_eq.append(sp.Integer(0))
    objective = row(dropped, tuple(range(len(dropped))))
    value, weights = linprog(sp.Matrix([[-v for v in objective]]), sp.ones(1, len(atoms)), sp.Matrix([1]),
                             sp.Matrix(A_eq), sp.Matrix(b_eq))
    value = -value
    if value <= 0:
        return None
    support = [(a, w) for a, w in zip(atoms, weights) if w != 0]
    return DiscreteLaw([list(a) for a, _ in support], [w for _, w in support]), value


def diagonal_gradient_all_d(block: str) -> tuple:
    r"""The diagonal entry ``(p, p)`` of a moving block's gradient at ``aI``, ``bI``, for symbolic d and T.

    Sum over the generated patterns with ``p = q`` of (coefficient x proved count) summed over the
    prediction steps, times the weights and a moment-sum symbol: a balanced pattern with powers
    ``m_p`` (the block of ``p``) and ``m_1..m_r`` (the other blocks, distinct coordinates
    ``!= p``) gives :func:`theory.zheng_patterns.pattern_moment_symbol` ``(m_p, (m_1..m_r))``, i.e.
    :math:`\sum_{\text{distinct } k_s \ne p}\mathbb{E}|z_p|^{2m_p}\prod_s|z_{k_s}|^{2m_s}`; the number
    of such assignments, :math:`(d-1)(d-2)\cdots(d-r)`, is inside the symbol, so the result holds for
    every d.  Unbalanced patterns are returned separately (their moments are not powers of
    :math:`|z|^2`).

    Returns
    -------
    (Expr, dict)
        The balanced part (in ``a``, ``b``, ``T`` and moment symbols) and ``{moment type: coefficient}``
        for the unbalanced patterns.
    """
    from .dynamics import a_sym, b_sym
    from .lattice_count import t_sym
    from .zheng_patterns import pattern_moment_symbol, sum_over_steps

    model = causal_model()
    scalars = {"a": a_sym, "b": b_sym}
    total = sp.Integer(0)
    unbalanced: dict = {}
    for pat in gradient_patterns(block, "ab", distinct_fixed=False, model=model):
        if pat.count.is_zero or pat.block_of("p") != pat.block_of("q"):
            continue
        lat = pat.count
        if lat.t0 > model.first_step + 1:
            raise NotImplementedError(f"count {lat} has exceptions past the first step")
        steps = sum_over_steps(pat.term.coeff * lat.closed, model)
        for t, value in lat.below:
            steps += (value - lat.closed.subs(t_sym, t)) * sp.sympify(pat.term.coeff).subs(t_sym, t)
        weight = sp.Mul(*[scalars[w.name] for w in pat.term.weights])
        pb = pat.block_of("p")
        if any(x != y for x, y in pat.moment):
            key = moment_type(pat.moment)
            unbalanced[key] = unbalanced.get(key, 0) + sp.expand(steps * weight)
            continue
        others = tuple(pat.moment[n][0] for n in range(len(pat.blocks)) if n != pb)
        total += steps * weight * pattern_moment_symbol(pat.moment[pb][0], others)
    return sp.expand(total), {k: sp.expand(v) for k, v in unbalanced.items() if sp.expand(v) != 0}
