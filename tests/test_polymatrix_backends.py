"""The flint backend of PolyMatrix gives the same polynomials and verdicts as SymPy's."""
import pytest
import sympy as sp

from theory import polymatrix
from theory.polymatrix import PolyMatrix

pytestmark = pytest.mark.skipif(polymatrix._flint is None, reason="python-flint not installed (extra [fast])")

x, y, z = sp.symbols("x y z")


def _random_matrix(rows, cols, seed):
    import random

    rnd = random.Random(seed)
    mono = [sp.Integer(1), x, y, z, x * y, y ** 2, x * z ** 2]
    return sp.Matrix(rows, cols, lambda i, j: sum(sp.Rational(rnd.randint(-5, 5), rnd.randint(1, 4)) * m
                                                  for m in rnd.sample(mono, 3)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_polynomials_in_both_backends(seed):
    A, B, C = _random_matrix(3, 2, seed), _random_matrix(2, 3, seed + 10), _random_matrix(3, 3, seed + 20)
    expected = (A * B - sp.Rational(2, 3) * C.T + x * C * C).applyfunc(sp.expand)
    for name in ("sympy", "flint"):
        ring = PolyMatrix.ring({x, y, z}, name)
        a, b, c = (PolyMatrix.from_sympy(M, ring) for M in (A, B, C))
        got = a * b - sp.Rational(2, 3) * c.T + (c * c) * x
        assert (type(got) is PolyMatrix) == (name == "sympy")
        assert got.to_sympy() == expected
        assert dict(got.nonzero_entries()) == {(i, j): expected[i, j] for i in range(3) for j in range(3)
                                               if expected[i, j] != 0}
        assert (got - got).is_zero_matrix() and not got.is_zero_matrix()
        assert (PolyMatrix.eye(3, ring) * got).to_sympy() == expected


def test_same_verdicts_in_both_backends(monkeypatch):
    from proofs_check.claims import oswald2022

    def wrong(prompt):                       # eta -> 2 eta in the construction: refuted exactly
        from theory.constructions import gd_construction

        return gd_construction(prompt, eta=2 * prompt.eta)

    out = {}
    for name in ("sympy", "flint"):
        monkeypatch.setenv("MESACHECK_POLY_BACKEND", name)
        assert polymatrix.backend() == name
        good = oswald2022.check_o1_at_sizes(sizes=((2, 1, 3),))
        bad = oswald2022.check_o1_at_sizes(construction=wrong, sizes=((2, 1, 3),))
        out[name] = (good.status, bad.status, bad.counterexample)
    assert out["sympy"] == out["flint"]
    assert out["flint"][0].value == "VERIFIED" and out["flint"][1].value == "REFUTED"


# --------------------------------------------------------------- population expansions (Zheng)
def _same_derivatives(*args, **kw):
    from theory.zheng_population import population_derivatives

    got = {be: population_derivatives(*args, backend=be, **kw) for be in ("sympy", "flint")}
    s, f = got["sympy"], got["flint"]
    # identical SymPy trees (srepr), not merely equal values
    assert sp.srepr(s.loss) == sp.srepr(f.loss)
    assert [sp.srepr(e) for e in s.grad_PV] == [sp.srepr(e) for e in f.grad_PV]
    assert [sp.srepr(e) for e in s.grad_KQ] == [sp.srepr(e) for e in f.grad_KQ]
    return s


def test_population_expansions_identical_in_both_backends():
    from theory.causal_attention import manifold_AB, manifold_ab
    from theory.moments import ComplexGaussian, RealGaussian, SparseLaw

    a, b = sp.symbols("a b", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    r = _same_derivatives(1, 3, *manifold_ab(1, a, b), RealGaussian(1, sigma=1), params=(a, b))
    assert r.loss == 15 * a ** 2 * b ** 2 / 2 - 3 * a * b + sp.Rational(1, 2)             # the docstring's value
    _same_derivatives(2, 4, *manifold_ab(2, a, b), RealGaussian(2, sigma=sigma), params=(a, b))   # symbolic moments
    _same_derivatives(2, 4, *manifold_ab(2, a, b), None, params=(a, b))                          # moments left in z
    _same_derivatives(2, 3, *manifold_ab(2, a, b), ComplexGaussian(2), params=(a, b), gradient=False)
    A = sp.Matrix(2, 2, sp.symbols("A0:4", real=True))
    B = sp.Matrix(2, 2, sp.symbols("B0:4", real=True))
    _same_derivatives(2, 4, *manifold_AB(A, B), SparseLaw(2), params=(*A, *B))


def test_population_expansions_identical_with_complex_weights():
    # Gaussian-rational coefficients and every real coordinate a parameter (the zheng_full case)
    from theory.moments import RealGaussian
    from theory.zheng_full import _real_pair_matrix

    pv_re, pv_im, W_PV = _real_pair_matrix("PV", 1, 2)
    kq_re, kq_im, W_KQ = _real_pair_matrix("KQ", 2, 2)
    params = [s for block in (pv_re, pv_im, kq_re, kq_im) for row in block for s in row]
    W_KQ = W_KQ + sp.Matrix([[sp.I / 3, 0], [sp.Rational(1, 2) - sp.I, 0]])
    _same_derivatives(1, 4, W_PV, W_KQ, RealGaussian(1, sigma=1), params=params)


def test_population_backend_argument_is_checked():
    from theory.causal_attention import manifold_ab
    from theory.zheng_population import population_derivatives

    a, b = sp.symbols("a b", real=True)
    with pytest.raises(ValueError, match="backend must be 'flint', 'sympy' or None"):
        population_derivatives(1, 3, *manifold_ab(1, a, b), None, params=(a, b), backend="gpu")
