"""Laws of the initial token as moment functionals, and the phase lemma (theory/moments.py)."""
from __future__ import annotations

import itertools

import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from theory.moments import (
    KAPPA_SYMBOLS, AnisotropicGaussian, ComplexGaussian, DiscreteLaw, FullOneLaw, MomentTableLaw, RademacherLaw,
    RealGaussian, SparseLaw, StudentTLaw, UniformLaw, phase_average, phase_expectation,
)

sigma = sp.Symbol("sigma", positive=True)
c = sp.Symbol("c", positive=True)


@pytest.mark.parametrize("law, expected", [
    (RealGaussian(3), (sigma ** 2, 3 * sigma ** 4, 15 * sigma ** 6, 6 * sigma ** 6)),
    (RealGaussian(1, sigma=2), (4, 48, 960, 0)),
    (ComplexGaussian(2), (sigma ** 2, 2 * sigma ** 4, 6 * sigma ** 6, 2 * sigma ** 6)),
    (SparseLaw(4), (c ** 2 / 4, c ** 4 / 4, c ** 6 / 4, 0)),
    (FullOneLaw(5), (1, 1, 1, 4)),
    (RademacherLaw(3), (1, 1, 1, 2)),
    (UniformLaw(2), (sp.Rational(1, 3), sp.Rational(1, 5), sp.Rational(1, 7), sp.Rational(1, 15))),
    (MomentTableLaw(3), KAPPA_SYMBOLS),
], ids=["gauss-d3", "gauss-sigma2", "cgauss", "sparse", "full-one", "rademacher", "uniform", "table"])
def test_kappas_derived_from_expect(law, expected):
    got = law.kappas()
    assert all(sp.simplify(g - e) == 0 for g, e in zip(got, expected)), got


def test_gaussian_moments_agree_with_sympy_stats():
    from sympy.stats import E, Normal

    law = RealGaussian(2)
    g1, g2 = Normal("g1", 0, sigma), Normal("g2", 0, sigma)
    for (a1, b1), (a2, b2) in [((1, 1), (0, 0)), ((2, 1), (1, 0)), ((2, 2), (1, 1)), ((3, 1), (0, 2))]:
        stats = E(g1 ** (a1 + b1) * g2 ** (a2 + b2))
        assert sp.simplify(law.expect(((a1, b1), (a2, b2))) - stats) == 0


def test_uniform_moments_by_integration():
    x = sp.Symbol("x")
    law = UniformLaw(1, c=2)
    for n in range(7):
        exact = sp.integrate(x ** n / 4, (x, -2, 2))
        assert law.expect(((n, 0),)) == exact


def test_complex_discrete_law():
    law = DiscreteLaw([[1 + sp.I, 0], [0, 2]], [sp.Rational(1, 4), sp.Rational(3, 4)])
    assert law.expect(((1, 1), (0, 0))) == sp.Rational(1, 2)        # |1+i|^2 / 4
    assert law.expect(((2, 0), (0, 0))) == sp.I / 2                   # (1+i)^2 / 4
    assert law.is_real is False


def test_symmetry_hypotheses():
    assert RealGaussian(3).satisfies_S() is True
    assert SparseLaw(3).satisfies_S() is True
    assert FullOneLaw(3).satisfies_S() is False
    assert AnisotropicGaussian([1, 2]).satisfies_E() is False
    assert RealGaussian(3).satisfies_E() and RealGaussian(3).satisfies_E_transposed()


def test_phase_lemma():
    lam = sp.symbols("l1 l2")
    assert phase_average(3 + lam[0] * lam[1] ** -1 + lam[0] / lam[0] + lam[1] ** 2, lam) == 4
    assert phase_average(lam[0] * lam[1] ** -1 * sp.Symbol("q"), lam) == 0
    assert phase_expectation([0, 0]) == 1 and phase_expectation([1, -1]) == 0


