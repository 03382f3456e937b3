"""Training loops: Zheng et al.'s full-batch GD on sampled sequences and von Oswald et al.'s
one-layer LSA with Adam, both with analytic NumPy gradients.

Complex-gradient convention (Zheng model)
-----------------------------------------
For a real loss L of a complex parameter w = u + i v we use

.. math:: \\operatorname{grad}_w L = \\partial L/\\partial u + i\\, \\partial L/\\partial v
          = 2\\, \\partial L / \\partial \\bar w,

and gradient descent ``w <- w - lr * grad``. This is what PyTorch's autograd puts in ``.grad``
for complex leaves (e.g. L = |w|^2 gives grad = 2 w), so our runs are step-for-step the
authors' ``torch.optim.SGD`` runs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from theory.validation import (require_bool, require_callable, require_choice, require_finite, require_finite_array,
                               require_int, require_positive)

from . import fused, sampling


def _check_tasks(X, Y, x_test, y_test=None):
    """von Oswald tasks: X (B, N, Nx), Y (B, N), x_test (B, Nx), y_test (B,), all finite and real."""
    X = require_finite_array("X", X, ndim=3, why="tasks of shape (B, N, Nx)", complex_ok=False)
    B, N, Nx = X.shape
    Y = require_finite_array("Y", Y, shape=(B, N), why="one target per context input", complex_ok=False)
    x_test = require_finite_array("x_test", x_test, shape=(B, Nx), why="one query per task", complex_ok=False)
    if y_test is not None:
        y_test = require_finite_array("y_test", y_test, shape=(B,), why="one query target per task", complex_ok=False)
    return X, Y, x_test, y_test


def _check_lsa_weights(W_PV, W_KQ, Nx):
    shape = (Nx + 1, Nx + 1)
    return (require_finite_array("W_PV", W_PV, shape=shape, why=f"W_PV is (Nx+1, Nx+1) with Nx = {Nx}", complex_ok=False),
            require_finite_array("W_KQ", W_KQ, shape=shape, why=f"W_KQ is (Nx+1, Nx+1) with Nx = {Nx}", complex_ok=False))


def _check_zheng_data(name, x):
    x = require_finite_array(name, x, ndim=3, why="sequences of shape (m, T, d)")
    require_int("T", x.shape[1], 3, f"{name} needs T >= 3 tokens per sequence (axis 1)")
    return x

# --------------------------------------------------------------------------------------------
# Zheng et al.: the causal linear self-attention on embedded sequences
# --------------------------------------------------------------------------------------------


def embed(x: np.ndarray) -> np.ndarray:
    """Embeddings ``e_i = (x_i ; x_{i-1})`` with ``x_0 = 0``; shape (m, T, d) -> (m, T, 2d)."""
    prev = np.zeros_like(x)
    prev[:, 1:] = x[:, :-1]
    return np.concatenate([x, prev], axis=2)


def diagonal_init(d: int, a0: float, b0: float):
    """``W^KQ = [[0, 0], [a0 I, 0]]`` and ``W^PV = [b0 I, 0]`` (Assumption 3.1), complex128."""
    Q = np.zeros((2 * d, 2 * d), dtype=np.complex128)
    Q[d:, :d] = a0 * np.eye(d)
    P = np.zeros((d, 2 * d), dtype=np.complex128)
    P[:, :d] = b0 * np.eye(d)
    return P, Q


def _check_T(T: int) -> None:
    if T < 3:
        raise ValueError(f"T must be an integer >= 3 (got {T}): the first prediction needs two context tokens.")


class ZhengPrefix:
    """Parameter-free prefix sums ``S_t = sum_{i<=t} e_i e_i^H`` (t = 2..T-1) of a set of
    sequences, computed once and reused every epoch, stored by chunks of sequences.

    Parameters
    ----------
    x : ndarray, shape (m, T, d), complex
    chunk : int
        Sequences per chunk.
    dtype : numpy complex dtype
        ``np.complex64`` halves memory and time and is the authors' precision (``torch.cfloat``);
        gradients then carry relative errors of order 1e-6. ``np.complex128`` is exact to rounding.
    """

    def __init__(self, x: np.ndarray, chunk: int = 1000, dtype=np.complex128):
        m, T, d = x.shape
        _check_T(T)
        self.m, self.T, self.d, self.dtype = m, T, d, np.dtype(dtype)
        self.chunks = [_prefix_full(x[s:s + chunk], self.dtype) for s in range(0, m, chunk)]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for ch in self.chunks for a in ch)

    @staticmethod
    def bytes_needed(m: int, T: int, d: int, dtype=np.complex128) -> int:
        return m * (T - 2) * (4 * d * d + 3 * d) * np.dtype(dtype).itemsize


def _prefix_full(xc, dtype):
    """Per chunk: e_t (t = 2..T-1), targets x_{t+1}, and S_t / (t-1), all in ``dtype``."""
    xc, C, D = _prefix(xc)
    c, T, d = xc.shape
    S = np.empty((c, T - 2, 2 * d, 2 * d), dtype=dtype)
    S[..., :d, :d] = C[:, 1:]
    S[..., :d, d:] = D[:, 1:]
    S[..., d:, :d] = D[:, 1:].conj().swapaxes(-1, -2)
    S[..., d:, d:] = C[:, :-1]
    S /= np.arange(1, T - 1, dtype=S.real.dtype)[None, :, None, None]
    et = np.concatenate([xc[:, 1:T - 1], xc[:, 0:T - 2]], axis=2).astype(dtype)
    return et, xc[:, 2:].astype(dtype), S


def _prefix(xc):
    xc = np.ascontiguousarray(xc, dtype=np.complex128)
    n = xc.shape[1] - 1                                             # tokens e_1..e_{T-1}
    xs = xc[:, :n]
    xp = np.zeros_like(xs)
    xp[:, 1:] = xs[:, :-1]
    C = xs[:, :, :, None] * xs.conj()[:, :, None, :]
    np.cumsum(C, axis=1, out=C)                                     # C_t, t = 1..T-1
    D = xs[:, :, :, None] * xp.conj()[:, :, None, :]
    np.cumsum(D, axis=1, out=D)                                     # D_t
    return xc, C, D


def _map(fn, items, threads):
    if threads > 1 and len(items) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as ex:
            return list(ex.map(fn, items))
    return [fn(it) for it in items]


def zheng_loss_and_grad(x, P: np.ndarray, Q: np.ndarray, chunk: int = 100,
                        need_grad: bool = True, threads: int = 2):
    """Empirical loss and gradients of the causal LSA, vectorised over sequences and time.

    .. math:: L = \\frac1m \\sum_{n=1}^m \\sum_{t=2}^{T-1} \\tfrac12
              \\Big\\| \\tfrac{1}{t-1} W^{PV} S_t W^{KQ} e_t - x_{t+1} \\Big\\|^2,
              \\qquad S_t = \\sum_{i \\le t} e_i e_i^H

    The prefix sums ``S_t`` come from one cumulative sum over time (see :class:`ZhengPrefix`),
    so there is no loop over t. Chunks of sequences run on ``threads`` threads (NumPy releases
    the GIL).

    Parameters
    ----------
    x : ndarray, shape (m, T, d), complex, or ZhengPrefix, or fused.FusedData
        Sequences, their precomputed prefix sums (faster when called every epoch), or the
        sequences in the layout of the fused numba kernel (:mod:`numerics.fused`, fastest).
    P : ndarray, shape (d, 2d)        ``W^PV``
    Q : ndarray, shape (2d, 2d)       ``W^KQ``
    chunk : int
        Sequences per chunk when ``x`` is an array; memory is about
        ``threads * 4 * chunk * T * d^2 * 16`` bytes.

    Returns
    -------
    loss : float
    grad_P : ndarray, shape (d, 2d)   (convention of the module docstring)
    grad_Q : ndarray, shape (2d, 2d)
    """
    if isinstance(x, fused.FusedData):
        d = x.d                                       # validated when it was built from an array
    elif isinstance(x, ZhengPrefix):
        d = np.asarray(P).shape[0]
    else:
        x = _check_zheng_data("x", x)
        d = x.shape[2]
    require_finite_array("P", P, shape=(d, 2 * d), why=f"W^PV is (d, 2d) with d = {d}")
    require_finite_array("Q", Q, shape=(2 * d, 2 * d), why=f"W^KQ is (2d, 2d) with d = {d}")
    require_int("chunk", chunk, 1, "sequences per block")
    require_int("threads", threads, 1, "worker threads")
    P = np.asarray(P, dtype=np.complex128)
    Q = np.asarray(Q, dtype=np.complex128)
    if isinstance(x, fused.FusedData):
        return fused.loss_and_grad(x, P, Q, need_grad, threads)
    if isinstance(x, ZhengPrefix):
        m = x.m
        parts = _map(lambda ch: _zheng_chunk_full(*ch, P, Q, need_grad), x.chunks, threads)
    else:
        m, T, d = x.shape
        _check_T(T)
        parts = _map(lambda s: _zheng_chunk(*_prefix(x[s:s + chunk]), P, Q, need_grad),
                     list(range(0, m, chunk)), threads)
    loss = sum(p[0] for p in parts) / m
    if not need_grad:
        return loss
    return loss, sum(p[1] for p in parts) / m, sum(p[2] for p in parts) / m


def _zheng_chunk_full(et, target, S, P, Q, need_grad):
    c, n, d2 = et.shape
    d = d2 // 2
    dt = S.dtype
    # C-contiguous small factors: a transposed (F-ordered) right factor takes a slow path in matmul
    QT = np.ascontiguousarray(Q.T, dtype=dt)
    PT = np.ascontiguousarray(P.T, dtype=dt)
    Pc = np.ascontiguousarray(P.conj(), dtype=dt)
    q = (et @ QT)[..., None]
    v = (S @ q)[..., 0]                                             # S_t Q e_t / (t-1)
    r = v @ PT
    r -= target                                                     # yhat_t - x_{t+1}
    loss = 0.5 * float(np.vdot(r, r).real)
    if not need_grad:
        return loss, None, None
    gP = (r.reshape(-1, d).T @ v.reshape(-1, d2).conj()).astype(np.complex128)
    h = (S @ (r @ Pc)[..., None])[..., 0]                           # S_t P^H r_t / (t-1)
    gQ = (h.reshape(-1, d2).T @ et.reshape(-1, d2).conj()).astype(np.complex128)
    return loss, gP, gQ


def _zheng_chunk(xc, C, D, P, Q, need_grad):
    c, T, d = xc.shape
    Ct, Cprev, Dt = C[:, 1:], C[:, :-1], D[:, 1:]                   # t = 2..T-1
    DtT = Dt.swapaxes(-1, -2)
    et = np.concatenate([xc[:, 1:T - 1], xc[:, 0:T - 2]], axis=2)   # e_2..e_{T-1}
    rho = np.arange(1, T - 1, dtype=float)[None, :, None]           # t - 1

    def S_times(u):                                                 # S_t u_t for all t
        u1, u2 = u[..., :d, None], u[..., d:, None]
        top = Ct @ u1 + Dt @ u2
        bot = (DtT @ u1.conj()).conj() + Cprev @ u2                 # D_t^H u1 + C_{t-1} u2
        return np.concatenate([top[..., 0], bot[..., 0]], axis=-1)

    q = et @ np.ascontiguousarray(Q.T)
    v = S_times(q)
    v /= rho
    r = v @ np.ascontiguousarray(P.T)
    r -= xc[:, 2:]                                                  # yhat_t - x_{t+1}
    loss = 0.5 * float(np.sum(r.real ** 2 + r.imag ** 2))
    if not need_grad:
        return loss, None, None
    gP = r.reshape(-1, d).T @ v.reshape(-1, 2 * d).conj()
    g = r @ np.ascontiguousarray(P.conj())
    g /= rho
    h = S_times(g)                                                  # S_t P^H r_t / (t-1)
    gQ = h.reshape(-1, 2 * d).T @ et.reshape(-1, 2 * d).conj()
    return loss, gP, gQ


def zheng_loss_and_grad_loop(x: np.ndarray, P: np.ndarray, Q: np.ndarray):
    """Reference implementation: the authors' per-t loop (``E_t E_t^H`` rebuilt at every t).

    Same value and convention as :func:`zheng_loss_and_grad`; used to test it.
    """
    m, T, d = x.shape
    _check_T(T)
    E = embed(x).transpose(0, 2, 1)                                 # (m, 2d, T) as in the code
    loss, gP, gQ = 0.0, np.zeros_like(P), np.zeros_like(Q)
    for t in range(2, T):
        Et = E[:, :, :t]
        et = Et[:, :, -1][:, :, None]
        S = Et @ Et.conj().transpose(0, 2, 1)
        v = S @ Q @ et / (t - 1)
        r = P @ v - E[:, :d, t][:, :, None]
        loss += 0.5 * float(np.sum(np.abs(r) ** 2))
        gP += np.sum(r @ v.conj().transpose(0, 2, 1), axis=0)
        gQ += np.sum(S @ (P.conj().T @ r) @ et.conj().transpose(0, 2, 1), axis=0) / (t - 1)
    return loss / m, gP / m, gQ / m


def last_step_gram(x: np.ndarray, chunk: int = 64) -> np.ndarray:
    """``S_{T-1} = sum_{i<=T-1} e_i e_i^H`` per sequence, shape (m, 2d, 2d).

    Written into one preallocated array, ``chunk`` sequences at a time: the temporaries (the
    embeddings of a chunk) stay small beside the result (``4 d^2`` complex numbers a sequence).
    """
    m, T, d = x.shape
    out = np.empty((m, 2 * d, 2 * d), dtype=np.result_type(x.dtype, np.complex64))
    for s in range(0, m, chunk):
        e = embed(x[s:s + chunk])[:, : T - 1]
        np.matmul(e.swapaxes(1, 2), e.conj(), out=out[s:s + chunk])
    return out


def last_prediction(x: np.ndarray, P, Q, S_last: np.ndarray | None = None) -> np.ndarray:
    """``yhat_{T-1}`` for every sequence, shape (m, d); ``S_last`` from :func:`last_step_gram`."""
    m, T, d = x.shape
    S = last_step_gram(x) if S_last is None else S_last
    e_last = np.concatenate([x[:, T - 2], x[:, T - 3]], axis=1)
    # the batched S_n q_n by einsum (matmul loops over the tiny matrices); the products with the
    # shared Q and P as one (m, 2d) x (2d, .) matmul each (about 2x faster than einsum at m = 1000)
    w = np.einsum("nab,nb->na", S, e_last @ np.asarray(Q).T)
    return (w @ np.asarray(P).T) / (T - 2)


def zheng_last_ratio(x: np.ndarray, P, Q, S_last=None) -> float:
    """Mean over sequences and coordinates of ``yhat_{T-1,j} / (x_{T,j} + 1e-5)``, real part.

    The ``+1e-5`` copies the authors' logging (their ``Ratio``). The ratio of two Gaussians is
    heavy-tailed, so this mean is noisy; :func:`zheng_last_ratio_median` is a robust companion.
    """
    return float(np.mean(last_prediction(x, P, Q, S_last) / (x[:, -1] + 1e-5)).real)


def zheng_last_ratio_median(x, P, Q, S_last=None) -> float:
    return float(np.median((last_prediction(x, P, Q, S_last) / (x[:, -1] + 1e-5)).real))


def ab_of(P: np.ndarray, Q: np.ndarray) -> float:
    """``mean_j Re(W^KQ_21)_jj Re(W^PV_11)_jj``, the authors' logged ``ab``."""
    d = P.shape[0]
    return float(np.mean(np.diag(Q[d:, :d]).real * np.diag(P[:, :d]).real))


