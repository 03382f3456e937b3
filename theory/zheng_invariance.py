r"""Invariance of :math:`M_{A,B}` for every d, every T and every law, by index-pattern counting (claim C1).

At :math:`W^{PV} = [B, 0]`, :math:`W^{KQ} = [[0, 0], [A, 0]]` the residual is
:math:`r_t = \hat y_t - x_{t+1}` with
:math:`\hat y_{t} = \frac{1}{t-1}\sum_{i=1}^{t-1} B x_{i+1} x_i^H A x_t`.  For a weight
:math:`w` the real-coordinate gradient is :math:`\overline{c}` with
:math:`c = \sum_t r_t^H\,\partial_w r_t` (directional derivative of the bilinear map, see
:mod:`theory.dynamics` for the convention), and :math:`\partial_w r_t` for the entry
``(p, q)`` of each block other than :math:`W^{PV}_{11}`, :math:`W^{KQ}_{21}` is

* :math:`W^{PV}_{12}`: :math:`e_p \frac{1}{t-1}\sum_{i=1}^{t-1} x_{i,q}\,x_i^H A x_t`,
* :math:`W^{KQ}_{11}`: :math:`\frac{1}{t-1} B \sum_{i=1}^{t} x_i\,\overline{x_{i,p}}\; x_{t,q}`,
* :math:`W^{KQ}_{12}`: :math:`\frac{1}{t-1} B \sum_{i=1}^{t} x_i\,\overline{x_{i,p}}\; x_{t-1,q}`,
* :math:`W^{KQ}_{22}`: :math:`\frac{1}{t-1} B \sum_{i=1}^{t-1} x_{i+1}\,\overline{x_{i,p}}\; x_{t-1,q}`.

Every term of :math:`c` is a product of tokens :math:`x_{s,\ell} = \lambda_\ell^{s-1} z_\ell`
(conjugated or not) with coordinate labels :math:`\ell` and a coefficient that is a monomial in
the entries of ``A``, ``B`` and their conjugates, distinct for distinct label values; the sums
over the time indices have positive weights.  So :math:`\mathbb{E}_W c = 0` as a polynomial in
``z``, ``A``, ``B`` iff for every set partition of the labels (which labels coincide) no choice
of the time indices has zero net exponent of every distinct :math:`\lambda`.  The partitions do
not depend on d, and the counts are closed forms in ``t``: this decides C1 for every d and T.

References
----------
Zheng et al. (2024), invariance lemma behind Theorem 4.1; spec ``zheng2024.md`` C1 and section 6.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from .zheng_patterns import count_solutions, t_sym

__all__ = ["OFF_BLOCKS", "ON_BLOCKS", "PhaseCount", "block_phase_counts", "off_block_invariance",
           "direction_formula", "prediction_formula", "off_diagonal_moment_types", "hypothesis_S_moment_types"]

_i, _k = sp.symbols("i k", integer=True, positive=True)

# A factor is (label, time, conjugated).
#: conj(r_t) at output coordinate "P": the attention part (index i over 1..t-1) and the target part.
_CONJ_R_ATTENTION = ([("p1", _i + 1, True), ("k", _i, False), ("s", t_sym, True)], {_i: t_sym - 1})
_CONJ_R_TARGET = ([("P", t_sym + 1, True)], {})

#: d r_t along the entry (p, q) of each block: token factors and the index range.  For W^PV the
#: output coordinate of d r_t is p itself ("P" = "p"); for W^KQ it is summed ("P" free).
_DIRECTIONS = {
    "W_PV_12": ([("q", _k, False), ("m", _k, True), ("n", t_sym, False)], {_k: t_sym - 1}, True),
    "W_KQ_11": ([("p2", _k, False), ("p", _k, True), ("q", t_sym, False)], {_k: t_sym}, False),
    "W_KQ_12": ([("p2", _k, False), ("p", _k, True), ("q", t_sym - 1, False)], {_k: t_sym}, False),
    "W_KQ_22": ([("p2", _k + 1, False), ("p", _k, True), ("q", t_sym - 1, False)], {_k: t_sym - 1}, False),
    # the two blocks that move on M_{A,B} (controls: their gradients must NOT vanish)
    "W_PV_11": ([("q", _k + 1, False), ("m", _k, True), ("n", t_sym, False)], {_k: t_sym - 1}, True),
    "W_KQ_21": ([("p2", _k + 1, False), ("p", _k, True), ("q", t_sym, False)], {_k: t_sym - 1}, False),
}
#: Coefficient of each direction's term: (matrix, row label, column label); "P" is the output coordinate.
_COEFFICIENTS = {"W_PV_12": ("A", "m", "n"), "W_PV_11": ("A", "m", "n"),
                 "W_KQ_11": ("B", "P", "p2"), "W_KQ_12": ("B", "P", "p2"), "W_KQ_22": ("B", "P", "p2"),
                 "W_KQ_21": ("B", "P", "p2")}
OFF_BLOCKS = ("W_PV_12", "W_KQ_11", "W_KQ_12", "W_KQ_22")
ON_BLOCKS = ("W_PV_11", "W_KQ_21")


@dataclass(frozen=True)
class PhaseCount:
    """Zero-phase count of one term of :math:`c` under one coincidence pattern of its labels."""

    block: str
    term: str
    partition: tuple
    count: sp.Expr


def _exponent(time, conjugated: bool):
    return -(time - 1) if conjugated else (time - 1)


def block_phase_counts(block: str) -> list[PhaseCount]:
    r"""Zero-phase counts of every term of :math:`c` for one block, over all label partitions.

    Parameters
    ----------
    block : str
        One of ``OFF_BLOCKS`` or ``ON_BLOCKS``.

    Returns
    -------
    list of PhaseCount
        One per (term, partition); ``count`` is a closed form in ``t`` (``t >= 2``).
    """
    if block not in _DIRECTIONS:
        raise ValueError(f"block must be one of {sorted(_DIRECTIONS)} (got {block!r})")
    direction, direction_range, output_is_p = _DIRECTIONS[block]
    out = []
    for term, (r_factors, r_range) in (("attention", _CONJ_R_ATTENTION), ("target", _CONJ_R_TARGET)):
        factors = list(direction) + [
            ("p" if (label == "P" and output_is_p) else label, time, conj) for label, time, conj in r_factors]
        labels = sorted({label for label, _, _ in factors})
        ranges = {**direction_range, **r_range}
        indices = list(ranges)
        for partition in multiset_partitions(labels):
            block_of = {lab: n for n, part in enumerate(partition) for lab in part}
            exps = [sp.Integer(0)] * len(partition)
            for label, time, conj in factors:
                exps[block_of[label]] += _exponent(time, conj)
            count = count_solutions(exps, indices, ranges)
            out.append(PhaseCount(block, term, tuple(tuple(p) for p in partition), sp.factor(count)))
    return out


def off_block_invariance() -> dict:
    r"""For each block: the patterns whose zero-phase count is not identically 0.

    Returns
    -------
    dict
        ``block -> list of PhaseCount`` with non-zero count.  C1 holds for every d, T and law
        iff the lists of ``OFF_BLOCKS`` are empty; the lists of ``ON_BLOCKS`` must not be
        (a control that the enumeration sees the surviving terms).
    """
    result = {}
    for block in OFF_BLOCKS + ON_BLOCKS:
        result[block] = [pc for pc in block_phase_counts(block) if sp.expand(pc.count) != 0]
    return result


def direction_formula(block: str, t: int, p: int, q: int, A: sp.Matrix, B: sp.Matrix, X: sp.Matrix,
                      X_conj: sp.Matrix) -> sp.Matrix:
    r"""The directional derivative :math:`\partial r_t` along the entry ``(p, q)`` of ``block``,
    evaluated from the factor lists that :func:`block_phase_counts` counts.

    Used to check those lists against SymPy's derivative of
    :func:`theory.causal_attention.causal_prediction` at concrete sizes.

    Parameters
    ----------
    block : str
    t : int, >= 2
    p, q : int, 0-based entry of the block
    A, B : Matrix, shape (d, d)
    X, X_conj : Matrix, shape (d, >= t + 1), generic tokens (column s - 1 is x_s) and their conjugates

    Returns
    -------
    Matrix, shape (d, 1)
    """
    import itertools

    if block not in _DIRECTIONS:
        raise ValueError(f"block must be one of {sorted(_DIRECTIONS)} (got {block!r})")
    d = A.rows
    factors, ranges, output_is_p = _DIRECTIONS[block]
    matrix, row, col = _COEFFICIENTS[block]
    M = {"A": A, "B": B}[matrix]
    (index, upper), = ranges.items()
    labels = sorted(({lab for lab, _, _ in factors} | {row, col}) - {"p", "q", "P"})
    out = sp.zeros(d, 1)
    for P in ([p] if output_is_p else range(d)):
        total = sp.Integer(0)
        for k in range(1, int(upper.subs(t_sym, t)) + 1):
            for values in itertools.product(range(d), repeat=len(labels)):
                val = dict(zip(labels, values))
                val.update({"p": p, "q": q, "P": P})
                term = M[val[row], val[col]]
                for label, time, conj in factors:
                    s = int(time.subs({t_sym: t, index: k}))
                    if s <= 0:
                        term = 0
                        break
                    term *= (X_conj if conj else X)[val[label], s - 1]
                total += term
        out[P] = total / (t - 1)
    return out


def prediction_formula(t: int, A: sp.Matrix, B: sp.Matrix, X: sp.Matrix, X_conj: sp.Matrix) -> sp.Matrix:
    r""":math:`\hat y_t` on :math:`M_{A,B}` from the (un-conjugated) factor list of ``conj(r_t)``.

    Coefficient :math:`B_{P p_1} A_{k s}`; used to check the list against
    :func:`theory.causal_attention.causal_prediction`.  Shape (d, 1).
    """
    import itertools

    d = A.rows
    factors, ranges = _CONJ_R_ATTENTION
    (index, upper), = ranges.items()
    labels = sorted({lab for lab, _, _ in factors})
    out = sp.zeros(d, 1)
    for P in range(d):
        total = sp.Integer(0)
        for k in range(1, int(upper.subs(t_sym, t)) + 1):
            for values in itertools.product(range(d), repeat=len(labels)):
                val = dict(zip(labels, values))
                term = B[P, val["p1"]] * A[val["k"], val["s"]]
                for label, time, conj in factors:
                    s = int(time.subs({t_sym: t, index: k}))
                    term *= (X if conj else X_conj)[val[label], s - 1]      # undo the conjugation
                total += term
        out[P] = total / (t - 1)
    return out


# -- C2: which moments survive in the off-diagonal gradients on M_{a,b} ---------------------------

#: Label equalities forced by A = aI, B = bI in each term's coefficient.
_DIAGONAL_TIES = {
    ("W_PV_11", "attention"): (("P", "p1"), ("k", "s"), ("m", "n")),
    ("W_PV_11", "target"): (("m", "n"),),
    ("W_KQ_21", "attention"): (("P", "p1"), ("k", "s"), ("P", "p2")),
    ("W_KQ_21", "target"): (("P", "p2"),),
}


def _moment_type(monomial: dict) -> tuple:
    """Canonical form of a monomial {coordinate: (a, b)} up to relabelling coordinates."""
    return tuple(sorted(monomial.values()))


def off_diagonal_moment_types() -> dict:
    r"""The z-moments that survive the phase average in the off-diagonal (p != q) gradient entries
    of :math:`W^{PV}_{11}` and :math:`W^{KQ}_{21}` at :math:`A = aI`, :math:`B = bI`, for every d and T.

    Returns
    -------
    dict
        ``moment type -> list of (block, term, partition, count)``; a moment type is the sorted
        tuple of the exponent pairs ``(a_c, b_c)`` of :math:`\prod_c z_c^{a_c}\overline{z_c}^{b_c}`
        over the distinct coordinates (the labels ``p``, ``q`` are different coordinates).
    """
    out: dict = {}
    for block in ON_BLOCKS:
        direction, direction_range, output_is_p = _DIRECTIONS[block]
        for term, (r_factors, r_range) in (("attention", _CONJ_R_ATTENTION), ("target", _CONJ_R_TARGET)):
            ties = [tuple("p" if (x == "P" and output_is_p) else x for x in tie)
                    for tie in _DIAGONAL_TIES[(block, term)]]
            factors = list(direction) + [
                ("p" if (label == "P" and output_is_p) else label, time, conj) for label, time, conj in r_factors]
            labels = sorted({label for label, _, _ in factors} | {x for tie in ties for x in tie} | {"p", "q"})
            ranges = {**direction_range, **r_range}
            for partition in multiset_partitions(labels):
                block_of = {lab: n for n, part in enumerate(partition) for lab in part}
                if block_of["p"] == block_of["q"] or any(block_of[x] != block_of[y] for x, y in ties):
                    continue
                exps = [sp.Integer(0)] * len(partition)
                mono = {n: [0, 0] for n in range(len(partition))}
                for label, time, conj in factors:
                    exps[block_of[label]] += _exponent(time, conj)
                    mono[block_of[label]][1 if conj else 0] += 1
                count = sp.factor(count_solutions(exps, list(ranges), ranges))
                if sp.expand(count) == 0:
                    continue
                key = _moment_type({n: tuple(v) for n, v in mono.items() if v != [0, 0]})
                out.setdefault(key, []).append((block, term, tuple(tuple(p) for p in partition), count))
    return out


def hypothesis_S_moment_types() -> set:
    """Moment types that hypothesis (S) of the spec sets to zero, with their conjugates."""
    listed = [
        {"p": (1, 0), "q": (1, 2)},                      # E |z_q|^2 z_p conj(z_q)
        {"p": (2, 1), "q": (1, 2)},                      # E |z_p|^2 |z_q|^2 z_p conj(z_q)
        {"p": (1, 0), "q": (2, 3)},                      # E |z_q|^4 z_p conj(z_q)
        {"p": (1, 0), "q": (1, 2), "k": (1, 1)},         # E |z_k|^2 |z_q|^2 z_p conj(z_q)
    ]
    types = set()
    for mono in listed:
        types.add(_moment_type(mono))
        types.add(_moment_type({c: (b, a) for c, (a, b) in mono.items()}))
    return types
