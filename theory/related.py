r"""Closed forms of the related work (spec ``related.md``), derived from their definitions.

1. One-step GD with label noise: the mean-squared-error optimal step (section N).
2. The moment identity of Zhang, Frei and Bartlett (2023):
   :math:`\mathbb{E}[(XX^\top/N)^2] = \Gamma\Lambda`, :math:`\Gamma = (1 + 1/N)\Lambda + \mathrm{tr}(\Lambda)/N\, I`.

Both are derived for symbolic ``N`` (or ``n``) by the in-context regression task
(:class:`theory.tasks.InContextRegression`): set partitions of the samples in the context sums (exact
for every N), with Gaussian moments at concrete dimension d.

Label noise
-----------

Model: :math:`x_i, x_q \sim N(0, I_d)`, :math:`w \sim N(0, I_d)`, :math:`y_i = w^\top x_i + \epsilon_i`,
:math:`\epsilon_i \sim N(0, s^2)`, all independent; predictor
:math:`\hat y = \eta\, \frac1n \sum_i y_i x_i^\top x_q` (one GD step from 0 on the in-context
least-squares loss). The risk :math:`R(\eta) = \mathbb{E}(\hat y - w^\top x_q)^2` is derived by the
model-description pipeline (:func:`one_step_risk`: the model with its weights fixed at one GD step) for
symbolic ``n``; it amounts to, with :math:`v = \frac1n\sum_i y_i x_i`,

.. math:: \mathbb{E}\|v\|^2 = \tfrac1n\,\mathbb{E}[y_1^2\|x_1\|^2]
          + \tfrac{n-1}{n}\,\mathbb{E}[y_1 y_2\, x_1^\top x_2]

(the split of the double sum into equal and distinct indices, exact for every n), and each
single- or two-sample expectation is a Gaussian moment functional on monomials at concrete d.
"""
from __future__ import annotations

import sympy as sp

n_sym = sp.Symbol("n", integer=True, positive=True)
N_sym = sp.Symbol("N", integer=True, positive=True)
s_sym = sp.Symbol("s", positive=True)
eta_sym = sp.Symbol("eta", real=True)


def one_step_risk(d: int) -> sp.Expr:
    """:math:`R(\\eta)` for symbolic ``n``, ``s`` and ``eta`` at dimension ``d``.

    An instance of the model-description pipeline: the one-layer model with its weights fixed at one GD
    step, :math:`W^{KQ} = \\mathrm{diag}(I_d, 0)`, value row :math:`(0, \\dots, 0, \\eta)`, on in-context
    regression with label-noise variance :math:`s^2`; its population risk :math:`2L` (exact for every
    ``n``, :func:`theory.derive.population_loss`).

    Parameters
    ----------
    d : int, >= 1

    Returns
    -------
    sympy.Expr
        A quadratic polynomial in ``eta`` with coefficients rational in ``n`` and ``s``.
    """
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d must be an integer >= 1 (got {d!r}): the input dimension")
    from .derive import population_loss
    from .models import N as N_model
    from .models import LinearAttention
    from .tasks import InContextRegression

    gd_step = {"W_KQ_1": sp.diag(*([1] * d + [0])), "v_1": sp.Matrix([0] * d + [eta_sym])}
    model = LinearAttention(D=d, fixed=gd_step, name="one GD step")
    risk = population_loss(model, InContextRegression(d, noise=s_sym ** 2), scale=1).at({})
    return sp.expand(risk.subs(N_model, n_sym))


def optimal_step(d: int) -> sp.Expr:
    """The minimiser of :func:`one_step_risk` over ``eta`` (its derivative's root)."""
    risk = one_step_risk(d)
    (root,) = sp.solve(sp.diff(risk, eta_sym), eta_sym)
    return sp.factor(root)


def zfb_second_moment(d: int) -> tuple[sp.Matrix, sp.Matrix]:
    r""":math:`\mathbb{E}[(XX^\top/N)^2]` for ``x_i ~ N(0, diag(lambda_1..lambda_d))`` iid, symbolic N.

    Derived as :math:`\sum_k \mathbb{E}[S_{ik} S_{kj}]/N^2` with :math:`S = XX^\top` by the task's exact
    context-sum moments (:meth:`theory.tasks.InContextRegression.context_moment`).

    Returns
    -------
    (moment, Lambda) : Matrix, shape (d, d) each

    References
    ----------
    Zhang, Frei, Bartlett (2023), JMLR 2024, arXiv 2306.09927 (definition of Gamma).
    """
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d must be an integer >= 1 (got {d!r}): the input dimension")
    from .tasks import InContextRegression

    lam = sp.symbols(f"lambda_1:{d + 1}", positive=True)
    Lambda = sp.diag(*lam)
    # (XX^T)^2_{ij} = sum_k S_ik S_kj with S = sum_n x_n x_n^T: the task's exact moments of its context sums
    task = InContextRegression(d, covariance=list(lam))
    moment = sp.Matrix(d, d, lambda i, j: sum(task.context_moment(((int(i), k), (k, int(j))), N_sym)
                                              for k in range(d)) / N_sym ** 2)
    return moment.applyfunc(sp.expand), Lambda

