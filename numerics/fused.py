"""Fused forward + backward pass of Zheng et al.'s causal linear self-attention (compiled C or numba).

One pass over the sequences computes the empirical loss and both gradients. For every sequence the
prefix sums ``C_t = sum_{i<=t} x_i x_i^H`` and ``D_t = sum_{i<=t} x_i x_{i-1}^H`` are kept as running
sums in registers / L1 (never stored), and

.. math:: S_t = \\begin{pmatrix} C_t & D_t \\\\ D_t^H & C_{t-1} \\end{pmatrix},
          \\qquad C_{t-1} = C_t - x_t x_t^H,

is applied to ``q_t = W^KQ e_t`` (forward) and to ``g_t = W^{PV H} r_t / (t-1)`` (backward) while
it is still in cache. Sequences are processed in blocks of ``lanes`` side by side (the innermost,
SIMD-vectorised loop runs over the sequences of a block), blocks in parallel over threads.

Two backends run the same arithmetic (:func:`backend_for` chooses; ``backend=`` or
``$MESACHECK_FUSED_BACKEND`` overrides):

- ``"c"`` (default where a C compiler is found and ``d <= 8``): the kernel generated for that
  ``d`` (:mod:`numerics._fused_gen`: the ``d``- and ``2d``-loops unrolled, 16 sequences per lane
  loop, the gradient outer products of 4 steps summed at once in register tiles) written in C,
  compiled once per ``d`` by the system's compiler (about 11 s) into the user cache directory,
  checked by its SHA-256 and loaded through ctypes; blocks run on Python threads (ctypes releases
  the GIL). It imports nothing beyond NumPy: about 65 MB less memory than numba.
- ``"numba"`` (``pip install 'mesacheck[fast]'``): the same generated kernel compiled by numba for
  ``d <= 8`` (``generated=False``: the generic loops of :mod:`numerics._fused_numba`, any ``d``);
  first call per ``d`` about 25 s, then cached on disk.

Measured at d = 5, T = 100, m = 10^4, one thread, interleaved (benchmarks/results_performance.txt;
Intel Xeon, AVX-512): the C build's training pass 65 ms against numba's generated kernel 113 ms
(1.7x), the test-loss pass 23 against 58 ms (2.5x); results_fused_generated.txt has both against
numba's generic kernel.

The operand is the caller's sequences themselves (complex, shape (m, T, d), read through a real
view, no copy at the kernel's precision): each block of ``lanes`` sequences is re-laid out into a
scratch buffer of ``2 T d lanes`` floats inside the kernel (real and imaginary parts, shape
(T, d, lanes)), so the kernel adds one block per running thread to the sequences, against
``m (T-2) 4 d^2`` complex numbers for the stored prefix sums. :func:`flops` counts its arithmetic
(the compute floor of an epoch; see benchmarks/bench_performance.py for the measured roofline).

Same value and convention as :func:`numerics.training.zheng_loss_and_grad` (tested against it and
against finite differences, on both backends).
"""
from __future__ import annotations

import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _fused_gen

#: numba is importable (optional dependency: pip install 'mesacheck[fast]'); imported only when it runs.
HAVE_NUMBA = importlib.util.find_spec("numba") is not None

#: The backends of :func:`loss_and_grad` (see the module docstring).
BACKENDS = ("auto", "c", "numba")


def available(d: int | None = None) -> bool:
    """True when some backend runs the fused kernel (at this ``d``, when given): numba, or a C
    compiler for ``d <= 8``. A C build that fails is found out by :func:`backend_for`."""
    if HAVE_NUMBA:
        return True
    return _fused_gen.compiler() is not None and (d is None or 1 <= d <= _fused_gen.MAX_D)


def _check_backend(backend):
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))} (got {backend!r}): "
                         f"'c' the kernel compiled by the system's C compiler, 'numba' by numba, 'auto' "
                         f"the first that runs")
    return backend


