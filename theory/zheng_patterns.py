r"""Index-pattern counting: the coefficients of the reduced dynamics for symbolic ``t`` and ``T``.

On :math:`M_{a,b}` the prediction is :math:`\hat y_{t,j} = ab\,A_{t,j}` with

.. math::

    A_{t,j} = \frac{1}{t-1}\sum_{i=1}^{t-1}\sum_{k=1}^{d} x_{i+1,j}\,\overline{x_{i,k}}\,x_{t,k},
    \qquad x_{s,k} = \lambda_k^{s-1} z_k .

Expectations of products of such terms are sums over *index patterns*: which coordinate
labels coincide (set partitions of the labels, the fixed ``j`` included) and which time
indices solve "zero net exponent of every distinct :math:`\lambda`" (phase lemma). For every
pattern this module solves the exponent equations with ``linsolve`` and counts the solutions
in :math:`[1, t-1]^n` as a closed form in the symbol ``t`` (valid for every integer
``t >= 2``).  Summing over ``t`` gives the
harmonic numbers.

Nothing here types in the answer: the moments that appear are named from the surviving
patterns (``kappa_2`` for :math:`|z_j|^6`, ``kappa_3`` for :math:`\sum_{k\ne j}|z_j|^2|z_k|^4`, ...).

References
----------
Zheng et al. (2024), proof of Theorem 4.1; spec ``zheng2024.md`` section 6.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from .moments import KAPPA_SYMBOLS

__all__ = ["t_sym", "T_sym", "PatternTerm", "second_moment_patterns", "cross_moment_patterns",
           "per_step_coefficients", "coefficients_all_T", "pattern_moment_symbol", "coordinate_moment_symbol",
           "DiagonalLoss", "diagonal_loss_all_T"]

#: Symbolic time index and sequence length.
t_sym = sp.Symbol("t", integer=True, positive=True)
T_sym = sp.Symbol("T", integer=True, positive=True)
_n = sp.Symbol("n", integer=True, nonnegative=True)

_KAPPA = {((3,), ()): "kappa_2", ((2,), ()): "kappa_1", ((1,), ()): "kappa_0", ((1,), (2,)): "kappa_3"}


def pattern_moment_symbol(m_j: int, others: tuple[int, ...]) -> sp.Symbol:
    r"""Symbol for :math:`\sum_{\text{distinct } k_1..k_r \ne j}\mathbb{E}|z_j|^{2m_j}\prod_s |z_{k_s}|^{2m_s}`.

    The four named in spec section 4 are ``kappa_0..kappa_3``; any other is ``S_<m_j>_<m_1..>``.
    """
    key = ((m_j,), tuple(sorted(others)))
    name = _KAPPA.get(key)
    if name is not None:
        return KAPPA_SYMBOLS[int(name[-1])]
    name = "S_" + str(m_j) + ("_" + "_".join(map(str, sorted(others))) if others else "")
    return sp.Symbol(name, nonnegative=True)


@dataclass(frozen=True)
class PatternTerm:
    """One index pattern: the coordinate blocks, its moment symbol and its count in t."""

    blocks: tuple
    moment: sp.Symbol
    count: sp.Expr
    powers: tuple = ()          # m_b per block: the moment is E prod_b |z_b|^(2 m_b)


def _always_nonnegative(expr) -> bool | None:
    """Is the linear expression in t >= 0 for every integer t >= 2?  None if it changes sign."""
    e = sp.expand(sp.sympify(expr).subs(t_sym, _n + 2))
    if e.free_symbols - {_n}:
        raise NotImplementedError(f"bound {expr} depends on symbols other than t")
    c0 = e.subs(_n, 0)
    c1 = sp.expand(e - c0).coeff(_n)
    if sp.expand(e - c0 - c1 * _n) != 0:
        raise NotImplementedError(f"bound {expr} is not affine in t")
    if c0 >= 0 and c1 >= 0:
        return True
    if c0 < 0 and c1 <= 0:
        return False
    return None


def _decide(expr) -> bool:
    answer = _always_nonnegative(expr)
    if answer is None:
        raise NotImplementedError(f"the sign of {expr} changes with t: the count is not one closed form for t >= 2")
    return answer


def _extreme(candidates, largest: bool):
    """The candidate that dominates all others for every t >= 2."""
    for c in candidates:
        if all(_decide((c - o) if largest else (o - c)) for o in candidates):
            return c
    raise NotImplementedError(f"no candidate of {candidates} dominates for all t >= 2")


def count_solutions(equations, variables, upper) -> sp.Expr:
    """Number of integer points of the box ``prod_v [1, upper_v]`` solving linear ``equations``.

    A closed form in ``t``, valid for every integer ``t >= 2``.

    Parameters
    ----------
    equations : list of Expr (each = 0), affine in ``variables`` and ``t``
    variables : list of Symbol
    upper : Expr or dict Symbol -> Expr
        The common upper bound (e.g. ``t - 1``) or one per variable.

    Raises
    ------
    NotImplementedError
        For index relations this counter does not handle (slopes other than 0, +-1,
        non-integer solutions, counts that are not one closed form for all t >= 2).
    """
    if isinstance(variables, (str, bytes)) or not hasattr(variables, "__iter__") or \
            not all(isinstance(v, sp.Symbol) for v in variables):
        raise TypeError(f"variables must be a sequence of SymPy Symbols (got {variables!r})")
    variables = list(variables)
    uppers = dict(upper) if isinstance(upper, dict) else {v: upper for v in variables}
    if any(v not in uppers for v in variables):
        missing = [str(v) for v in variables if v not in uppers]
        raise ValueError(f"upper must give a bound for every variable (missing {', '.join(missing)}): "
                         "pass one Expr for all, or a dict with every variable")
    eqs = [sp.expand(e) for e in equations if sp.expand(e) != 0]
    if not eqs:
        return sp.expand(sp.Mul(*(uppers[v] for v in variables)))
    solutions = sp.linsolve(eqs, variables)
    if solutions == sp.EmptySet:
        return sp.Integer(0)
    (solution,) = solutions
    for s in solution:
        if not all(c.is_Integer for c in sp.Poly(s, t_sym, *variables).coeffs()):
            raise NotImplementedError(f"non-integer index relation {s}: parity-dependent counts are not handled")
    free = [v for v in variables if any(v in sp.sympify(s).free_symbols for s in solution)]
    dependent = [(v, s) for v, s in zip(variables, solution) if s != v]
    if len(free) > 1:
        if dependent:
            raise NotImplementedError("patterns with two free indices and a dependent one are not needed here")
        return sp.expand(sp.Mul(*(uppers[v] for v in free)))
    lows, ups = [sp.Integer(1)], [uppers[free[0]]] if free else []
    for v, s in dependent:
        s = sp.expand(s)
        upper = uppers[v]
        if not free:
            if not (_decide(s - 1) and _decide(upper - s)):
                return sp.Integer(0)
            continue
        (f,) = free
        alpha = s.coeff(f)
        beta = sp.expand(s - alpha * f)
        if alpha == 0:
            if not (_decide(beta - 1) and _decide(upper - beta)):
                return sp.Integer(0)
        elif alpha == 1:
            lows.append(1 - beta)
            ups.append(upper - beta)
        elif alpha == -1:
            lows.append(beta - upper)
            ups.append(beta - 1)
        else:
            raise NotImplementedError(f"index relation with slope {alpha} is not needed here")
    if not free:
        return sp.Integer(1)
    lo = _extreme(lows, largest=True)
    hi = _extreme(ups, largest=False)
    length = sp.expand(hi - lo + 1)
    return length if _decide(length) else sp.Integer(0)


# A factor is (label, time, conjugated): x_{time,label} or its conjugate.
def _exponent(time, conjugated: bool):
    return -(time - 1) if conjugated else (time - 1)


def _patterns(factors, free_labels, indices, weight):
    """Sum over set partitions of the labels (with the fixed 'j') of count * moment."""
    labels = ["j"] + list(free_labels)
    terms = []
    for partition in multiset_partitions(labels):
        block_of = {lab: n for n, block in enumerate(partition) for lab in block}
        exps = [sp.Integer(0)] * len(partition)
        power = [0] * len(partition)
        for label, time, conj in factors:
            exps[block_of[label]] += _exponent(time, conj)
            power[block_of[label]] += 1
        count = count_solutions(exps, indices, t_sym - 1)
        jb = block_of["j"]
        m_j = power[jb] // 2
        others = tuple(power[b] // 2 for b in range(len(partition)) if b != jb)
        terms.append(PatternTerm(tuple(tuple(b) for b in partition), pattern_moment_symbol(m_j, others),
                                 sp.factor(count), tuple(pw // 2 for pw in power)))
    return terms, sp.expand(sum((p.count * p.moment for p in terms), sp.Integer(0)) * weight)


def _A_factors(index, label, conjugated: bool):
    """Summand of A_{t,j}: x_{i+1,j} conj(x_{i,k}) x_{t,k} (or its conjugate)."""
    c = conjugated
    return [("j", index + 1, c), (label, index, not c), (label, t_sym, c)]


_i, _i2 = sp.symbols("i i'", integer=True, positive=True)


def second_moment_patterns():
    r"""Patterns of :math:`\mathbb{E}|A_{t,j}|^2`; returns (list of PatternTerm, closed form in t)."""
    factors = _A_factors(_i, "k", False) + _A_factors(_i2, "l", True)
    return _patterns(factors, ["k", "l"], [_i, _i2], 1 / (t_sym - 1) ** 2)


def cross_moment_patterns():
    r"""Patterns of :math:`\mathbb{E}[\overline{x_{t+1,j}} A_{t,j}]`; (list of PatternTerm, closed form in t)."""
    factors = _A_factors(_i, "k", False) + [("j", t_sym + 1, True)]
    return _patterns(factors, ["k"], [_i], 1 / (t_sym - 1))


def per_step_coefficients():
    r"""``(E|A_tj|^2, E[conj(x_{t+1,j}) A_tj], E|x_{t+1,j}|^2)`` as closed forms in t (t >= 2).

    Examples
    --------
    >>> per_step_coefficients()
    (kappa_2 + kappa_3/(t - 1), kappa_1, kappa_0)
    """
    _, second = second_moment_patterns()
    _, cross = cross_moment_patterns()
    target = pattern_moment_symbol(1, ())
    return sp.apart(sp.cancel(second), t_sym), sp.apart(sp.cancel(cross), t_sym), target


def coefficients_all_T():
    r"""``(Gamma(T), Lambda(T), K0(T))``: the per-step coefficients summed over t = 2..T-1.

    The loss on :math:`M_{a,b}` per coordinate is
    :math:`\tfrac12[\Gamma u^2 - 2\Lambda u + K_0]`, ``u = ab``; valid for every ``T >= 3``
    (the per-step closed forms hold for every ``t >= 2``).

    Examples
    --------
    >>> coefficients_all_T()[0]
    T*kappa_2 - 2*kappa_2 + kappa_3*harmonic(T - 2)
    """
    second, cross, target = per_step_coefficients()
    return tuple(_sum_over_steps(e) for e in (second, cross, target))


def _sum_over_steps(expr) -> sp.Expr:
    """sum_{t=2}^{T-1} of a rational function of t, term by term after partial fractions."""
    s = sp.Symbol("s", integer=True, positive=True)       # s = t - 1 = rho_t runs over 1..T-2
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.apart(sp.together(expr), t_sym)):
        total += sp.summation(term.subs(t_sym, s + 1), (s, 1, T_sym - 2))
    if total.has(sp.Sum):
        raise NotImplementedError(f"no closed form found for the sum over t of {expr}")
    return sp.expand(total)


# -- diagonal weights, per-coordinate moments (no exchangeability) --------------------------------

def coordinate_moment_symbol(powers: dict) -> sp.Symbol:
    r"""Symbol for :math:`\mathbb{E}\prod_c |z_c|^{2 m_c}`, ``powers = {c: m_c}`` (1-based c).

    Named ``m_<coordinates>_<powers>``: ``m_12_12`` is :math:`\mathbb{E}|z_1|^2|z_2|^4`.
    """
    items = sorted((c, m) for c, m in powers.items() if m)
    return sp.Symbol("m_" + "".join(str(c) for c, _ in items) + "_" + "".join(str(m) for _, m in items),
                     nonnegative=True)


@dataclass(frozen=True)
class DiagonalLoss:
    """Population loss for diagonal ``A = diag(a)``, ``B = diag(b)``, symbolic ``T`` (see :func:`diagonal_loss_all_T`)."""

    loss: sp.Expr
    a: tuple
    b: tuple
    d: int


def _assignments(blocks, j: int, d: int):
    """Distinct coordinates for the blocks, the block holding 'j' fixed to j (0-based)."""
    import itertools

    others = [n for n, block in enumerate(blocks) if "j" not in block]
    free = [c for c in range(d) if c != j]
    for values in itertools.permutations(free, len(others)):
        chosen = {n: v for n, v in zip(others, values)}
        chosen.update({n: j for n, block in enumerate(blocks) if "j" in block})
        yield chosen


def diagonal_loss_all_T(d: int) -> DiagonalLoss:
    r"""Population loss at :math:`W^{KQ}_{21} = \mathrm{diag}(a)`, :math:`W^{PV}_{11} = \mathrm{diag}(b)`, symbolic T.

    .. math::

        L = \tfrac12\sum_{t=2}^{T-1}\sum_j \mathbb{E}\big|b_j \tfrac{1}{t-1}\textstyle\sum_{i,k}
        x_{i+1,j}\overline{x_{i,k}}\,a_k x_{t,k} - x_{t+1,j}\big|^2

    from the same index patterns as :func:`second_moment_patterns`, with the weights
    :math:`a_k a_l` of the coordinate labels and one moment symbol per coordinate assignment
    (:func:`coordinate_moment_symbol`): no symmetry of the law is assumed.

    Parameters
    ----------
    d : int, >= 1 (concrete)

    Returns
    -------
    DiagonalLoss
    """
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d must be an integer >= 1 (got {d!r}): the token dimension counts coordinates")
    a = sp.symbols(f"a_1:{d + 1}", real=True)
    b = sp.symbols(f"b_1:{d + 1}", real=True)
    second, _ = second_moment_patterns()
    cross, _ = cross_moment_patterns()
    step_sums: dict = {}

    def summed(count, power):
        key = (count, power)
        if key not in step_sums:
            step_sums[key] = _sum_over_steps(count / (t_sym - 1) ** power)
        return step_sums[key]

    loss = sp.Integer(0)
    for j in range(d):
        for term in second:
            if term.count == 0:
                continue
            factor = summed(term.count, 2)
            for chosen in _assignments(term.blocks, j, d):
                label = {lab: chosen[n] for n, block in enumerate(term.blocks) for lab in block}
                moment = coordinate_moment_symbol({chosen[n] + 1: m for n, m in enumerate(term.powers)})
                loss += sp.Rational(1, 2) * b[j] ** 2 * a[label["k"]] * a[label["l"]] * factor * moment
        for term in cross:
            if term.count == 0:
                continue
            factor = summed(term.count, 1)
            for chosen in _assignments(term.blocks, j, d):
                label = {lab: chosen[n] for n, block in enumerate(term.blocks) for lab in block}
                moment = coordinate_moment_symbol({chosen[n] + 1: m for n, m in enumerate(term.powers)})
                loss -= b[j] * a[label["k"]] * factor * moment              # 2 Re(.)/2, the moment is real
        loss += sp.Rational(1, 2) * _sum_over_steps(sp.Integer(1)) * coordinate_moment_symbol({j + 1: 1})
    return DiagonalLoss(sp.expand(loss), a, b, d)
