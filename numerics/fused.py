"""Fused forward + backward pass of Zheng et al.'s causal linear self-attention (optional numba).

One pass over the sequences computes the empirical loss and both gradients. For every sequence the
prefix sums ``C_t = sum_{i<=t} x_i x_i^H`` and ``D_t = sum_{i<=t} x_i x_{i-1}^H`` are kept as running
sums in registers / L1 (never stored), and

.. math:: S_t = \\begin{pmatrix} C_t & D_t \\\\ D_t^H & C_{t-1} \\end{pmatrix},
          \\qquad C_{t-1} = C_t - x_t x_t^H,

is applied to ``q_t = W^KQ e_t`` (forward) and to ``g_t = W^{PV H} r_t / (t-1)`` (backward) while
it is still in cache. Sequences are processed in blocks of ``lanes`` side by side (the innermost,
SIMD-vectorised loop runs over the sequences of a block), blocks in parallel over numba threads.
The first call compiles (about 25 s, then cached on disk by numba). For ``d <= 8`` the kernel
run is one generated for that ``d`` (:mod:`numerics._fused_gen`: the ``d``- and ``2d``-loops
unrolled in its source, 16 sequences per lane loop; its first call per ``d`` compiles, about 25 s
at d = 5 with gradients, 13 s for the loss only, then cached on disk); ``generated=False`` runs the
generic loops.
The operand is the caller's sequences themselves (complex, shape (m, T, d), read through a real
view, no copy at the kernel's precision): each block of ``lanes`` sequences is re-laid out into a
scratch buffer of ``2 T d lanes`` floats inside the kernel (real and imaginary parts, shape
(T, d, lanes)), so the kernel adds one block per running thread to the sequences, against
``m (T-2) 4 d^2`` complex numbers for the stored prefix sums. :func:`flops` counts its arithmetic
(the compute floor of an epoch; see benchmarks/bench_performance.py for the measured roofline).

Same value and convention as :func:`numerics.training.zheng_loss_and_grad` (tested against it and
against finite differences).
"""
from __future__ import annotations

import numpy as np

from . import _fused_gen

try:  # optional dependency: pip install 'mesacheck[fast]'
    import numba
    from numba import njit, prange
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised when numba is absent
    numba = None
    HAVE_NUMBA = False

#: fastmath flags without ``nnan``/``ninf``: divergence detection relies on non-finite values.
_FLAGS = {"contract", "reassoc", "nsz", "arcp"}


def available() -> bool:
    """True when numba is importable (the fused kernel can run)."""
    return HAVE_NUMBA


#: Sequences per block (the SIMD width of the kernel's inner loops), chosen by measurement on this
#: machine (AMD EPYC Zen 5, AVX-512, d = 5, T = 100, one thread, interleaved runs): 256 against 64 /
#: 128 / 512 lanes, 6.2 / - / 8.0 / 6.6 ms per training pass at m = 1000 and 64 / - / 81 / 86 ms at
#: m = 10^4 (longer inner loops amortise the loop overheads until the block leaves L2).
LANES = 256

#: Sequences per block stored by ``FusedData(copy=True)`` for the generated kernel (d <= 8): its lane
#: loops run 16 sequences (:data:`numerics._fused_gen.WIDTH`), and blocks of 16 are read contiguously
#: (measured at d = 5, T = 100, m = 10^4, one thread, interleaved: blocks of 256 run as 16 chunks of
#: 16 sequences 1.05x the generic kernel's training pass, blocks of 16 1.47x). The view layout
#: re-lays out blocks of :data:`LANES` in the kernel whatever its ``lanes`` (blocks of 16: 0.84x).
GENERATED_LANES = 16


def default_lanes(d: int) -> int:
    """The block width of ``FusedData`` when none is given: :data:`GENERATED_LANES` where the generated
    kernel runs (d <= 8), else :data:`LANES`."""
    return GENERATED_LANES if 1 <= d <= _fused_gen.MAX_D else LANES


def _check_lanes(lanes):
    if isinstance(lanes, bool) or int(lanes) != lanes or lanes < 1:
        raise ValueError(f"lanes must be a positive integer (got {lanes!r}): sequences per block of the fused "
                         f"kernel, e.g. lanes={LANES}")
    return int(lanes)