@given(st.lists(st.integers(-4, 4), min_size=1, max_size=3))
@example([0])
@example([2, -2])
@settings(max_examples=40, deadline=None)
def test_phase_average_of_monomial_is_indicator(exponents):
    lam = sp.symbols(f"l0:{len(exponents)}")
    mono = sp.Mul(*(s ** n for s, n in zip(lam, exponents)))
    assert phase_average(mono, lam) == (1 if all(n == 0 for n in exponents) else 0)


@given(st.lists(st.tuples(st.integers(-2, 2), st.integers(-2, 2)), min_size=1, max_size=3),
       st.integers(0, 3), st.integers(0, 3))
@settings(max_examples=25, deadline=None)
def test_sign_symmetric_discrete_laws_satisfy_S(magnitudes, a, b):
    atoms, weights = [], []
    for m in magnitudes:
        for signs in itertools.product((1, -1), repeat=2):
            atoms.append([s * v for s, v in zip(signs, m)])
            weights.append(sp.Rational(1, 4 * len(magnitudes)))
    law = DiscreteLaw(atoms, weights)
    assert law.satisfies_S() is True
    # odd total degree in one coordinate has zero mean
    assert law.expect(((2 * a + 1, 0), (b, b))) == 0


BAD = [
    ("d-zero", lambda: RealGaussian(0), "d must be an integer >= 1"),
    ("d-bool", lambda: RealGaussian(True), "d must be an integer >= 1"),
    ("float-sigma", lambda: RealGaussian(2, sigma=0.5), "sigma must be exact"),
    ("negative-sigma", lambda: RealGaussian(2, sigma=-1), "sigma must be positive"),
    ("short-monomial", lambda: RealGaussian(2).expect(((1, 1),)), "monomial must have d = 2"),
    ("negative-exponent", lambda: RealGaussian(1).expect(((-1, 0),)), "exponents must be >= 0"),
    ("weights-sum", lambda: DiscreteLaw([[1], [2]], [sp.Rational(1, 2), sp.Rational(1, 3)]), "weights must sum to 1"),
    ("float-weight", lambda: DiscreteLaw([[1], [2]], [0.5, 0.5]), "must be exact"),
    ("ragged", lambda: DiscreteLaw([[1, 2], [2]], [sp.Rational(1, 2)] * 2), "same length"),
    ("irrational-atom", lambda: DiscreteLaw([[sp.pi]], [1]), "Gaussian-rational"),
    ("negative-kappa", lambda: MomentTableLaw(2, -1, 1, 1, 0), "kappa0 must be >= 0"),
    ("cauchy-schwarz-46", lambda: MomentTableLaw(2, 1, 2, 3, 0), "kappa1^2 <= kappa0*kappa2"),
    ("cauchy-schwarz-24", lambda: MomentTableLaw(2, 2, 3, 100, 0), "kappa0^2 <= kappa1"),
    ("hoelder", lambda: MomentTableLaw(2, 1, 3, 15, 16), "kappa3 <= (d-1)*kappa2"),
    ("infinite-sixth", lambda: MomentTableLaw(2, 1, 3, sp.oo, 3), "the flow's coefficients do not exist"),
    ("student-t-5", lambda: StudentTLaw(2, 5).kappas(), "the flow's coefficients do not exist"),
    ("anisotropic-kappas", lambda: AnisotropicGaussian([1, 2]).kappas(), "hypothesis (E) fails"),
    ("kappa3-d1", lambda: MomentTableLaw(1, 1, 1, 1, 1), "kappa3 must be 0 when d = 1"),
    ("laurent", lambda: phase_average(sp.exp(sp.Symbol("l")), [sp.Symbol("l")]), "Laurent polynomial"),
]


@pytest.mark.parametrize("make, message", [(m, msg) for _, m, msg in BAD], ids=[i for i, _, _ in BAD])
def test_bad_input_raises_with_remedy(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_consistent_numeric_table_accepted():
    law = MomentTableLaw(3, 1, 3, 15, 6)          # the standard Gaussian's kappas
    assert tuple(law.kappas()) == (1, 3, 15, 6)
    assert StudentTLaw(1, 9).kappas()[2] == sp.Rational(15 * 9 ** 3, (9 - 2) * (9 - 4) * (9 - 6))
