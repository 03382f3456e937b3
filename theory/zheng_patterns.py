r"""Index-pattern counting: the coefficients of the reduced dynamics for symbolic ``t`` and ``T``.

On :math:`M_{a,b}` the prediction is :math:`\hat y_{t,j} = ab\,A_{t,j}`.  The per-coordinate
loss :math:`c\,|r_{t,j}|^2` is expanded into index terms by :func:`theory.causal_model.loss_terms`
(generated from the model's one definition: embedding shifts, context range, :math:`\rho_t`,
target, loss scale ``c``; ``A = aI`` ties labels).  Expectations are sums over *index patterns*:
which coordinate labels coincide (set partitions of the labels, the fixed ``j`` included) and
which time indices solve "zero net exponent of every distinct :math:`\lambda`" (phase lemma),
counted by :func:`theory.lattice_count.count_lattice_points`, proved for every ``t >= 2``.
Summing over the prediction steps gives the harmonic numbers.

Nothing here types in the answer: the moments that appear are named from the surviving
patterns (``kappa_2`` for :math:`|z_j|^6`, ``kappa_3`` for :math:`\sum_{k\ne j}|z_j|^2|z_k|^4`, ...).

References
----------
Zheng et al. (2024), proof of Theorem 4.1; spec ``zheng2024.md`` section 6.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .causal_model import CausalModel, causal_model, loss_terms, phase_patterns
from .lattice_count import LatticeCount, count_lattice_points, t_sym
from .moments import KAPPA_SYMBOLS

__all__ = ["t_sym", "T_sym", "PatternTerm", "second_moment_patterns", "cross_moment_patterns",
           "per_step_coefficients", "coefficients_all_T", "pattern_moment_symbol", "coordinate_moment_symbol",
           "DiagonalLoss", "diagonal_loss_all_T", "loss_patterns", "sum_over_steps"]

#: Symbolic sequence length (``t_sym`` is :data:`theory.lattice_count.t_sym`).
T_sym = sp.Symbol("T", integer=True, positive=True)

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
    """One index pattern of the per-coordinate loss: coordinate blocks, moment symbol, count in t.

    ``coeff`` is the term's coefficient from the model (normaliser powers, loss scale, sign),
    ``degree`` the power of ``u = ab`` carried by its weights, ``lattice`` the proved count.
    """

    blocks: tuple
    moment: sp.Symbol
    count: sp.Expr
    powers: tuple = ()          # m_b per block: the moment is E prod_b |z_b|^(2 m_b)
    coeff: sp.Expr = sp.Integer(1)
    degree: int = 0
    lattice: LatticeCount | None = None
    weights: tuple = ()         # (weight name, block of its label) for the weight factors


@lru_cache(maxsize=None)
def _loss_patterns(model: CausalModel, kind: str) -> tuple:
    out = []
    for term in loss_terms(model, kind):
        for pat in phase_patterns(term, distinct_fixed=True, t_min=model.first_step):
            if pat.count.is_zero:
                continue
            if any(a != b for a, b in pat.moment):
                raise NotImplementedError(f"pattern {pat.blocks} has the unbalanced moment {pat.moment}: "
                                          "not a moment of |z|^2 powers")
            jb = pat.block_of("j")
            powers = tuple(a for a, _ in pat.moment)
            others = tuple(powers[n] for n in range(len(powers)) if n != jb)
            weights = tuple((w.name, pat.block_of(w.row)) for w in term.weights)
            out.append(PatternTerm(pat.blocks, pattern_moment_symbol(powers[jb], others), pat.count.as_expr(), powers,
                                   term.coeff, len(term.weights) // 2, pat.count, weights))
    return tuple(out)


def loss_patterns(kind: str = "ab", model: CausalModel | None = None) -> tuple:
    """The surviving index patterns of one step's per-coordinate loss at the manifold ``kind``."""
    return _loss_patterns(model or causal_model(), kind)


def _step_sum(pattern: PatternTerm, model: CausalModel) -> sp.Expr:
    """sum over the prediction steps t = first..T-target_shift of coeff(t) * count(t), symbolic T."""
    lat = pattern.lattice
    if lat.t0 > model.first_step + 1:
        raise NotImplementedError(f"count {lat} has exceptions past the first step: symbolic T needs a case split")
    total = sum_over_steps(pattern.coeff * lat.closed, model)
    for t, value in lat.below:        # explicit values below t0 (t0 <= first step + 1 <= every T's last step)
        total += (value - lat.closed.subs(t_sym, t)) * sp.sympify(pattern.coeff).subs(t_sym, t)
    return sp.expand(total)


def _per_step(kind_degree: int, model: CausalModel) -> sp.Expr:
    total = sp.Integer(0)
    for p in loss_patterns("ab", model):
        if p.degree == kind_degree:
            total += p.coeff * p.lattice.as_expr() * p.moment
    return total


def second_moment_patterns(model: CausalModel | None = None):
    r"""Patterns of :math:`c\,u^2\,\mathbb{E}|A_{t,j}|^2`; returns (list of PatternTerm, E|A_tj|^2 in t)."""
    model = model or causal_model()
    pats = [p for p in loss_patterns("ab", model) if p.degree == 2]
    return pats, sp.expand(_per_step(2, model) / model.loss_scale)


