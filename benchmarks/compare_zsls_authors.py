"""The authors' training run of Zhang, Singh, Latham, Saxe 2025 against mesacheck's gradient flow.

Run:  python benchmarks/compare_zsls_authors.py PATH_TO_CHECKOUT [--out benchmarks/results_zsls_authors.txt]
      (PATH_TO_CHECKOUT: a checkout of the authors' repository yedizhang/linattn-icl; needs torch.
       Not run in CI. Their code is imported from that path, never copied here.)

The authors' side: their ``train.py`` pipeline as is (``config``, ``gen_dataset``, ``creat_network``,
``train``) for merged-KQ multi-head linear attention (``--model attnM``) with a white covariance,
run in a subprocess on one thread; their ``train`` writes the per-step training loss (MSE, full-batch
SGD with step ``lr``) to a text file, read back here. Their initial weights are recorded before
training.

mesacheck's side, through the public API only: ``theory.LinearAttention`` with the authors' conventions
(H heads, merged W_KQ, the readout row of W_V; their forward pass has no 1/N, so ``normaliser=1``),
``theory.InContextRegression`` with their covariance Lambda = I/D, the exact population loss
``theory.population_loss`` (scale 1: their loss is the mean squared error, no 1/2) at their N, the
flow ``theory.gradient_flow``, lambdified and integrated by SciPy LSODA with its Jacobian from the
authors' initial weights. One SGD step of size lr is time lr of the flow.

Conventions (theirs -> ours): their attention score of the query n on the token m is
z_n^T W z_m (``kq.weight`` block W, the query on the left); ours is yhat = v^T (S/rho) W_KQ z_q,
so W_KQ = W^T. Their sum runs over the N context tokens and the query (whose label is 0).

The two differ by design in: their training set is finite (``--trainset_size`` sequences, w
whitened, x centred), ours is the population; so the agreement expected is the sampling error,
not rounding. The figures written: the two loss curves at a few steps, their largest gap, and the
losses at the end against the population minimum.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

#: the run compared (small, CPU): D = 2, two heads, N = 8 context tokens, white covariance
RUN = {"model": "attnM", "head_num": 2, "in_dim": 2, "seq_len": 9, "init": 0.02, "lr": 0.002,
       "epoch": 1500, "trainset_size": 20000, "seed": 10}


def part_authors(path, run):
    """Run their training in this process; returns their initial weights and the loss per step."""
    import torch

    torch.set_num_threads(1)
    path = os.path.abspath(path)
    sys.path.insert(0, path)
    argv = []
    for key, value in run.items():
        argv += [f"--{key}", str(value)]
    argv.append("--white_cov")
    import contextlib
    import io

    import numpy as np

    with contextlib.redirect_stdout(io.StringIO()):
        import train as authors                                     # their train.py (main-guarded)
        args = authors.config().parse_args(argv)
        torch.manual_seed(args.seed)
        np.random.seed(args.seed)
        data = authors.gen_dataset(args)
        model = authors.creat_network(args)
    E, H = args.in_dim + args.out_dim, args.head_num
    kq = model.kq.weight.detach().numpy().astype(float)
    value = model.value.weight.detach().numpy().astype(float)
    init = {"W": [kq[h * E:(h + 1) * E].tolist() for h in range(H)],
            "v": [value[(h + 1) * E - 1].tolist() for h in range(H)]}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                authors.train(model, data, args)                     # writes <file_id>.txt, the loss per step
            (name,) = [f for f in os.listdir(tmp) if f.endswith(".txt")]
            losses = np.loadtxt(name).tolist()
        finally:
            os.chdir(cwd)
    return {"init": init, "losses": losses}


def run_authors(path, run=RUN):
    code = ("import json, sys; sys.path.insert(0, %r); import compare_zsls_authors as c; "
            "print(json.dumps(c.part_authors(%r, %r)))" % (HERE, path, run))
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"the authors' run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
