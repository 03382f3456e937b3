r"""Exact population loss and real-coordinate gradient on the autoregressive task (Zheng et al. 2024).

:func:`autoregressive_derivatives` takes any one-layer model description (:class:`theory.LinearAttention`):
the per-sequence loss :math:`\ell = \sum_{t} c\,\|\hat y_t - x_{t+1}\|^2` is built from the
description's :meth:`~theory.LinearAttention.readout_formula` and the task's time structure
(:func:`theory.causal_model.causal_model`: embedding blocks and their time shifts, context, target, loss
scale ``c``, prediction steps) in a sparse polynomial ring over the Gaussian rationals whose generators
are the real parameters, the real perturbation directions, :math:`z_j`, :math:`\overline{z_j}`,
:math:`\lambda_j` and :math:`\mu_j = \lambda_j^{-1}`. :func:`population_derivatives` is the instance for
Zheng et al.'s model (:func:`theory.zheng_model`) at weights ``(W_PV, W_KQ)``.

The gradient is forward-mode differentiation: the weights are perturbed to
:math:`W + \Delta` with :math:`\Delta = \delta^{re} + i\,\delta^{im}` (one real symbol per real
coordinate) and the loss is expanded to first order in the :math:`\delta`'s (dual numbers);
the coefficient of :math:`\delta^{re}_c` is :math:`\partial \ell/\partial u_c` and of
:math:`\delta^{im}_c` is :math:`\partial\ell/\partial v_c`.  The gradient returned is
:math:`\partial\ell/\partial u + i\,\partial\ell/\partial v` (convention of
:mod:`theory.dynamics`).

The expectation is exact: the phase lemma keeps the monomials with equal exponents of
:math:`\lambda_j` and :math:`\mu_j`, then the law's moment functional is applied monomial by
monomial (:meth:`theory.moments.TokenLaw.expect`, cached).

References
----------
Zheng et al. (2024), Sec. 3 (loss, gradient flow); spec ``zheng2024.md`` section 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import sympy as sp

from .validation import require_bool, require_matrix, require_type
from sympy.core.add import _addsort
from sympy.core.mul import _mulsort
from sympy.polys.domains import QQ_I
from sympy.polys.rings import ring

from .causal_attention import check_sizes
from .causal_model import causal_model
from .moments import TokenLaw
from .polymatrix import _flint
from .polymatrix import backend as _poly_backend

__all__ = ["PopulationDerivatives", "population_derivatives", "BlockDerivatives", "autoregressive_derivatives"]


@dataclass
class PopulationDerivatives:
    """Exact population loss and real-coordinate gradients at one point.

    Attributes
    ----------
    loss : sympy.Expr
        :math:`L = \\mathbb{E}\\,\\ell` (or, if no law was given, :math:`\\mathbb{E}_W \\ell` as a
        polynomial in ``z``, ``zbar``).
    grad_PV : Matrix, shape (d, 2d)
    grad_KQ : Matrix, shape (2d, 2d)
        :math:`\\partial L/\\partial u + i\\,\\partial L/\\partial v` entrywise.
    """

    loss: sp.Expr
    grad_PV: sp.Matrix
    grad_KQ: sp.Matrix
    z: tuple = field(default=())
    zbar: tuple = field(default=())


class _GaussianFlintPoly:
    """An element ``re + i im`` of ``Q(i)[gens]`` as two FLINT ``fmpq_mpoly`` (C arithmetic).

    The ring operations :func:`_per_sequence_loss_jet` uses (``+``, ``-``, ``*`` by an element
    or a Gaussian rational, ``**``, truth value) with the meaning of SymPy's ``PolyElement``
    over ``QQ_I``: the same algorithm runs on either representation.
    """

    __slots__ = ("re", "im")

    def __init__(self, re, im):
        self.re, self.im = re, im

    def __bool__(self):
        return not (self.re.is_zero() and self.im.is_zero())

    def __add__(self, other):
        return _GaussianFlintPoly(self.re + other.re, self.im + other.im)

    def __sub__(self, other):
        return _GaussianFlintPoly(self.re - other.re, self.im - other.im)

    def __mul__(self, other):
        if not isinstance(other, _GaussianFlintPoly):                      # a Gaussian rational
            x, y = _flint.fmpq(int(other.x.numerator), int(other.x.denominator)), \
                _flint.fmpq(int(other.y.numerator), int(other.y.denominator))
            return _GaussianFlintPoly(self.re * x - self.im * y, self.re * y + self.im * x)
        a, b, c, e = self.re, self.im, other.re, other.im
        if b.is_zero() and e.is_zero():
            return _GaussianFlintPoly(a * c, b)
        if b.is_zero():
            return _GaussianFlintPoly(a * c, a * e)
        if e.is_zero():
            return _GaussianFlintPoly(a * c, b * c)
        return _GaussianFlintPoly(a * c - b * e, a * e + b * c)

    __rmul__ = __mul__

    def __pow__(self, n: int):
        out = _GaussianFlintPoly(self.re ** 0, self.im * 0)
        for _ in range(n):
            out = out * self
        return out


class _FlintRing:
    """``QQ_I[gens]`` through :class:`_GaussianFlintPoly`: what :class:`_Context` needs of a ring."""

    def __init__(self, ngens: int):
        self.ctx = _flint.fmpq_mpoly_ctx.get(tuple(f"g{k}" for k in range(ngens)), "lex")
        z = self.ctx.from_dict({})
        self.zero = _GaussianFlintPoly(z, z)
        self.gens = [_GaussianFlintPoly(g, z) for g in self.ctx.gens()]

    def from_dict(self, terms: dict):
        """``{exps: (re, im)}`` (fmpq pairs) -> element."""
        re = {k: v[0] for k, v in terms.items() if v[0]}
        im = {k: v[1] for k, v in terms.items() if v[1]}
        return _GaussianFlintPoly(self.ctx.from_dict(re), self.ctx.from_dict(im))

    def constant(self, c):
        """A Gaussian rational (SymPy's ``QQ_I`` element) as an element."""
        return self.zero.__add__(_GaussianFlintPoly(self.ctx.constant(1), self.ctx.from_dict({}))) * c


def _items(p):
    """``{exps: (re, im)}`` of a :class:`_GaussianFlintPoly`, parts as ``fmpq``."""
    zero = _flint.fmpq(0)
    out = {k: (v, zero) for k, v in p.re.to_dict().items()}
    for k, v in p.im.to_dict().items():
        out[k] = (out[k][0], v) if k in out else (zero, v)
    return out


class _Context:
    r"""The polynomial ring and the token generators at fixed (model, d, T, parameters).

    ``attention`` is the model description (:class:`theory.models.LinearAttention`) whose
    :meth:`~theory.models.LinearAttention.readout_formula` is evaluated; ``structure`` the task's time
    structure (:func:`theory.causal_model.causal_model`). One perturbation direction per entry of
    every trained block (``blocks``, in order, entries row-major).
    """

    def __init__(self, attention, d: int, T: int, params: Sequence[sp.Symbol], with_gradient: bool,
                 backend: str = "sympy"):
        self.d, self.T = d, T
        self.flint = backend == "flint"
        self.attention = attention
        self.structure = causal_model()
        self.blocks = tuple(k for k in sorted(attention.parameters) if k not in attention.fixed)
        self.params = tuple(params)
        sizes = [len(attention.parameters[k]) for k in self.blocks]
        n_dir = sum(sizes) if with_gradient else 0
        self.delta_re = sp.symbols(f"dre0:{n_dir}") if n_dir else ()
        self.delta_im = sp.symbols(f"dim0:{n_dir}") if n_dir else ()
        self.z = sp.symbols(f"z_1:{d + 1}")
        self.zbar = sp.symbols(f"zbar_1:{d + 1}")
        lam = sp.symbols(f"lam_1:{d + 1}")
        mu = sp.symbols(f"mu_1:{d + 1}")
        gens = (*self.params, *self.delta_re, *self.delta_im, *self.z, *self.zbar, *lam, *mu)
        if self.flint:
            self.R = _FlintRing(len(gens))
            g = self.R.gens
        else:
            self.R, *g = ring(gens, QQ_I)
        n_par = len(self.params)
        self.gp = g[:n_par]
        self.gdre = g[n_par:n_par + n_dir]
        self.gdim = g[n_par + n_dir:n_par + 2 * n_dir]
        rest = g[n_par + 2 * n_dir:]
        self.gz, self.gzb, self.glam, self.gmu = rest[:d], rest[d:2 * d], rest[2 * d:3 * d], rest[3 * d:]
        self.offset_z = n_par + 2 * n_dir
        self.n_dir = n_dir
        # conjugation: permutation of exponents + conjugate coefficients
        ngen = len(gens)
        perm = list(range(ngen))
        oz = self.offset_z
        for j in range(d):
            perm[oz + j], perm[oz + d + j] = oz + d + j, oz + j
            perm[oz + 2 * d + j], perm[oz + 3 * d + j] = oz + 3 * d + j, oz + 2 * d + j
        self.perm = perm
        self.i_unit = self.R.constant(QQ_I(0, 1)) if self.flint else self.R(QQ_I(0, 1))
        self.embedding = _linear_embedding(attention.embedding, d, self.structure.n_blocks)
        self._tokens: dict = {}

    def conj(self, p):
        if self.flint:                       # generators permuted in C, imaginary part negated
            gens = self.R.ctx.gens()
            order = [gens[k] for k in self.perm]
            return _GaussianFlintPoly(p.re.compose(*order), -p.im.compose(*order))
        perm = self.perm
        terms = {tuple(exps[k] for k in perm): QQ_I(c.x, -c.y) for exps, c in p.items()}
        return self.R.from_dict(terms) if terms else self.R.zero

    def items(self, p):
        """``(exps, coeff)`` of every term: a ``QQ_I`` element, or (flint) an ``(re, im)`` pair of ``fmpq``."""
        return _items(p).items() if self.flint else p.items()

    def from_items(self, terms: dict):
        return self.R.from_dict(terms)

    def parts_items(self, p):
        """``[(0, real-part terms), (1, imaginary-part terms)]``, each an iterable of
        ``(exps, rational)`` (``fmpq`` or SymPy's ``QQ`` element)."""
        if self.flint:
            return [(0, p.re.to_dict().items()), (1, p.im.to_dict().items())]
        return [(0, ((e, c.x) for e, c in p.items() if c.x)), (1, ((e, c.y) for e, c in p.items() if c.y))]

    def constant(self, c):
        """A Gaussian rational as a coefficient the ring's elements multiply by."""
        return QQ_I.from_sympy(sp.sympify(c))

    def x(self, t: int, j: int, conj: bool = False):
        """x_{t,j} = lambda_j^{t-1} z_j (t 1-based, j 0-based); x_s = 0 outside 1..T."""
        if not 1 <= t <= self.T:
            return self.R.zero
        if conj:
            return self.gmu[j] ** (t - 1) * self.gzb[j]
        return self.glam[j] ** (t - 1) * self.gz[j]

    def e(self, i: int, conj: bool = False) -> list:
        """The model's embedding of the task's blocks x_{token_time(i, b)} (computed once per i)."""
        key = (i, conj)
        if key not in self._tokens:
            zero = [self.R.zero] * self.d
            parts = self.structure.block_parts(i, self.T, lambda t: [self.x(t, j, conj) for j in range(self.d)], zero)
            xs = [x for part in parts for x in part]
            self._tokens[key] = [_combine(self.R, row, xs) for row in self.embedding]
        return self._tokens[key]


def _linear_embedding(embedding, d: int, n_blocks: int) -> list:
    """The embedding as rows of ``(index, rational)`` pairs over the ``n_blocks * d`` block entries.

    The description's ``embed`` is applied once to symbols; the task's exact expectation needs it linear
    in the tokens with rational coefficients (e.g. :func:`theory.models.pair_embedding`).
    """
    entries = [sp.Symbol(f"_p{b}_{j}") for b in range(n_blocks) for j in range(d)]
    parts = [sp.Matrix(entries[b * d:(b + 1) * d]) for b in range(n_blocks)]
    vec = embedding.embed(parts)
    rows = []
    for k, expr in enumerate(vec):
        try:
            poly = sp.Poly(sp.expand(expr), *entries)
        except sp.PolynomialError:
            poly = None
        if poly is None or poly.total_degree() > 1 or poly.coeff_monomial(1) != 0 or \
                any(not c.is_Rational for c in poly.coeffs()):
            raise ValueError(f"model.embedding must be linear in the tokens with rational coefficients for the "
                             f"autoregressive task's exact moments (entry {k} is {expr}): use theory.pair_embedding")
        rows.append(() if poly.is_zero else tuple((mon.index(1), QQ_I.from_sympy(c)) for mon, c in poly.terms()))
    return rows


def _combine(R, row, xs):
    """``sum_c coeff_c * xs[c]`` over a row of :func:`_linear_embedding` (a coefficient 1 takes the element)."""
    out = R.zero
    for idx, c in row:
        out = out + (xs[idx] if c == QQ_I(1, 0) else xs[idx] * c)
    return out


class _JetOps:
    """The arithmetic of :meth:`theory.models.LinearAttention.readout_formula` on first-order jets
    ``(value, first-order part)`` of ring elements: matrices are lists of rows, vectors lists."""

    @staticmethod
    def matvec(M, v):
        return [_jet_dot(row, v) for row in M]

    @staticmethod
    def transpose(M):
        return [list(col) for col in zip(*M)]

    @staticmethod
    def add(u, v):
        return [(a0 + b0, a1 + b1) for (a0, a1), (b0, b1) in zip(u, v)]

    @staticmethod
    def scale(c, v):
        c = c if not isinstance(c, int) else QQ_I(c, 0)
        return [(a0 * c, a1 * c) for a0, a1 in v]

    @staticmethod
    def rows(M, idx):
        return [M[k] for k in idx]

    @staticmethod
    def entries(v, idx):
        return [v[k] for k in idx]


def _to_ring(ctx: _Context, expr):
    expr = sp.expand(sp.sympify(expr))
    if expr.has(sp.Float):
        raise ValueError(f"weights must be exact (found the float in {expr}): use sympy.Rational")
    if expr.free_symbols - set(ctx.params):
        raise ValueError(f"weights may only contain the declared real parameters {ctx.params} "
                         f"(found {sorted(map(str, expr.free_symbols - set(ctx.params)))})")
    if ctx.flint:                            # through SymPy's ring in the parameters, then padded
        if not expr.free_symbols:
            return ctx.R.constant(QQ_I.from_sympy(expr))
        Rp = ring(ctx.params, QQ_I)[0]
        pad = (0,) * (len(ctx.perm) - len(ctx.params))
        return ctx.R.from_dict({exps + pad: (_flint.fmpq(int(c.x.numerator), int(c.x.denominator)),
                                             _flint.fmpq(int(c.y.numerator), int(c.y.denominator)))
                                for exps, c in Rp.from_expr(expr).items()})
    if not expr.free_symbols:
        return ctx.R(ctx.R.domain.from_sympy(expr))
    return ctx.R.from_expr(expr)


def _jet_weights(ctx: _Context, values: dict) -> dict:
    """Every block as a matrix (list of rows) of jets: the value, and for a trained block the
    first-order part along its own direction per entry (``ctx.blocks`` order, row-major)."""
    offsets, k = {}, 0
    for name in ctx.blocks:
        offsets[name] = k
        k += len(ctx.attention.parameters[name])
    out = {}
    for name, block in ctx.attention.parameters.items():
        M = values.get(name, block)
        rows = []
        for r in range(M.rows):
            row = []
            for c in range(M.cols):
                first = ctx.R.zero
                if name in offsets and ctx.n_dir:
                    kk = offsets[name] + r * M.cols + c
                    first = ctx.gdre[kk] + ctx.i_unit * ctx.gdim[kk]
                row.append((_to_ring(ctx, M[r, c]), first))
            rows.append(row)
        out[name] = rows
    return out


def _jet_dot(row, vec):
    """sum_k row[k] * vec[k] for jets (value, first)."""
    v0 = v1 = None
    for (a0, a1), (b0, b1) in zip(row, vec):
        p0 = a0 * b0
        p1 = a0 * b1 + a1 * b0
        v0 = p0 if v0 is None else v0 + p0
        v1 = p1 if v1 is None else v1 + p1
    return v0, v1


def _phase_blocks(ctx: _Context, poly) -> dict:
    """Split a ring element by its net phase vector (exponent of lambda_j minus that of mu_j)."""
    d, oz = ctx.d, ctx.offset_z
    blocks: dict = {}
    for exps, coeff in ctx.items(poly):
        net = tuple(exps[oz + 2 * d + j] - exps[oz + 3 * d + j] for j in range(d))
        blocks.setdefault(net, {})[exps] = coeff
    return {n: ctx.from_items(terms) for n, terms in blocks.items()}


def _per_sequence_loss_jet(ctx: _Context, weights: dict):
    r"""(E_W ell, E_W d ell) as ring elements: value and first-order part in the directions.

    The prediction is the model description's :meth:`~theory.models.LinearAttention.readout_formula`
    evaluated on jets, with the context applied as :math:`\sum_i e_i (e_i^H v)`; the time structure
    (steps, context, target) is the task's. Only the terms that survive the phase lemma are formed
    (see ``_phase_blocks``).
    """
    from .models import N as N_sym

    R = ctx.R
    zero = R.zero
    loss0 = R.zero
    loss1 = R.zero
    attention, structure = ctx.attention, ctx.structure
    scale_loss = ctx.constant(structure.loss_scale)
    for t in structure.steps(ctx.T):
        n_ctx = t + structure.context_last
        context = [(ctx.e(i), ctx.e(i, conj=True)) for i in range(1, n_ctx + 1)]

        def apply_S(v):                                              # S v = sum_i e_i (e_i^H v), jets
            sv0 = [zero] * len(v)
            sv1 = [zero] * len(v)
            for ei, ei_h in context:
                w0 = zero
                w1 = zero
                for r, (v0, v1) in enumerate(v):
                    if ei_h[r]:
                        w0 += ei_h[r] * v0
                        w1 += ei_h[r] * v1
                for r in range(len(v)):
                    if ei[r]:
                        sv0[r] += ei[r] * w0
                        sv1[r] += ei[r] * w1
            return list(zip(sv0, sv1))

        rho = attention.normaliser.subs(N_sym, n_ctx)
        if not (rho.is_Rational and rho.is_positive):
            raise ValueError(f"model.normaliser must be a positive rational at N = {n_ctx} context tokens "
                             f"(got rho = {rho})")
        query = [(x, zero) for x in ctx.e(t)]
        pred = attention.readout_formula(apply_S, query, ctx.constant(1 / rho), weights, _JET_OPS)
        for k, (y0, y1) in zip(attention.readout, pred):
            res0 = _phase_blocks(ctx, y0 - ctx.x(t + structure.target_shift, k))
            res1 = _phase_blocks(ctx, y1) if ctx.n_dir else {}
            # Phase lemma before multiplying: a product term survives E_W only if the net lambda
            # exponents of its two factors cancel, i.e. block n of res times conj(block n of res0).
            for n, block in res0.items():
                c0 = ctx.conj(block)
                loss0 += block * c0
                if n in res1:
                    loss1 += res1[n] * c0                            # + conj(.) below: 2 Re
    loss0 = loss0 * scale_loss
    if ctx.n_dir:
        loss1 = (loss1 + ctx.conj(loss1)) * scale_loss
    return loss0, loss1


_JET_OPS = _JetOps()


def _fraction(c) -> Fraction:
    return Fraction(int(c.numerator), int(c.denominator)) if c else Fraction(0)


def _monomial(params, pexps, imaginary: bool) -> sp.Expr:
    """``prod params**pexps`` (times ``I`` if ``imaginary``) as SymPy's ``Mul`` builds it: the
    factors in its canonical order (``_mulsort``), without re-running ``Mul.flatten``."""
    factors = [s ** n if n > 1 else s for s, n in zip(params, pexps) if n]
    if imaginary:
        factors.append(sp.I)
    if not factors:
        return sp.Integer(1)
    if len(factors) == 1:
        return factors[0]
    _mulsort(factors)
    return sp.Mul._from_args(factors)


def _sum_of_distinct(terms: list) -> sp.Expr:
    """``Add(*terms)`` for terms ``c * monomial`` with pairwise different monomials (nothing to
    collect), in Add's canonical order (the number first, the rest by ``_addsort``)."""
    numbers = [t for t in terms if t.is_Number]
    rest = [t for t in terms if not t.is_Number]
    if len(numbers) + len(rest) <= 1 or len(numbers) > 1:
        return sp.Add(*terms)
    _addsort(rest)
    return sp.Add._from_args(numbers + rest)


def _times_monomial(c: Fraction, mono: sp.Expr) -> sp.Expr:
    """``Rational(c) * mono`` for a monomial with coefficient 1 (e.g. ``a**2*b``, ``I*a``), built
    as SymPy's ``Mul`` builds it (the number first, then the monomial's factors) without
    re-running ``Mul.flatten``."""
    if c == 1:
        return mono
    coeff = sp.Rational(c.numerator, c.denominator)
    if mono == 1:
        return coeff
    return sp.Mul._from_args((coeff, *(mono.args if mono.is_Mul else (mono,))))


def _expect(ctx: _Context, poly, law: TokenLaw | None, split_directions: bool):
    """Exact E over W (phase lemma) and z (law) of a ring element.

    Returns a sympy expression, or, with ``split_directions``, a list of expressions: the
    coefficient of each direction generator (real parts then imaginary parts).
    """
    d = ctx.d
    oz = ctx.offset_z
    n_par = len(ctx.params)
    n_dir = ctx.n_dir
    buckets: dict = {}
    for part, terms in ctx.parts_items(poly):                       # real parts, then imaginary parts
        for exps, c in terms:
            if exps[oz + 2 * d:oz + 3 * d] != exps[oz + 3 * d:oz + 4 * d]:
                continue                                             # phase lemma: E_W of the term is 0
            if split_directions:
                dirs = exps[n_par:n_par + 2 * n_dir]
                which = next(k for k, n in enumerate(dirs) if n)
            else:
                which = 0
            key = (which, exps[:n_par], tuple((exps[oz + j], exps[oz + d + j]) for j in range(d)))
            acc = buckets.get(key)
            if acc is None:
                buckets[key] = acc = [0, 0]
            acc[part] = acc[part] + c
    n_out = 2 * n_dir if split_directions else 1
    out = [[] for _ in range(n_out)]
    # Build the expanded sum directly (no global expand). A rational moment is folded into the
    # coefficient of its parameter monomial (exact Fractions), so each monomial is built once; a
    # moment that is an expression (law symbols, or z's without a law) is expanded term by term.
    # Either way the terms are (real coefficient) * monomial and I * (real coefficient) * monomial,
    # the canonical form SymPy's Add gives whatever the grouping.
    folded: dict = {}
    for (which, pexps, zmono), (re, im) in buckets.items():
        re, im = _fraction(re), _fraction(im)
        if not (re or im):
            continue
        if law is None:                       # no law: the z-monomial stays, as part of the monomial
            acc = folded.setdefault((which, pexps + tuple(n for ab in zmono for n in ab)), [Fraction(0), Fraction(0)])
            acc[0] += re
            acc[1] += im
            continue
        moment = law.expect(zmono)
        if moment == 0:
            continue
        if moment.is_Rational:
            m = Fraction(int(moment.p), int(moment.q))
            acc = folded.setdefault((which, pexps), [Fraction(0), Fraction(0)])
            acc[0] += re * m
            acc[1] += im * m
            continue
        mono = sp.Mul(*(s ** n for s, n in zip(ctx.params, pexps) if n))
        terms = sp.Add.make_args(sp.expand(moment * mono)) if moment.is_Add else (moment * mono,)
        re, im = sp.Rational(re.numerator, re.denominator), sp.Rational(im.numerator, im.denominator)
        for term in terms:
            if re:
                out[which].append(re * term)
            if im:
                out[which].append(sp.I * im * term)
    monos: dict = {}
    distinct = [[] for _ in range(n_out)]                            # one term per (monomial, re/im)
    gens = (*ctx.params, *(g for pair in zip(ctx.z, ctx.zbar) for g in pair))
    for (which, pexps), (re, im) in folded.items():
        if pexps not in monos:                                       # shared by every direction
            monos[pexps] = (_monomial(gens, pexps, False), _monomial(gens, pexps, True))
        mono, imono = monos[pexps]
        if re:
            distinct[which].append(_times_monomial(re, mono))
        if im:
            distinct[which].append(_times_monomial(im, imono))
    exprs = [sp.Add(*terms, *more) if terms else _sum_of_distinct(more) for terms, more in zip(out, distinct)]
    return exprs if split_directions else exprs[0]


def require_law(law, d: int | None = None, optional: bool = False) -> None:
    """``law`` must be a :class:`~theory.moments.TokenLaw` (or None if ``optional``) of dimension ``d``."""
    from .moments import TokenLaw

    if law is None and optional:
        return
    require_type("law", law, TokenLaw, "a theory.moments.TokenLaw" + (" or None" if optional else ""),
                 "e.g. RealGaussian(d) or MomentTableLaw(d)")
    if d is not None and law.d != d:
        raise ValueError(f"law must have dimension d = {d} (got a law of dimension {law.d})")


def population_derivatives(d: int, T: int, W_PV: sp.Matrix, W_KQ: sp.Matrix, law: TokenLaw | None,
                           params: Sequence[sp.Symbol] = (), gradient: bool = True,
                           backend: str | None = None) -> PopulationDerivatives:
    r"""Exact population loss and gradient at the weights ``(W_PV, W_KQ)``.

    Parameters
    ----------
    d : int, >= 1
    T : int, >= 3
    W_PV : Matrix, shape (d, 2d)
    W_KQ : Matrix, shape (2d, 2d)
        Entries: polynomials with Gaussian-rational coefficients in the real symbols ``params``.
    law : TokenLaw or None
        Law of ``z``; ``None`` averages over ``W`` only and returns polynomials in ``z``, ``zbar``
        (valid for every law).
    params : sequence of Symbol
        Real parameters appearing in the weights.
    gradient : bool
        If False, only the loss is computed (``grad_*`` are zero matrices).
    backend : {None, "flint", "sympy"}
        Polynomial arithmetic of the expansion: FLINT's (C, ``pip install 'mesacheck[fast]'``)
        or SymPy's sparse polynomials; ``None`` takes :func:`theory.polymatrix.backend` (flint
        when installed, unless ``MESACHECK_POLY_BACKEND=sympy``). Both give identical results.

    Returns
    -------
    PopulationDerivatives
        ``loss``; ``grad_PV`` shape (d, 2d); ``grad_KQ`` shape (2d, 2d).

    Examples
    --------
    >>> from theory.causal_attention import manifold_ab
    >>> from theory.moments import RealGaussian
    >>> a, b = sp.symbols("a b", real=True)
    >>> W_PV, W_KQ = manifold_ab(1, a, b)
    >>> population_derivatives(1, 3, W_PV, W_KQ, RealGaussian(1, sigma=1), params=(a, b)).loss
    15*a**2*b**2/2 - 3*a*b + 1/2
    """
    check_sizes(d=d, T=T)
    require_matrix("W_PV", W_PV)
    require_matrix("W_KQ", W_KQ)
    if W_PV.shape != (d, 2 * d) or W_KQ.shape != (2 * d, 2 * d):
        raise ValueError(f"W_PV must be (d, 2d) and W_KQ (2d, 2d) with d = {d} (got {W_PV.shape}, {W_KQ.shape})")
    from .models import zheng_model

    # the instance: Zheng's model description, its value rows v_1 = (W^PV)^T and W^KQ_1 = W^KQ
    out = autoregressive_derivatives(zheng_model(d), T, {"v_1": W_PV.T, "W_KQ_1": W_KQ}, law, params=params,
                                     gradient=gradient, backend=backend)
    if not gradient:
        return PopulationDerivatives(out.loss, sp.zeros(d, 2 * d), sp.zeros(2 * d, 2 * d), out.z, out.zbar)
    return PopulationDerivatives(out.loss, out.gradient["v_1"].T, out.gradient["W_KQ_1"], out.z, out.zbar)


@dataclass
class BlockDerivatives:
    r"""Exact population loss and the real-coordinate gradient of every trained block.

    Attributes
    ----------
    loss : sympy.Expr
    gradient : dict[str, Matrix]
        Block name -> :math:`\partial L/\partial u + i\,\partial L/\partial v` entrywise, the block's shape
        (empty without ``gradient=True``).
    z, zbar : tuple of Symbol
    """

    loss: sp.Expr
    gradient: dict
    z: tuple = field(default=())
    zbar: tuple = field(default=())
    real_part: dict = field(default_factory=dict)


def require_autoregressive_model(model, d: int | None = None) -> int:
    """``model`` must be a one-layer description the autoregressive task can take; returns its ``d``."""
    from .models import LinearAttention

    require_type("model", model, LinearAttention, "a theory.LinearAttention with one layer")
    if model.layers != 1:
        raise ValueError(f"model must have one layer for the autoregressive task's exact moments (got layers = "
                         f"{model.layers})")
    n_blocks = causal_model().n_blocks
    if model.E % n_blocks or (d is not None and model.E != n_blocks * d):
        raise ValueError(f"model.embedding must stack the task's {n_blocks} token blocks of d = "
                         f"{d if d is not None else '?'} entries (got E = {model.E}): use theory.pair_embedding(d)")
    d = model.E // n_blocks
    if any(k >= d for k in model.readout):
        raise ValueError(f"model.readout must be coordinates of the target x_(t+1), below d = {d} (got "
                         f"{list(model.readout)})")
    return d


def autoregressive_derivatives(model, T: int, values: dict, law: TokenLaw | None, params: Sequence[sp.Symbol] = (),
                               gradient: bool = True, backend: str | None = None) -> BlockDerivatives:
    r"""Exact population loss and gradient of a one-layer model description on the autoregressive task.

    The prediction is the description's :meth:`~theory.models.LinearAttention.readout_formula` (any
    heads, merged or separate key-query, value rows or full stream, readout and normaliser); the data
    are Zheng et al.'s process :math:`x_{t+1} = W x_t` with random phases, the time structure of
    :func:`theory.causal_model.causal_model`. Weights may be complex: the gradient is
    :math:`\partial L/\partial u + i\,\partial L/\partial v` for every entry :math:`u + i v`.

    Parameters
    ----------
    model : LinearAttention
        One layer; its embedding linear in the task's blocks (e.g. :func:`theory.models.pair_embedding`);
        readout coordinates below ``d`` (the target :math:`x_{t+1}` has ``d`` entries).
    T : int, >= 3
    values : dict
        Block name -> Matrix (the block's shape): the point. A block not given keeps its symbols, which
        must then be listed in ``params``.
    law : TokenLaw or None
        Law of ``z`` (dimension ``d``, the task's); ``None`` averages over ``W`` only.
    params : sequence of Symbol
        The real parameters in the values.
    gradient : bool
    backend : {None, "flint", "sympy"}

    Returns
    -------
    BlockDerivatives
        ``loss``; ``gradient[block]`` and ``real_part[block]`` (:math:`\partial L/\partial u`), each of the
        block's shape, for every trained block.

    Examples
    --------
    >>> from theory.models import zheng_model
    >>> from theory.moments import RealGaussian
    >>> a, b = sp.symbols("a b", real=True)
    >>> m = zheng_model(1)
    >>> at = {"v_1": sp.Matrix([b, 0]), "W_KQ_1": sp.Matrix([[0, 0], [a, 0]])}
    >>> autoregressive_derivatives(m, 3, at, RealGaussian(1, sigma=1), params=(a, b), gradient=False).loss
    15*a**2*b**2/2 - 3*a*b + 1/2
    """
    d = require_autoregressive_model(model)
    check_sizes(d=d, T=T)
    require_law(law, d, optional=True)
    require_bool("gradient", gradient)
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict block name -> Matrix (got {type(values).__name__})")
    for key, val in values.items():
        if key not in model.parameters:
            raise ValueError(f"values must be keyed by the model's blocks {sorted(model.parameters)} (got {key!r})")
        require_matrix(f"values[{key!r}]", val, model.parameters[key].shape)
    reserved = {"z_", "zbar_", "lam_", "mu_", "dre", "dim"}
    for p in params:
        if not isinstance(p, sp.Symbol) or p.is_real is not True:
            raise ValueError(f"params must be real Symbols (got {p!r}): write a complex weight as u + I*v with "
                             f"Symbol('u', real=True), Symbol('v', real=True)")
        if any(p.name.startswith(r) for r in reserved):
            raise ValueError(f"params must not use the reserved names z_*, zbar_*, lam_*, mu_*, dre*, dim* "
                             f"(got {p.name!r}): rename the symbol")
    if backend is None:
        backend = _poly_backend()
    if backend not in ("flint", "sympy"):
        raise ValueError(f"backend must be 'flint', 'sympy' or None (got {backend!r}): None picks flint when installed")
    if backend == "flint" and _flint is None:
        raise ValueError("backend='flint' needs python-flint: pip install 'mesacheck[fast]' (or pass backend='sympy')")
    ctx = _Context(model, d, T, params, gradient, backend)
    weights = _jet_weights(ctx, {k: sp.Matrix(v) for k, v in values.items()})
    loss0, loss1 = _per_sequence_loss_jet(ctx, weights)
    loss = _expect(ctx, loss0, law, split_directions=False)
    if not gradient:
        return BlockDerivatives(loss, {}, ctx.z, ctx.zbar)
    parts = _expect(ctx, loss1, law, split_directions=True)
    n_dir = ctx.n_dir
    grad = [parts[k] + sp.I * parts[n_dir + k] for k in range(n_dir)]
    out, real, k = {}, {}, 0
    for name in ctx.blocks:
        rows, cols = model.parameters[name].shape
        out[name] = sp.Matrix(rows, cols, grad[k:k + rows * cols])
        real[name] = sp.Matrix(rows, cols, parts[k:k + rows * cols])
        k += rows * cols
    return BlockDerivatives(loss, out, ctx.z, ctx.zbar, real)
