r"""Laws of the initial token as exact moment functionals, and the unit-circle phase lemma.

A law of the initial token :math:`z = x_1 \in \mathbb{C}^d` is represented by its
moment functional on monomials

.. math::

    \mathbb{E}\Big[\prod_{j=1}^{d} z_j^{a_j}\,\overline{z_j}^{\,b_j}\Big],

given as a tuple of exponent pairs ``((a_1, b_1), ..., (a_d, b_d))``.  Expectations of
polynomials are then finite sums of such moments (linear functional, cached per law):
this is what makes exact population losses cheap compared with integrating each entry
with ``sympy.stats``.

Every law derives from :class:`TokenLaw`; the public :meth:`TokenLaw.expect` validates
the monomial and caches, and one private method ``_moment`` per law does the
mathematics (template method).

The moments used by the theory (spec section 4) are derived from :meth:`TokenLaw.expect`,
never typed in:

.. math::

    \kappa_0 = \mathbb{E}|z_j|^2,\quad \kappa_1 = \mathbb{E}|z_j|^4,\quad
    \kappa_2 = \mathbb{E}|z_j|^6,\quad \kappa_3 = \sum_{k\ne j}\mathbb{E}|z_j|^2|z_k|^4 .

References
----------
Zheng et al. (2024), "On Mesa-Optimization in Autoregressively Trained Transformers",
Sec. 3 (data), Assumption 4.1, Example 4.1; spec ``zheng2024.md`` sections 1 and 4.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Sequence

import sympy as sp

__all__ = [
    "TokenLaw", "RealGaussian", "ComplexGaussian", "AnisotropicGaussian", "SparseLaw",
    "FullOneLaw", "RademacherLaw", "UniformLaw", "StudentTLaw", "DiscreteLaw",
    "MomentTableLaw", "Kappas", "KAPPA_SYMBOLS", "phase_average", "phase_expectation",
]

#: The symbols kappa_0..kappa_3 used for symbolic moment tables and symbolic-T formulas.
KAPPA_SYMBOLS = tuple(sp.Symbol(f"kappa_{n}", positive=True) for n in range(4))

Monomial = tuple  # ((a_1, b_1), ..., (a_d, b_d))


def _check_dimension(d) -> int:
    if isinstance(d, bool) or not isinstance(d, (int, sp.Integer)) or int(d) < 1:
        raise ValueError(f"d must be an integer >= 1 (got {d!r}): the token dimension counts coordinates")
    return int(d)


def _exact(value, name: str) -> sp.Expr:
    """Sympify without floats."""
    if isinstance(value, float) or (isinstance(value, sp.Basic) and value.has(sp.Float)):
        raise ValueError(f"{name} must be exact (got the float {value!r}): use sympy.Rational or an integer")
    return sp.sympify(value)


def _double_factorial_moment(n: int) -> sp.Integer:
    """E[g^n] for a standard real normal g: (n-1)!! for even n, 0 for odd n."""
    if n % 2:
        return sp.Integer(0)
    return sp.factorial2(n - 1) if n > 0 else sp.Integer(1)


class Kappas(tuple):
    """The four moments of spec section 4, ``(kappa0, kappa1, kappa2, kappa3)``."""

    __slots__ = ()

    def __new__(cls, kappa0, kappa1, kappa2, kappa3):
        return super().__new__(cls, (kappa0, kappa1, kappa2, kappa3))

    def __getnewargs__(self):                # pickling (process pools, the disk cache) calls __new__ with these
        return tuple(self)

    kappa0 = property(lambda self: self[0])
    kappa1 = property(lambda self: self[1])
    kappa2 = property(lambda self: self[2])
    kappa3 = property(lambda self: self[3])


class TokenLaw:
    """A law of the initial token ``z`` in ``C^d``, as an exact moment functional.

    Subclasses implement ``_moment(monomial)``; :meth:`expect` validates and caches.

    Parameters
    ----------
    d : int
        Dimension, ``d >= 1``.

    Attributes
    ----------
    d : int
    is_real : bool
        True if ``z`` is real almost surely (then ``conj(z_j) = z_j``).
    name : str
    """

    is_real = True
    name = "law"

    def __init__(self, d: int):
        self.d = _check_dimension(d)
        self._cache: dict = {}

    # -- public -------------------------------------------------------------------
    def expect(self, monomial: Sequence[tuple[int, int]]) -> sp.Expr:
        r"""Exact :math:`\mathbb{E}\prod_j z_j^{a_j}\overline{z_j}^{b_j}`.

        Parameters
        ----------
        monomial : sequence of (int, int), length d
            The exponent pairs ``(a_j, b_j)``.

        Returns
        -------
        sympy.Expr
            Exact value (may contain the law's symbols, e.g. ``sigma``).

        Raises
        ------
        ValueError
            On a malformed monomial, or if the moment is infinite.
        """
        key = self._validate_monomial(monomial)
        try:
            return self._cache[key]
        except KeyError:
            pass
        value = sp.sympify(self._moment(key))
        if value.has(sp.oo, sp.zoo, sp.nan, -sp.oo):
            degree = sum(a + b for a, b in key)
            raise ValueError(
                f"the flow's coefficients do not exist: the {self.name} law has an infinite moment of degree "
                f"{degree} (monomial {key}); the theory needs finite sixth moments")
        self._cache[key] = value
        return value

    def expect_polynomial(self, expr, z: Sequence[sp.Symbol], zbar: Sequence[sp.Symbol]) -> sp.Expr:
        """Exact expectation of a polynomial in ``z`` and ``zbar`` (other symbols are constants).

        Parameters
        ----------
        expr : sympy.Expr
        z, zbar : sequence of Symbol, length d
            The symbols standing for ``z_j`` and ``conj(z_j)``.
        """
        if len(z) != self.d or len(zbar) != self.d:
            raise ValueError(f"z and zbar must have length d = {self.d} (got {len(z)}, {len(zbar)})")
        poly = sp.Poly(sp.sympify(expr), *z, *zbar)
        total = sp.Integer(0)
        d = self.d
        for exps, coeff in poly.terms():
            mono = tuple((exps[j], exps[d + j]) for j in range(d))
            moment = self.expect(mono)
            if moment != 0:
                total += coeff * moment
        return total

    def moment_of_abs(self, powers: dict[int, int]) -> sp.Expr:
        r""":math:`\mathbb{E}\prod_j |z_j|^{2 m_j}` for ``powers = {j: m_j}`` (0-based j)."""
        mono = [(0, 0)] * self.d
        for j, m in powers.items():
            mono[j] = (m, m)
        return self.expect(tuple(mono))

    def kappas_at(self, j: int) -> Kappas:
        """``(kappa0, kappa1, kappa2, kappa3)`` at coordinate ``j`` (0-based), from :meth:`expect`."""
        if not 0 <= j < self.d:
            raise ValueError(f"j must be a coordinate index in 0..{self.d - 1} (got {j})")
        k0 = self.moment_of_abs({j: 1})
        k1 = self.moment_of_abs({j: 2})
        k2 = self.moment_of_abs({j: 3})
        k3 = sum((self.moment_of_abs({j: 1, k: 2}) for k in range(self.d) if k != j), sp.Integer(0))
        return Kappas(*(sp.simplify(k) for k in (k0, k1, k2, k3)))

    def kappa3_transposed_at(self, j: int) -> sp.Expr:
        r""":math:`\sum_{k\ne j}\mathbb{E}|z_k|^2|z_j|^4` (the column sum; :math:`\kappa_3` is the row sum).

        The gradient of :math:`(W^{KQ}_{21})_{jj}` on :math:`M_{a,b}` contains this sum, that of
        :math:`(W^{PV}_{11})_{jj}` contains :math:`\kappa_3`; both must be independent of j.
        """
        if not 0 <= j < self.d:
            raise ValueError(f"j must be a coordinate index in 0..{self.d - 1} (got {j})")
        return sp.simplify(sum((self.moment_of_abs({k: 1, j: 2}) for k in range(self.d) if k != j), sp.Integer(0)))

    def satisfies_E_transposed(self) -> bool:
        """Is the column sum :meth:`kappa3_transposed_at` independent of the coordinate?"""
        first = self.kappa3_transposed_at(0)
        return all(sp.simplify(self.kappa3_transposed_at(j) - first) == 0 for j in range(1, self.d))

    def kappas(self) -> Kappas:
        r"""The moments :math:`\kappa_0..\kappa_3` (spec section 4), derived from :meth:`expect`.

        Raises
        ------
        ValueError
            If they depend on the coordinate (hypothesis (E) fails).
        """
        first = self.kappas_at(0)
        for j in range(1, self.d):
            other = self.kappas_at(j)
            for n, (x, y) in enumerate(zip(first, other)):
                if sp.simplify(x - y) != 0:
                    raise ValueError(
                        f"kappa_{n} depends on the coordinate for the {self.name} law ({x} at j=1, {y} at "
                        f"j={j + 1}): hypothesis (E) fails, so there are no scalar kappas")
        return first

    def s_moments(self) -> dict:
        """The cross moments that hypothesis (S) requires to vanish, for distinct p, q, k (0-based).

        Returns
        -------
        dict
            ``(name, p, q[, k]) -> value``.
        """
        out = {}
        d = self.d
        for p in range(d):
            for q in range(d):
                if p == q:
                    continue
                def mono(**extra):
                    m = [[0, 0] for _ in range(d)]
                    m[p][0] += 1
                    m[q][1] += 1
                    for idx, (a, b) in extra.items():
                        j = int(idx[1:])
                        m[j][0] += a
                        m[j][1] += b
                    return tuple(tuple(x) for x in m)
                out[("|z_q|^2 z_p conj(z_q)", p, q)] = self.expect(mono(**{f"j{q}": (1, 1)}))
                both = [[0, 0] for _ in range(d)]
                both[p] = [2, 1]
                both[q] = [1, 2]
                out[("|z_p|^2 |z_q|^2 z_p conj(z_q)", p, q)] = self.expect(tuple(tuple(x) for x in both))
                out[("|z_q|^4 z_p conj(z_q)", p, q)] = self.expect(mono(**{f"j{q}": (2, 2)}))
                for k in range(d):
                    if k in (p, q):
                        continue
                    m = [[0, 0] for _ in range(d)]
                    m[p] = [1, 0]
                    m[q] = [1, 2]
                    m[k] = [1, 1]
                    out[("|z_k|^2 |z_q|^2 z_p conj(z_q)", p, q, k)] = self.expect(tuple(tuple(x) for x in m))
        return out

    def satisfies_S(self) -> bool | None:
        """Tri-state: do all (S) cross moments vanish?  ``None`` if undecided."""
        undecided = False
        for value in self.s_moments().values():
            value = sp.simplify(value)
            if value == 0:
                continue
            if value.is_zero is False:
                return False
            undecided = True
        return None if undecided else True

    def satisfies_E(self) -> bool:
        """Do kappa_0..kappa_3 not depend on the coordinate?"""
        try:
            self.kappas()
        except ValueError:
            return False
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d})"

    # -- private -------------------------------------------------------------------
    def _validate_monomial(self, monomial) -> Monomial:
        try:
            pairs = tuple((int(a), int(b)) for a, b in monomial)
        except (TypeError, ValueError):
            raise ValueError(
                f"monomial must be a sequence of d = {self.d} pairs (a_j, b_j) of non-negative integers "
                f"(got {monomial!r})") from None
        if len(pairs) != self.d:
            raise ValueError(f"monomial must have d = {self.d} exponent pairs (got {len(pairs)})")
        if any(a < 0 or b < 0 for a, b in pairs):
            raise ValueError(f"monomial exponents must be >= 0 (got {pairs}): negative powers of z have no moments")
        return pairs

    def _moment(self, monomial: Monomial) -> sp.Expr:  # pragma: no cover - abstract
        raise NotImplementedError


class _IndependentCoordinates(TokenLaw):
    """Laws with independent coordinates: the moment is a product of 1-D moments."""

    def _moment(self, monomial: Monomial) -> sp.Expr:
        value = sp.Integer(1)
        for j, (a, b) in enumerate(monomial):
            if a == 0 and b == 0:
                continue
            factor = self._coordinate_moment(j, a, b)
            if factor == 0:
                return sp.Integer(0)
            value *= factor
        return value

    def _coordinate_moment(self, j: int, a: int, b: int) -> sp.Expr:  # pragma: no cover - abstract
        raise NotImplementedError


def _positive_parameter(value, name: str, default: str) -> sp.Expr:
    if value is None:
        return sp.Symbol(default, positive=True)
    value = _exact(value, name)
    if value.is_positive is False or value.is_real is False:
        raise ValueError(f"{name} must be positive (got {value}): use a positive rational or a positive Symbol")
    return value


class RealGaussian(_IndependentCoordinates):
    """Real Gaussian ``z ~ N(0, sigma^2 I_d)`` (spec section 1).

    Parameters
    ----------
    d : int
    sigma : positive exact number or Symbol, optional
        Standard deviation; a positive Symbol ``sigma`` by default.

    Examples
    --------
    >>> RealGaussian(2, sigma=1).kappas()
    (1, 3, 15, 3)
    """

    name = "real Gaussian"

    def __init__(self, d: int, sigma=None):
        super().__init__(d)
        self.sigma = _positive_parameter(sigma, "sigma", "sigma")

    def _coordinate_moment(self, j, a, b):
        n = a + b
        return _double_factorial_moment(n) * self.sigma ** n


class AnisotropicGaussian(_IndependentCoordinates):
    """Real Gaussian ``z ~ N(0, diag(sigma_1^2, ..., sigma_d^2))``; violates (E) unless all equal.

    Parameters
    ----------
    sigmas : sequence of positive exact numbers or Symbols, length d
    """

    name = "anisotropic Gaussian"

    def __init__(self, sigmas: Sequence):
        if isinstance(sigmas, (str, bytes)) or not hasattr(sigmas, "__iter__"):
            raise TypeError(f"sigmas must be a sequence of d positive numbers (got {sigmas!r}): e.g. [1, 2]")
        sigmas = list(sigmas)
        if not sigmas:
            raise ValueError("sigmas must hold at least one standard deviation (got []): one per coordinate")
        super().__init__(len(sigmas))
        self.sigmas = [_positive_parameter(s, f"sigmas[{j}]", f"sigma_{j + 1}") for j, s in enumerate(sigmas)]

    def _coordinate_moment(self, j, a, b):
        n = a + b
        return _double_factorial_moment(n) * self.sigmas[j] ** n


class ComplexGaussian(_IndependentCoordinates):
    """Circular complex Gaussian, ``E|z_j|^2 = sigma^2``, coordinates independent.

    ``E[z^a conj(z)^b] = a! sigma^(2a)`` if ``a == b`` else 0.
    """

    is_real = False
    name = "complex Gaussian"

    def __init__(self, d: int, sigma=None):
        super().__init__(d)
        self.sigma = _positive_parameter(sigma, "sigma", "sigma")

    def _coordinate_moment(self, j, a, b):
        if a != b:
            return sp.Integer(0)
        return sp.factorial(a) * self.sigma ** (2 * a)


class RademacherLaw(_IndependentCoordinates):
    """``z in c {+1, -1}^d`` with independent uniform signs."""

    name = "Rademacher"

    def __init__(self, d: int, c=None):
        super().__init__(d)
        self.c = _positive_parameter(c, "c", "c") if c is not None else sp.Integer(1)

    def _coordinate_moment(self, j, a, b):
        n = a + b
        return sp.Integer(0) if n % 2 else self.c ** n


class UniformLaw(_IndependentCoordinates):
    """Independent coordinates uniform on ``[-c, c]``: ``E z^n = c^n / (n + 1)`` for even n."""

    name = "uniform"

    def __init__(self, d: int, c=None):
        super().__init__(d)
        self.c = _positive_parameter(c, "c", "c") if c is not None else sp.Integer(1)

    def _coordinate_moment(self, j, a, b):
        n = a + b
        return sp.Integer(0) if n % 2 else self.c ** n / (n + 1)


class StudentTLaw(_IndependentCoordinates):
    """Independent Student-t coordinates with ``nu`` degrees of freedom (heavy tails).

    ``E t^(2m) = nu^m Gamma(m + 1/2) Gamma(nu/2 - m) / (sqrt(pi) Gamma(nu/2))`` when
    ``2m < nu``, infinite otherwise: with ``nu <= 6`` the sixth moment is infinite and
    :meth:`expect` raises "the flow's coefficients do not exist".
    """

    name = "Student-t"

    def __init__(self, d: int, nu):
        super().__init__(d)
        nu = _exact(nu, "nu")
        if not (nu.is_positive and nu.is_number):
            raise ValueError(f"nu must be a positive number (got {nu}): the degrees of freedom")
        self.nu = nu

    def _coordinate_moment(self, j, a, b):
        n = a + b
        if n % 2:
            return sp.Integer(0)
        if n >= self.nu:
            return sp.oo
        m = n // 2
        nu = self.nu
        return sp.simplify(nu ** m * sp.gamma(m + sp.Rational(1, 2)) * sp.gamma(nu / 2 - m)
                           / (sp.sqrt(sp.pi) * sp.gamma(nu / 2)))


class SparseLaw(TokenLaw):
    """Example 4.1: ``z = s c e_k``, k uniform on {1..d}, s uniform on {+1, -1}.

    Parameters
    ----------
    d : int
    c : positive exact number or Symbol, optional (Symbol ``c`` by default)
    """

    name = "sparse"

    def __init__(self, d: int, c=None):
        super().__init__(d)
        self.c = _positive_parameter(c, "c", "c")

    def _moment(self, monomial):
        support = [j for j, (a, b) in enumerate(monomial) if a + b > 0]
        if not support:
            return sp.Integer(1)
        if len(support) > 1:
            return sp.Integer(0)
        a, b = monomial[support[0]]
        n = a + b
        return sp.Integer(0) if n % 2 else self.c ** n / self.d


class FullOneLaw(TokenLaw):
    """The deterministic start ``z = (1, ..., 1)`` (violates (S))."""

    name = "full-one"

    def _moment(self, monomial):
        return sp.Integer(1)


def _gaussian_rational(value, name: str) -> sp.Expr:
    value = _exact(value, name)
    re, im = value.as_real_imag()
    if not (re.is_Rational and im.is_Rational):
        raise ValueError(f"{name} must be a rational or Gaussian-rational number (got {value})")
    return value


class DiscreteLaw(TokenLaw):
    """A finite discrete law: ``z = atoms[n]`` with probability ``weights[n]``.

    Parameters
    ----------
    atoms : sequence of sequences, shape (n_atoms, d)
        Rational or Gaussian-rational entries (``1 + 2*I``).
    weights : sequence of rationals, length n_atoms
        Non-negative, summing to 1.

    Examples
    --------
    >>> law = DiscreteLaw([[1, 0], [0, -1]], [sp.Rational(1, 2), sp.Rational(1, 2)])
    >>> law.expect(((2, 0), (0, 0)))
    1/2
    """

    name = "discrete"

    def __init__(self, atoms: Iterable[Sequence], weights: Iterable):
        atoms = [list(a) for a in atoms]
        weights = list(weights)
        if not atoms:
            raise ValueError("atoms must contain at least one point of C^d (got none)")
        if len(weights) != len(atoms):
            raise ValueError(f"weights must have one entry per atom ({len(atoms)} atoms, {len(weights)} weights)")
        d = len(atoms[0])
        super().__init__(d)
        if any(len(a) != d for a in atoms):
            raise ValueError("atoms must all have the same length d: ragged atoms given")
        self.atoms = [[_gaussian_rational(v, f"atoms[{n}][{j}]") for j, v in enumerate(a)]
                      for n, a in enumerate(atoms)]
        ws = []
        for n, w in enumerate(weights):
            w = _exact(w, f"weights[{n}]")
            if not w.is_Rational or w < 0:
                raise ValueError(f"weights[{n}] must be a non-negative rational (got {w})")
            ws.append(w)
        if sum(ws) != 1:
            raise ValueError(f"weights must sum to 1 (got {sum(ws)}): normalise them")
        self.weights = ws
        self.is_real = all(v.is_real for a in self.atoms for v in a)

    def _moment(self, monomial):
        total = sp.Integer(0)
        for atom, w in zip(self.atoms, self.weights):
            term = w
            for v, (a, b) in zip(atom, monomial):
                if a or b:
                    term *= v ** a * sp.conjugate(v) ** b
            total += term
        return sp.expand(total)


class MomentTableLaw(TokenLaw):
    r"""A law known only through symbolic moments, exchangeable and circular.

    Coordinates are exchangeable and each carries an independent uniform phase, so a
    monomial has zero expectation unless ``a_j == b_j`` for every j: (S) and (E) hold by
    construction.  Balanced moments
    :math:`\mathbb{E}\prod_j |z_j|^{2 m_j}` depend only on the multiset of non-zero
    ``m_j``; the table maps

    * ``(1,) -> kappa0``, ``(2,) -> kappa1``, ``(3,) -> kappa2``,
    * ``(1, 2) -> kappa3 / (d - 1)`` (so that :math:`\sum_{k\ne j} \mathbb{E}|z_j|^2|z_k|^4 = \kappa_3`),

    and every other multiset to a fresh symbol ``mu_<m...>`` unless given in ``extra``.

    Parameters
    ----------
    d : int
    kappa0, kappa1, kappa2, kappa3 : exact numbers or Symbols, optional
        Default: positive Symbols ``kappa_0`` ... ``kappa_3`` (``kappa_3 = 0`` when d = 1).
    extra : dict, optional
        Further balanced moments, keyed by sorted tuples of the ``m_j``.

    Raises
    ------
    ValueError
        If a given moment is infinite (the flow's coefficients do not exist), or the numeric
        values are inconsistent: negative, or violating the necessary inequalities of
        Cauchy-Schwarz/Hoelder :math:`\kappa_0^2 \le \kappa_1`, :math:`\kappa_1^2 \le \kappa_0\kappa_2`
        and :math:`\kappa_3 \le (d-1)\kappa_2`.
    """

    is_real = False
    name = "moment-table"

    def __init__(self, d: int, kappa0=None, kappa1=None, kappa2=None, kappa3=None, extra: dict | None = None):
        super().__init__(d)
        defaults = list(KAPPA_SYMBOLS)
        given = [kappa0, kappa1, kappa2, kappa3]
        ks = []
        for n, (g, default) in enumerate(zip(given, defaults)):
            if g is None:
                ks.append(sp.Integer(0) if (n == 3 and self.d == 1) else default)
            else:
                ks.append(_exact(g, f"kappa{n}"))
        for n, k in enumerate(ks):
            if k.has(sp.oo, sp.zoo, sp.nan):
                raise ValueError(
                    f"the flow's coefficients do not exist: kappa{n} = {k} is infinite; Gamma and Lambda need "
                    f"finite sixth moments (kappa_2 = E|z_j|^6, kappa_3 = sum_k E|z_j|^2|z_k|^4)")
            if k.is_negative:
                raise ValueError(f"kappa{n} must be >= 0 (got {k}): it is the expectation of a non-negative quantity")
        k0, k1, k2, k3 = ks
        if self.d == 1 and k3 != 0:
            raise ValueError(f"kappa3 must be 0 when d = 1 (got {k3}): it sums over coordinates k != j")
        self._check_inequality(k0 ** 2 - k1, "kappa0^2 <= kappa1", "Cauchy-Schwarz: (E|z|^2)^2 <= E|z|^4")
        self._check_inequality(k1 ** 2 - k0 * k2, "kappa1^2 <= kappa0*kappa2",
                               "Cauchy-Schwarz: (E|z|^4)^2 <= E|z|^2 E|z|^6")
        self._check_inequality(k3 - (self.d - 1) * k2, "kappa3 <= (d-1)*kappa2",
                               "Hoelder: E|z_j|^2|z_k|^4 <= E|z|^6")
        self.kappa_values = Kappas(k0, k1, k2, k3)
        self.table = {(1,): k0, (2,): k1, (3,): k2}
        if self.d > 1:
            self.table[(1, 2)] = k3 / (self.d - 1)
        if extra is not None and not isinstance(extra, dict):
            raise TypeError(f"extra must be a dict {{(a_1, ..., a_k): E|z_1|^(2a_1)...|z_k|^(2a_k)}} "
                            f"(got {type(extra).__name__})")
        for key, value in (extra or {}).items():
            value = _exact(value, f"extra[{key}]")
            if value.has(sp.oo, sp.zoo, sp.nan):
                raise ValueError(f"the flow's coefficients do not exist: the moment {key} = {value} is infinite")
            self.table[self._extra_key(key, value)] = value

    def _extra_key(self, key, value) -> tuple:
        """A key of ``extra``: positive integer exponents, at most d of them, not a kappa's moment."""
        if not isinstance(key, tuple) or not key or any(isinstance(a, bool) or not isinstance(a, (int, sp.Integer))
                                                        or a < 1 for a in key):
            raise ValueError(f"extra keys must be tuples of positive integers (a_1, ..., a_k), the moment "
                             f"E|z_1|^(2a_1)...|z_k|^(2a_k) (got {key!r})")
        if len(key) > self.d:
            raise ValueError(f"extra key {key!r} names {len(key)} coordinates but d = {self.d}: drop it")
        sorted_key = tuple(sorted(int(a) for a in key))
        if sorted_key in self.table:
            owner = {(1,): "kappa0", (2,): "kappa1", (3,): "kappa2", (1, 2): "kappa3 / (d - 1)"}[sorted_key]
            raise ValueError(f"extra[{key!r}] is the moment given by {owner}: pass it as that argument, "
                             "not in extra (kappas() and kappa_values would disagree)")
        if value.is_negative:
            raise ValueError(f"extra[{key!r}] must be >= 0 (got {value}): it is the expectation of a "
                             "non-negative quantity")
        return sorted_key

    @staticmethod
    def _check_inequality(excess, name: str, why: str) -> None:
        excess = sp.simplify(excess)
        if excess.is_number and excess > 0:
            raise ValueError(f"inconsistent moment table: {name} fails (excess {excess}); {why}")

    def _moment(self, monomial):
        if any(a != b for a, b in monomial):
            return sp.Integer(0)
        key = tuple(sorted(a for a, _ in monomial if a > 0))
        if not key:
            return sp.Integer(1)
        if key not in self.table:
            self.table[key] = sp.Symbol("mu_" + "_".join(map(str, key)), positive=True)
        return self.table[key]


# -- phase lemma -------------------------------------------------------------------------------

def phase_expectation(exponents: Sequence[int]) -> int:
    r"""Phase lemma: :math:`\mathbb{E}\prod_j \lambda_j^{n_j} = 1` if every :math:`n_j = 0`, else 0.

    For independent :math:`\lambda_j = e^{i\theta_j}`, :math:`\theta_j` uniform on
    :math:`[0, 2\pi)`.
    """
    if isinstance(exponents, (str, bytes)) or not hasattr(exponents, "__iter__"):
        raise TypeError(f"exponents must be a sequence of integers, one per lambda_j (got {exponents!r})")
    for n in exponents:
        if int(n) != n:
            raise ValueError(f"exponents must be integers (got {n}): the phase lemma is for Laurent monomials")
    return 1 if all(n == 0 for n in exponents) else 0


def phase_average(expr, lambdas: Sequence[sp.Symbol]) -> sp.Expr:
    r"""Exact expectation over :math:`W = \mathrm{diag}(\lambda_j)`, :math:`\lambda_j` uniform on the circle.

    Parameters
    ----------
    expr : sympy.Expr
        A Laurent polynomial in ``lambdas`` (coefficients may hold other symbols);
        :math:`\overline{\lambda_j}` must be written :math:`\lambda_j^{-1}`.
    lambdas : sequence of Symbol

    Returns
    -------
    sympy.Expr
        The sum of the terms with zero net exponent in every :math:`\lambda_j`.

    Examples
    --------
    >>> l = sp.Symbol('l')
    >>> phase_average(3 + l + 2*l**-1 * l + l**2, [l])
    5
    """
    if isinstance(lambdas, (str, bytes)) or not hasattr(lambdas, "__iter__") or \
            not all(isinstance(lam, sp.Symbol) for lam in lambdas):
        raise TypeError(f"lambdas must be a sequence of SymPy Symbols, the phases (got {lambdas!r})")
    lambdas = list(lambdas)
    lam_set = set(lambdas)
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(sp.sympify(expr))):
        powers = term.as_powers_dict()
        keep = True
        for lam in lambdas:
            n = powers.get(lam, 0)
            if not sp.sympify(n).is_Integer:
                raise ValueError(f"expr must be a Laurent polynomial in {lam} (found power {n})")
            if n != 0:
                keep = False
        for base, power in powers.items():
            if base not in lam_set and (sp.sympify(base).free_symbols | sp.sympify(power).free_symbols) & lam_set:
                raise ValueError(f"expr must be a Laurent polynomial in the lambdas (found {base}**{power})")
        if keep:
            total += term
    return total
