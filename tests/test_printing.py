"""The paper-style LaTeX printer."""
import pytest
import sympy as sp

from theory.printing import at_sizes, latex

n = sp.Symbol("n", integer=True, positive=True)
X = sp.MatrixSymbol("X", n, n)

CASES = [
    ("transpose", X.T, r"X^\top"),
    ("identity", sp.Identity(n) + X, "I + X"),
    ("named W_KQ", sp.MatrixSymbol("W_KQ", n, n), "W^{KQ}"),
    ("named W_PV", sp.MatrixSymbol("W_PV", n, n), "W^{PV}"),
    ("query", sp.MatrixSymbol("x_test", n, 1), r"x_{\mathrm{test}}"),
    ("harmonic", sp.harmonic(sp.Symbol("T") - 2), "H_{T - 2}"),
    ("harmonic of order 2", sp.harmonic(n, 2), "H_{n}^{(2)}"),
    ("transpose of a superscripted name", sp.MatrixSymbol("W_KQ", n, n).T, r"W^{KQ\top}"),
    ("transpose of a block", sp.MatrixSymbol("W_KQ_21", n, n).T, r"\left(W^{KQ}_{21}\right)^\top"),
    ("von Oswald's W_K", sp.MatrixSymbol("W_K", n, n), "W_{K}"),
    ("W_0 first", sp.MatrixSymbol("W_0", n, n) - sp.Symbol("eta") * X, r"W_{0} - \eta X"),
    ("1 - gamma lambda", (1 - sp.Symbol("gamma") * sp.Symbol("lambda")) ** 2,
     r"\left(1 - \gamma \lambda\right)^{2}"),
    ("dot in flow time", sp.Derivative(sp.Function("a")(sp.Symbol("tau")), sp.Symbol("tau")), r"\dot{a}"),
    ("limit", sp.Limit(sp.Function("a")(sp.Symbol("tau")), sp.Symbol("tau"), sp.oo), r"\lim_{\tau \to \infty} a"),
    ("at sizes", at_sizes(sp.Eq(sp.Symbol("a"), 1), d=2, T=4), r"a = 1 \qquad \left(d = 2,\ T = 4\right)"),
    ("not equal row", (sp.Ne(sp.Symbol("a"), 0, evaluate=False),), r"\begin{aligned}a &\neq 0\end{aligned}"),
    ("equations", (sp.Eq(sp.Symbol("a"), 1), sp.Eq(sp.Symbol("b"), 2)),
     r"\begin{aligned}a &= 1 \\ b &= 2\end{aligned}"),
]


@pytest.mark.parametrize("name, expr, expected", CASES, ids=[c[0] for c in CASES])
def test_latex(name, expr, expected):
    assert latex(expr) == expected


def test_no_blackboard_identity():
    assert r"\mathbb{I}" not in latex(sp.Identity(n) * X - sp.Identity(n))
