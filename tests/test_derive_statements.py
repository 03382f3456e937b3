"""theory.instantiate: a stated closed form in matrix symbols of symbolic size, evaluated at explicit matrices."""
from __future__ import annotations

import pytest
import sympy as sp

from theory import instantiate

d = sp.Symbol("d", integer=True, positive=True)
N = sp.Symbol("N", integer=True, positive=True)
L, G, U = (sp.MatrixSymbol(n, d, d) for n in ("Lambda", "Gamma", "U"))


def test_traces_inverses_transposes_and_identity():
    Lm = sp.diag(*sp.symbols("l1 l2", positive=True))
    Um = sp.Matrix(2, 2, sp.symbols("a b c e", real=True))
    gamma = instantiate((1 + 1 / N) * L + sp.Trace(L) / N * sp.Identity(d), {"Lambda": Lm})
    assert gamma == (1 + 1 / N) * Lm + Lm.trace() / N * sp.eye(2)
    value = instantiate(sp.Trace(G * L * U * L * U.T) * sp.Trace(G ** -2) ** sp.Rational(1, 4),
                        {"Gamma": gamma, "Lambda": Lm, "U": Um})
    expected = (gamma * Lm * Um * Lm * Um.T).trace() * ((gamma.inv() ** 2).trace()) ** sp.Rational(1, 4)
    assert sp.simplify(value - expected) == 0
    assert instantiate(sp.Tuple(L ** 2, sp.Trace(L)), {"Lambda": Lm}) == sp.Tuple(Lm ** 2, Lm.trace())


BAD = [
    ("no value", L * U, {"Lambda": sp.eye(2)}, "no value for the matrix symbol U"),
    ("inconsistent sizes", L * U, {"Lambda": sp.eye(2), "U": sp.eye(3)}, "give consistent shapes"),
    ("fractional matrix power", L ** sp.Rational(1, 2), {"Lambda": sp.eye(2)}, "integer exponent"),
    ("not a Matrix", L, {"Lambda": [[1]]}, "explicit sympy Matrix"),
]


@pytest.mark.parametrize("name, expr, matrices, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_problem(name, expr, matrices, message):
    with pytest.raises((ValueError, TypeError), match=message):
        instantiate(expr, matrices)
