"""The strategies' guarantees hold exactly (proofs_check.strategies).

Each law strategy's guarantee is checked twice: with the strategies' own exact Fraction
arithmetic and with theory.moments.DiscreteLaw (SymPy), which must agree.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs_check import strategies as S
from proofs_check.strategies import GaussianRational as G

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _weights_ok(law):
    assert all(w > 0 for w in law.weights)
    assert sum(law.weights) == 1


def _kappas_sympy(law, j):
    return tuple(Fraction(str(k)) for k in law.law.kappas_at(j))


@FAST
@given(st.one_of(S.symmetric_laws(), S.symmetric_laws(complex_atoms=True)))
def test_symmetric_laws_satisfy_S_and_E(law):
    _weights_ok(law)
    assert law.satisfies_S() and law.law.satisfies_S() is True
    assert law.satisfies_E() and law.law.satisfies_E()
    k0 = law.kappas(0)[0]
    assert k0 > 0
    for j in range(law.d):
        assert law.kappas(j) == _kappas_sympy(law, j)  # both exact routes agree


@FAST
@given(S.symmetric_laws(complex_atoms=True, perms="all"))
def test_full_permutation_symmetrisation_also_satisfies_S_and_E(law):
    assert law.satisfies_S() and law.satisfies_E()
    assert not law.is_real or all(not v.im for a in law.atoms for v in a)


@FAST
@given(S.laws_violating_S())
def test_laws_violating_S_keep_E(law):
    _weights_ok(law)
    assert not law.satisfies_S() and law.law.satisfies_S() is False
    assert law.satisfies_E() and law.law.satisfies_E()


@FAST
@given(S.laws_violating_E())
def test_laws_violating_E_keep_S(law):
    _weights_ok(law)
    assert law.satisfies_S() and law.law.satisfies_S() is True
    assert not law.satisfies_E() and not law.law.satisfies_E()


@FAST
@given(S.laws_violating_both())
def test_laws_violating_both(law):
    _weights_ok(law)
    assert not law.satisfies_S() and not law.satisfies_E()
    assert law.law.satisfies_S() is False and not law.law.satisfies_E()


@FAST
@given(st.one_of(S.constant_modulus_laws(), S.constant_modulus_laws(complex_atoms=True)))
def test_constant_modulus_laws_satisfy_the_moment_identity(law):
    _weights_ok(law)
    assert law.satisfies_S() and law.satisfies_E()
    k0, k1, k2, _ = law.kappas()
    assert k0 > 0 and k1 * k1 == k0 * k2
    moduli = {v.abs2() for a in law.atoms for v in a if v}
    assert len(moduli) == 1  # |z_j|^2 is constant where non-zero


@FAST
@given(S.constant_modulus_laws(single_support=True, complex_atoms=True))
def test_single_support_laws_have_kappa3_zero(law):
    assert all(sum(1 for v in a if v) == 1 for a in law.atoms)
    k0, k1, k2, k3 = law.kappas()
    assert k3 == 0 and k1 * k1 == k0 * k2


@FAST
@given(S.laws_without_moment_identity())
def test_laws_without_the_identity_are_strict_cauchy_schwarz(law):
    assert law.satisfies_S() and law.satisfies_E()
    k0, k1, k2, _ = law.kappas()
    assert k1 * k1 < k0 * k2


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(S.laws_satisfying_SE_not_exchangeable())
def test_non_exchangeable_laws_satisfy_S_and_E_as_stated(law):
    """(S) and (E) exactly, yet the column sums mu_j = sum_k E|z_k|^2 |z_j|^4 depend on j."""
    _weights_ok(law)
    assert law.satisfies_S() and law.satisfies_E()
    assert len(set(S._column_sums(law.atoms, law.weights))) > 1


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(S.laws_satisfying_SE_not_exchangeable())
def test_non_exchangeable_law_agrees_with_theory_moments(law):
    assert law.law.satisfies_S() is True and law.law.satisfies_E()


def test_sparse_law_pinned():
    """The sparse law of Example 4.1 (c = 1, d = 2) built by symmetrisation: kappas (1/2, 1/2, 1/2, 0)."""
    law = S._law([((G(Fraction(1)), G(Fraction(0))), Fraction(1))], "each", "cyclic", "sparse")
    assert sorted(map(tuple, ([str(v) for v in a] for a in law.atoms))) == [
        ("-1", "0"), ("0", "-1"), ("0", "1"), ("1", "0")]
    assert law.kappas() == (Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), Fraction(0))


def test_gaussian_rational_arithmetic():
    z = G(Fraction(3, 5), Fraction(4, 5))
    assert z * z.conj() == G(Fraction(1))
    assert z.abs2() == 1
    assert (z + 1) * 2 == G(Fraction(16, 5), Fraction(8, 5))
    with pytest.raises(TypeError):
        G.of(1.0 + 2j)


@FAST
@given(S.initialisations())
def test_initialisations_have_positive_product(init):
    a0, b0 = init
    assert a0 * b0 >= 0.05 ** 2


@FAST
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(st.just(n), S.spd_matrices(n, kappa=50.0))))
def test_spd_matrices_have_the_prescribed_spectrum(case):
    n, A = case
    assert np.array_equal(A, A.T)
    lam = np.linalg.eigvalsh(A)
    tol = 1e-12 * 50 * n
    assert lam.min() >= 1 - tol and lam.max() <= 50 + tol
    if n >= 2:
        assert np.isclose(lam.max() / lam.min(), 50.0, rtol=1e-9)


@FAST
@given(st.tuples(st.integers(1, 5), st.integers(1, 7)).flatmap(
    lambda s: st.tuples(st.just(s), S.well_conditioned_matrices(*s, kappa=20.0, scale=3.0))))
def test_well_conditioned_matrices(case):
    (rows, cols), M = case
    s = np.linalg.svd(M, compute_uv=False)
    assert len(s) == min(rows, cols)
    assert s.min() >= 3.0 * (1 - 1e-12) and s.max() <= 3.0 * 20.0 * (1 + 1e-12)


@FAST
@given(S.zheng_sizes(), S.regression_sizes())
def test_sizes_within_budget(zs, rs):
    d, T = zs
    assert d in (2, 3) and 3 <= T <= 5
    assert all(1 <= n for n in rs) and rs[0] <= 3 and rs[1] <= 2 and rs[2] <= 4


BAD_INPUTS = [
    ("T below 3", lambda: S.zheng_sizes(min_T=2), "two context tokens"),
    ("negative low", lambda: S.initialisations(low=-1.0), "a_0 b_0 > 0"),
    ("kappa below 1", lambda: S.spd_matrices(3, kappa=0.5), "condition number"),
    ("zero scale", lambda: S.well_conditioned_matrices(2, 3, scale=0.0), "condition number"),
    ("non-exchangeable in d = 2", lambda: S.laws_satisfying_SE_not_exchangeable(d=2), "d must be >= 3"),
]


@pytest.mark.parametrize("name, make, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_strategy_arguments_have_a_remedy(name, make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_load_profile_extends_the_ci_profile(monkeypatch):
    current = settings._current_profile
    try:
        monkeypatch.setenv("CI", "true")
        monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
        assert S.load_profile() == S.PROFILE_CI
        profile = settings.get_profile(S.PROFILE_CI)
        ci = settings.get_profile("ci")
        assert profile.derandomize is True and ci.derandomize is True
        assert profile.database is None and profile.deadline is None
        assert profile.max_examples == S.CI_MAX_EXAMPLES < ci.max_examples
        assert settings.default.derandomize is True
        monkeypatch.delenv("CI")
        assert S.load_profile() == S.PROFILE_DEV
        assert settings.default.max_examples == S.DEV_MAX_EXAMPLES
    finally:
        settings.load_profile(current)
