"""Hypothesis strategies for the property checks: sizes, initialisations, matrices, data laws.

Every strategy states what it *guarantees*; ``tests/test_properties_strategies.py`` checks
each guarantee exactly. The data laws are finite discrete laws of the initial token
``z in C^d`` with rational (or Gaussian-rational) atoms and rational weights, so that every
moment, and every population gradient built from them, is an exact rational number.

Hypotheses of claim C2 (spec ``zheng2024.md``):

(S)
    the cross moments ``E[|z_q|^2 z_p conj(z_q)]``, ``E[|z_p|^2 |z_q|^2 z_p conj(z_q)]``,
    ``E[|z_q|^4 z_p conj(z_q)]``, ``E[|z_k|^2 |z_q|^2 z_p conj(z_q)]`` vanish for distinct p, q, k.
    Guaranteed when flipping the sign of any one coordinate leaves the law unchanged: every
    such moment is odd in ``z_p``.
(E)
    ``kappa_0..kappa_3`` do not depend on the coordinate j. Guaranteed when a group acting
    *transitively* on the coordinates leaves the law unchanged (the cyclic shifts suffice:
    ``kappa_3(j) = sum_{k != j} E|z_j|^2 |z_k|^4`` is carried to ``kappa_3(sigma j)``).

Symmetrising a random law over such a group (each atom replaced by its orbit, its weight
shared equally) therefore gives a law satisfying (S) and (E) by construction; laws meant to
violate a hypothesis are built from a smaller group and then *confirmed* to violate it by an
exact computation (a filter that almost never rejects).

Hypothesis is imported at module level: import this module only where Hypothesis is wanted
(the pytest plugin and the CLI import it lazily).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "load_profile", "PROFILE_CI", "PROFILE_DEV", "hypothesis_storage", "use_user_storage",
    "GaussianRational", "GeneratedLaw", "exact_moment", "kappas_at", "s_moments",
    "satisfies_S", "satisfies_E", "moment_identity_holds",
    "zheng_sizes", "regression_sizes", "initialisations", "rationals", "rational_matrices",
    "spd_matrices", "well_conditioned_matrices",
    "symmetric_laws", "laws_violating_S", "laws_violating_E", "laws_violating_both",
    "constant_modulus_laws", "laws_without_moment_identity", "laws_satisfying_SE_not_exchangeable",
]

# --------------------------------------------------------------------------- profiles
PROFILE_CI = "mesacheck-ci"
PROFILE_DEV = "mesacheck-dev"
#: Examples per Hypothesis test under CI (each example of the Zheng properties is an exact
#: population gradient, ~0.05-1 s).
CI_MAX_EXAMPLES = 25
DEV_MAX_EXAMPLES = 20


def load_profile(name: str | None = None) -> str:
    """Register the mesacheck Hypothesis profiles and load one; return its name.

    ``mesacheck-ci`` extends Hypothesis's built-in ``ci`` profile (derandomised, no database,
    no deadline, ``print_blob``) with a bounded ``max_examples``; ``mesacheck-dev`` is the local
    default (random, no deadline: exact computations vary in time). Without ``name``, the ``ci``
    variant is chosen when the environment variable ``CI`` is set (as Hypothesis itself does),
    and ``HYPOTHESIS_PROFILE`` wins over both.

    Call it once from ``tests/conftest.py``.
    """
    import os

    settings.register_profile(PROFILE_CI, parent=settings.get_profile("ci"), max_examples=CI_MAX_EXAMPLES,
                              deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile(PROFILE_DEV, max_examples=DEV_MAX_EXAMPLES, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    if name is None:
        name = os.environ.get("HYPOTHESIS_PROFILE") or (PROFILE_CI if os.environ.get("CI") else PROFILE_DEV)
    settings.load_profile(name)
    return name


#: Environment variable naming where Hypothesis keeps its example database and caches.
STORAGE_ENV = "MESACHECK_HYPOTHESIS_DIR"


def hypothesis_storage() -> str:
    """Where mesacheck's Hypothesis runs keep their files: never the working directory.

    ``$MESACHECK_HYPOTHESIS_DIR`` if set; else ``$HYPOTHESIS_STORAGE_DIRECTORY`` (Hypothesis's
    own variable); else the platform's user cache directory: ``$XDG_CACHE_HOME`` or
    ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows, each
    followed by ``mesacheck/hypothesis``.
    """
    import os
    import sys

    for name in (STORAGE_ENV, "HYPOTHESIS_STORAGE_DIRECTORY"):
        if os.environ.get(name):
            return os.path.abspath(os.path.expanduser(os.environ[name]))
    if sys.platform == "win32":  # pragma: no cover - platform specific
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~/AppData/Local")
    elif sys.platform == "darwin":  # pragma: no cover - platform specific
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "mesacheck", "hypothesis")


def use_user_storage() -> str:
    """Point Hypothesis's home directory (example database, constants cache) at
    :func:`hypothesis_storage`; return it. Called by ``mesacheck verify --property`` and by
    ``tests/conftest.py``, so that no ``.hypothesis/`` appears in the working directory."""
    from hypothesis.configuration import set_hypothesis_home_dir

    where = hypothesis_storage()
    set_hypothesis_home_dir(where)
    return where


# --------------------------------------------------------------------------- exact scalars
@dataclass(frozen=True)
class GaussianRational:
    """``re + i im`` with Fraction parts: exact, hashable, fast (no SymPy)."""

    re: Fraction
    im: Fraction = Fraction(0)

    @staticmethod
    def of(value) -> "GaussianRational":
        if isinstance(value, GaussianRational):
            return value
        if isinstance(value, complex):
            raise TypeError("floats are not exact: give a GaussianRational or Fractions")
        return GaussianRational(Fraction(value), Fraction(0))

    def __add__(self, other):
        o = GaussianRational.of(other)
        return GaussianRational(self.re + o.re, self.im + o.im)

    __radd__ = __add__

    def __neg__(self):
        return GaussianRational(-self.re, -self.im)

    def __mul__(self, other):
        o = GaussianRational.of(other)
        return GaussianRational(self.re * o.re - self.im * o.im, self.re * o.im + self.im * o.re)

    __rmul__ = __mul__

    def conj(self) -> "GaussianRational":
        return GaussianRational(self.re, -self.im)

    def abs2(self) -> Fraction:
        return self.re * self.re + self.im * self.im

    def __bool__(self) -> bool:
        return bool(self.re) or bool(self.im)

    def to_sympy(self):
        import sympy as sp

        return sp.Rational(self.re.numerator, self.re.denominator) + sp.I * sp.Rational(
            self.im.numerator, self.im.denominator)

    def __repr__(self) -> str:
        if not self.im:
            return str(self.re)
        sign = "+" if self.im >= 0 else "-"
        return f"({self.re}{sign}{abs(self.im)}i)"


def _power(v: GaussianRational, n: int) -> GaussianRational:
    out = GaussianRational(Fraction(1))
    for _ in range(n):
        out = out * v
    return out


def exact_moment(atoms: Sequence[Sequence[GaussianRational]], weights: Sequence[Fraction],
                 monomial: Sequence[tuple[int, int]]) -> GaussianRational:
    """``E prod_j z_j^{a_j} conj(z_j)^{b_j}`` of a finite law, exactly (independent of SymPy)."""
    support = [(j, a, b) for j, (a, b) in enumerate(monomial) if a or b]
    if all(not v.im for atom in atoms for v in atom):
        # real atoms: z^a conj(z)^b = z^(a+b)
        total = Fraction(0)
        for atom, w in zip(atoms, weights):
            term = w
            for j, a, b in support:
                v = atom[j].re
                if not v:
                    term = 0
                    break
                term = term * v ** (a + b)
            if term:
                total += term
        return GaussianRational(total)
    total = GaussianRational(Fraction(0))
    for atom, w in zip(atoms, weights):
        term = GaussianRational(Fraction(w))
        for j, a, b in support:
            v = atom[j]
            if not v:
                term = None
                break
            term = term * _power(v, a) * _power(v.conj(), b)
        if term is not None:
            total = total + term
    return total


def _moment_function(atoms, weights):
    cache: dict = {}

    def moment(monomial):
        key = tuple(map(tuple, monomial))
        if key not in cache:
            cache[key] = exact_moment(atoms, weights, key)
        return cache[key]

    return moment


def _abs_monomial(d: int, powers: dict[int, int]) -> tuple:
    return tuple((powers.get(j, 0), powers.get(j, 0)) for j in range(d))


def kappas_at(atoms, weights, j: int, moment=None) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """``(kappa_0, kappa_1, kappa_2, kappa_3)`` at coordinate j (0-based), exact Fractions."""
    moment = moment or _moment_function(atoms, weights)
    d = len(atoms[0])
    k = [moment(_abs_monomial(d, {j: m})).re for m in (1, 2, 3)]
    k3 = sum((moment(_abs_monomial(d, {j: 1, q: 2})).re for q in range(d) if q != j), Fraction(0))
    return (k[0], k[1], k[2], k3)


def s_moments(atoms, weights, moment=None) -> dict:
    """The (S) cross moments, ``(name, p, q[, k]) -> GaussianRational`` (0-based indices)."""
    moment = moment or _moment_function(atoms, weights)
    d = len(atoms[0])
    out = {}
    for p, q in itertools.permutations(range(d), 2):
        def mono(extra):
            m = [[0, 0] for _ in range(d)]
            m[p][0] += 1
            m[q][1] += 1
            for j, (a, b) in extra.items():
                m[j][0] += a
                m[j][1] += b
            return tuple(map(tuple, m))
        out[("|z_q|^2 z_p conj(z_q)", p, q)] = moment(mono({q: (1, 1)}))
        out[("|z_p|^2 |z_q|^2 z_p conj(z_q)", p, q)] = moment(mono({p: (1, 1), q: (1, 1)}))
        out[("|z_q|^4 z_p conj(z_q)", p, q)] = moment(mono({q: (2, 2)}))
        for k in range(d):
            if k not in (p, q):
                out[("|z_k|^2 |z_q|^2 z_p conj(z_q)", p, q, k)] = moment(mono({k: (1, 1), q: (1, 1)}))
    return out


def satisfies_S(atoms, weights, moment=None) -> bool:
    return not any(s_moments(atoms, weights, moment).values())


def satisfies_E(atoms, weights, moment=None) -> bool:
    moment = moment or _moment_function(atoms, weights)
    d = len(atoms[0])
    first = kappas_at(atoms, weights, 0, moment)
    return all(kappas_at(atoms, weights, j, moment) == first for j in range(1, d))


def moment_identity_holds(atoms, weights, moment=None) -> bool:
    """``kappa_1^2 == kappa_0 kappa_2`` at every coordinate."""
    moment = moment or _moment_function(atoms, weights)
    d = len(atoms[0])
    for j in range(d):
        k0, k1, k2, _ = kappas_at(atoms, weights, j, moment)
        if k1 * k1 != k0 * k2:
            return False
    return True


# --------------------------------------------------------------------------- generated laws
@dataclass(frozen=True)
class GeneratedLaw:
    """A finite discrete law of ``z`` generated by a strategy, with how it was built.

    Attributes
    ----------
    atoms : tuple of tuple of GaussianRational, shape (n_atoms, d)
    weights : tuple of Fraction, length n_atoms (positive, summing to 1)
    recipe : str
        The construction, e.g. ``"sign flips x cyclic shifts of 2 seed atoms"``.
    seeds : tuple
        The seed atoms and weights before symmetrisation (what Hypothesis shrinks).
    """

    atoms: tuple
    weights: tuple
    recipe: str
    seeds: tuple = field(default=(), compare=False)

    @property
    def d(self) -> int:
        return len(self.atoms[0])

    @property
    def is_real(self) -> bool:
        return all(not v.im for a in self.atoms for v in a)

    @cached_property
    def law(self):
        """The law as a :class:`theory.moments.DiscreteLaw` (exact SymPy moment functional)."""
        from theory.moments import DiscreteLaw

        return DiscreteLaw([[v.to_sympy() for v in a] for a in self.atoms],
                           [_sympy_rational(w) for w in self.weights])

    @cached_property
    def _moment(self):
        return _moment_function(self.atoms, self.weights)

    def moment(self, monomial) -> GaussianRational:
        """Exact ``E prod_j z_j^{a_j} conj(z_j)^{b_j}`` (cached per law)."""
        return self._moment(monomial)

    def kappas(self, j: int = 0):
        return kappas_at(self.atoms, self.weights, j, self._moment)

    def satisfies_S(self) -> bool:
        return satisfies_S(self.atoms, self.weights, self._moment)

    def satisfies_E(self) -> bool:
        return satisfies_E(self.atoms, self.weights, self._moment)

    def moment_identity_holds(self) -> bool:
        return moment_identity_holds(self.atoms, self.weights, self._moment)

    def __repr__(self) -> str:
        seeds = ", ".join(f"{tuple(a)!r} w.p. {w}" for a, w in self.seeds) if self.seeds else ""
        return (f"GeneratedLaw(d={self.d}, {len(self.atoms)} atoms; {self.recipe}"
                + (f"; seed atoms [{seeds}]" if seeds else "")
                + f"; atoms={[tuple(a) for a in self.atoms]!r}, weights={[str(w) for w in self.weights]})")

    def describe(self) -> dict:
        """JSON-friendly description (strings), for counterexamples."""
        return {"d": self.d, "recipe": self.recipe,
                "seed_atoms": [[repr(v) for v in a] for a, _ in self.seeds],
                "seed_weights": [str(w) for _, w in self.seeds],
                "atoms": [[repr(v) for v in a] for a in self.atoms],
                "weights": [str(w) for w in self.weights]}


def _sympy_rational(f: Fraction):
    import sympy as sp

    return sp.Rational(f.numerator, f.denominator)


def _orbit(atom: tuple, signs: str, perms: str) -> list[tuple]:
    """Distinct images of ``atom`` under the group generated by the named sign and permutation groups."""
    d = len(atom)
    if signs == "each":
        sign_set = list(itertools.product((1, -1), repeat=d))
    elif signs == "global":
        sign_set = [(1,) * d, (-1,) * d]
    else:
        sign_set = [(1,) * d]
    if perms == "cyclic":
        perm_set = [tuple((i + s) % d for i in range(d)) for s in range(d)]
    elif perms == "all":
        perm_set = list(itertools.permutations(range(d)))
    else:
        perm_set = [tuple(range(d))]
    images = []
    for sg in sign_set:
        for pm in perm_set:
            images.append(tuple(atom[pm[i]] * sg[i] for i in range(d)))
    return images


def _symmetrise(seeds: list[tuple[tuple, Fraction]], signs: str, perms: str) -> tuple[tuple, tuple]:
    """Each seed atom replaced by the uniform law on its group images (with multiplicity), merged."""
    mass: dict[tuple, Fraction] = {}
    for atom, w in seeds:
        images = _orbit(atom, signs, perms)
        for image in images:
            mass[image] = mass.get(image, Fraction(0)) + w / len(images)
    items = sorted(mass.items(), key=lambda kv: repr(kv[0]))
    return tuple(a for a, _ in items), tuple(w for _, w in items)


def _weights_from(raw: list[int]) -> list[Fraction]:
    total = sum(raw)
    return [Fraction(r, total) for r in raw]


#: Unit-modulus Gaussian rationals (Pythagorean triples): constant modulus with a phase.
_UNIT_PHASES = (GaussianRational(Fraction(1)), GaussianRational(Fraction(0), Fraction(1)),
                GaussianRational(Fraction(3, 5), Fraction(4, 5)), GaussianRational(Fraction(5, 13), Fraction(12, 13)),
                GaussianRational(Fraction(-8, 17), Fraction(15, 17)))


def rationals(max_numerator: int = 3, max_denominator: int = 2, nonzero: bool = False):
    """Small exact rationals ``p/q``, ``|p| <= max_numerator``, ``1 <= q <= max_denominator``."""
    s = st.builds(Fraction, st.integers(-max_numerator, max_numerator), st.integers(1, max_denominator))
    return s.filter(bool) if nonzero else s


def _entries(complex_atoms: bool):
    real = rationals().map(GaussianRational.of)
    if not complex_atoms:
        return real
    return st.builds(lambda r, i: GaussianRational(r, i), rationals(), rationals())


@st.composite
def _seeds(draw, d: int, complex_atoms: bool, max_atoms: int, entries=None):
    entries = entries if entries is not None else _entries(complex_atoms)
    n = draw(st.integers(1, max_atoms))
    atoms = [tuple(draw(entries) for _ in range(d)) for _ in range(n)]
    raw = [draw(st.integers(1, 4)) for _ in range(n)]
    # A seed atom that is identically zero contributes nothing to any moment used: keep one
    # non-zero atom so that kappa_0 > 0 (the theory divides by Gamma).
    if not any(any(v for v in a) for a in atoms):
        atoms[0] = (GaussianRational(Fraction(1)),) + atoms[0][1:]
    return list(zip(atoms, _weights_from(raw)))


def _dimension(d):
    return st.just(d) if isinstance(d, int) else st.sampled_from(list(d))


def _law(seeds, signs, perms, recipe) -> GeneratedLaw:
    atoms, weights = _symmetrise(seeds, signs, perms)
    return GeneratedLaw(atoms, weights, recipe, tuple(seeds))


@st.composite
def symmetric_laws(draw, d=(2, 3), complex_atoms: bool = False, max_atoms: int = 2, perms: str = "cyclic"):
    """Laws satisfying (S) and (E) of C2, by construction.

    Random seed atoms with small rational (or Gaussian-rational) entries and rational weights,
    symmetrised over every sign flip of single coordinates and over the cyclic shifts
    (``perms="all"``: every permutation).

    Guarantees: (S) exactly, (E) exactly, ``kappa_0 > 0``; weights positive summing to 1.
    """
    d = draw(_dimension(d))
    seeds = draw(_seeds(d, complex_atoms, max_atoms))
    return _law(seeds, "each", perms, f"sign flips x {perms} permutations of {len(seeds)} seed atoms")


@st.composite
def laws_violating_S(draw, d=(2, 3), complex_atoms: bool = False, max_atoms: int = 2):
    """Laws satisfying (E) but not (S).

    Seed atoms symmetrised over cyclic shifts and the *global* sign flip only (which keeps
    (E) but not the single-coordinate oddness), then confirmed by an exact check that some
    (S) moment is non-zero (a filter).

    Guarantees: (E) exactly, (S) fails exactly.
    """
    d = draw(_dimension(d))
    seeds = draw(_seeds(d, complex_atoms, max_atoms))
    law = _law(seeds, "global", "cyclic", f"global sign x cyclic shifts of {len(seeds)} seed atoms")
    if law.satisfies_S():
        # Correlate the first two coordinates of a seed atom: E[|z_q|^2 z_p z_q] picks it up.
        atom, w = seeds[0]
        atom = (atom[0] + 1, atom[1] + 1) + atom[2:]
        law = _law([(atom, w)] + seeds[1:], "global", "cyclic",
                   f"global sign x cyclic shifts of {len(seeds)} seed atoms (first atom correlated)")
    from hypothesis import assume

    assume(not law.satisfies_S())
    return law


@st.composite
def laws_violating_E(draw, d=(2, 3), complex_atoms: bool = False, max_atoms: int = 2):
    """Laws satisfying (S) but not (E).

    Seed atoms symmetrised over single-coordinate sign flips only (no permutation), confirmed
    by an exact check that some kappa depends on the coordinate.

    Guarantees: (S) exactly, (E) fails exactly.
    """
    d = draw(_dimension(d))
    seeds = draw(_seeds(d, complex_atoms, max_atoms))
    law = _law(seeds, "each", "none", f"sign flips of {len(seeds)} seed atoms (no permutation)")
    if law.satisfies_E():
        atom, w = seeds[0]
        atom = (atom[0] * 2 + 1,) + atom[1:]
        law = _law([(atom, w)] + seeds[1:], "each", "none",
                   f"sign flips of {len(seeds)} seed atoms (first coordinate stretched)")
    from hypothesis import assume

    assume(not law.satisfies_E())
    return law


@st.composite
def laws_violating_both(draw, d=(2, 3), complex_atoms: bool = False, max_atoms: int = 3):
    """Laws violating both (S) and (E): unsymmetrised random atoms, confirmed exactly.

    Guarantees: (S) fails and (E) fails, exactly.
    """
    d = draw(_dimension(d))
    seeds = draw(_seeds(d, complex_atoms, max_atoms))
    law = _law(seeds, "none", "none", f"{len(seeds)} unsymmetrised atoms")
    if law.satisfies_S() or law.satisfies_E():
        atom, w = seeds[0]
        atom = (atom[0] * 2 + 1, atom[1] + 1) + atom[2:]
        law = _law([(atom, w)] + seeds[1:], "none", "none", f"{len(seeds)} unsymmetrised atoms (first perturbed)")
    from hypothesis import assume

    assume(not law.satisfies_S() and not law.satisfies_E())
    return law


@st.composite
def constant_modulus_laws(draw, d=(2, 3), complex_atoms: bool = False, max_atoms: int = 2,
                          single_support: bool = False):
    """Laws satisfying (S), (E) and the moment identity ``kappa_1^2 = kappa_0 kappa_2``.

    Each coordinate of a seed atom is 0 or ``c`` times a unit-modulus (Gaussian-)rational, for
    one common rational ``c > 0``: ``|z_j|^2`` is constant (``c^2``) where non-zero, which is
    the equality case of Cauchy-Schwarz. With ``single_support``, every seed atom has exactly one
    non-zero coordinate (the sparse law of Example 4.1 is the case of one seed atom), so
    ``kappa_3 = 0``. Symmetrised as in :func:`symmetric_laws`.

    Guarantees: (S), (E), ``kappa_1^2 = kappa_0 kappa_2`` and ``kappa_0 > 0`` exactly; with
    ``single_support`` also ``kappa_3 = 0``.
    """
    d = draw(_dimension(d))
    c = draw(st.builds(Fraction, st.integers(1, 3), st.integers(1, 2)))
    phases = st.sampled_from(_UNIT_PHASES if complex_atoms else _UNIT_PHASES[:1])
    n = draw(st.integers(1, max_atoms))
    seeds = []
    for _ in range(n):
        if single_support:
            k = draw(st.integers(0, d - 1))
            atom = tuple(draw(phases) * c if j == k else GaussianRational(Fraction(0)) for j in range(d))
        else:
            mask = [draw(st.booleans()) for _ in range(d)]
            if not any(mask):
                mask[0] = True
            atom = tuple(draw(phases) * c if m else GaussianRational(Fraction(0)) for m in mask)
        seeds.append(atom)
    raw = [draw(st.integers(1, 4)) for _ in range(n)]
    seeds = list(zip(seeds, _weights_from(raw)))
    kind = "one non-zero coordinate" if single_support else "|z_j| in {0, c}"
    return _law(seeds, "each", "cyclic", f"{kind}, c = {c}; sign flips x cyclic shifts of {n} seed atoms")


@st.composite
def laws_without_moment_identity(draw, d=(2, 3), complex_atoms: bool = False, max_atoms: int = 2):
    """Laws satisfying (S) and (E) with ``kappa_1^2 != kappa_0 kappa_2`` (strict Cauchy-Schwarz).

    A symmetrised law whose seed atoms carry two distinct non-zero moduli in the first
    coordinate (so ``|z_j|^2`` is not constant where non-zero), confirmed exactly.

    Guarantees: (S), (E) exactly, and ``kappa_1^2 < kappa_0 kappa_2``.
    """
    d = draw(_dimension(d))
    seeds = draw(_seeds(d, complex_atoms, max_atoms))
    m = draw(st.integers(1, 3))
    extra = (GaussianRational(Fraction(m + 1)),) + (GaussianRational(Fraction(0)),) * (d - 1)
    small = (GaussianRational(Fraction(m)),) + (GaussianRational(Fraction(0)),) * (d - 1)
    w = Fraction(1, 4)
    seeds = [(a, wa * (1 - 2 * w)) for a, wa in seeds] + [(extra, w), (small, w)]
    law = _law(seeds, "each", "cyclic", f"sign flips x cyclic shifts; moduli {m} and {m + 1} both present")
    from hypothesis import assume

    assume(not law.moment_identity_holds())
    return law


def _column_sums(atoms, weights, moment=None) -> list[Fraction]:
    """``mu_j = sum_{k != j} E |z_k|^2 |z_j|^4`` (the sums the a-equation of the reduced flow carries)."""
    moment = moment or _moment_function(atoms, weights)
    d = len(atoms[0])
    return [sum((moment(_abs_monomial(d, {k: 1, j: 2})).re for k in range(d) if k != j), Fraction(0))
            for j in range(d)]


def laws_satisfying_SE_not_exchangeable(d: int = 3, max_seeds: int = 4):
    """Laws satisfying (S) and (E) *as stated* whose column sums ``mu_j`` depend on j.

    (E) constrains the row sums ``kappa_3(j) = sum_{k != j} E|z_j|^2 |z_k|^4``; the reduced flow's
    a-equation also carries the column sums ``mu_j = sum_{k != j} E|z_k|^2 |z_j|^4`` (the toolkit's
    finding zheng2024.A6). Construction: random seed moduli patterns and their cyclic shifts; the
    law is uniform over the sign flips of each pattern (so (S) holds for any pattern weights);
    starting from the cyclic-symmetric weights, move exactly along the null space of the (E)
    constraints (kappa_0..kappa_3 equal across j, total mass 1) in a direction that changes the
    ``mu_j``, by half the step that keeps every weight positive. Needs ``d >= 3`` (for d = 2, (E)
    forces ``mu_0 = kappa_3(1)`` and ``mu_1 = kappa_3(0)``).

    Guarantees: (S) and (E) exactly, ``mu_j`` not constant in j, positive weights summing to 1.
    """
    if d < 3:
        raise ValueError(f"d must be >= 3 (got {d}): for d = 2, (E) already makes the column sums constant")
    return _laws_SE_not_exchangeable(d, max_seeds)


@st.composite
def _laws_SE_not_exchangeable(draw, d: int, max_seeds: int):
    import sympy as sp
    from hypothesis import assume

    n = draw(st.integers(2, max_seeds))
    seeds = []
    for _ in range(n):
        pattern = tuple(Fraction(draw(st.integers(0, 3))) for _ in range(d))
        if not any(pattern):
            pattern = (Fraction(1),) + pattern[1:]
        seeds.append((pattern, Fraction(draw(st.integers(1, 4)))))
    total = sum(w for _, w in seeds)
    mass: dict[tuple, Fraction] = {}
    for pattern, w in seeds:
        shifts = [tuple(pattern[(i + k) % d] for i in range(d)) for k in range(d)]
        for shift in shifts:
            mass[shift] = mass.get(shift, Fraction(0)) + w / total / d
    patterns = sorted(mass)
    w_sym = [mass[p] for p in patterns]

    def row(f):
        return [f(p) for p in patterns]

    rows = [row(lambda p: Fraction(1))]
    for j in range(1, d):
        for m in (1, 2, 3):
            rows.append(row(lambda p, j=j, m=m: p[j] ** (2 * m) - p[0] ** (2 * m)))
        rows.append(row(lambda p, j=j: sum(p[j] ** 2 * p[k] ** 4 for k in range(d) if k != j)
                        - sum(p[0] ** 2 * p[k] ** 4 for k in range(d) if k != 0)))
    A = sp.Matrix([[sp.Rational(x.numerator, x.denominator) for x in r] for r in rows])
    null = A.nullspace()
    mu = [row(lambda p, j=j: sum(p[k] ** 2 * p[j] ** 4 for k in range(d) if k != j)) for j in range(d)]
    useful = []
    for v in null:
        dv = [Fraction(int(sp.Rational(x).p), int(sp.Rational(x).q)) for x in v]
        if any(sum(a * b for a, b in zip(mu[j], dv)) != sum(a * b for a, b in zip(mu[0], dv)) for j in range(1, d)):
            useful.append(dv)
    assume(useful)
    delta = useful[draw(st.integers(0, len(useful) - 1))]
    if draw(st.booleans()):
        delta = [-x for x in delta]
    negative = [w / -x for w, x in zip(w_sym, delta) if x < 0]
    eps = min(negative) / 2 if negative else Fraction(1)
    weights = [w + eps * x for w, x in zip(w_sym, delta)]
    assume(all(w > 0 for w in weights))
    atoms_mass: dict[tuple, Fraction] = {}
    for p, w in zip(patterns, weights):
        images = _orbit(tuple(GaussianRational(v) for v in p), "each", "none")
        for image in images:
            atoms_mass[image] = atoms_mass.get(image, Fraction(0)) + w / len(images)
    items = sorted(atoms_mass.items(), key=lambda kv: repr(kv[0]))
    law = GeneratedLaw(tuple(a for a, _ in items), tuple(w for _, w in items),
                       f"sign flips of {len(patterns)} moduli patterns, weights moved along the null space of (E)",
                       tuple((tuple(GaussianRational(v) for v in p), w) for p, w in zip(patterns, weights)))
    return law


# --------------------------------------------------------------------------- sizes, inits
def zheng_sizes(d=(2, 3), min_T: int = 3, max_T: int = 5):
    """``(d, T)`` with ``d`` from ``d`` and ``min_T <= T <= max_T`` (``T >= 3``: two context tokens)."""
    if min_T < 3:
        raise ValueError(f"min_T must be >= 3 (got {min_T}): the first prediction needs two context tokens")
    return st.tuples(_dimension(d), st.integers(min_T, max_T))


def regression_sizes(max_Nx: int = 3, max_Ny: int = 2, max_N: int = 4):
    """``(Nx, Ny, N)``, each at least 1 and at most its bound."""
    return st.tuples(st.integers(1, max_Nx), st.integers(1, max_Ny), st.integers(1, max_N))


def initialisations(low: float = 0.05, high: float = 3.0):
    """``(a_0, b_0)`` floats with ``a_0 b_0 > 0``: magnitudes in ``[low, high]``, a common sign.

    Guarantees: ``a_0 * b_0 >= low**2 > 0``.
    """
    if not 0 < low <= high:
        raise ValueError(f"need 0 < low <= high (got {low}, {high}): a_0 b_0 > 0 is the hypothesis of C4")
    mag = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.tuples(st.sampled_from((1.0, -1.0)), mag, mag).map(lambda t: (t[0] * t[1], t[0] * t[2]))


def rational_matrices(rows: int, cols: int, max_numerator: int = 5, max_denominator: int = 3):
    """SymPy matrices of exact rationals (entries ``p/q``, ``|p| <= max_numerator``)."""
    import sympy as sp

    entry = st.builds(lambda p, q: sp.Rational(p, q), st.integers(-max_numerator, max_numerator),
                      st.integers(1, max_denominator))
    return st.lists(entry, min_size=rows * cols, max_size=rows * cols).map(lambda e: sp.Matrix(rows, cols, e))


def _rng(seed: int):
    import numpy as np

    return np.random.default_rng(seed)


def _orthogonal(n: int, seed: int):
    """Haar-distributed orthogonal matrix: QR of a Gaussian matrix, signs fixed by diag(R)."""
    import numpy as np

    q, r = np.linalg.qr(_rng(seed).standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def spd_matrices(n: int, kappa: float = 100.0):
    """Symmetric positive definite ``Q diag(s) Q^T``, spectrum in ``[1, kappa]``, both ends attained.

    The spectrum is random in ``[1, kappa]`` (``1`` and ``kappa`` included when ``n >= 2``), ``Q``
    Haar-orthogonal. Never element-filled (such arrays are mostly singular or badly conditioned).

    Guarantees: symmetric; eigenvalues in ``[1, kappa]`` up to rounding; condition number
    ``kappa`` (``n >= 2``).
    """
    if kappa < 1:
        raise ValueError(f"kappa must be >= 1 (got {kappa}): it is a condition number")
    return _spd_matrices(n, float(kappa))


@st.composite
def _spd_matrices(draw, n: int, kappa: float):
    import numpy as np

    inner = [draw(st.floats(1.0, kappa)) for _ in range(max(n - 2, 0))]
    spectrum = np.array(([1.0, float(kappa)] + inner)[:n] if n >= 2 else [draw(st.floats(1.0, kappa))])
    Q = _orthogonal(n, draw(st.integers(0, 2 ** 32 - 1)))
    S = (Q * spectrum) @ Q.T
    return (S + S.T) / 2


def well_conditioned_matrices(rows: int, cols: int, kappa: float = 10.0, scale: float = 1.0):
    """``scale * U diag(s) V^T`` with singular values ``s`` in ``[1, kappa]`` (full rank).

    Guarantees: rank ``min(rows, cols)``; 2-norm condition number at most ``kappa`` (up to rounding).
    """
    if kappa < 1 or scale <= 0:
        raise ValueError(f"need kappa >= 1 and scale > 0 (got {kappa}, {scale}): kappa is a condition number")
    return _well_conditioned(rows, cols, float(kappa), float(scale))


@st.composite
def _well_conditioned(draw, rows: int, cols: int, kappa: float, scale: float):
    import numpy as np

    k = min(rows, cols)
    s = np.array([draw(st.floats(1.0, kappa)) for _ in range(k)])
    U = _orthogonal(rows, draw(st.integers(0, 2 ** 32 - 1)))[:, :k]
    V = _orthogonal(cols, draw(st.integers(0, 2 ** 32 - 1)))[:, :k]
    return scale * (U * s) @ V.T