class FusedData:
    """Sequences for the fused kernel, at the kernel's precision, in one of two layouts.

    ``copy=True`` (the fastest): the sequences re-laid out once, real and imaginary parts in blocks
    of ``lanes`` sequences, shape (blocks, T, d, lanes): ``2 m T d`` floats beside the caller's array.
    ``copy=False`` (the least memory): the caller's complex array itself, read through a real view
    (no copy when it already is C-contiguous complex64 for float32, complex128 for float64); the
    kernel re-lays out one block at a time into a scratch buffer of ``2 T d lanes`` floats per
    running thread, on every pass (measured at d = 5, T = 100, one thread, interleaved: with the
    generic kernel at 256 lanes 1-6% slower per training pass and 2-10% per test-loss pass at
    m = 10^4; with the generated kernel (blocks of 16 stored, of 256 re-laid out) 19-22% per
    training pass and 27-55% per test-loss pass at m = 10^4, 8-18% per epoch at m = 1000-4000;
    see benchmarks/results_performance.txt and benchmarks/bench_fused_generated.py).

    Parameters
    ----------
    x : ndarray, shape (m, T, d), complex
    dtype : {np.float32, np.float64}
        Arithmetic of the running sums (float32 is the authors' ``torch.cfloat``; per-block sums
        are reduced in float64).
    lanes : int or None
        Sequences per block (the SIMD width of the inner loop; None: :func:`default_lanes`). Padding
        sequences of the last block are zero and contribute nothing to the loss or the gradients.
    copy : bool
        The layout, as above.

    Attributes
    ----------
    m, T, d, lanes : int
    copy : bool
    x : ndarray, shape (m, T, d), complex, or None
        The sequences read in place (``copy=False``).
    xr, xi : ndarray, shape (blocks, T, d, lanes)
        The blocks (stored with ``copy=True``; built on request otherwise, for inspection).
    """

    def __init__(self, x: np.ndarray, dtype=np.float32, lanes=None, copy: bool = True):
        m, T, d = x.shape
        self.m, self.T, self.d = m, T, d
        self.lanes = default_lanes(d) if lanes is None else _check_lanes(lanes)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be numpy.float32 or numpy.float64 (got {dtype!r}): the arithmetic "
                             f"of the fused kernel")
        if not isinstance(copy, (bool, np.bool_)):
            raise TypeError(f"copy must be True or False (got {copy!r}): True re-lays out the sequences once "
                            f"(fastest), False reads the caller's array in place (least memory)")
        self.copy = bool(copy)
        cdt = np.complex64 if self.dtype == np.float32 else np.complex128
        if self.copy:
            self.x = None
            self._xr, self._xi = self._blocks(x)
        else:
            self.x = np.ascontiguousarray(x, dtype=cdt)                 # no copy when it already is
            self._xr = self._xi = None

    def _blocks(self, x):
        """Real and imaginary parts in blocks, filled block by block (no padded complex copy)."""
        nb = -(-self.m // self.lanes)
        xr = np.zeros((nb, self.T, self.d, self.lanes), dtype=self.dtype)       # padding stays zero
        xi = np.zeros((nb, self.T, self.d, self.lanes), dtype=self.dtype)
        xx = np.asarray(x)
        for b in range(nb):
            blk = xx[b * self.lanes:(b + 1) * self.lanes].transpose(1, 2, 0)   # (T, d, n <= lanes)
            xr[b, :, :, :blk.shape[2]] = blk.real
            xi[b, :, :, :blk.shape[2]] = blk.imag
        return xr, xi

    @property
    def xr(self) -> np.ndarray:
        return self._xr if self.copy else self._blocks(self.x)[0]

    @property
    def xi(self) -> np.ndarray:
        return self._xi if self.copy else self._blocks(self.x)[1]

    @property
    def nbytes(self) -> int:
        """Bytes of the operand the kernel reads (for ``copy=False``, the sequences read in place)."""
        return self._xr.nbytes + self._xi.nbytes if self.copy else self.x.nbytes

    @staticmethod
    def bytes_needed(m: int, T: int, d: int, dtype=np.float32, lanes=None, copy: bool = True) -> int:
        """What the layout adds to the caller's sequences: the blocks (``copy=True``), or the scratch
        of one block, per running thread (``copy=False``, when no precision conversion is needed;
        blocks of :data:`LANES` when ``lanes`` is None)."""
        if lanes is None:
            lanes = default_lanes(d) if copy else LANES
        blocks = -(-m // lanes) if copy else 1
        return 2 * blocks * lanes * T * d * np.dtype(dtype).itemsize


def flops(m: int, T: int, d: int, need_grad: bool = True, lanes: int = 1) -> int:
    """Real floating-point operations of one call of the fused kernel, counted from its loops.

    A complex multiply-add is 8 flops (4 fused multiply-adds), a complex product 6, a real scaling
    of a complex number 2, ``|r|^2 / 2`` accumulated 4. Per sequence and step ``s = 1..T-2``
    (``n = 2d``): the running sums ``C += x_s x_s^H`` and ``D += x_s x_{s-1}^H`` (``2 d^2``
    multiply-adds), ``q = Q e`` (``n^2``), ``v = S q / s`` (:func:`_apply_S`: ``w = x_s^H u_2``,
    ``d`` multiply-adds; ``-x_s w``, ``d`` products; the ``C``/``D`` loop, ``4 d^2`` multiply-adds;
    the scaling, ``n``), ``r = P v`` (``d n``) and the loss (``d``); with the gradients also
    ``gP += r v^H`` (``d n``), ``g = P^H r`` (``d n``), ``h = S g / s`` (as ``v``) and
    ``gQ += h e^H`` (``n^2``). The start ``C_0 = x_0 x_0^H`` (``d^2`` entries, 6 flops each) once
    per sequence. ``lanes > 1`` counts the zero padding of the last block (work the kernel does).

    Returns
    -------
    int
    """
    n = 2 * d
    apply_S = 8 * d + 6 * d + 8 * 4 * d * d + 2 * n
    fwd = 8 * 2 * d * d + 8 * n * n + apply_S + 8 * d * n + 4 * d
    bwd = 8 * d * n + 8 * d * n + apply_S + 8 * n * n
    seqs = -(-m // lanes) * lanes
    return seqs * (6 * d * d + (T - 2) * (fwd + (bwd if need_grad else 0)))


def loss_and_grad(data, P: np.ndarray, Q: np.ndarray, need_grad: bool = True, threads: int = 1,
                  generated=None):
    """Loss and gradients of the causal LSA on ``data`` (see :func:`numerics.training.zheng_loss_and_grad`).

    Parameters
    ----------
    data : FusedData, or ndarray of shape (m, T, d), complex (wrapped as ``FusedData(data)``)
    P : ndarray, shape (d, 2d)      ``W^PV``
    Q : ndarray, shape (2d, 2d)     ``W^KQ``
    threads : int
        numba threads over the blocks (the compiled ``parallel=True`` build is also the fastest
        on one thread: its loops vectorise better than a serial build's).
    generated : bool or None
        True: the kernel generated for this ``d`` (:mod:`numerics._fused_gen`, its ``d``-loops
        unrolled; compiled on first use per ``d``, then cached on disk; the view layout runs it on
        blocks of :data:`LANES` whatever ``data.lanes``); False: the generic kernel; None
        (default): the generated one when it applies (``d <= 8`` and, for ``copy=True``, ``lanes``
        a multiple of 16), else the generic one.

    Returns
    -------
    loss : float, or (loss, grad_P (d, 2d), grad_Q (2d, 2d)) with ``need_grad``
    """
    if not HAVE_NUMBA:
        raise RuntimeError("the fused kernel needs numba: pip install 'mesacheck[fast]' "
                           "(or pass kernel='prefix' to zheng_gd)")
    if not isinstance(data, FusedData):
        data = FusedData(np.asarray(data))
    d = data.d
    dt = data.dtype
    P = np.asarray(P, dtype=np.complex128)
    Q = np.asarray(Q, dtype=np.complex128)
    L = data.lanes
    nb = -(-data.m // L)
    out = np.zeros((nb, 1 + 2 * (d * 2 * d) + 2 * (4 * d * d)))
    par = (np.ascontiguousarray(P.real, dt), np.ascontiguousarray(P.imag, dt),
           np.ascontiguousarray(Q.real, dt), np.ascontiguousarray(Q.imag, dt), bool(need_grad))
    if generated is None:
        generated = _fused_gen.usable(d, L if data.copy else LANES)
    elif not isinstance(generated, (bool, np.bool_)):
        raise TypeError(f"generated must be True, False or None (got {generated!r}): True the kernel "
                        f"generated for d, False the generic one, None the generated one when it applies")
    elif generated and not _fused_gen.usable(d, L if data.copy else LANES):
        raise ValueError(f"generated=True needs d <= {_fused_gen.MAX_D} and lanes a multiple of "
                         f"{_fused_gen.WIDTH} (got d={d}, lanes={L}): pass generated=None or False")
    if generated:
        gen = _fused_gen.kernels(d)
        tag = "grad" if need_grad else "loss"
        if data.copy:
            kernel, args = getattr(gen, "kernel_" + tag), (data.xr, data.xi) + par[:4] + (out,)
        else:
            xv = data.x.view(dt).reshape(data.m, data.T, d, 2)     # real view: no copy
            nb = -(-data.m // LANES)                                # blocks of LANES, in the kernel
            out = np.zeros((nb, out.shape[1]))
            kernel, args = getattr(gen, "kernel_view_" + tag), (xv,) + par[:4] + (LANES, out)
    elif data.copy:
        kernel, args = _kernel, (data.xr, data.xi) + par + (out,)
    else:
        xv = data.x.view(dt).reshape(data.m, data.T, d, 2)         # real view: no copy
        kernel, args = _kernel_view, (xv,) + par + (L, out)
    threads = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    before = numba.get_num_threads()
    if threads != before:
        numba.set_num_threads(threads)
    try:
        kernel(*args)
    finally:
        if threads != before:
            numba.set_num_threads(before)
    tot = out.sum(axis=0)
    m = data.m
    loss = float(tot[0]) / m
    if not need_grad:
        return loss
    n1 = d * 2 * d
    gP = (tot[1:1 + n1] + 1j * tot[1 + n1:1 + 2 * n1]).reshape(d, 2 * d) / m
    o = 1 + 2 * n1
    n2 = 4 * d * d
    gQ = (tot[o:o + n2] + 1j * tot[o + n2:o + 2 * n2]).reshape(2 * d, 2 * d) / m
    return loss, gP, gQ


if HAVE_NUMBA:

    @njit(parallel=True, fastmath=_FLAGS, cache=True)
    def _kernel(xr, xi, Pr, Pi, Qr, Qi, need_grad, out):  # pragma: no cover - compiled
        """Blocks stored by FusedData(copy=True): shape (blocks, T, d, lanes)."""
        for b in prange(xr.shape[0]):
            _block_pass(xr[b], xi[b], Pr, Pi, Qr, Qi, need_grad, out[b])

    @njit(parallel=True, fastmath=_FLAGS, cache=True)
    def _kernel_view(xv, Pr, Pi, Qr, Qi, need_grad, L, out):  # pragma: no cover - compiled
        """The caller's sequences through a real view, shape (m, T, d, 2), one block re-laid out at a time."""
        m, T, d, _ = xv.shape
        ft = Pr.dtype
        for b in prange((m + L - 1) // L):
            X = np.zeros((T, d, L), ft)                                   # padding stays zero
            Y = np.zeros((T, d, L), ft)
            i0 = b * L
            nI = min(L, m - i0)
            for t in range(T):
                for j in range(d):
                    for i in range(nI):
                        X[t, j, i] = xv[i0 + i, t, j, 0]
                        Y[t, j, i] = xv[i0 + i, t, j, 1]
            _block_pass(X, Y, Pr, Pi, Qr, Qi, need_grad, out[b])

    @njit(fastmath=_FLAGS, cache=True, inline="always")
    def _block_pass(X, Y, Pr, Pi, Qr, Qi, need_grad, out):  # pragma: no cover - compiled
        """Loss and gradient sums of one block, X, Y of shape (T, d, lanes), into out (one row)."""
        T, d, L = X.shape
        d2 = 2 * d
        n1 = d * d2
        n2 = d2 * d2
        ft = X.dtype
        Cr = np.zeros((d, d, L), ft)
        Ci = np.zeros((d, d, L), ft)
        Dr = np.zeros((d, d, L), ft)
        Di = np.zeros((d, d, L), ft)
        er = np.zeros((d2, L), ft)
        ei = np.zeros((d2, L), ft)
        qr = np.zeros((d2, L), ft)
        qi = np.zeros((d2, L), ft)
        vr = np.zeros((d2, L), ft)
        vi = np.zeros((d2, L), ft)
        rr = np.zeros((d, L), ft)
        ri = np.zeros((d, L), ft)
        wr = np.zeros(L, ft)
        wi = np.zeros(L, ft)
        lo = np.zeros(L, ft)
        gPr = np.zeros((d, d2, L), ft)
        gPi = np.zeros((d, d2, L), ft)
        gQr = np.zeros((d2, d2, L), ft)
        gQi = np.zeros((d2, d2, L), ft)
        # s = 0: C_0 = x_0 x_0^H, D_0 = 0
        for j in range(d):
            for k in range(d):
                for l in range(L):
                    Cr[j, k, l] = X[0, j, l] * X[0, k, l] + Y[0, j, l] * Y[0, k, l]
                    Ci[j, k, l] = Y[0, j, l] * X[0, k, l] - X[0, j, l] * Y[0, k, l]
        for s in range(1, T - 1):
            inv = 1.0 / s
            # running sums: C += x_s x_s^H, D += x_s x_{s-1}^H
            for j in range(d):
                for k in range(d):
                    for l in range(L):
                        a = X[s, j, l]
                        bb = Y[s, j, l]
                        c = X[s, k, l]
                        e = Y[s, k, l]
                        Cr[j, k, l] += a * c + bb * e
                        Ci[j, k, l] += bb * c - a * e
                        c = X[s - 1, k, l]
                        e = Y[s - 1, k, l]
                        Dr[j, k, l] += a * c + bb * e
                        Di[j, k, l] += bb * c - a * e
            for j in range(d):
                for l in range(L):
                    er[j, l] = X[s, j, l]
                    ei[j, l] = Y[s, j, l]
                    er[d + j, l] = X[s - 1, j, l]
                    ei[d + j, l] = Y[s - 1, j, l]
            # q = Q e
            _matvec(Qr, Qi, er, ei, qr, qi)
            # v = S q / s
            _apply_S(Cr, Ci, Dr, Di, X, Y, s, qr, qi, vr, vi, wr, wi, inv)
            # r = P v - x_{s+1}
            for j in range(d):
                for l in range(L):
                    rr[j, l] = -X[s + 1, j, l]
                    ri[j, l] = -Y[s + 1, j, l]
                for k in range(d2):
                    pr = Pr[j, k]
                    pi = Pi[j, k]
                    for l in range(L):
                        rr[j, l] += pr * vr[k, l] - pi * vi[k, l]
                        ri[j, l] += pr * vi[k, l] + pi * vr[k, l]
                for l in range(L):
                    lo[l] += 0.5 * (rr[j, l] * rr[j, l] + ri[j, l] * ri[j, l])
            if not need_grad:
                continue
            # gP += r v^H
            for j in range(d):
                for k in range(d2):
                    for l in range(L):
                        gPr[j, k, l] += rr[j, l] * vr[k, l] + ri[j, l] * vi[k, l]
                        gPi[j, k, l] += ri[j, l] * vr[k, l] - rr[j, l] * vi[k, l]
            # g = P^H r (into q), h = S g / s (into v)
            for k in range(d2):
                for l in range(L):
                    qr[k, l] = 0.0
                    qi[k, l] = 0.0
                for j in range(d):
                    pr = Pr[j, k]
                    pi = Pi[j, k]
                    for l in range(L):
                        qr[k, l] += pr * rr[j, l] + pi * ri[j, l]
                        qi[k, l] += pr * ri[j, l] - pi * rr[j, l]
            _apply_S(Cr, Ci, Dr, Di, X, Y, s, qr, qi, vr, vi, wr, wi, inv)
            # gQ += h e^H
            for a in range(d2):
                for c in range(d2):
                    for l in range(L):
                        gQr[a, c, l] += vr[a, l] * er[c, l] + vi[a, l] * ei[c, l]
                        gQi[a, c, l] += vi[a, l] * er[c, l] - vr[a, l] * ei[c, l]
        acc = 0.0
        for l in range(L):
            acc += lo[l]
        out[0] = acc
        if need_grad:
            for j in range(d):
                for k in range(d2):
                    sr = 0.0
                    si = 0.0
                    for l in range(L):
                        sr += gPr[j, k, l]
                        si += gPi[j, k, l]
                    out[1 + j * d2 + k] = sr
                    out[1 + n1 + j * d2 + k] = si
            for a in range(d2):
                for c in range(d2):
                    sr = 0.0
                    si = 0.0
                    for l in range(L):
                        sr += gQr[a, c, l]
                        si += gQi[a, c, l]
                    out[1 + 2 * n1 + a * d2 + c] = sr
                    out[1 + 2 * n1 + n2 + a * d2 + c] = si

    @njit(fastmath=_FLAGS, cache=True, inline="always")
    def _matvec(Mr, Mi, ur, ui, outr, outi):  # pragma: no cover - compiled
        n, k2 = Mr.shape
        L = ur.shape[1]
        for a in range(n):
            for l in range(L):
                outr[a, l] = 0.0
                outi[a, l] = 0.0
            for c in range(k2):
                mr = Mr[a, c]
                mi = Mi[a, c]
                for l in range(L):
                    outr[a, l] += mr * ur[c, l] - mi * ui[c, l]
                    outi[a, l] += mr * ui[c, l] + mi * ur[c, l]

    @njit(fastmath=_FLAGS, cache=True, inline="always")
    def _apply_S(Cr, Ci, Dr, Di, X, Y, s, ur, ui, vr, vi, wr, wi, inv):  # pragma: no cover - compiled
        """v = S_s u * inv with S_s = [[C_s, D_s], [D_s^H, C_s - x_s x_s^H]]."""
        d = Cr.shape[0]
        L = ur.shape[1]
        # w = x_s^H u2
        for l in range(L):
            wr[l] = 0.0
            wi[l] = 0.0
        for k in range(d):
            for l in range(L):
                a = X[s, k, l]
                b = Y[s, k, l]
                wr[l] += a * ur[d + k, l] + b * ui[d + k, l]
                wi[l] += a * ui[d + k, l] - b * ur[d + k, l]
        for j in range(d):
            for l in range(L):
                # - x_s w  (bottom block correction)
                a = X[s, j, l]
                b = Y[s, j, l]
                vr[d + j, l] = -(a * wr[l] - b * wi[l])
                vi[d + j, l] = -(a * wi[l] + b * wr[l])
                vr[j, l] = 0.0
                vi[j, l] = 0.0
        for j in range(d):
            for k in range(d):
                for l in range(L):
                    cr = Cr[j, k, l]
                    ci = Ci[j, k, l]
                    dr = Dr[j, k, l]
                    di = Di[j, k, l]
                    # top: C u1 + D u2
                    vr[j, l] += cr * ur[k, l] - ci * ui[k, l] + dr * ur[d + k, l] - di * ui[d + k, l]
                    vi[j, l] += cr * ui[k, l] + ci * ur[k, l] + dr * ui[d + k, l] + di * ur[d + k, l]
                    # bottom row k: (D^H)_{k j} u1_j = conj(D_{j k}) u1_j ; C_{k j} u2_j = conj(C_{j k}) u2_j
                    vr[d + k, l] += dr * ur[j, l] + di * ui[j, l] + cr * ur[d + j, l] + ci * ui[d + j, l]
                    vi[d + k, l] += dr * ui[j, l] - di * ur[j, l] + cr * ui[d + j, l] - ci * ur[d + j, l]
        for a in range(2 * d):
            for l in range(L):
                vr[a, l] *= inv
                vi[a, l] *= inv