def apply_mask(P: np.ndarray, Q: np.ndarray) -> None:
    """The authors' ``--clip``: zero the off-diagonal of ``W^PV_11`` and ``W^KQ_21`` in place."""
    d = P.shape[0]
    off = ~np.eye(d, dtype=bool)
    P[:, :d][off] = 0
    Q[d:, :d][off] = 0


@dataclass
class GDResult:
    """Outcome of :func:`zheng_gd`.

    Attributes
    ----------
    status : {"finished", "diverged"}
    message : str
    diverged_at : int or None      epoch whose update produced a non-finite or exploding loss
    epochs : ndarray, shape (n,)   0 = the initial model
    ab, ratio, test_loss, train_loss : ndarray, shape (n,)
    P, Q : final parameters (the last finite ones)
    seconds : float
    kernel : str
        The epoch kernel that ran (see :func:`zheng_gd`'s ``kernel``), never chosen silently:
        ``extra["kernel_reason"]`` says why, ``extra["operand_bytes"]`` what it stored.
    """

    status: str
    message: str
    diverged_at: int | None
    epochs: np.ndarray
    ab: np.ndarray
    ratio: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    kernel: str = ""


def zheng_gd(x_train: np.ndarray, x_test: np.ndarray | None, a0: float = 0.1, b0: float = 0.1,
             lr: float = 1e-4, epochs: int = 150, mask: bool = False, P0=None, Q0=None,
             log_ratio: bool = True, log_test_loss: bool = True, chunk: int = 100,
             blowup: float = 1e8, progress: Callable | None = None,
             memory_budget: float = 1.2e9, threads: int = 2, precision: str = "single",
             kernel: str = "auto") -> GDResult:
    """Full-batch gradient descent on the empirical loss, as the authors train (spec section 5).

    Parameters
    ----------
    x_train, x_test : ndarray, shape (m, T, d), complex
    a0, b0 : float
        Diagonal initialisation, unless ``P0, Q0`` are given.
    lr : float > 0
    epochs : int > 0
    mask : bool
        Apply the authors' ``--clip`` after every step.
    blowup : float
        Divergence is declared when the training loss is non-finite or exceeds
        ``blowup * max(1, initial loss)``.
    progress : callable (done, total, message), optional
        Called after every epoch (``done`` = epochs finished), and with ``done = 0`` before a
        one-time build of the fused kernel (compiled once per machine and ``d``).
    memory_budget : float
        Bytes allowed for what the epoch kernel stores for the training and test sets together
        (``KERNEL_BYTES[kernel](m, T, d, precision)`` each). An explicitly requested kernel that
        does not fit raises ValueError; ``kernel="auto"`` takes the first that fits.
    threads : int
        Threads of the epoch kernel (each runs on its share of the sequences).
    precision : {"single", "double"}
        Arithmetic of the stored operand: "single" (float32 / complex64, the authors'
        ``torch.cfloat``; relative gradient error ~1e-7) or "double". Parameters are always
        complex128; the "chunked" kernel is always double.
    kernel : {"auto", "fused", "fused_view", "prefix", "chunked"}
        "fused": one pass over the sequences computing loss and both gradients with running
        prefix sums (:mod:`numerics.fused`: compiled by the system's C compiler for d <= 8, else
        by numba, ``pip install 'mesacheck[fast]'``; ``$MESACHECK_FUSED_BACKEND`` chooses), on the
        sequences re-laid out once (``2 m T d`` floats per data set); "fused_view": the same kernel
        reading the caller's arrays in place, re-laying out one block at a time (least memory;
        each pass slower by 8-55% at d = 5, T = 100, see ``fused.FusedData``); "prefix": the prefix sums
        ``S_t`` stored once (:class:`ZhengPrefix`), batched NumPy products every epoch; "chunked":
        the prefix sums recomputed chunk by chunk every epoch (least memory without numba).
        "auto" takes fused, else fused_view, else prefix, else chunked, whichever runs and
        fits ``memory_budget``. The choice and its reason (with the fused kernel's backend) are in
        the result (``result.kernel``, ``result.extra["kernel_reason"]``).
    """
    x_train = _check_zheng_data("x_train", x_train)
    if x_test is not None:
        x_test = _check_zheng_data("x_test", x_test)
        if x_test.shape[1:] != x_train.shape[1:]:
            raise ValueError(f"x_test must have the (T, d) of x_train {x_train.shape[1:]} (got {x_test.shape[1:]})")
    for name, value in (("a0", a0), ("b0", b0)):
        require_finite(name, value)
    for name, value in (("mask", mask), ("log_ratio", log_ratio), ("log_test_loss", log_test_loss)):
        require_bool(name, value)
    require_int("chunk", chunk, 1, "sequences per block")
    require_int("threads", threads, 1, "worker threads")
    require_positive("memory_budget", memory_budget, "bytes for the precomputed prefix sums")
    require_positive("blowup", blowup, "the loss at which the run is called diverged")
    if progress is not None:
        require_callable("progress", progress, "a callable (done, total, message) or None")
    if precision not in ("single", "double"):
        raise ValueError(f"precision must be 'single' or 'double' (got {precision!r}).")
    if not lr > 0:
        raise ValueError(f"lr must be a positive step size (got {lr}): pass e.g. lr=1e-4.")
    if int(epochs) != epochs or epochs <= 0:
        raise ValueError(f"epochs must be a positive integer (got {epochs}).")
    start = time.perf_counter()
    d = x_train.shape[2]
    if P0 is None:
        P, Q = diagonal_init(d, a0, b0)
    else:
        P, Q = np.array(P0, dtype=np.complex128), np.array(Q0, dtype=np.complex128)
    if mask:
        apply_mask(P, Q)
    log = {"ab": [], "ratio": [], "test_loss": [], "train_loss": []}
    m, T, _ = x_train.shape
    _check_T(T)
    shapes = [x_train.shape] + ([x_test.shape] if (x_test is not None and log_test_loss) else [])
    kernel, reason, need = choose_kernel(shapes, precision, memory_budget, kernel,
                                         notify=None if progress is None else (lambda msg: progress(0, epochs, msg)))
    data = _operand(x_train, kernel, precision)
    test_data = _operand(x_test, kernel, precision) if len(shapes) > 1 else x_test
    S_last = last_step_gram(x_test) if (x_test is not None and log_ratio) else None

    def record(train_loss):
        log["ab"].append(ab_of(P, Q))
        log["train_loss"].append(train_loss)
        if x_test is not None and log_ratio:
            log["ratio"].append(zheng_last_ratio(x_test, P, Q, S_last))
        else:
            log["ratio"].append(np.nan)
        if x_test is not None and log_test_loss:
            log["test_loss"].append(zheng_loss_and_grad(test_data, P, Q, chunk, need_grad=False,
                                                         threads=threads))
        else:
            log["test_loss"].append(np.nan)

    status, message, diverged_at = "finished", f"{epochs} epochs", None
    loss0 = None
    for ep in range(epochs):
        loss, gP, gQ = zheng_loss_and_grad(data, P, Q, chunk, threads=threads)
        if loss0 is None:
            loss0 = loss
            record(loss)
        else:
            # the training loss of the model after epoch ep is computed at the start of epoch ep+1
            log["train_loss"][-1] = loss if np.isfinite(loss) else np.nan
        if not np.isfinite(loss) or loss > blowup * max(1.0, loss0):
            status, diverged_at = "diverged", ep
            message = (f"gradient descent diverged at epoch {ep} (training loss {loss:.3g}); "
                       f"lower the step size lr={lr:g}")
            break
        Pn, Qn = P - lr * gP, Q - lr * gQ
        if mask:
            apply_mask(Pn, Qn)
        if not (np.all(np.isfinite(Pn)) and np.all(np.isfinite(Qn))):
            status, diverged_at = "diverged", ep + 1
            message = f"gradient descent diverged at epoch {ep + 1} (non-finite parameters); lower lr={lr:g}"
            break
        P, Q = Pn, Qn
        record(np.nan)
        if progress is not None:
            progress(ep + 1, epochs, f"epoch {ep + 1}/{epochs} ab={log['ab'][-1]:.5f}")
    if status == "finished":
        log["train_loss"][-1] = zheng_loss_and_grad(data, P, Q, chunk, need_grad=False, threads=threads)
    n = len(log["ab"])
    return GDResult(status, message, diverged_at, np.arange(n), np.array(log["ab"]),
                    np.array(log["ratio"], dtype=float), np.array(log["test_loss"], dtype=float),
                    np.array(log["train_loss"], dtype=float),
                    P, Q, time.perf_counter() - start,
                    extra={"kernel_reason": reason, "operand_bytes": need, "memory_budget": memory_budget},
                    kernel=kernel)


