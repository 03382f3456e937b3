r"""Data processes for the generic derivations: in-context regression and the autoregressive process.

A task turns a model's cubic features (:meth:`theory.models.LinearAttention.features`) into their exact
population moments: the Gram matrix :math:`G_{fg} = \mathbb{E}\,\phi_f \overline{\phi_g}`, the cross
moments :math:`b_{kf} = \mathrm{Re}\,\mathbb{E}\,\phi_f \overline{y_k}` with the target, and
:math:`c_k = \mathbb{E}|y_k|^2`, so that the population loss of any weights is
:math:`\sum_k C_k^\top G C_k - 2 C_k^\top b_k + c_k` (:func:`theory.derive.population_loss`).

* :class:`InContextRegression`: :math:`x_n \sim N(0, \Lambda)` i.i.d., :math:`w \sim N(0, \Omega)`,
  :math:`y_n = w^\top x_n + \varepsilon_n`, :math:`\varepsilon_n \sim N(0, \sigma^2)`, query
  :math:`x_q \sim N(0, \Lambda_q)` (covariate shift when :math:`\Lambda_q \ne \Lambda`), target
  :math:`w^\top x_q`. Moments for **symbolic N**: a product of ``m`` context sums
  :math:`S_{ij} = \sum_n z_{n,i} z_{n,j}` is a sum over the set partitions of its ``m`` factors, a partition
  with ``b`` blocks counted :math:`N(N-1)\cdots(N-b+1)` times (distinct tokens are i.i.d. given ``w``); each
  Gaussian moment is Isserlis' sum over pairings of the covariance entries.
* :class:`AutoregressiveTask`: Zheng et al.'s :math:`x_{t+1} = W x_t`, :math:`W = \mathrm{diag}(\lambda)`
  with independent uniform phases, :math:`x_1` from a :class:`theory.moments.TokenLaw`; the loss sums the
  steps :math:`t = 2, \dots, T-1` (prediction of :math:`x_{t+1}` from :math:`e_1..e_t`), at concrete ``T``.

References
----------
Zhang, Frei, Bartlett (2024), Sec. 2 (data); Zheng et al. (2024), Sec. 3; spec ``related.md``, ``zheng2024.md``.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations

from typing import Sequence

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from .moments import TokenLaw, phase_average
from .validation import fail, require_int, require_matrix, require_scalar, require_type

__all__ = ["InContextRegression", "AutoregressiveTask", "FeatureMoments", "isserlis"]


class FeatureMoments:
    """``G`` (F x F), ``b`` (|R| x F) and ``c`` (|R|) of a model's features under a task (module docstring)."""

    def __init__(self, G: sp.Matrix, b: sp.Matrix, c: tuple, scope: str):
        self.G, self.b, self.c, self.scope = G, b, c, scope


def _covariance(name: str, value, D: int, default) -> sp.Matrix:
    """A D x D exact symmetric covariance from None, a list of variances, or a Matrix."""
    if value is None:
        value = default
    if isinstance(value, sp.MatrixBase):
        M = sp.Matrix(value)
    elif isinstance(value, (list, tuple)):
        if len(value) != D:
            fail(name, f"{D} variances, one per coordinate (or a {D} x {D} Matrix)", value)
        M = sp.diag(*[require_scalar(f"{name}[{i}]", v) for i, v in enumerate(value)])
    else:
        M = require_scalar(name, value, "a variance, a list of D variances or a D x D Matrix") * sp.eye(D)
    if M.shape != (D, D):
        fail(name, f"a {D} x {D} matrix", M.shape)
    if M.has(sp.Float):
        fail(name, "exact (a float rounds)", value, "use sympy.Rational or symbols")
    if (M - M.T).applyfunc(sp.expand) != sp.zeros(D, D):
        fail(name, "symmetric", M.tolist(), "a covariance equals its transpose")
    for i in range(D):
        if M[i, i].is_negative or (M[i, i].is_zero and any(M[i, j] != 0 for j in range(D))):
            fail(name, "positive semi-definite", M.tolist(), f"entry ({i}, {i}) is {M[i, i]}")
    try:
        if all(e.is_number for e in M) and any(ev < 0 for ev in M.eigenvals(multiple=True) if ev.is_real):
            fail(name, "positive semi-definite", M.tolist(), "it has a negative eigenvalue")
    except (NotImplementedError, sp.PolynomialError):
        pass
    return M


