"""Numerical callables lambdified from the symbolic von Oswald layer and GD step.

Lambdify happens here, once per construction, so that float checks run the very
expressions the exact checks prove things about. NumPy is imported by the generated code,
not by this module.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.matrices.expressions import MatrixSymbol

from .attention import Tokens, lsa_layer
from .constructions import gd_construction, gdpp_construction, regression_prompt
from .least_squares import gd_step


def _state_symbols(prompt):
    y_query = MatrixSymbol("y_test", prompt.Ny, 1)
    return Tokens(prompt.X, prompt.Y, prompt.x_query, y_query)


def _clean(expr):
    return expr.doit() if isinstance(expr, sp.MatrixExpr) else expr


def layer_function(construction=None):
    """``f(X, Y, x_test, y_test, W0, eta, N) -> (X', Y', x_test', y_test')`` for one layer."""
    return _layer_function(construction or gd_construction)


@lru_cache(maxsize=8)
def _layer_function(construction):
    prompt = regression_prompt()
    state = _state_symbols(prompt)
    weights = construction(prompt)
    out = lsa_layer(weights.W_PV, weights.W_KQ, state)
    outputs = [_clean(e) for e in (out.X, out.Y, out.x_query, out.y_query)]
    args = [state.X, state.Y, state.x_query, state.y_query, prompt.W0, prompt.eta, prompt.N]
    return sp.lambdify(args, outputs, modules="numpy", cse=True)


@lru_cache(maxsize=1)
def gd_step_function():
    """``f(W, X, Y, eta, N) -> W - eta grad L(W)`` lambdified from the derived gradient."""
    prompt = regression_prompt()
    W = MatrixSymbol("W", prompt.Ny, prompt.Nx)
    step = _clean(gd_step(W, prompt.X, prompt.Y, prompt.N, prompt.eta))
    return sp.lambdify([W, prompt.X, prompt.Y, prompt.eta, prompt.N], step, modules="numpy", cse=True)


def gdpp_x_update_function(construction=None):
    """``f(X, gamma, N) -> X'``: the x-part of the GD++ layer on the context tokens."""
    return _gdpp_x_update(construction or gdpp_construction)


@lru_cache(maxsize=8)
def _gdpp_x_update(construction):
    prompt = regression_prompt()
    gamma = sp.Symbol("gamma")
    weights = construction(prompt, gamma)
    out = lsa_layer(weights.W_PV, weights.W_KQ, prompt.tokens())
    return sp.lambdify([prompt.X, gamma, prompt.N], _clean(out.X), modules="numpy", cse=True)
