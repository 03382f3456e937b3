"""The fused numba epoch kernel (numerics/fused.py) and the kernel choice of zheng_gd."""
import numpy as np
import pytest

from numerics import fused, sampling, training

from numerics import _fused_gen

needs_numba = pytest.mark.skipif(not fused.HAVE_NUMBA, reason="numba not installed (extra [fast])")
needs_cc = pytest.mark.skipif(_fused_gen.compiler() is None, reason="no C compiler")
needs_fused = pytest.mark.skipif(not fused.available(), reason="neither numba nor a C compiler")
#: Both backends of the generated kernel, each where it can run.
BACKENDS = [pytest.param("c", marks=needs_cc), pytest.param("numba", marks=needs_numba)]


def _params(d, rng):
    P = rng.standard_normal((d, 2 * d)) + 1j * rng.standard_normal((d, 2 * d))
    Q = rng.standard_normal((2 * d, 2 * d)) + 1j * rng.standard_normal((2 * d, 2 * d))
    return 0.3 * P, 0.3 * Q


@needs_fused
@pytest.mark.parametrize("m,T,d,law", [(70, 7, 3, "gaussian"), (5, 3, 2, "sparse"), (64, 5, 1, "rademacher")])
def test_fused_gradient_equals_reference_loop(m, T, d, law):
    # float32 running sums (the default): relative error ~ T * 1e-7, scaled by the largest entry
    rng = np.random.default_rng(m + T)
    x = sampling.zheng_sequences(m, T, d, law, 1.3, rng)           # m = 70, 5: padded last block
    P, Q = _params(d, rng)
    lref, gPref, gQref = training.zheng_loss_and_grad_loop(x, P, Q)
    loss, gP, gQ = training.zheng_loss_and_grad(fused.FusedData(x), P, Q)
    tol = 2e-6 * T
    assert abs(loss - lref) <= tol * lref
    assert np.abs(gP - gPref).max() <= tol * np.abs(gPref).max()
    assert np.abs(gQ - gQref).max() <= tol * np.abs(gQref).max()
    assert fused.loss_and_grad(fused.FusedData(x), P, Q, need_grad=False) == pytest.approx(loss, rel=1e-6)


@needs_fused
def test_fused_gradient_equals_finite_differences():
    # grad = dL/du + i dL/dv (module convention); central differences of the float64 reference loss
    rng = np.random.default_rng(3)
    d, T = 2, 6
    x = sampling.zheng_sequences(40, T, d, "gaussian", 1.0, rng)
    P, Q = _params(d, rng)
    _, gP, gQ = training.zheng_loss_and_grad(fused.FusedData(x), P, Q)
    h = 1e-6
    scale = max(np.abs(gP).max(), np.abs(gQ).max())
    for which, G in (("P", gP), ("Q", gQ)):
        for idx in [(0, 0), (1, 3), (G.shape[0] - 1, 1)]:
            for unit in (1.0, 1j):
                Pp, Qp, Pm, Qm = P.copy(), Q.copy(), P.copy(), Q.copy()
                (Pp if which == "P" else Qp)[idx] += h * unit
                (Pm if which == "P" else Qm)[idx] -= h * unit
                fd = (training.zheng_loss_and_grad_loop(x, Pp, Qp)[0]
                      - training.zheng_loss_and_grad_loop(x, Pm, Qm)[0]) / (2 * h)
                got = G[idx].real if unit == 1.0 else G[idx].imag
                assert abs(got - fd) <= 1e-5 * scale, (which, idx, unit)


@needs_fused
def test_zheng_gd_reports_the_fused_kernel_and_matches_prefix():
    x = sampling.zheng_sequences(100, 8, 2, "gaussian", 1.0, 0)
    a = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=3)
    b = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=3, kernel="prefix")
    assert (a.kernel, b.kernel) == ("fused", "prefix")
    assert np.allclose(a.ab, b.ab, rtol=1e-5) and np.allclose(a.test_loss, b.test_loss, rtol=1e-5)


def test_kernel_choice_is_reported_and_budget_enforced():
    x = sampling.zheng_sequences(20, 6, 2, "gaussian", 1.0, 0)
    res = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=1, memory_budget=1.0)
    assert res.kernel == "chunked" and "over the" in res.extra["kernel_reason"]
    with pytest.raises(ValueError, match="memory_budget"):
        training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=1, kernel="prefix", memory_budget=1.0)
    with pytest.raises(ValueError, match="kernel must be one of"):
        training.zheng_gd(x, x, kernel="gpu")