def cross_moment_patterns(model: CausalModel | None = None):
    r"""Patterns of the cross terms.

    Returns (list of PatternTerm, :math:`\mathrm{Re}\,\mathbb{E}[\overline{x_{t+1,j}} A_{t,j}]` in t).
    """
    model = model or causal_model()
    pats = [p for p in loss_patterns("ab", model) if p.degree == 1]
    return pats, sp.expand(-_per_step(1, model) / (2 * model.loss_scale))


def per_step_coefficients():
    r"""``(E|A_tj|^2, E[conj(x_{t+1,j}) A_tj], E|x_{t+1,j}|^2)`` as closed forms in t (t >= 2).

    Read off the generated per-coordinate loss ``c (u^2 E|A|^2 - 2 u Re E[conj(x) A] + E|x|^2)``.

    Examples
    --------
    >>> per_step_coefficients()
    (kappa_2 + kappa_3/(t - 1), kappa_1, kappa_0)
    """
    model = causal_model()
    _, second = second_moment_patterns(model)
    _, cross = cross_moment_patterns(model)
    target = sp.expand(_per_step(0, model) / model.loss_scale)
    return sp.apart(sp.cancel(second), t_sym), sp.apart(sp.cancel(cross), t_sym), target


def coefficients_all_T():
    r"""``(Gamma(T), Lambda(T), K0(T))``: the per-step coefficients summed over the prediction steps.

    The loss on :math:`M_{a,b}` per coordinate is :math:`c[\Gamma u^2 - 2\Lambda u + K_0]`,
    ``u = ab``, ``c`` the loss scale; valid for every ``T >= 3`` (each count is proved for every
    ``t >= 2``, and its explicit values below its ``t0`` are added exactly).

    Examples
    --------
    >>> coefficients_all_T()[0]
    T*kappa_2 - 2*kappa_2 + kappa_3*harmonic(T - 2)
    """
    return _coefficients_all_T(causal_model())


@lru_cache(maxsize=None)
def _coefficients_all_T(model: CausalModel):
    sums = {0: sp.Integer(0), 1: sp.Integer(0), 2: sp.Integer(0)}
    for p in loss_patterns("ab", model):
        sums[p.degree] += _step_sum(p, model) * p.moment
    c = model.loss_scale
    return sp.expand(sums[2] / c), sp.expand(-sums[1] / (2 * c)), sp.expand(sums[0] / c)


def sum_over_steps(expr, model: CausalModel | None = None) -> sp.Expr:
    """Sum of a rational function of t over the prediction steps t = first_step..T - target_shift."""
    model = model or causal_model()
    s = sp.Symbol("s", integer=True, positive=True)       # s = t - first_step + 1 runs over 1..n
    n = T_sym - model.target_shift - model.first_step + 1
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.apart(sp.together(sp.sympify(expr)), t_sym)):
        total += sp.summation(term.subs(t_sym, s + model.first_step - 1), (s, 1, n))
    if total.has(sp.Sum):
        raise NotImplementedError(f"no closed form found for the sum over t of {expr}")
    return sp.expand(total)


def _sum_over_steps(expr) -> sp.Expr:
    return sum_over_steps(expr)


def count_solutions(equations, variables, upper, lower=1) -> sp.Expr:
    """Number of integer points of ``prod_v [lower, upper_v]`` solving linear ``equations``, for every t >= 2.

    A thin wrapper of :func:`theory.lattice_count.count_lattice_points`: returns its closed form, or a
    ``Piecewise`` with the explicit values at the small ``t`` where the closed form does not hold
    (equations without an index variable are split by ``t``, never decided by a sign test).

    Examples
    --------
    >>> k = sp.Symbol("k", integer=True)
    >>> count_solutions([t_sym - 2], [k], {k: t_sym})
    Piecewise((2, Eq(t, 2)), (0, True))
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
    ranges = {v: (sp.sympify(lower), sp.sympify(uppers[v])) for v in variables}
    return count_lattice_points(equations, variables, ranges).as_expr()


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

        L = \sum_{t}\sum_j c\,\mathbb{E}\big|\hat y_{t,j} - x_{t+1,j}\big|^2

    from the index patterns generated at the diagonal manifold (:func:`loss_patterns` with
    ``kind="diag"``: ``diag(a)`` ties the labels of each weight factor), with the weights
    :math:`a_k b_j` of the coordinate labels and one moment symbol per coordinate assignment
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
    model = causal_model()
    a = sp.symbols(f"a_1:{d + 1}", real=True)
    b = sp.symbols(f"b_1:{d + 1}", real=True)
    diag = {"a": a, "b": b}
    step_sums: dict = {}
    loss = sp.Integer(0)
    for term in loss_patterns("diag", model):
        key = id(term)
        if key not in step_sums:
            step_sums[key] = _step_sum(term, model)
        factor = step_sums[key]
        for j in range(d):
            for chosen in _assignments(term.blocks, j, d):
                w = sp.Mul(*[diag[name][chosen[n]] for name, n in term.weights])
                moment = coordinate_moment_symbol({chosen[n] + 1: m for n, m in enumerate(term.powers)})
                loss += w * factor * moment
    return DiagonalLoss(sp.expand(loss), a, b, d)