def backend_for(d: int, backend: str = "auto", notify=None):
    """The backend that runs the fused kernel at this ``d``, and why.

    ``"auto"`` reads ``$MESACHECK_FUSED_BACKEND`` (one of :data:`BACKENDS`), then takes ``"c"``
    where it applies (``d <= 8``, a C compiler that builds the kernel: built here, once per ``d``),
    else ``"numba"``. An explicit backend that cannot run raises RuntimeError naming the fix.
    ``notify(message)``, if given, is called before the C kernel is compiled (once per machine).

    Returns
    -------
    backend : {"c", "numba"}
    reason : str
    """
    backend = _check_backend(backend)
    key = (d, backend) + tuple(os.environ.get(k) for k in ("MESACHECK_FUSED_BACKEND", "CC", "PATH",
                                                           "MESACHECK_FUSED_DIR", "XDG_CACHE_HOME"))
    if key not in _CHOSEN:                          # once per setting: a failed build is not retried per call
        try:
            _CHOSEN[key] = _choose(d, backend, notify)
        except RuntimeError as exc:
            _CHOSEN[key] = exc
    if isinstance(_CHOSEN[key], RuntimeError):
        raise RuntimeError(str(_CHOSEN[key]))
    return _CHOSEN[key]


_CHOSEN = {}