def test_sequences_are_powers_of_the_phases():
    x, (lam, z) = sampling.zheng_sequences(30, 250, 3, "gaussian", 1.0, 5, return_params=True)
    ref = lam[:, None, :] ** np.arange(250)[None, :, None] * z[:, None, :]
    assert np.abs(x - ref).max() <= 1e-12 * np.abs(z).max()


def test_single_precision_sequences_are_the_double_ones_rounded_once():
    x = sampling.zheng_sequences(600, 40, 3, "gaussian", 1.0, 11)                 # > one 256-sequence block
    x32 = sampling.zheng_sequences(600, 40, 3, "gaussian", 1.0, 11, dtype=np.complex64)
    assert x32.dtype == np.complex64 and np.array_equal(x32, x.astype(np.complex64))
    with pytest.raises(ValueError, match="dtype must be numpy.complex128 or numpy.complex64"):
        sampling.zheng_sequences(4, 5, 2, dtype=np.float32)


def test_fused_layout_pads_with_zero_sequences():
    x = sampling.zheng_sequences(70, 6, 2, "gaussian", 1.0, 2)
    fd = fused.FusedData(x, lanes=64)
    assert fd.xr.shape == (2, 6, 2, 64)
    back = (fd.xr + 1j * fd.xi).transpose(0, 3, 1, 2).reshape(128, 6, 2)
    assert np.array_equal(back[:70], x.astype(np.complex64)) and not back[70:].any()


def test_last_step_gram_is_the_sum_of_outer_products():
    x = sampling.zheng_sequences(150, 6, 2, "gaussian", 1.0, 4)                    # several chunks of 64
    e = training.embed(x)[:, :5]
    assert np.allclose(training.last_step_gram(x), np.einsum("mta,mtb->mab", e, e.conj()), rtol=1e-12, atol=1e-12)


def test_training_path_imports_neither_sympy_nor_matplotlib():
    # the epoch loop's peak memory is the process's: the packages' other modules stay unloaded
    import subprocess
    import sys

    code = ("import sys; from numerics import fused, sampling, training; x = sampling.zheng_sequences(8, 5, 2);"
            "training.zheng_gd(x, x, lr=1e-4, epochs=1, threads=1);"
            "print(sorted(m for m in ('sympy', 'matplotlib', 'theory.zheng_population') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=__import__("os").path.dirname(__import__("os").path.dirname(__file__)))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_lazy_package_exports_resolve_like_eager_imports():
    import numerics
    import theory
    from theory import population_derivatives
    from theory.zheng_population import population_derivatives as direct

    assert population_derivatives is direct
    assert theory.dynamics.LOSS_SCALE is theory.LOSS_SCALE                      # submodule as an attribute
    assert numerics.zheng_gd is training.zheng_gd
    assert set(numerics.__all__) <= set(dir(numerics)) and set(theory.__all__) <= set(dir(theory))
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        theory.nope


@needs_fused
@pytest.mark.parametrize("m,lanes", [(70, 32), (300, 256)])                     # padded last blocks
def test_view_layout_reads_the_callers_array_and_equals_the_copied_layout(m, lanes):
    # fused_view re-lays out one block at a time inside the kernel: same loss and gradients as the
    # copied layout to float32 rounding, and no copy of complex64 sequences
    rng = np.random.default_rng(m)
    x = sampling.zheng_sequences(m, 9, 3, "gaussian", 1.0, rng, dtype=np.complex64)
    P, Q = _params(3, rng)
    view = fused.FusedData(x, lanes=lanes, copy=False)
    assert view.x is x and view.nbytes == x.nbytes
    assert np.array_equal(view.xr, fused.FusedData(x, lanes=lanes).xr)
    a = fused.loss_and_grad(fused.FusedData(x, lanes=lanes), P, Q)
    b = fused.loss_and_grad(view, P, Q)
    assert b[0] == pytest.approx(a[0], rel=1e-6)
    for ga, gb in zip(a[1:], b[1:]):
        assert np.abs(gb - ga).max() <= 1e-6 * np.abs(ga).max()
    assert fused.loss_and_grad(view, P, Q, need_grad=False) == pytest.approx(a[0], rel=1e-6)


@needs_fused
def test_zheng_gd_fused_view_is_reported_chosen_under_a_tight_budget_and_takes_the_same_steps():
    x = sampling.zheng_sequences(1000, 8, 2, "gaussian", 1.0, 0, dtype=np.complex64)   # 4 blocks of 256
    a = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=3)
    copy_bytes = training.KERNEL_BYTES["fused"](1000, 8, 2, "single")
    b = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=3, memory_budget=copy_bytes)   # train + test: 2x
    assert (a.kernel, b.kernel) == ("fused", "fused_view") and "fused:" in b.extra["kernel_reason"]
    assert np.allclose(a.ab, b.ab, rtol=1e-6) and np.allclose(a.test_loss, b.test_loss, rtol=1e-6)