#: Bytes each epoch kernel stores for one data set of shape (m, T, d) at a precision ("fused_view":
#: the scratch of one block per running thread, plus a converted copy of the sequences when they are
#: not already complex64 for "single" / complex128 for "double").
KERNEL_BYTES = {
    "fused": lambda m, T, d, precision: fused.FusedData.bytes_needed(
        m, T, d, np.float32 if precision == "single" else np.float64),
    "fused_view": lambda m, T, d, precision: fused.FusedData.bytes_needed(
        m, T, d, np.float32 if precision == "single" else np.float64, copy=False),
    "prefix": lambda m, T, d, precision: ZhengPrefix.bytes_needed(
        m, T, d, np.complex64 if precision == "single" else np.complex128),
    "chunked": lambda m, T, d, precision: 0,
}
KERNELS = ("auto",) + tuple(KERNEL_BYTES)


def choose_kernel(shapes, precision: str, memory_budget: float, kernel: str = "auto", notify=None):
    """The epoch kernel of :func:`zheng_gd` for data sets of the given shapes (``notify(message)``:
    called before the fused kernel is compiled, once per machine).

    Returns
    -------
    kernel : str
    reason : str
    operand_bytes : int      what the kernel stores for all the data sets together
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(KERNELS)} (got {kernel!r}).")
    if not memory_budget > 0:
        raise ValueError(f"memory_budget must be a positive number of bytes (got {memory_budget}).")

    def need(k):
        return int(sum(KERNEL_BYTES[k](*sh, precision) for sh in shapes))

    d = shapes[0][2]
    backend = None

    def fused_backend():
        """The fused kernel's backend at this d (built here, once), or the reason none runs."""
        nonlocal backend
        if backend is None:
            try:
                backend = fused.backend_for(d, notify=notify)[1]
            except RuntimeError as exc:
                backend = RuntimeError(str(exc))
        return backend

    if kernel != "auto":
        if kernel.startswith("fused") and isinstance(fused_backend(), RuntimeError):
            raise ValueError(f"kernel={kernel!r} cannot run: {fused_backend()}")
        if need(kernel) > memory_budget:
            raise ValueError(f"kernel={kernel!r} stores {need(kernel) / 1e9:.2f} GB, over memory_budget="
                             f"{memory_budget / 1e9:.2f} GB: raise memory_budget or pass kernel='chunked'.")
        return kernel, "requested" + (f"; backend {fused_backend()}" if kernel.startswith("fused") else ""), need(kernel)
    why = []
    for k in ("fused", "fused_view", "prefix", "chunked"):
        if k.startswith("fused") and isinstance(fused_backend(), RuntimeError):
            why.append(f"{k}: {fused_backend()}")
            continue
        if need(k) > memory_budget:
            why.append(f"{k}: {need(k) / 1e9:.2f} GB over the {memory_budget / 1e9:.2f} GB budget")
            continue
        return (k, "auto" + (f" ({'; '.join(why)})" if why else "")
                + (f"; backend {fused_backend()}" if k.startswith("fused") else ""), need(k))
    raise AssertionError("unreachable: the chunked kernel stores nothing")  # pragma: no cover