def isserlis(cov: sp.Matrix, indices: tuple) -> sp.Expr:
    r"""Isserlis' theorem: :math:`\mathbb{E}\prod_r g_{i_r}` for :math:`g \sim N(0, \mathrm{cov})`.

    The sum over the pairings of the factors of the products of covariance entries (0 for an odd count).
    """
    require_matrix("cov", cov, why="the covariance of the Gaussian vector")
    if isinstance(indices, (str, bytes)) or not all(isinstance(i, int) and 0 <= i < cov.rows for i in indices):
        fail("indices", f"a tuple of coordinates in 0..{cov.rows - 1}", indices, kind=TypeError)
    return _isserlis(tuple(tuple(r) for r in sp.Matrix(cov).tolist()), tuple(sorted(indices)))


@lru_cache(maxsize=None)
def _isserlis(cov: tuple, indices: tuple) -> sp.Expr:
    if not indices:
        return sp.Integer(1)
    if len(indices) % 2:
        return sp.Integer(0)
    first, rest = indices[0], indices[1:]
    total = sp.Integer(0)
    for k in range(len(rest)):
        entry = cov[first][rest[k]]
        if entry != 0:
            total += entry * _isserlis(cov, rest[:k] + rest[k + 1:])
    return sp.expand(total)


class InContextRegression:
    r"""In-context linear regression with Gaussian inputs, weights and label noise (module docstring).

    Parameters
    ----------
    D : int, >= 1
    covariance : None, list of D variances, or Matrix (D, D)
        :math:`\Lambda` (default ``I``); entries may be symbols (declare them ``positive=True``).
    noise : scalar, >= 0
        Label-noise variance :math:`\sigma^2` (default 0).
    weight_covariance : None, list or Matrix
        :math:`\Omega` (default ``I``).
    query_covariance : None, list or Matrix
        :math:`\Lambda_q` (default :math:`\Lambda`): covariate shift at test time.
    law : TokenLaw, optional
        A non-Gaussian law of the inputs :math:`x_n` and :math:`x_q` (a real :class:`theory.moments.TokenLaw` of
        dimension ``D``, e.g. ``RademacherLaw(D)``, ``DiscreteLaw``, a user's ``MomentTableLaw``), used through its
        exact moment functional; exclusive with ``covariance`` and ``query_covariance``.

    Examples
    --------
    >>> task = InContextRegression(2, noise=0)
    >>> task.Lambda
    Matrix([
    [1, 0],
    [0, 1]])
    """

    name = "in-context regression"
    default_scale = sp.Rational(1, 2)

    def __init__(self, D: int, covariance=None, noise=0, weight_covariance=None, query_covariance=None, law=None):
        self.D = require_int("D", D, minimum=1, why="the input dimension counts coordinates")
        self.law = None
        if law is not None:
            require_type("law", law, TokenLaw, "a theory.TokenLaw of the inputs (e.g. theory.RademacherLaw(D))")
            if law.d != self.D or not law.is_real:
                fail("law", f"a real law in dimension D = {self.D}", law,
                     f"it has d = {law.d}" if law.d != self.D else "in-context regression has real inputs")
            if covariance is not None or query_covariance is not None:
                raise ValueError("law and covariance/query_covariance are exclusive (got both): the law fixes the "
                                 "inputs' covariance")
            self.law = law
            covariance = sp.Matrix(self.D, self.D, lambda i, j: law.expect(tuple(
                (int(i == k) + int(j == k), 0) for k in range(self.D))))
        self.Lambda = _covariance("covariance", covariance, self.D, 1)
        self.Omega = _covariance("weight_covariance", weight_covariance, self.D, 1)
        self.Lambda_q = self.Lambda if query_covariance is None else _covariance(
            "query_covariance", query_covariance, self.D, 1)
        self.noise = require_scalar("noise", noise, "the label-noise variance sigma^2")
        if self.noise.is_negative:
            fail("noise", "a variance >= 0", noise)
        D = self.D
        self.w = sp.Matrix(D, 1, lambda i, j: sp.Symbol(f"w_{i + 1}", real=True))
        self.x_q = sp.Matrix(D, 1, lambda i, j: sp.Symbol(f"xq_{i + 1}", real=True))

    def __repr__(self):
        return f"InContextRegression(D={self.D}, Lambda={self.Lambda.tolist()}, noise={self.noise})"

    def token(self, n: int) -> tuple:
        """Symbols of context token ``n``: ``(x_n (D, 1), y_n, eps_n)``."""
        x = sp.Matrix(self.D, 1, lambda i, j: sp.Symbol(f"x{n}_{i + 1}", real=True))
        eps = sp.Symbol(f"eps_{n}", real=True)
        return x, (self.w.T * x)[0] + eps, eps

    def target(self) -> sp.Expr:
        """:math:`y_q = w^\\top x_q` (noise-free)."""
        return (self.w.T * self.x_q)[0]

    # ---------------------------------------------------------------- expectations
    def expect(self, expr, blocks: int = 0) -> sp.Expr:
        """Exact expectation of a polynomial in ``w``, ``x_q`` and the first ``blocks`` tokens' symbols."""
        x_cov = self.law if self.law is not None else None
        groups = [(list(self.w), self.Omega), (list(self.x_q), x_cov or self.Lambda_q)]
        for n in range(1, blocks + 1):
            x, _, eps = self.token(n)
            groups.append((list(x), x_cov or self.Lambda))
            groups.append(([eps], sp.Matrix([[self.noise]])))
        gens = [s for g, _ in groups for s in g]
        poly = sp.Poly(sp.expand(expr), *gens)
        total = sp.Integer(0)
        for exps, coeff in poly.terms():
            value, k = sp.Integer(1), 0
            for syms, cov in groups:
                if isinstance(cov, TokenLaw):
                    value *= cov.expect(tuple((exps[k + i], 0) for i in range(len(syms))))
                else:
                    idx = tuple(i for i in range(len(syms)) for _ in range(exps[k + i]))
                    value *= isserlis(cov, idx)
                k += len(syms)
                if value == 0:
                    break
            total += coeff * value
        return sp.expand(total)

    def direct_loss(self, model, N: int, scale) -> "DirectLoss":
        """``scale * E (yhat - y_q)^2`` over an explicit prompt of ``N`` tokens (any depth), evaluated lazily."""
        xs, ys = [], []
        for n in range(1, N + 1):
            x, y, _ = self.token(n)
            xs.append(x)
            ys.append(y)
        pred = model.predict(xs, ys, self.x_q)
        if isinstance(pred, sp.MatrixBase):
            raise ValueError("direct_loss needs a model with one readout coordinate")
        return DirectLoss(self, pred, self.target(), scale, N)

    def context_moment(self, factors: Sequence, N=None) -> sp.Expr:
        r""":math:`\mathbb{E}\prod_r S_{i_r j_r}` for the context sums :math:`S = \sum_{n=1}^{N} z_n z_n^\top` of the
        tokens :math:`z_n = (x_n; y_n)` (0-based ``(i, j)`` pairs), exact for symbolic ``N`` (set partitions)."""
        from .models import N as N_sym
        from .models import regression_embedding

        N = N_sym if N is None else N
        if not isinstance(factors, (list, tuple)) or not all(
                isinstance(f, (list, tuple)) and len(f) == 2 and all(isinstance(k, int) and 0 <= k <= self.D for k in f)
                for f in factors):
            fail("factors", f"a sequence of (i, j) index pairs in 0..{self.D} (coordinates of (x; y))", factors)
        return self._sum_moment(tuple(tuple(f) for f in factors), sp.Integer(1), regression_embedding(self.D).embed, N)

    def _sum_moment(self, factors: tuple, rest: sp.Expr, embed, N) -> sp.Expr:
        """E[prod_r S_{i_r j_r} * rest] with S = sum_n z_n z_n^T, for symbolic or integer N."""
        if not factors:
            return self.expect(rest)
        total = sp.Integer(0)
        for partition in multiset_partitions(list(range(len(factors)))):
            term = rest
            for b, block in enumerate(partition, start=1):
                x, y, _ = self.token(b)
                z = embed((x, y))
                for r in block:
                    i, j = factors[r]
                    term = term * z[i] * z[j]
            total += sp.ff(N, len(partition)) * self.expect(term, blocks=len(partition))
        return sp.expand(total)

    def feature_moments(self, model, N, active=None) -> FeatureMoments:
        """Exact ``G``, ``b``, ``c`` of ``model``'s features for symbolic (or integer) ``N``.

        ``active`` (feature indices) limits the work to the features with a non-zero coefficient; the
        other rows and columns are left 0.
        """
        from .models import N as N_sym

        if model.E != model.embedding.dim:  # pragma: no cover - guarded by LinearAttention
            raise ValueError("model and embedding disagree")
        feats = model.features()
        zq = model.embedding.embed((self.x_q, 0), query=True)
        inv_rho = 1 / model.normaliser.subs(N_sym, N)
        if inv_rho.has(sp.zoo) or inv_rho.has(sp.nan):
            raise ValueError(f"the normaliser rho(N) = {model.normaliser} vanishes at N = {N}: choose N with rho > 0")
        S_syms = list(feats.S)
        E = model.E

        def split(mono):
            factors, rest = [], sp.Integer(1)
            for base, power in mono.as_powers_dict().items():
                if base in S_syms:
                    k = S_syms.index(base)
                    factors += [tuple(sorted((k // E, k % E)))] * int(power)
                elif base == feats.inv_rho:
                    rest *= inv_rho ** power
                else:
                    idx = list(feats.zq).index(base)
                    rest *= zq[idx] ** power
            return factors, rest

        pieces = [split(m) for m in feats.monomials]
        cache = {}

        def moment(factors, rest):
            key = (tuple(sorted(factors)), rest)
            if key not in cache:
                cache[key] = self._sum_moment(tuple(sorted(factors)), rest, model.embedding.embed, N)
            return cache[key]

        F = len(pieces)
        on = set(range(F)) if active is None else set(active)
        G = sp.zeros(F, F)
        for f in range(F):
            for g in range(f, F):
                if f not in on or g not in on:
                    continue
                (ff, rf), (fg, rg) = pieces[f], pieces[g]
                G[f, g] = G[g, f] = moment(ff + fg, rf * rg)
        target = self.target()
        R = len(model.readout)
        b = sp.Matrix(R, F, lambda k, f: moment(pieces[f][0], pieces[f][1] * target) if f in on else 0)
        # the target is one number (a scalar readout); a multi-coordinate readout has the same target per row
        c = tuple(self.expect(target ** 2) for _ in range(R))
        scope = f"every N (symbolic, set partitions of the context sums), D = {self.D}" if not isinstance(N, int) \
            else f"N = {N}, D = {self.D}"
        return FeatureMoments(G, b, c, scope)


class DirectLoss:
    """The loss of a deep model on an explicit prompt: substitute the weights first, then take the expectation."""

    def __init__(self, task, pred, target, scale, N):
        self.task, self.pred, self.target, self.scale, self.N = task, pred, target, scale, N

    def loss(self, sub: dict) -> sp.Expr:
        """``L`` at the substitution ``sub`` (symbols left out stay symbolic)."""
        resid = self.pred.xreplace(sub) - self.target
        return self.task.expect(self.scale * resid ** 2, blocks=self.N)

    def derivative(self, symbol, sub: dict) -> sp.Expr:
        """``dL/dsymbol`` at ``sub``: ``E[2 c (yhat - y) dyhat/dsymbol]``."""
        dpred = sp.diff(self.pred, symbol).xreplace(sub)
        if dpred == 0:
            return sp.Integer(0)
        resid = self.pred.xreplace(sub) - self.target
        return self.task.expect(2 * self.scale * resid * dpred, blocks=self.N)

    def gradient(self, sub: dict, symbols) -> dict:
        """``symbol -> dL/dsymbol`` at ``sub``."""
        return {s: self.derivative(s, sub) for s in symbols}


class AutoregressiveTask:
    r"""Zheng et al.'s process :math:`x_{t+1} = W x_t` with random phases, at concrete ``d`` and ``T``.

    Parameters
    ----------
    d : int, >= 1
    law : TokenLaw
        Law of :math:`x_1` (``law.d == d``), e.g. ``theory.RealGaussian(d)``.
    T : int, >= 3
        Sequence length; the loss sums the steps ``t = 2 .. T - 1``. The time structure (embedding
        shifts, steps, target, loss scale) is read from :func:`theory.causal_model.causal_model`, the
        model's one definition.
    """

    name = "autoregressive process"

    def __init__(self, d: int, law: TokenLaw, T: int):
        self.d = require_int("d", d, minimum=1, why="the token dimension counts coordinates")
        self.law = require_type("law", law, TokenLaw, "a theory.TokenLaw (e.g. theory.RealGaussian(d))")
        if law.d != self.d:
            fail("law", f"a law in dimension d = {self.d}", law, f"it has d = {law.d}")
        self.T = require_int("T", T, minimum=3, why="the first prediction needs two context tokens")
        from .causal_attention import conjugate, sequence, token_symbols
        from .causal_model import causal_model

        self.structure = causal_model()  # time shifts, steps, target and loss scale: Zheng's one definition
        self.default_scale = sp.sympify(self.structure.loss_scale)

        self.symbols = token_symbols(self.d)
        self._X = sequence(self.d, self.T, self.symbols)
        self._Xc = conjugate(self._X, self.symbols)

    def __repr__(self):
        return f"AutoregressiveTask(d={self.d}, law={self.law!r}, T={self.T})"

    def tokens(self, conj: bool = False) -> list:
        """``x_1 .. x_T`` (columns, 1-based in the text), or their conjugates."""
        X = self._Xc if conj else self._X
        return [X[:, i] for i in range(self.T)]

    def _embedded(self, model, i: int, conj: bool) -> sp.Matrix:
        """``e_i``: the blocks are the tokens at the structure's time shifts (``x_s = 0`` outside ``1..T``)."""
        xs = self.tokens(conj)
        return model.embedding.embed(self.structure.block_parts(i, self.T, lambda s: xs[s - 1], sp.zeros(self.d, 1)))

    def reference_loss(self, model, values: dict) -> sp.Expr:
        """The loss at real ``values`` by expanding one explicit sequence in SymPy, then the phase average and the
        law's moments (slow: an independent reference for tiny ``d`` and ``T``, not used by the derivations)."""
        from .zheng_population import require_autoregressive_model

        require_autoregressive_model(model, self.d)
        cm, total = self.structure, sp.Integer(0)
        for t in cm.steps(self.T):
            ctx = range(1, t + cm.context_last + 1)
            pred = model.apply([self._embedded(model, i, False) for i in ctx], self._embedded(model, t, False),
                               [self._embedded(model, i, True) for i in ctx]).xreplace(model.with_values(values))
            pred_c = model.apply([self._embedded(model, i, True) for i in ctx], self._embedded(model, t, True),
                                 [self._embedded(model, i, False) for i in ctx]).xreplace(model.with_values(values))
            target, target_c = self.tokens()[t + cm.target_shift - 1], self.tokens(True)[t + cm.target_shift - 1]
            for k, y, yc in zip(model.readout, pred, pred_c):
                total += (y - target[k]) * (yc - target_c[k])
        s = self.symbols
        return sp.expand(self.default_scale * self.law.expect_polynomial(phase_average(sp.expand(total), s.lam),
                                                                         s.z, s.zbar))

    def direct_loss(self, model, N=None, scale=None) -> "EngineLoss":
        """The exact loss of a one-layer ``model`` on this task, by
        :func:`theory.zheng_population.autoregressive_derivatives` (the task's one exact expectation: the phase
        lemma, then the law's moments); ``N`` is not used (the context is ``t``)."""
        from .zheng_population import require_autoregressive_model

        require_autoregressive_model(model, self.d)
        for j in range(self.d):  # the loss is of degree 6 in the tokens: its moments must exist (else one line)
            self.law.expect(tuple((3, 3) if k == j else (0, 0) for k in range(self.d)))
        return EngineLoss(self, model, self.default_scale if scale is None else scale)


class EngineLoss:
    """The autoregressive task's exact loss of a model: substitute the weights, then expand in the exact ring.

    ``loss(sub)`` and ``gradient(sub, symbols)`` take the model's block values at the substitution ``sub``
    (symbols left out stay symbolic, as real parameters of the expansion).
    """

    def __init__(self, task, model, scale):
        self.task, self.model, self.scale = task, model, sp.sympify(scale)
        self.factor = self.scale / task.default_scale
        where = {}
        for name, block in model.parameters.items():
            if name in model.fixed:
                continue
            for k, entry in enumerate(block):
                if isinstance(entry, sp.Symbol):
                    where[entry] = (name, k)
        self.where = where

    def _run(self, sub: dict, gradient: bool):
        from .zheng_population import autoregressive_derivatives

        values = {name: block.xreplace(sub) for name, block in self.model.parameters.items()}
        params = sorted({s for v in values.values() for s in v.free_symbols}, key=lambda s: s.name)
        return autoregressive_derivatives(self.model, self.task.T, values, self.task.law, params=params,
                                          gradient=gradient)

    def loss(self, sub: dict) -> sp.Expr:
        """``L`` at the substitution ``sub``."""
        return sp.expand(self.factor * self._run(sub, False).loss)

    def gradient(self, sub: dict, symbols) -> dict:
        """``symbol -> dL/dsymbol`` at ``sub`` (one expansion for every symbol): the real part of the
        entry's derivative :math:`\\partial L/\\partial u`, where the symbol sits in its block."""
        out = self._run(sub, True)
        grads = {}
        for s in symbols:
            if s not in self.where:
                grads[s] = sp.Integer(0)
                continue
            name, k = self.where[s]
            grads[s] = sp.expand(self.factor * out.real_part[name][k])
        return grads

    def derivative(self, symbol, sub: dict) -> sp.Expr:
        return self.gradient(sub, (symbol,))[symbol]
