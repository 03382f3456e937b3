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