def _operand(x, kernel, precision):
    if kernel in ("fused", "fused_view"):
        # fused_view: the caller's array itself when it is already complex64 (single) / complex128 (double)
        return fused.FusedData(x, dtype=np.float32 if precision == "single" else np.float64,
                               copy=kernel == "fused")
    if kernel == "prefix":
        return ZhengPrefix(x, dtype=np.complex64 if precision == "single" else np.complex128)
    return x


# --------------------------------------------------------------------------------------------
# von Oswald et al.: one-layer linear self-attention on regression tasks
# --------------------------------------------------------------------------------------------


def lsa_predict(W_PV: np.ndarray, W_KQ: np.ndarray, X: np.ndarray, Y: np.ndarray, x_test: np.ndarray):
    """One LSA layer's prediction for a batch of tasks (von Oswald et al., section 2 of the spec).

    .. math:: \\hat y = -\\big[W_{PV} \\textstyle\\sum_{i=1}^N e_i e_i^\\top W_{KQ} (x_{test}, 0)\\big]_y

    Parameters
    ----------
    W_PV, W_KQ : ndarray, shape (Nx+1, Nx+1)
    X : ndarray, shape (B, N, Nx); Y : ndarray, shape (B, N); x_test : ndarray, shape (B, Nx)

    Returns
    -------
    yhat : ndarray, shape (B,)
    cache : tuple used by :func:`lsa_loss_and_grad`
    """
    X, Y, x_test, _ = _check_tasks(X, Y, x_test)
    Nx = X.shape[2]
    W_PV, W_KQ = _check_lsa_weights(W_PV, W_KQ, Nx)
    E = np.concatenate([X, Y[:, :, None]], axis=2)                  # (B, N, Nx+1)
    u = x_test @ np.ascontiguousarray(W_KQ[:, :Nx].T)               # W_KQ e_q
    Su = (E.transpose(0, 2, 1) @ (E @ u[:, :, None]))[:, :, 0]      # S u = E^T (E u)
    yhat = -(Su @ W_PV[-1])
    return yhat, (E, u, Su)


