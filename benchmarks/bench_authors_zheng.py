"""Side by side: the authors' PyTorch training of Zheng et al. against ``numerics.training.zheng_gd``.

Run:  python benchmarks/bench_authors_zheng.py PATH_TO_CHECKOUT [--m 1000,2000,4000] [--epochs 3]
      (PATH_TO_CHECKOUT: a checkout of the authors' repository ML-GSAI/MesaOpt-AR-Transformer;
       needs torch. Not run in CI. Their code is imported from that path, never copied here.)

What one epoch is, for both (the authors' main_train_ar.py with --eval_freq 1): the forward pass on
the m training sequences, the backward pass, one SGD step, and the forward pass on the test set
with its loss, ab and prediction ratio logged. Both sides: d = 5, T = 100, Gaussian z, one thread,
the SAME sequences (ours, generated in complex64 -- the complex128 values rounded once, the
precision both sides compute in -- and handed to their ``get_embedding`` as torch.cfloat), a test set of m
sequences (their script hard-codes 10000; we use m on both sides so that the work is equal).
Each side runs in its own subprocess, so its peak RSS (ru_maxrss) is its own. The ab after the
timed epochs is printed for both: the two implementations take the same steps. Each side's
epoch time is its best over the repeats (the machine is shared: the least disturbed timing).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _data(m, T, d, seed):
    sys.path.insert(0, ROOT)
    import numpy as np

    from numerics import sampling

    rng = np.random.default_rng(seed)
    # single precision (what both sides compute in: their torch.cfloat, our precision="single"):
    # the complex128 sequences rounded once, handed to both sides
    return (sampling.zheng_sequences(m, T, d, "gaussian", 1.0, rng, dtype=np.complex64),
            sampling.zheng_sequences(m, T, d, "gaussian", 1.0, rng, dtype=np.complex64))


def _peak_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def part_authors(path, m, T, d, epochs, lr):
    import types

    import torch

    torch.set_num_threads(1)
    try:
        import tqdm  # noqa: F401  (imported, never used, by their main_train_ar.py)
    except ImportError:
        import importlib.machinery

        stub = types.ModuleType("tqdm")
        stub.__spec__ = importlib.machinery.ModuleSpec("tqdm", None)
        stub.tqdm = lambda it, *a, **k: it
        sys.modules["tqdm"] = stub
    sys.path.insert(0, path)
    sys.argv = ["main_train_ar.py"]
    import main_train_ar as authors                                  # their get_embedding, eval_log's loss
    from models.lsa import AutoregressiveLSA

    baseline = _peak_mb()                                            # interpreter + libraries
    x, xt = _data(m, T, d, 0)
    train = torch.tensor(x.transpose(0, 2, 1).copy(), dtype=torch.cfloat)          # (m, d, T) as theirs
    test = torch.tensor(xt.transpose(0, 2, 1).copy(), dtype=torch.cfloat)
    embed_train, embed_test = authors.get_embedding(train), authors.get_embedding(test)
    labels, labels_test = embed_train[:, :d, 2:], embed_test[:, :d, 2:]
    model = AutoregressiveLSA(dim=d, T=T, a=0.1, b=0.1)
    opt = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=0)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        opt.zero_grad()
        out = model.forward_train(embed_train)
        loss = 0.5 * ((out - labels).conj_physical() * (out - labels)).sum().real / embed_train.shape[0]
        loss.backward()
        opt.step()
        out_t = model.forward_train(embed_test)                      # their per-epoch evaluation
        test_loss = 0.5 * ((out_t - labels_test).conj_physical() * (out_t - labels_test)).sum().real / m
        with torch.no_grad():
            ab = torch.diag(model.WKQ.real[d:, :d] * model.WPV.real[:, :d]).mean().item()
            ratio = (out_t[:, :, -1] / (labels_test[:, :, -1] + 1e-5)).mean().real.item()
        times.append(time.perf_counter() - t0)
    return {"epoch_s": min(times), "ab": ab, "test_loss": float(test_loss), "ratio": ratio,
            "peak_mb": _peak_mb(), "baseline_mb": baseline}


def part_ours(m, T, d, epochs, lr, kernel="auto"):
    sys.path.insert(0, ROOT)
    from numerics import training

    training.zheng_gd(*_data(64, T, d, 1), 0.1, 0.1, lr=lr, epochs=1, threads=1, kernel=kernel)  # load the kernel
    baseline = _peak_mb()                                            # interpreter + libraries
    x, xt = _data(m, T, d, 0)
    # per epoch: the time between two progress calls of zheng_gd (one step + the test-set logging);
    # the best of 12 epochs (the machine is shared: the least disturbed timing), as for their epochs
    stamps = []
    res = training.zheng_gd(x, xt, 0.1, 0.1, lr=lr, epochs=epochs + 12, threads=1, kernel=kernel,
                            progress=lambda *a: stamps.append(time.perf_counter()))
    per = min(b - a for a, b in zip(stamps, stamps[1:]))
    setup = res.seconds - (stamps[-1] - stamps[0]) - per        # before the first epoch's step
    return {"epoch_s": per, "setup_s": max(0.0, setup), "ab": float(res.ab[epochs]),
            "test_loss": float(res.test_loss[epochs]), "ratio": float(res.ratio[epochs]), "kernel": res.kernel,
            "peak_mb": _peak_mb(), "baseline_mb": baseline}


def run(part, *args):
    code = ("import json, sys; sys.path.insert(0, %r); import bench_authors_zheng as b; "
            "print(json.dumps(b.part_%s(*%r)))" % (HERE, part, args))
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"{part} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(path, ms=(1000, 2000, 4000), epochs=3, T=100, d=5, lr=1e-4, view=True):
    """Rows of (m, authors, ours) measured side by side (interleaved), as dicts.

    With ``view``, also ours with ``kernel="fused_view"`` (the sequences read in place: least memory).
    """
    rows = []
    for m in ms:
        a = run("authors", path, m, T, d, epochs, lr)
        o = run("ours", m, T, d, epochs, lr)
        row = {"m": m, "authors": a, "ours": o, "speedup": a["epoch_s"] / o["epoch_s"],
               "memory_ratio": o["peak_mb"] / a["peak_mb"]}
        if view:
            v = run("ours", m, T, d, epochs, lr, "fused_view")
            row.update(view=v, view_speedup=a["epoch_s"] / v["epoch_s"], view_memory_ratio=v["peak_mb"] / a["peak_mb"])
        rows.append(row)
    return rows


def format_rows(rows):
    lines = []
    for r in rows:
        a, o = r["authors"], r["ours"]
        lines.append(f"[authors' PyTorch vs ours] d=5 T=100 m={r['m']} (test set {r['m']}), one thread: "
                     f"{a['epoch_s']:.2f} s vs {o['epoch_s'] * 1e3:.1f} ms per epoch -> {r['speedup']:.0f}x; "
                     f"peak RSS {a['peak_mb']:.0f} MB vs {o['peak_mb']:.0f} MB -> {r['memory_ratio']:.3f} of theirs "
                     f"(above the import baseline, {a.get('baseline_mb', 0):.0f} vs {o.get('baseline_mb', 0):.0f} MB: "
                     f"{(o['peak_mb'] - o.get('baseline_mb', 0)) / max(1.0, a['peak_mb'] - a.get('baseline_mb', 0)):.3f}); "
                     f"kernel {o['kernel']} (one-time setup {o['setup_s']:.2f} s); ab after the epochs {a['ab']:.7f} vs {o['ab']:.7f}, "
                     f"test loss {a['test_loss']:.4f} vs {o['test_loss']:.4f}")
        if "view" in r:
            v = r["view"]
            lines.append(f"[authors' PyTorch vs ours, kernel {v['kernel']}: sequences read in place] m={r['m']}: "
                         f"{a['epoch_s']:.2f} s vs {v['epoch_s'] * 1e3:.1f} ms per epoch -> {r['view_speedup']:.0f}x "
                         f"({v['epoch_s'] / o['epoch_s']:.2f}x the epoch of kernel {o['kernel']}); peak RSS "
                         f"{a['peak_mb']:.0f} MB vs {v['peak_mb']:.0f} MB -> {r['view_memory_ratio']:.3f} of theirs; "
                         f"ab {v['ab']:.7f}, test loss {v['test_loss']:.4f}")
    return lines


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", help="checkout of ML-GSAI/MesaOpt-AR-Transformer")
    p.add_argument("--m", default="1000,2000,4000")
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args(argv)
    if not os.path.isfile(os.path.join(a.path, "models", "lsa.py")):
        raise SystemExit(f"{a.path}: not a checkout of the authors' repository (no models/lsa.py)")
    for line in format_rows(compare(a.path, [int(v) for v in a.m.split(",")], a.epochs)):
        print(line, flush=True)


if __name__ == "__main__":
    main()
