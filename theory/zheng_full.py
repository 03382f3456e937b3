r"""The population gradient of *all* parameters of Zheng et al.'s model, at small (d, T).

Every entry of :math:`W^{PV}\in\mathbb{C}^{d\times 2d}` and :math:`W^{KQ}\in\mathbb{C}^{2d\times 2d}`
is a pair of real symbols :math:`u + i v`; the exact population gradient
(:func:`theory.zheng_population.population_derivatives`, phase lemma and exact moments) is then a
polynomial vector field on :math:`\mathbb{R}^{2(2d^2 + 4d^2)}` whose flow numerics integrates
(:func:`numerics.population.integrate_full_population`). No block structure is assumed: this
is the level at which claim C1 (invariance of :math:`M_{A,B}`) is a statement about the flow.

References
----------
Zheng et al. (2024), Sec. 3 (gradient flow on the full parameters); spec ``zheng2024.md`` section 2.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .causal_attention import check_sizes
from .moments import TokenLaw
from .zheng_population import population_derivatives


def _real_pair_matrix(name: str, rows: int, cols: int):
    re = [[sp.Symbol(f"{name}_re_{i}{j}", real=True) for j in range(cols)] for i in range(rows)]
    im = [[sp.Symbol(f"{name}_im_{i}{j}", real=True) for j in range(cols)] for i in range(rows)]
    matrix = sp.Matrix(rows, cols, lambda i, j: re[i][j] + sp.I * im[i][j])
    return re, im, matrix


@dataclass
class FullPopulationGradient:
    """The exact population loss and real-coordinate gradient of every parameter.

    Attributes
    ----------
    d, T : int
    params : tuple of nested lists of Symbol
        ``(PV_re, PV_im, KQ_re, KQ_im)``, shapes (d, 2d), (d, 2d), (2d, 2d), (2d, 2d).
    loss : sympy.Expr
    grad : tuple of nested lists of sympy.Expr
        ``(dL/dPV_re, dL/dPV_im, dL/dKQ_re, dL/dKQ_im)``, same shapes as ``params``.
    """

    d: int
    T: int
    params: tuple
    loss: sp.Expr
    grad: tuple

    def function(self):
        """``f(PV_re, PV_im, KQ_re, KQ_im) -> grad`` lambdified with ``cse=True`` (NumPy arrays in/out).

        Arrays of the shapes of ``params`` unpack into the nested argument lists.
        """
        return sp.lambdify(list(self.params), list(self.grad), modules="numpy", cse=True)


def full_population_gradient(d: int, T: int, law: TokenLaw) -> FullPopulationGradient:
    """Derive the exact population gradient of all ``2 (2 d^2 + 4 d^2)`` real parameters.

    Parameters
    ----------
    d : int, >= 1
    T : int, >= 3
    law : TokenLaw
        Law of the initial token (exact moments).

    Returns
    -------
    FullPopulationGradient

    Examples
    --------
    >>> from theory.moments import RealGaussian
    >>> g = full_population_gradient(1, 3, RealGaussian(1, sigma=1))
    >>> len(g.grad[2]), len(g.grad[2][0])
    (2, 2)
    """
    check_sizes(d, T)
    if not isinstance(law, TokenLaw):
        raise ValueError(f"law must be a theory.moments.TokenLaw (got {type(law).__name__}): e.g. RealGaussian(d, 1)")
    pv_re, pv_im, W_PV = _real_pair_matrix("PV", d, 2 * d)
    kq_re, kq_im, W_KQ = _real_pair_matrix("KQ", 2 * d, 2 * d)
    symbols = [s for block in (pv_re, pv_im, kq_re, kq_im) for row in block for s in row]
    deriv = population_derivatives(d, T, W_PV, W_KQ, law, params=symbols)

    def split(G: sp.Matrix):
        parts = [[sp.expand(G[i, j]).as_real_imag() for j in range(G.cols)] for i in range(G.rows)]
        return [[p[0] for p in row] for row in parts], [[p[1] for p in row] for row in parts]

    g_pv_re, g_pv_im = split(deriv.grad_PV)
    g_kq_re, g_kq_im = split(deriv.grad_KQ)
    return FullPopulationGradient(d, T, (pv_re, pv_im, kq_re, kq_im), deriv.loss,
                                  (g_pv_re, g_pv_im, g_kq_re, g_kq_im))