def lsa_loss_and_grad(W_PV, W_KQ, X, Y, x_test, y_test):
    """``L = (1/2) mean_b (yhat_b - y_b)^2`` and its gradients ``(dL/dW_PV, dL/dW_KQ)``."""
    X, Y, x_test, y_test = _check_tasks(X, Y, x_test, y_test)
    B, N, Nx = X.shape
    W_PV, W_KQ = _check_lsa_weights(W_PV, W_KQ, Nx)
    yhat, (E, u, Su) = lsa_predict(W_PV, W_KQ, X, Y, x_test)
    res = yhat - y_test
    loss = 0.5 * float(np.mean(res ** 2))
    delta = res / B
    gPV = np.zeros_like(W_PV)
    gPV[-1] = -(delta @ Su)
    w = W_PV[-1]
    Sw = (E.transpose(0, 2, 1) @ (E @ w)[:, :, None])[:, :, 0]      # S w
    gKQ = np.zeros_like(W_KQ)
    gKQ[:, :Nx] = -(Sw * delta[:, None]).T @ x_test
    return loss, gPV, gKQ


def gd_one_step_predict(X, Y, x_test, eta: float = 1.0):
    """One GD step from W_0 = 0 on ``L(W) = 1/(2N) sum ||W x_i - y_i||^2``: ``(eta/N) sum y_i x_i^T x_test``."""
    N = X.shape[1]
    return eta / N * np.einsum("bn,bni,bi->b", Y, X, x_test)


def gd_best_eta(X, Y, x_test, y_test) -> float:
    """Exact line search: the prediction is linear in eta, so the optimal eta is a ratio of sums."""
    g = gd_one_step_predict(X, Y, x_test)
    return float(np.dot(g, y_test) / np.dot(g, g))


def gd_sensitivity(X, Y, eta: float):
    """``d yhat_GD / d x_test = (eta/N) sum_i y_i x_i``, shape (B, Nx)."""
    return eta / X.shape[1] * np.einsum("bn,bni->bi", Y, X)


def lsa_sensitivity(W_PV, W_KQ, X, Y):
    """``d yhat_LSA / d x_test = -W_KQ[:, :Nx]^T S w``, shape (B, Nx)."""
    Nx = X.shape[2]
    E = np.concatenate([X, Y[:, :, None]], axis=2)
    Sw = np.einsum("bni,bn->bi", E, E @ W_PV[-1])
    return -(Sw @ W_KQ[:, :Nx])


def gd_construction(Nx: int, N: int, eta: float):
    """The weights of von Oswald et al.'s Proposition 1 with W_0 = 0: W_PV = (eta/N)[[0,0],[0,-1]], W_KQ = [[I,0],[0,0]]."""
    W_PV = np.zeros((Nx + 1, Nx + 1))
    W_PV[-1, -1] = -eta / N
    W_KQ = np.zeros((Nx + 1, Nx + 1))
    W_KQ[:Nx, :Nx] = np.eye(Nx)
    return W_PV, W_KQ


@dataclass
class AdamResult:
    """Outcome of :func:`train_lsa_adam`."""

    status: str
    message: str
    W_PV: np.ndarray
    W_KQ: np.ndarray
    steps: np.ndarray
    loss: np.ndarray
    seconds: float


