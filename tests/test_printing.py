"""The paper-style LaTeX printer."""
import pytest
import sympy as sp

from theory.printing import latex

n = sp.Symbol("n", integer=True, positive=True)
X = sp.MatrixSymbol("X", n, n)

CASES = [
    ("transpose", X.T, r"X^\top"),
    ("identity", sp.Identity(n) + X, "I + X"),
    ("named W_KQ", sp.MatrixSymbol("W_KQ", n, n), "W^{KQ}"),
    ("named W_PV", sp.MatrixSymbol("W_PV", n, n), "W^{PV}"),
    ("query", sp.MatrixSymbol("x_test", n, 1), r"x_{\mathrm{test}}"),
    ("harmonic", sp.harmonic(sp.Symbol("T") - 2), "H_{T - 2}"),
    ("equations", (sp.Eq(sp.Symbol("a"), 1), sp.Eq(sp.Symbol("b"), 2)),
     r"\begin{aligned}a &= 1 \\ b &= 2\end{aligned}"),
]


@pytest.mark.parametrize("name, expr, expected", CASES, ids=[c[0] for c in CASES])
def test_latex(name, expr, expected):
    assert latex(expr) == expected


def test_no_blackboard_identity():
    assert r"\mathbb{I}" not in latex(sp.Identity(n) * X - sp.Identity(n))