def test_flops_count_is_affine_in_the_steps_and_linear_in_the_padded_sequences():
    f = fused.flops
    per_step = f(1, 4, 3) - f(1, 3, 3)
    assert f(1, 50, 3) == f(1, 3, 3) + 47 * per_step
    assert f(300, 10, 3, lanes=256) == 512 * f(1, 10, 3)                       # padding counted
    fwd = f(1, 4, 3, need_grad=False) - f(1, 3, 3, need_grad=False)
    assert fwd < per_step < 2.1 * fwd                                          # backward ~ forward


@needs_numba
@pytest.mark.parametrize("copy,lanes", [(True, None), (True, 32), (False, None)])
def test_generated_kernel_equals_the_generic_kernel(copy, lanes):
    # the kernel generated for d (its d-loops unrolled, 16 sequences per lane loop) against the
    # generic loops: same loss and gradients to float32 rounding, padded last blocks included
    rng = np.random.default_rng(7)
    x = sampling.zheng_sequences(37, 9, 3, "gaussian", 1.0, rng, dtype=np.complex64)
    P, Q = _params(3, rng)
    data = fused.FusedData(x, lanes=lanes, copy=copy)
    assert data.lanes == (fused.GENERATED_LANES if lanes is None else lanes)
    a = fused.loss_and_grad(data, P, Q, generated=False)
    b = fused.loss_and_grad(data, P, Q)                                  # default: generated at d <= 8
    assert b[0] == pytest.approx(a[0], rel=1e-6)
    for ga, gb in zip(a[1:], b[1:]):
        assert np.abs(gb - ga).max() <= 1e-6 * np.abs(ga).max()
    assert fused.loss_and_grad(data, P, Q, need_grad=False) == pytest.approx(a[0], rel=1e-6)


def test_generated_kernel_applies_up_to_its_limit_and_is_refused_beyond():
    assert fused.default_lanes(_fused_gen.MAX_D) == fused.GENERATED_LANES
    assert fused.default_lanes(_fused_gen.MAX_D + 1) == fused.LANES                 # generic kernel
    assert not _fused_gen.usable(3, 24) and _fused_gen.usable(3, 32)
    src = _fused_gen.source(2)
    assert "def block_grad" in src and "def kernel_view_loss" in src and "for k in" not in src   # unrolled
    if fused.HAVE_NUMBA:
        x = sampling.zheng_sequences(4, 5, _fused_gen.MAX_D + 1, "gaussian", 1.0, 0)
        P, Q = _params(_fused_gen.MAX_D + 1, np.random.default_rng(0))
        with pytest.raises(ValueError, match="generated=True needs d <= 8"):
            fused.loss_and_grad(fused.FusedData(x), P, Q, generated=True)
        with pytest.raises(TypeError, match="generated must be True, False or None"):
            fused.loss_and_grad(fused.FusedData(x), P, Q, generated="yes")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("copy", [True, False])
@pytest.mark.parametrize("dtype,rel", [(np.float32, 2e-6), (np.float64, 1e-13)])
def test_each_backend_equals_the_reference_loop(backend, copy, dtype, rel):
    # the generated kernel built by the C compiler and by numba, both layouts, both precisions:
    # loss and gradients of the per-t reference loop, to the precision's rounding (times T)
    rng = np.random.default_rng(11)
    T = 9
    x = sampling.zheng_sequences(37, T, 3, "gaussian", 1.0, rng)                 # 3 blocks of 16, padded
    P, Q = _params(3, rng)
    ref = training.zheng_loss_and_grad_loop(x, P, Q)
    data = fused.FusedData(x, dtype=dtype, copy=copy)
    got = fused.loss_and_grad(data, P, Q, backend=backend)
    assert abs(got[0] - ref[0]) <= rel * T * ref[0]
    for g, r in zip(got[1:], ref[1:]):
        assert np.abs(g - r).max() <= rel * T * np.abs(r).max()
    assert abs(fused.loss_and_grad(data, P, Q, need_grad=False, backend=backend) - ref[0]) <= rel * T * ref[0]