def train_lsa_adam(steps: int = 5000, batch: int = 2048, lr: float = 1e-3, N: int = 10, Nx: int = 10,
                   r: float = 1.0, init_std: float = 1e-2, seed: int = 0, log_every: int = 10,
                   progress: Callable | None = None, callback: Callable | None = None,
                   eval_every: int = 250, layers: int = 1, init=None, lr_final: float | None = None) -> AdamResult:
    """Train one LSA layer with Adam on fresh regression tasks every step (analytic gradients).

    Adam: beta1 = 0.9, beta2 = 0.999, eps = 1e-8 (the optax defaults). Parameters are the full
    (Nx+1) x (Nx+1) matrices W_PV and W_KQ, initialised N(0, init_std^2), or ``init = (W_PV0, W_KQ0)``
    (copied; ``init_std`` is then unused). ``callback(k, W_PV, W_KQ)`` is called at step 0 and every
    ``eval_every`` steps. ``layers > 1``: the recurrent LSA of :func:`lsa_recurrent_loss_and_grad`
    (shared weights). ``lr_final``: the step size decays linearly from ``lr`` at step 1 to ``lr_final``
    at the last step (None: constant ``lr``).
    """
    require_positive("lr", lr, "a positive step size: pass e.g. lr=1e-3")
    if lr_final is not None:
        require_positive("lr_final", lr_final, "the step size at the last step (or None for a constant lr)")
    require_int("steps", steps, 1, "the number of Adam steps")
    require_int("batch", batch, 1, "tasks per step")
    require_int("N", N, 1, "the number of in-context examples")
    require_int("Nx", Nx, 1, "the input dimension")
    require_positive("r", r, "inputs are U(-r/2, r/2)")
    require_positive("init_std", init_std, "the standard deviation of the initial weights")
    require_int("seed", seed, 0, "it seeds numpy.random.default_rng")
    require_int("log_every", log_every, 1, "log the loss every so many steps")
    require_int("eval_every", eval_every, 1, "call callback every so many steps")
    require_int("layers", layers, 1, "the number of (shared-weight) LSA layers")
    for name, fn in (("progress", progress), ("callback", callback)):
        if fn is not None:
            require_callable(name, fn, "a callable or None")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = Nx + 1
    params = [init_std * rng.standard_normal((n, n)), init_std * rng.standard_normal((n, n))]
    if init is not None:
        if not (isinstance(init, (tuple, list)) and len(init) == 2):
            raise TypeError(f"init must be a pair (W_PV0, W_KQ0) of ({n}, {n}) arrays or None (got {type(init).__name__})")
        params = [np.array(w, dtype=float) for w in _check_lsa_weights(init[0], init[1], Nx)]
    mom = [np.zeros((n, n)), np.zeros((n, n))]
    vel = [np.zeros((n, n)), np.zeros((n, n))]
    b1, b2, eps = 0.9, 0.999, 1e-8
    logged_steps, losses = [], []
    status, message = "finished", f"{steps} Adam steps"
    if callback is not None:
        callback(0, params[0], params[1])
    for k in range(1, steps + 1):
        X, Y, xq, yq = sampling.oswald_tasks(batch, N, Nx, r, rng)
        if layers == 1:
            loss, gPV, gKQ = lsa_loss_and_grad(params[0], params[1], X, Y, xq, yq)
        else:
            loss, gPV, gKQ, _ = lsa_recurrent_loss_and_grad(params[0], params[1], X, Y, xq, yq, layers)
        if not np.isfinite(loss):
            status, message = "diverged", f"Adam diverged at step {k}; lower lr={lr:g}"
            break
        lr_k = lr if lr_final is None else lr + (lr_final - lr) * (k - 1) / max(steps - 1, 1)
        for p, g, m_, v_ in zip(params, (gPV, gKQ), mom, vel):
            m_ *= b1
            m_ += (1 - b1) * g
            v_ *= b2
            v_ += (1 - b2) * g * g
            p -= lr_k * (m_ / (1 - b1 ** k)) / (np.sqrt(v_ / (1 - b2 ** k)) + eps)
        if k % log_every == 0 or k == 1:
            logged_steps.append(k)
            losses.append(loss)
        if callback is not None and (k % eval_every == 0 or k == steps):
            callback(k, params[0], params[1])
        if progress is not None and (k % 100 == 0 or k == steps):
            progress(k, steps, f"step {k}/{steps} loss={loss:.4f}")
    return AdamResult(status, message, params[0], params[1], np.array(logged_steps), np.array(losses),
                      time.perf_counter() - start)


def compare_lsa_to_gd(W_PV, W_KQ, n_tasks: int = 10000, N: int = 10, Nx: int = 10, r: float = 1.0,
                      seed: int = 12345) -> dict:
    """Metrics of von Oswald et al. on held-out tasks: losses, prediction difference, sensitivities.

    The GD step size is line-searched (exactly) on a separate set of ``n_tasks`` tasks. Predictions
    and sensitivities are invariant under the rescaling ``(s W_PV, W_KQ / s)`` (claim O4); the
    weights are compared through the rescaling-invariant products ``w_y (x) W_KQ[:, :Nx]``.
    """
    require_int("Nx", Nx, 1, "the input dimension")
    _check_lsa_weights(W_PV, W_KQ, Nx)
    require_int("n_tasks", n_tasks, 2, "held-out tasks (and as many for the line search)")
    require_int("N", N, 1, "the number of in-context examples")
    require_positive("r", r, "inputs are U(-r/2, r/2)")
    require_int("seed", seed, 0, "it seeds numpy.random.default_rng")
    rng = np.random.default_rng(seed)
    Xs, Ys, xs, ys = sampling.oswald_tasks(n_tasks, N, Nx, r, rng)
    eta = gd_best_eta(Xs, Ys, xs, ys)
    X, Y, xq, yq = sampling.oswald_tasks(n_tasks, N, Nx, r, rng)
    y_tf, _ = lsa_predict(W_PV, W_KQ, X, Y, xq)
    y_gd = gd_one_step_predict(X, Y, xq, eta)
    s_tf = lsa_sensitivity(W_PV, W_KQ, X, Y)
    s_gd = gd_sensitivity(X, Y, eta)
    cos = np.sum(s_tf * s_gd, 1) / (np.linalg.norm(s_tf, axis=1) * np.linalg.norm(s_gd, axis=1))
    G_PV, G_KQ = gd_construction(Nx, N, eta)
    prod_tf = np.outer(W_PV[-1], W_KQ[:, :Nx].ravel())
    prod_gd = np.outer(G_PV[-1], G_KQ[:, :Nx].ravel())
    return {
        "r": r,
        "eta_gd": eta,
        "loss_tf": 0.5 * float(np.mean((y_tf - yq) ** 2)),
        "loss_gd": 0.5 * float(np.mean((y_gd - yq) ** 2)),
        "loss_zero": 0.5 * float(np.mean(yq ** 2)),
        "pred_diff_rms": float(np.sqrt(np.mean((y_tf - y_gd) ** 2))),
        "sensitivity_cosine_mean": float(np.mean(cos)),
        "sensitivity_l2_diff_mean": float(np.mean(np.linalg.norm(s_tf - s_gd, axis=1))),
        "weights_rel_diff": float(np.linalg.norm(prod_tf - prod_gd) / np.linalg.norm(prod_gd)),
    }


