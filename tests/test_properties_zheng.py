"""Property tests of Zheng et al. 2024 (C2, C4, C5) on exact discrete laws.

Each property runs beside pinned ``@example``s: the sparse law of Example 4.1, a Rademacher
law and a two-moduli law (sign flips x cyclic shifts), and the authors' initialisations.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp
from hypothesis import HealthCheck, example, find, given, settings
from hypothesis import strategies as st

from proofs_check import properties as P
from proofs_check import strategies as S
from proofs_check.strategies import GaussianRational as G
from theory.dynamics import gradient_on_ab

FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPARSE, RADEMACHER, MIXED = P._pinned_symmetric()


def _cases(law_strategy, max_T=None):
    return st.tuples(law_strategy, st.integers(3, max_T or 4)).filter(lambda c: c[0].d == 2 or c[1] <= 4)


@FAST
@given(_cases(st.one_of(S.laws_violating_both(), S.symmetric_laws(complex_atoms=True))))
def test_cached_population_gradient_equals_the_direct_one(case):
    """The runner's route (law-free W-average + exact moments) equals theory.dynamics with the law."""
    law, T = case
    fast = P._gradient(law, T)
    direct = gradient_on_ab(law.d, T, law.law)
    assert sp.expand(fast.loss - direct.loss) == 0
    assert (fast.grad_PV - direct.grad_PV).applyfunc(sp.expand).is_zero_matrix
    assert (fast.grad_KQ - direct.grad_KQ).applyfunc(sp.expand).is_zero_matrix


@FAST
@given(_cases(st.one_of(S.symmetric_laws(), S.symmetric_laws(complex_atoms=True))))
@example((SPARSE, 4))
@example((RADEMACHER, 3))
@example((MIXED, 5))
def test_c2_symmetric_laws_keep_the_diagonal_manifold(case):
    """(S) and (E) by symmetry: every off-diagonal and off-manifold gradient entry is exactly 0."""
    law, T = case
    assert law.satisfies_S() and law.satisfies_E()
    P._c2_invariance(case)


def test_c2_a_law_violating_S_breaks_invariance_and_is_shrunk():
    """hypothesis.find: among laws with (E) but not (S), one breaks invariance; the witness is shrunk."""
    witness = find(_cases(S.laws_violating_S(d=2), max_T=3), P._witness_S,
                   settings=settings(max_examples=30, database=None, deadline=None))
    law, T = witness
    assert not law.satisfies_S() and law.satisfies_E()
    assert T == 3 and len(law.seeds) == 1  # shrunk to the smallest sequence and a single seed atom
    with_S = P._nonzero_residuals(P._gradient(law, T), law.d, include_AB=False)
    assert any("off-diagonal" in r for r in with_S)


def test_c2_violating_S_is_refuted_by_the_invariance_property():
    """Running the C2 invariance body over (S)-violating laws is REFUTED with a shrunk law and a command."""
    prop = P.Property("test.C2.on-S-violators", "zheng2024.C2", "invariance without (S)",
                      lambda: _cases(S.laws_violating_S(d=2), max_T=3), P._c2_invariance, examples=20)
    result = P.run_property(prop, seed=3)
    assert result.status.value == "REFUTED"
    ce = result.counterexample
    assert "not invariant" in ce["failure"] and "off-diagonal" in ce["failure"]
    assert ce["reproduce"] == "run_property(..., seed=3, examples=20)"
    assert ce["example"][0]["d"] == 2 and len(ce["example"][0]["seed_atoms"]) == 1


@FAST
@given(_cases(S.laws_violating_E(d=2), max_T=3))
def test_c2_violating_E_unbalances_the_diagonal(case):
    """Sign-flip symmetric laws whose kappas depend on j: off-diagonals vanish, the diagonal does not stay aI."""
    law, T = case
    bad = P._nonzero_residuals(P._gradient(law, T), law.d, include_AB=False)
    assert not any("off-diagonal" in r for r in bad)  # (S) still holds
    assert any("diagonal spread" in r for r in bad)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(S.symmetric_laws(d=2), st.integers(3, 4), S.initialisations()))
@example((SPARSE, 3, (0.1, 0.1)))
@example((MIXED, 4, (0.5, 1.5)))
@example((RADEMACHER, 3, (2.0, 2.0)))
@example((RADEMACHER, 3, (-0.3, -2.0)))
def test_c4_fixed_point_is_one_gd_step_and_the_flow_converges(case):
    P._c4_fixed_point(case)


def test_c4_sparse_limit_is_one_over_c_squared():
    """Example 4.1 pinned: lim ab = 1/c^2 for every T (c = 1 here: kappa_1 = kappa_2, kappa_3 = 0)."""
    from theory.dynamics import limit_of_product, reduced_flow

    for T in (3, 4, 5):
        flow = reduced_flow(2, T, SPARSE.law, deriv=P._gradient(SPARSE, T))
        assert limit_of_product(flow) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(S.constant_modulus_laws(), S.constant_modulus_laws(complex_atoms=True),
                 S.laws_without_moment_identity()))
@example(SPARSE)
@example(RADEMACHER)
@example(MIXED)
def test_c5_limit_recovery_iff_moment_identity(law):
    recovers, identity, u_inf = P._c5_kind(law)
    assert recovers == identity
    # both directions are exercised: constant-modulus laws recover, the others do not
    assert identity == (len({v.abs2() for a in law.atoms for v in a if v}) == 1)
    k0, k1, k2, _ = law.kappas()
    assert u_inf == sp.Rational(k1.numerator, k1.denominator) / sp.Rational(k2.numerator, k2.denominator)


def test_c5_both_directions_pinned():
    assert P._c5_kind(RADEMACHER)[:2] == (True, True)
    assert P._c5_kind(MIXED)[:2] == (False, False)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases(st.one_of(S.constant_modulus_laws(single_support=True, complex_atoms=True),
                        S.constant_modulus_laws(d=2), S.symmetric_laws(d=2, max_atoms=1)), max_T=4))
@example((SPARSE, 4))
@example((RADEMACHER, 3))
def test_c5_finite_T_exact_recovery_iff_kappa3_zero_and_identity(case):
    P._c5_finite_T(case)


def test_c5_finite_T_sparse_recovers_exactly():
    """Pinned direction 'yes': the sparse law predicts x_(t+1) exactly at T = 4 (kappa_3 = 0)."""
    law = SPARSE
    assert law.kappas()[3] == 0
    P._c5_finite_T((law, 4))  # would raise if exact recovery failed while expected


def test_gaussian_rational_atoms_keep_invariance():
    """Complex atoms (Pythagorean phases) symmetrised: invariance holds exactly."""
    z = G(Fraction(3, 5), Fraction(4, 5))
    law = S._law([((z, G(Fraction(0), Fraction(1))), Fraction(1))], "each", "cyclic", "complex")
    assert not law.is_real and law.satisfies_S() and law.satisfies_E()
    P._c2_invariance((law, 4))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(S.laws_satisfying_SE_not_exchangeable(d=3))
def test_a6_E_as_stated_is_not_enough(law):
    """(S) and (E) hold exactly but the column sums vary: the W^KQ_21 diagonal is unbalanced (finding A6)."""
    assert law.satisfies_S() and law.satisfies_E()
    bad = P._nonzero_residuals(P._gradient(law, 3), law.d, include_AB=False)
    assert not any("off-diagonal" in r for r in bad)
    assert any(r.startswith("KQ21 diagonal spread") for r in bad)
    assert not any(r.startswith("PV11 diagonal spread") for r in bad)  # the b-equation carries kappa_3 only