@needs_cc
def test_c_backend_on_threads_equals_one_thread_exactly():
    # each block's sums are written to its own row and reduced in one order: threads change nothing
    rng = np.random.default_rng(5)
    x = sampling.zheng_sequences(90, 7, 2, "gaussian", 1.0, rng, dtype=np.complex64)   # 6 blocks
    P, Q = _params(2, rng)
    for copy in (True, False):
        data = fused.FusedData(x, copy=copy)
        one = fused.loss_and_grad(data, P, Q, threads=1, backend="c")
        two = fused.loss_and_grad(data, P, Q, threads=2, backend="c")
        assert one[0] == two[0] and np.array_equal(one[1], two[1]) and np.array_equal(one[2], two[2])


def test_backend_choice_is_reported_and_a_backend_that_cannot_run_says_why(monkeypatch):
    big = _fused_gen.MAX_D + 1
    with pytest.raises(RuntimeError, match=f"generated for d <= {_fused_gen.MAX_D}"):
        fused.backend_for(big, "c")
    if fused.HAVE_NUMBA:
        assert fused.backend_for(big)[0] == "numba"                               # auto: beyond the C kernel
        monkeypatch.setenv("MESACHECK_FUSED_BACKEND", "numba")
        assert fused.backend_for(2) == ("numba", "numba (from MESACHECK_FUSED_BACKEND)")
    monkeypatch.setenv("MESACHECK_FUSED_BACKEND", "gpu")
    with pytest.raises(ValueError, match="MESACHECK_FUSED_BACKEND must be one of"):
        fused.backend_for(2)
    x = sampling.zheng_sequences(20, 6, 2, "gaussian", 1.0, 0)
    with pytest.raises(ValueError, match="MESACHECK_FUSED_BACKEND must be one of"):   # never a silent fallback
        training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=1)


@needs_cc
def test_a_failing_compiler_is_reported_never_used(monkeypatch, tmp_path):
    monkeypatch.setenv("MESACHECK_FUSED_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "false")                                          # a compiler that always fails
    monkeypatch.setattr(_fused_gen, "_C_MODULES", {})
    monkeypatch.setattr(fused, "_CHOSEN", {})
    with pytest.raises(RuntimeError, match="did not compile"):
        fused.backend_for(2, "c")
    if fused.HAVE_NUMBA:
        backend, why = fused.backend_for(2)
        assert backend == "numba" and "did not compile" in why
        x = sampling.zheng_sequences(20, 6, 2, "gaussian", 1.0, 0)
        res = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=1)
        assert res.kernel == "fused" and "backend numba" in res.extra["kernel_reason"]
    assert not list(tmp_path.glob("*.so"))