# --------------------------------------------------------------------------------------------
# Recurrent K-layer LSA (same weights every layer), GD and GD++ as its special cases
# --------------------------------------------------------------------------------------------


def lsa_recurrent_loss_and_grad(W_PV, W_KQ, X, Y, x_test, y_test, layers: int = 2, need_grad: bool = True):
    """K applications of one LSA layer with shared weights; every token (query included) is updated,
    keys and values come from the N context tokens (von Oswald et al., spec section 1).

    .. math:: Z \\leftarrow Z + W_{PV} Z Z^\\top W_{KQ} Z, \\qquad
              q \\leftarrow q + W_{PV} Z Z^\\top W_{KQ} q, \\qquad \\hat y = -q_y

    Returns ``loss`` (1/2 mean squared error), and with ``need_grad`` the gradients
    ``(dL/dW_PV, dL/dW_KQ)`` by hand-written backpropagation through the layers, and ``yhat``.
    """
    B, N, Nx = X.shape
    Z = np.concatenate([X, Y[:, :, None]], axis=2).transpose(0, 2, 1)      # (B, n, N)
    q = np.concatenate([x_test, np.zeros((B, 1))], axis=1)[:, :, None]     # (B, n, 1)
    cache = []
    for _ in range(layers):
        S = Z @ Z.transpose(0, 2, 1)
        M = W_PV @ S @ W_KQ
        cache.append((Z, q, S, M))
        Z, q = Z + M @ Z, q + M @ q
    yhat = -q[:, -1, 0]
    res = yhat - y_test
    loss = 0.5 * float(np.mean(res ** 2))
    if not need_grad:
        return loss, yhat
    gZ = np.zeros_like(Z)
    gq = np.zeros_like(q)
    gq[:, -1, 0] = -res / B
    gPV = np.zeros_like(W_PV)
    gKQ = np.zeros_like(W_KQ)
    for Z, q, S, M in reversed(cache):
        dM = gZ @ Z.transpose(0, 2, 1) + gq @ q.transpose(0, 2, 1)
        MT = M.transpose(0, 2, 1)
        gZ = gZ + MT @ gZ
        gq = gq + MT @ gq
        gPV += np.sum(dM @ W_KQ.T @ S, axis=0)
        gKQ += np.sum(S @ W_PV.T @ dM, axis=0)
        dS = W_PV.T @ dM @ W_KQ.T
        gZ = gZ + (dS + dS.transpose(0, 2, 1)) @ Z
    return loss, gPV, gKQ, yhat


def gdpp_weights(Nx: int, N: int, eta: float, gamma: float):
    """GD++ layer (claim O3, W_0 = 0): W_PV = diag(-gamma I, -eta/N), W_KQ = diag(I, 0). gamma = 0: plain GD."""
    W_PV = np.zeros((Nx + 1, Nx + 1))
    W_PV[:Nx, :Nx] = -gamma * np.eye(Nx)
    W_PV[-1, -1] = -eta / N
    W_KQ = np.zeros((Nx + 1, Nx + 1))
    W_KQ[:Nx, :Nx] = np.eye(Nx)
    return W_PV, W_KQ


def line_search_gd(X, Y, x_test, y_test, layers: int = 2, plus: bool = False, starts=(0.0, 0.1, 0.3),
                   xatol: float = 1e-8):
    """Best (eta, gamma) for ``layers`` steps of GD (gamma = 0) or GD++ on the given tasks (Nelder-Mead).

    GD++ is searched from ``(eta_GD, g / lambda)`` for each ``g`` in ``starts`` (``lambda`` the mean largest
    eigenvalue of ``X X^T``), to the absolute tolerance ``xatol`` in (eta, gamma); the best run wins.
    """
    X, Y, x_test, y_test = _check_tasks(X, Y, x_test, y_test)
    require_int("layers", layers, 1, "the number of GD steps (LSA layers)")
    require_bool("plus", plus)
    if not np.any(np.einsum("bn,bni,bi->b", Y, X, x_test)):
        raise ValueError("X, Y carry no signal: the one-step GD prediction sum_i y_i x_i^T x_test is 0 for every "
                         "task, so no step size is better than another; pass tasks with non-zero inputs and targets")
    from scipy.optimize import minimize, minimize_scalar

    Nx, N = X.shape[2], X.shape[1]

    def loss(eta, gamma):
        W_PV, W_KQ = gdpp_weights(Nx, N, eta, gamma)
        val = lsa_recurrent_loss_and_grad(W_PV, W_KQ, X, Y, x_test, y_test, layers, need_grad=False)[0]
        return val if np.isfinite(val) else 1e30

    eta1 = gd_best_eta(X, Y, x_test, y_test)
    r = minimize_scalar(lambda e: loss(e, 0.0), bracket=(0.5 * eta1, eta1), tol=1e-8)
    if not plus:
        return float(r.x), 0.0, float(r.fun)
    lam = np.linalg.eigvalsh(np.einsum("bni,bnj->bij", X, X)).max(axis=1).mean()
    best = None
    require_positive("xatol", xatol, "the tolerance in (eta, gamma), e.g. 1e-8")
    if not (isinstance(starts, (tuple, list)) and starts and all(np.isfinite(g) for g in starts)):
        raise ValueError(f"starts must be a non-empty tuple of finite numbers (got {starts!r}): the initial "
                         "gamma of each search in units of 1/lambda_max, e.g. (0.0, 0.1, 0.3)")
    for g in starts:
        rr = minimize(lambda p: loss(p[0], p[1]), [r.x, g / lam], method="Nelder-Mead",
                      options={"xatol": xatol, "fatol": 1e-12, "maxiter": 2000})
        if best is None or rr.fun < best.fun:
            best = rr
    return float(best.x[0]), float(best.x[1]), float(best.fun)


