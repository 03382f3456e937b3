"""Seeded samplers for the two papers' data.

All samplers take a :class:`numpy.random.Generator` (or a seed) and return arrays; nothing
here touches global random state.
"""
from __future__ import annotations

import numpy as np

from theory.validation import require_bool, require_int, require_positive

#: Laws of the initial token z = x_1 in Zheng et al. (spec section 1).
ZHENG_LAWS = ("gaussian", "sparse", "full-one", "rademacher")


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None and (isinstance(rng, bool) or not isinstance(rng, (int, np.integer))):
        raise TypeError(f"rng must be a numpy.random.Generator, a non-negative int seed or None (got {rng!r})")
    if rng is not None and rng < 0:
        raise ValueError(f"rng must be a non-negative int seed (got {rng}): seeds are >= 0")
    return np.random.default_rng(rng)


def _check_md(m, d) -> None:
    require_int("m", m, 1, "the number of sequences")
    require_int("d", d, 1, "the token dimension")


def sample_initial_tokens(m: int, d: int, law: str = "gaussian", scale: float = 1.0, rng=None) -> np.ndarray:
    """Draw ``m`` initial tokens ``z`` (real-valued, stored complex), shape ``(m, d)``.

    Parameters
    ----------
    law : {"gaussian", "sparse", "full-one", "rademacher"}
        gaussian: N(0, scale^2 I); sparse: scale * s * e_k with k uniform, s = +-1 uniform;
        full-one: all ones (``scale`` ignored, as in the authors' code); rademacher: scale * (+-1)^d.
    """
    _check_md(m, d)
    require_positive("scale", scale, "the scale of the initial token")
    if law not in ZHENG_LAWS:
        raise ValueError(f"unknown law {law!r}: choose one of {', '.join(ZHENG_LAWS)}")
    rng = _rng(rng)
    if law == "gaussian":
        z = scale * rng.standard_normal((m, d))
    elif law == "sparse":
        z = np.zeros((m, d))
        k = rng.integers(0, d, size=m)
        s = rng.integers(0, 2, size=m) * 2.0 - 1.0
        z[np.arange(m), k] = scale * s
    elif law == "full-one":
        z = np.ones((m, d))
    elif law == "rademacher":
        z = scale * (rng.integers(0, 2, size=(m, d)) * 2.0 - 1.0)
    else:
        raise ValueError(f"unknown law {law!r}: choose one of {', '.join(ZHENG_LAWS)}")
    return z.astype(np.complex128)


def sample_phases(m: int, d: int, rng=None) -> np.ndarray:
    """Diagonals ``lambda_j = exp(i theta_j)``, theta uniform on [0, 2 pi); shape ``(m, d)``."""
    _check_md(m, d)
    rng = _rng(rng)
    return np.exp(1j * rng.uniform(0.0, 2.0 * np.pi, size=(m, d)))


def zheng_sequences(m: int, T: int, d: int, law: str = "gaussian", scale: float = 1.0, rng=None,
                    return_params: bool = False, dtype=np.complex128):
    """Sequences ``x_{t+1} = W x_t``, ``W = diag(lambda)`` fresh per sequence, ``x_1 = z``.

    ``dtype=np.complex64`` stores the sequences in single precision (half the memory, what a
    single-precision run reads): the values are the complex128 ones rounded once, computed a
    block of sequences at a time, so the same seed gives the same sequences in either dtype.

    Returns
    -------
    x : ndarray, shape (m, T, d), ``dtype`` (complex128 or complex64)
        ``x[:, t-1, j] = lambda_j^(t-1) z_j`` (0-based time axis).
    (lam, z) : optional, shapes (m, d) each
    """
    require_int("T", T, 3, "the first prediction needs two context tokens")
    _check_md(m, d)
    require_bool("return_params", return_params)
    if T < 3:
        raise ValueError(f"T must be an integer >= 3 (got {T}): the first prediction needs two context tokens.")
    rng = _rng(rng)
    lam = sample_phases(m, d, rng)
    z = sample_initial_tokens(m, d, law, scale, rng)
    # x_t = lambda^(t-1) z by a cumulative product over time: linear in T (an integer power
    # lam ** arange(T) leaves NumPy's fast path above exponent 100 and is ~10x slower at T = 200);
    # the relative error grows like t * eps (about 1e-13 at T = 1000).
    if np.dtype(dtype) not in (np.dtype(np.complex128), np.dtype(np.complex64)):
        raise ValueError(f"dtype must be numpy.complex128 or numpy.complex64 (got {dtype!r}): the precision "
                         f"the sequences are stored in")
    x = np.empty((m, T, d), dtype=dtype)
    step = m if x.dtype == np.complex128 else 64                   # complex128 scratch of 64 sequences
    for s in range(0, m, step):
        blk = x[s:s + step] if x.dtype == np.complex128 else np.empty((min(step, m - s), T, d), np.complex128)
        blk[:, 0] = z[s:s + step]
        blk[:, 1:] = lam[s:s + step, None, :]
        np.cumprod(blk, axis=1, out=blk)
        if blk.base is not x:
            x[s:s + step] = blk
    return (x, (lam, z)) if return_params else x


def oswald_tasks(batch: int, N: int = 10, Nx: int = 10, r: float = 1.0, rng=None):
    """Linear-regression tasks of von Oswald et al.: ``y = w^T x``, ``w ~ N(0, I)``, Ny = 1.

    Inputs are uniform on ``(-r/2, r/2)^Nx``: ``r = 1`` is the authors' code (U(-0.5, 0.5)),
    ``r = 2`` is the paper's text (U(-1, 1)).

    Returns
    -------
    X : ndarray, shape (batch, N, Nx)      context inputs
    Y : ndarray, shape (batch, N)          context targets
    x_test : ndarray, shape (batch, Nx)
    y_test : ndarray, shape (batch,)
    """
    require_int("batch", batch, 1, "the number of tasks")
    require_int("N", N, 1, "the number of in-context examples")
    require_int("Nx", Nx, 1, "the input dimension")
    require_positive("r", r, "inputs are U(-r/2, r/2)")
    rng = _rng(rng)
    w = rng.standard_normal((batch, Nx))
    X = rng.uniform(-r / 2, r / 2, size=(batch, N + 1, Nx))
    Y = (X @ w[:, :, None])[:, :, 0]
    return X[:, :N], Y[:, :N], X[:, N], Y[:, N]
