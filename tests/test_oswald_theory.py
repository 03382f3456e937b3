"""The von Oswald model: bad input is refused with a message naming the argument and fix;
the exact representations agree with each other."""
from __future__ import annotations

import pytest
import sympy as sp

from theory.attention import Tokens, lsa_layer
from theory.constructions import gd_construction, gdpp_construction, regression_prompt
from theory.matrix_algebra import matrix_terms, reduced_terms

BAD_SIZES = [
    ("negative", (-1, 1, 3), "Nx must be a positive integer"),
    ("zero", (2, 0, 3), "Ny must be a positive integer"),
    ("non-integer", (2, 1, 2.5), "N must be a positive integer"),
    ("string", ("3", 1, 3), "Nx must be a positive integer"),
    ("bool", (True, 1, 3), "Nx must be a positive integer"),
]


@pytest.mark.parametrize("name, sizes, message", BAD_SIZES, ids=[b[0] for b in BAD_SIZES])
def test_bad_sizes(name, sizes, message):
    with pytest.raises(ValueError, match=message):
        regression_prompt(*sizes)


def test_unassumed_size_symbol_refused():
    with pytest.raises(ValueError, match="positive integer"):
        regression_prompt(sp.Symbol("n"), 1, 2)


def test_non_numeric_parameters():
    p = regression_prompt(2, 1, 3)
    with pytest.raises(ValueError, match="eta must be a number"):
        gd_construction(p, eta="fast")
    with pytest.raises(ValueError, match="gamma must be a number"):
        gdpp_construction(p, gamma=[1, 2])


def test_float_parameters_become_exact():
    w = gd_construction(regression_prompt(1, 1, 2, polynomial=False), eta=0.5)
    assert w.P[0][0][0, 0] == sp.Rational(1, 4)


MISMATCHED = [
    ("Y columns", lambda p: Tokens(p.X, sp.ones(1, 4), p.x_query, sp.zeros(1, 1)), "tokens.Y must have one column"),
    ("query shape", lambda p: Tokens(p.X, p.Y, sp.ones(3, 1), sp.zeros(1, 1)), "tokens.x_query must have shape"),
]


@pytest.mark.parametrize("name, make, message", MISMATCHED, ids=[m[0] for m in MISMATCHED])
def test_mismatched_shapes(name, make, message):
    p = regression_prompt(2, 1, 3, polynomial=False)
    w = gd_construction(p)
    with pytest.raises(ValueError, match=message):
        lsa_layer(w.W_PV, w.W_KQ, make(p))


def test_mismatched_weight_block():
    p = regression_prompt(2, 1, 3, polynomial=False)
    w = gd_construction(p)
    bad = [[sp.eye(3), None], [None, None]]
    with pytest.raises(ValueError, match=r"W_PV block \(0, 0\) must have shape \(2, 2\)"):
        lsa_layer(bad, w.W_KQ, p.tokens())


def test_polynomial_and_plain_representations_agree():
    # The same layer output computed with expanded polynomial matrices and plain SymPy matrices.
    fast, plain = regression_prompt(2, 1, 3), regression_prompt(2, 1, 3, polynomial=False)
    a = lsa_layer(*(lambda w: (w.W_PV, w.W_KQ))(gd_construction(fast)), fast.tokens())
    b = lsa_layer(*(lambda w: (w.W_PV, w.W_KQ))(gd_construction(plain)), plain.tokens())
    assert (a.Y.to_sympy() - b.Y).applyfunc(sp.expand) == sp.zeros(1, 3)


def test_normal_form_expands_powers_and_products():
    n = sp.Symbol("n", integer=True, positive=True)
    X = sp.MatrixSymbol("X", n, n)
    g = sp.Symbol("g")
    S = X * X.T
    lhs = (sp.Identity(n) - g * S) ** 2
    rhs = sp.Identity(n) - 2 * g * S + g ** 2 * S * S
    assert reduced_terms(lhs - rhs) == {}
    # Non-commutativity is kept: X X^T != X^T X.
    assert reduced_terms(X * X.T - X.T * X) != {}
    assert matrix_terms((X * X).T) == {(X.T, X.T): 1}