def lsa_recurrent_sensitivity(W_PV, W_KQ, X, Y, layers: int = 2):
    """``d yhat / d x_test`` of the recurrent K-layer LSA, shape (B, Nx).

    Keys and values come from the context only, so each layer maps the query by the matrix
    ``I + M_k`` (``M_k = W_PV Z_k Z_k^T W_KQ``) and the prediction is linear in ``x_test``:

    .. math:: \\hat y = -e_y^\\top (I + M_K) \\cdots (I + M_1) (x_{test}, 0),

    so the sensitivity is exact (no finite differences) and determines the prediction map.
    """
    X = require_finite_array("X", X, ndim=3, why="tasks of shape (B, N, Nx)", complex_ok=False)
    B, N, Nx = X.shape
    Y = require_finite_array("Y", Y, shape=(B, N), why="one target per context input", complex_ok=False)
    W_PV, W_KQ = _check_lsa_weights(W_PV, W_KQ, Nx)
    require_int("layers", layers, 1, "the number of (shared-weight) LSA layers")
    Z = np.concatenate([X, Y[:, :, None]], axis=2).transpose(0, 2, 1)      # (B, n, N)
    row = np.zeros((B, 1, Nx + 1))
    row[:, 0, -1] = -1.0                                                    # -e_y^T
    mats = []
    for _ in range(layers):
        M = W_PV @ (Z @ Z.transpose(0, 2, 1)) @ W_KQ
        mats.append(M)
        Z = Z + M @ Z
    for M in reversed(mats):                                                # -e_y^T (I + M_K) ... (I + M_1)
        row = row + row @ M
    return row[:, 0, :Nx]


def fitted_gdpp_parameters(W_PV, W_KQ, X, Y):
    """The GD++ ``(eta, gamma)`` that best match the first layer of a learned LSA on these tasks.

    The layer's update matrix ``M = W_PV S W_KQ`` (``S = Z Z^T``) is, for the GD++ weights of
    :func:`gdpp_weights`, ``M_xx = -gamma S_xx`` and ``M_yx = -(eta/N) S_yx``; each is fitted by least
    squares over the tasks, which is exact for GD++ weights and invariant under the rescaling of O4.
    The sign convention is that of :func:`gdpp_weights`: ``x <- x - gamma X X^T x``.

    Returns
    -------
    eta, gamma : float
    """
    X = require_finite_array("X", X, ndim=3, why="tasks of shape (B, N, Nx)", complex_ok=False)
    B, N, Nx = X.shape
    Y = require_finite_array("Y", Y, shape=(B, N), why="one target per context input", complex_ok=False)
    W_PV, W_KQ = _check_lsa_weights(W_PV, W_KQ, Nx)
    Z = np.concatenate([X, Y[:, :, None]], axis=2).transpose(0, 2, 1)
    S = Z @ Z.transpose(0, 2, 1)
    M = W_PV @ S @ W_KQ
    gamma = -float(np.sum(M[:, :Nx, :Nx] * S[:, :Nx, :Nx]) / np.sum(S[:, :Nx, :Nx] ** 2))
    eta = -N * float(np.sum(M[:, Nx, :Nx] * S[:, Nx, :Nx]) / np.sum(S[:, Nx, :Nx] ** 2))
    return eta, gamma


def _cosines(a, b):
    return np.sum(a * b, 1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-300)


def compare_recurrent_lsa(W_PV, W_KQ, layers: int = 2, n_tasks: int = 4000, N: int = 10, Nx: int = 10,
                          r: float = 1.0, seed: int = 12345, baselines: dict | None = None) -> dict:
    """Metrics of a trained recurrent K-layer LSA against K steps of GD and of GD++ on held-out tasks.

    Both baselines are line-searched (:func:`line_search_gd`: eta for GD; eta and gamma for GD++) on
    ``n_tasks`` tasks, and every metric is measured on ``n_tasks`` other tasks: test losses (1/2 MSE),
    the rms prediction difference, and the mean cosine of the input sensitivities
    (:func:`lsa_recurrent_sensitivity`) between the trained model and each baseline; with the GD++
    ``(eta, gamma)`` fitted to the trained model's first layer (:func:`fitted_gdpp_parameters`).
    ``baselines`` (the ``"eta_gd"``, ``"eta_gdpp"``, ``"gamma_gdpp"`` of an earlier call with the same
    ``layers, n_tasks, N, Nx, r, seed``) skips the line searches.
    """
    require_int("Nx", Nx, 1, "the input dimension")
    _check_lsa_weights(W_PV, W_KQ, Nx)
    require_int("layers", layers, 1, "the number of (shared-weight) LSA layers")
    require_int("n_tasks", n_tasks, 2, "held-out tasks (and as many for the line searches)")
    require_int("N", N, 1, "the number of in-context examples")
    require_positive("r", r, "inputs are U(-r/2, r/2)")
    require_int("seed", seed, 0, "it seeds numpy.random.default_rng")
    rng = np.random.default_rng(seed)
    Xs, Ys, xs, ys = sampling.oswald_tasks(n_tasks, N, Nx, r, rng)
    if baselines is None:
        eta_gd = line_search_gd(Xs, Ys, xs, ys, layers=layers, plus=False)[0]
        eta_pp, gamma_pp = line_search_gd(Xs, Ys, xs, ys, layers=layers, plus=True)[:2]
    else:
        eta_gd, eta_pp, gamma_pp = (float(baselines[k]) for k in ("eta_gd", "eta_gdpp", "gamma_gdpp"))
    X, Y, xq, yq = sampling.oswald_tasks(n_tasks, N, Nx, r, rng)
    models = {"tf": (W_PV, W_KQ), "gd": gdpp_weights(Nx, N, eta_gd, 0.0), "gdpp": gdpp_weights(Nx, N, eta_pp, gamma_pp)}
    pred = {k: lsa_recurrent_loss_and_grad(*w, X, Y, xq, yq, layers, need_grad=False)[1] for k, w in models.items()}
    sens = {k: lsa_recurrent_sensitivity(*w, X, Y, layers) for k, w in models.items()}
    eta_fit, gamma_fit = fitted_gdpp_parameters(W_PV, W_KQ, X, Y)
    out = {"layers": layers, "N": N, "Nx": Nx, "r": r, "n_tasks": n_tasks, "eta_gd": eta_gd, "eta_gdpp": eta_pp,
           "gamma_gdpp": gamma_pp, "eta_learned": eta_fit, "gamma_learned": gamma_fit,
           "loss_zero": 0.5 * float(np.mean(yq ** 2))}
    for k in models:
        out[f"loss_{k}"] = 0.5 * float(np.mean((pred[k] - yq) ** 2))
    for k in ("gd", "gdpp"):
        out[f"pred_diff_rms_{k}"] = float(np.sqrt(np.mean((pred["tf"] - pred[k]) ** 2)))
        out[f"sensitivity_cosine_{k}"] = float(np.mean(_cosines(sens["tf"], sens[k])))
    return out
