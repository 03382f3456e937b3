"""Metrics shared by the simulations: sampling error of the empirical limit of ab."""
from __future__ import annotations

import numpy as np

from theory.validation import require_finite_array, require_int


def diagonal_statistics(x: np.ndarray, chunk: int = 500):
    """Per-sequence coefficients of the empirical loss restricted to M_{a,b}.

    With ``v_t = (1/(t-1)) sum_{i=2}^t x_i x_{i-1}^H x_t`` (the prediction at ab = 1), the loss of
    sequence n on the manifold is ``(1/2) K_n u^2 - J_n u + const`` with
    ``K_n = sum_t ||v_t||^2`` and ``J_n = sum_t Re(x_{t+1}^H v_t)``.

    Returns
    -------
    K, J : ndarray, shape (m,)
    """
    x = _check_sequences(x)
    require_int("chunk", chunk, 1, "sequences per block")
    m, T, d = x.shape
    Ks, Js = [], []
    rho = np.arange(1, T - 1, dtype=float)[None, :, None]
    for s in range(0, m, chunk):
        xc = x[s:s + chunk]
        xs, xp = xc[:, 1:T - 1], xc[:, 0:T - 2]                     # x_i, x_{i-1} for i = 2..T-1
        D = xs[:, :, :, None] * xp.conj()[:, :, None, :]
        np.cumsum(D, axis=1, out=D)
        v = (D @ xs[:, :, :, None])[..., 0] / rho
        Ks.append(np.sum(np.abs(v) ** 2, axis=(1, 2)))
        Js.append(np.sum((xc[:, 2:].conj() * v).real, axis=(1, 2)))
    return np.concatenate(Ks), np.concatenate(Js)


def _check_sequences(x):
    x = require_finite_array("x", x, ndim=3, why="sequences of shape (m, T, d)")
    require_int("T", x.shape[1], 3, "x must have T >= 3 tokens per sequence (axis 1)")
    return x


def empirical_limit_with_error(x: np.ndarray):
    """Minimiser ``u_hat = sum J_n / sum K_n`` of the empirical loss on M_{a,b}, and its standard
    error as an estimate of the population limit (delta method over i.i.d. sequences):

    .. math:: \\mathrm{se}(\\hat u) \\approx \\frac{\\mathrm{sd}(J_n - \\hat u K_n)}{\\sqrt m\\, \\bar K}
    """
    x = _check_sequences(x)
    if x.shape[0] < 2:
        raise ValueError(f"x must hold at least 2 sequences for a standard error (got {x.shape[0]})")
    K, J = diagonal_statistics(x)
    u = J.sum() / K.sum()
    se = float(np.std(J - u * K, ddof=1) / (np.sqrt(len(K)) * K.mean()))
    return float(u), se