@needs_cc
def test_a_corrupt_c_library_is_detected_and_rebuilt(monkeypatch, tmp_path):
    monkeypatch.setenv("MESACHECK_FUSED_DIR", str(tmp_path))
    monkeypatch.setattr(_fused_gen, "_C_MODULES", {})
    cc, text = _fused_gen.compiler(), _fused_gen.c_source(1)
    base = _fused_gen._library_base((1, _fused_gen.WIDTH), cc, text)
    _fused_gen._build(cc, text, base)                                           # built, not loaded here
    lib = tmp_path / (base.rsplit("/", 1)[1] + ".so")
    good = lib.read_bytes()
    lib.write_bytes(good[: len(good) // 2])                                    # truncated on disk
    assert _fused_gen._load(base) is None                                       # never loaded as it is
    _fused_gen.c_kernels(1)                                                     # rebuilt, then loaded
    assert lib.read_bytes() == good
    x = sampling.zheng_sequences(20, 6, 1, "gaussian", 1.0, 0)
    P, Q = _params(1, np.random.default_rng(0))
    ref = training.zheng_loss_and_grad_loop(x, P, Q)[0]
    assert fused.loss_and_grad(x, P, Q, need_grad=False, backend="c") == pytest.approx(ref, rel=1e-5)


@needs_cc
def test_the_c_backend_trains_without_importing_numba():
    # the C kernel loads through ctypes: the training process never pays numba's ~65 MB
    import os
    import subprocess
    import sys

    code = ("import sys; from numerics import sampling, training; x = sampling.zheng_sequences(40, 6, 2);"
            "r = training.zheng_gd(x, x, lr=1e-4, epochs=2, threads=1);"
            "print(r.kernel, 'numba' in sys.modules, 'backend c' in r.extra['kernel_reason'])")
    env = {k: v for k, v in os.environ.items() if k != "MESACHECK_FUSED_BACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                         cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["fused", "False", "True"]


@needs_cc
@pytest.mark.parametrize("T", range(3, 12))
def test_c_grouped_gradient_sums_hold_for_every_remainder_of_the_groups(T):
    # the C build sums r v^H and h e^H of GROUP steps at once, the last partial group on zeroed
    # slots: T - 2 steps leave every remainder; float64, so that a wrong slot is far above rounding
    K = _fused_gen.GROUP["c"]
    assert {(t - 2) % K for t in range(3, 12)} == set(range(K))
    rng = np.random.default_rng(T)
    x = sampling.zheng_sequences(21, T, 2, "gaussian", 1.0, rng)
    P, Q = _params(2, rng)
    ref = training.zheng_loss_and_grad_loop(x, P, Q)
    got = fused.loss_and_grad(fused.FusedData(x, dtype=np.float64), P, Q, backend="c")
    assert abs(got[0] - ref[0]) <= 1e-12 * T * ref[0]
    for g, r in zip(got[1:], ref[1:]):
        assert np.abs(g - r).max() <= 1e-12 * T * np.abs(r).max()


@needs_cc
@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="POSIX fork")
def test_c_backend_on_threads_runs_in_a_forked_child():
    # the thread pool of the C backend belongs to its process: a child forked after a threaded call
    # (a sweep's process pool) gets its own pool, never the parent's dead threads (that would hang)
    import multiprocessing as mp

    rng = np.random.default_rng(2)
    x = sampling.zheng_sequences(64, 6, 2, "gaussian", 1.0, rng, dtype=np.complex64)
    P, Q = _params(2, rng)
    want = fused.loss_and_grad(x, P, Q, need_grad=False, threads=2, backend="c")
    with mp.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(fused.loss_and_grad, (x, P, Q, False, 2, None, "c")).get(timeout=60)
    assert got == want


@needs_cc
def test_compiling_the_c_kernel_is_announced_through_progress(monkeypatch, tmp_path):
    # long work shows progress: zheng_gd's progress callback hears of the one-time build, once
    monkeypatch.setenv("MESACHECK_FUSED_DIR", str(tmp_path))
    monkeypatch.setattr(_fused_gen, "_C_MODULES", {})
    monkeypatch.setattr(fused, "_CHOSEN", {})
    x = sampling.zheng_sequences(20, 6, 1, "gaussian", 1.0, 0)
    heard = []
    training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=2, progress=lambda *a: heard.append(a))
    assert heard[0][0] == 0 and "compiling the fused kernel for d = 1" in heard[0][2]
    monkeypatch.setattr(_fused_gen, "_C_MODULES", {})
    monkeypatch.setattr(fused, "_CHOSEN", {})
    heard.clear()
    training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=2, progress=lambda *a: heard.append(a))
    assert not any("compiling" in a[2] for a in heard)                           # built: loaded from disk


def test_without_numba_or_a_compiler_training_takes_the_numpy_kernel_and_says_why(monkeypatch):
    monkeypatch.setattr(fused, "HAVE_NUMBA", False)
    monkeypatch.setenv("CC", "no-such-compiler-here")
    monkeypatch.setattr(fused, "_CHOSEN", {})
    assert not fused.available(2)
    x = sampling.zheng_sequences(20, 6, 2, "gaussian", 1.0, 0)
    res = training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=1)
    assert res.kernel == "prefix" and "no C compiler" in res.extra["kernel_reason"]
    with pytest.raises(ValueError, match="kernel='fused' cannot run"):
        training.zheng_gd(x, x, 0.5, 0.5, lr=1e-2, epochs=1, kernel="fused")