def _choose(d, backend, notify=None):
    if backend == "auto":
        env = os.environ.get("MESACHECK_FUSED_BACKEND", "auto")
        if env not in BACKENDS:                       # bad input, not a backend that cannot run: never a fallback
            raise ValueError(f"MESACHECK_FUSED_BACKEND must be one of {', '.join(BACKENDS)} (got {env!r}): "
                             f"unset it or set it to 'c' or 'numba'")
        if env != "auto":
            return backend_for(d, env, notify)[0], f"{env} (from MESACHECK_FUSED_BACKEND)"
    if backend in ("auto", "c"):
        why = None
        if not 1 <= d <= _fused_gen.MAX_D:
            why = f"the C kernel is generated for d <= {_fused_gen.MAX_D} (d = {d})"
        elif _fused_gen.compiler() is None:
            why = "no C compiler (cc, or $CC)"
        else:
            try:
                lib = _fused_gen.c_kernels(d, notify=notify)
                extra = [f for f in lib.mesacheck_flags.split() if f not in _fused_gen.CFLAGS]
                return "c", f"c ({_fused_gen.compiler()} -O3 {' '.join(extra) or '(portable flags)'})"
            except RuntimeError as exc:
                why = str(exc)
        if backend == "c":
            raise RuntimeError(f"backend='c' cannot run: {why}; pass backend='numba' or 'auto'")
        if HAVE_NUMBA:
            return "numba", f"numba ({why})"
        raise RuntimeError(f"the fused kernel cannot run: {why}, and numba is not installed: "
                           f"pip install 'mesacheck[fast]' (or pass kernel='prefix' to zheng_gd)")
    if not HAVE_NUMBA:
        raise RuntimeError("backend='numba' needs numba: pip install 'mesacheck[fast]' (or pass backend='c')")
    return "numba", "numba (requested)"


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
    Not counted: the C build sums the gradient outer products in groups of 4 steps, and its last,
    partial group runs its unused slots on zeros (at most 3 steps of ``gP``/``gQ`` sums a
    sequence: under 0.5% at T = 100).

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
                  generated=None, backend: str = "auto"):
    """Loss and gradients of the causal LSA on ``data`` (see :func:`numerics.training.zheng_loss_and_grad`).

    Parameters
    ----------
    data : FusedData, or ndarray of shape (m, T, d), complex (wrapped as ``FusedData(data)``)
    P : ndarray, shape (d, 2d)      ``W^PV``
    Q : ndarray, shape (2d, 2d)     ``W^KQ``
    threads : int
        Threads over the blocks (numba's, or Python threads calling the C kernel; the numba
        ``parallel=True`` build is also its fastest on one thread).
    generated : bool or None
        True: the kernel generated for this ``d`` (:mod:`numerics._fused_gen`, its ``d``-loops
        unrolled; the view layout runs it on blocks of :data:`LANES` whatever ``data.lanes``);
        False: numba's generic kernel (whatever ``backend``); None (default): the generated one
        when it applies (``d <= 8`` and, for ``copy=True``, ``lanes`` a multiple of 16), else the
        generic one.
    backend : {"auto", "c", "numba"}
        Which compiler's build of the generated kernel runs (:func:`backend_for`).

    Returns
    -------
    loss : float, or (loss, grad_P (d, 2d), grad_Q (2d, 2d)) with ``need_grad``
    """
    _check_backend(backend)
    if not isinstance(data, FusedData):
        data = FusedData(np.asarray(data))
    d = data.d
    dt = data.dtype
    P = np.asarray(P, dtype=np.complex128)
    Q = np.asarray(Q, dtype=np.complex128)
    L = data.lanes
    nb = -(-data.m // L)
    nout = 1 + 2 * (d * 2 * d) + 2 * (4 * d * d)
    par = (np.ascontiguousarray(P.real, dt), np.ascontiguousarray(P.imag, dt),
           np.ascontiguousarray(Q.real, dt), np.ascontiguousarray(Q.imag, dt))
    usable = _fused_gen.usable(d, L if data.copy else LANES)
    if generated is None:
        generated = usable
    elif not isinstance(generated, (bool, np.bool_)):
        raise TypeError(f"generated must be True, False or None (got {generated!r}): True the kernel "
                        f"generated for d, False the generic one, None the generated one when it applies")
    elif generated and not usable:
        raise ValueError(f"generated=True needs d <= {_fused_gen.MAX_D} and lanes a multiple of "
                         f"{_fused_gen.WIDTH} (got d={d}, lanes={L}): pass generated=None or False")
    tag = "grad" if need_grad else "loss"
    which = backend_for(d, backend)[0] if generated else "numba"
    if which == "c":
        out = _run_c(data, par, tag, threads, nout)
    else:
        out = _run_numba(data, par, tag, bool(generated), threads, nout)
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


_POOLS = {}


def _split(nb, threads):
    """Contiguous block ranges, one per thread (at most one per block)."""
    k = max(1, min(int(threads), nb, os.cpu_count() or 1))
    cuts = [nb * i // k for i in range(k + 1)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _run_c(data, par, tag, threads, nout):
    d = data.d
    lib = _fused_gen.c_kernels(d)
    sfx = "f32" if data.dtype == np.float32 else "f64"
    ptrs = [a.ctypes.data for a in par]
    if data.copy:
        nb = data.xr.shape[0]
        fn = getattr(lib, f"kernel_{tag}_{sfx}")
        head = (data.xr.ctypes.data, data.xi.ctypes.data, data.T, data.lanes)
    else:
        nb = -(-data.m // LANES)                                  # blocks of LANES, in the kernel
        fn = getattr(lib, f"kernel_view_{tag}_{sfx}")
        head = (data.x.ctypes.data, data.m, data.T, LANES)
    out = np.zeros((nb, nout))

    def run(rng):
        if fn(*head, rng[0], rng[1], *ptrs, out.ctypes.data, nout):
            raise MemoryError("the C fused kernel could not allocate its workspace")

    ranges = _split(nb, threads)
    if len(ranges) == 1:
        run(ranges[0])
    else:
        key = (os.getpid(), len(ranges))                   # a forked child never reuses its parent's (dead) threads
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = ThreadPoolExecutor(len(ranges), thread_name_prefix="mesacheck-fused")
        list(pool.map(run, ranges))
    return out


def _run_numba(data, par, tag, generated, threads, nout):
    if not HAVE_NUMBA:
        raise RuntimeError("this fused kernel needs numba: pip install 'mesacheck[fast]' "
                           "(or pass kernel='prefix' to zheng_gd)")
    import numba

    d, dt = data.d, data.dtype
    nb = -(-data.m // data.lanes)
    if generated:
        gen = _fused_gen.kernels(d)
        if data.copy:
            out = np.zeros((nb, nout))
            kernel, args = getattr(gen, "kernel_" + tag), (data.xr, data.xi) + par + (out,)
        else:
            xv = data.x.view(dt).reshape(data.m, data.T, d, 2)     # real view: no copy
            out = np.zeros((-(-data.m // LANES), nout))             # blocks of LANES, in the kernel
            kernel, args = getattr(gen, "kernel_view_" + tag), (xv,) + par + (LANES, out)
    else:
        from . import _fused_numba

        out = np.zeros((nb, nout))
        need = tag == "grad"
        if data.copy:
            kernel, args = _fused_numba._kernel, (data.xr, data.xi) + par + (need, out)
        else:
            xv = data.x.view(dt).reshape(data.m, data.T, d, 2)     # real view: no copy
            kernel, args = _fused_numba._kernel_view, (xv,) + par + (need, data.lanes, out)
    threads = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    before = numba.get_num_threads()
    if threads != before:
        numba.set_num_threads(threads)
    try:
        kernel(*args)
    finally:
        if threads != before:
            numba.set_num_threads(before)
    return out
