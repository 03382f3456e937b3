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
        if "No module named 'torch'" in proc.stderr:
            raise SystemExit("the authors' code needs torch (not a mesacheck dependency): pip install torch")
        raise SystemExit(f"the authors' run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mesacheck_flow(run=RUN):
    """The exact population loss and flow of the authors' model, through mesacheck's public API.

    Returns (model, loss function f(theta), flow rhs F(theta), its Jacobian J(theta)), lambdified.
    """
    sys.path.insert(0, ROOT)
    import sympy as sp

    from theory import InContextRegression, LinearAttention, gradient_flow, population_loss

    D, H, N = run["in_dim"], run["head_num"], run["seq_len"] - 1
    model = LinearAttention(D=D, heads=H, parametrisation="merged", normaliser=sp.Integer(1))
    task = InContextRegression(D=D, covariance=[sp.Rational(1, D)] * D)   # their gen_cov: I / tr(I)
    loss = population_loss(model, task, N=N, scale=1)                     # their nn.MSELoss: no 1/2
    flow = gradient_flow(loss)
    theta = list(model.symbols)
    rhs = sp.Matrix([flow.rhs[s] for s in theta])
    jac = rhs.jacobian(theta)
    f = sp.lambdify([theta], loss.expr, "numpy")
    F = sp.lambdify([theta], list(rhs), "numpy")
    J = sp.lambdify([theta], jac.tolist(), "numpy")
    return model, f, F, J


def initial_vector(model, init):
    """The authors' initial weights in the order of ``model.symbols`` (W_KQ = their kq block, transposed)."""
    import numpy as np

    values = {}
    for h, (W, v) in enumerate(zip(init["W"], init["v"]), start=1):
        W = np.array(W).T
        for (i, j), s in zip(np.ndindex(W.shape), model.parameters[f"W_KQ_{h}"]):
            values[s] = W[i, j]
        for s, x in zip(model.parameters[f"v_{h}"], v):
            values[s] = x
    return np.array([values[s] for s in model.symbols], dtype=float)


def integrate(f, F, J, theta0, times):
    import numpy as np
    from scipy.integrate import solve_ivp

    sol = solve_ivp(lambda t, y: np.array(F(y), dtype=float), (times[0], times[-1]), theta0, method="LSODA",
                    jac=lambda t, y: np.array(J(y), dtype=float), t_eval=times, rtol=1e-10, atol=1e-13)
    if not sol.success:
        raise RuntimeError(f"LSODA failed: {sol.message}")
    return np.array([f(sol.y[:, k]) for k in range(sol.y.shape[1])])


def compare(path, run=RUN):
    import time

    import numpy as np

    t0 = time.perf_counter()
    authors = run_authors(path, run)
    t_authors = time.perf_counter() - t0
    t0 = time.perf_counter()
    model, f, F, J = mesacheck_flow(run)
    t_derive = time.perf_counter() - t0
    steps = np.arange(run["epoch"])
    times = run["lr"] * steps                                   # one SGD step of size lr = time lr of the flow
    t0 = time.perf_counter()
    ours = integrate(f, F, J, initial_vector(model, authors["init"]), times)
    t_flow = time.perf_counter() - t0
    theirs = np.array(authors["losses"])
    import sympy as sp

    from proofs_check.claims.zsls2025 import stated_plateau

    D, N = run["in_dim"], run["seq_len"] - 1
    # the population minimum (MSE): claim S1's stated plateau with every direction learned
    minimum = float(stated_plateau([sp.Rational(1, D)] * D, tuple(range(D)), N))
    return {"run": run, "steps": steps, "ours": ours, "theirs": theirs, "minimum": minimum,
            "seconds": {"authors' training": t_authors, "mesacheck loss+flow derivation": t_derive,
                        "LSODA": t_flow}}


def write(result, out, tolerance):
    import numpy as np

    ours, theirs, steps = result["ours"], result["theirs"], result["steps"]
    gap = np.abs(ours - theirs) / ours[0]
    run = result["run"]
    lines = [
        "The authors' run of yedizhang/linattn-icl (train.py, --model attnM --white_cov) against mesacheck's exact",
        "population flow (theory.population_loss + gradient_flow, SciPy LSODA with the Jacobian) from the same",
        "initial weights; generated by benchmarks/compare_zsls_authors.py.",
        f"run: {json.dumps(run)}",
        f"N = {run['seq_len'] - 1} context tokens, D = {run['in_dim']}, H = {run['head_num']}; "
        "their loss: MSE, full-batch SGD on the finite training set; ours: the population loss (scale 1, "
        "normaliser 1), flow time = lr * step",
        "",
        "   step    authors     mesacheck   |gap|/L(0)",
    ]
    marks = sorted(set(list(range(0, len(steps), max(1, len(steps) // 30))) + [len(steps) - 1]))
    for k in marks:
        lines.append(f"{steps[k]:7d}  {theirs[k]:.6f}    {ours[k]:.6f}    {gap[k]:.4f}")
    lines += [
        "",
        f"population minimum (both directions learned, MSE; claim S1 stated): {result['minimum']:.6f}",
        f"final loss: authors {theirs[-1]:.6f}, mesacheck {ours[-1]:.6f}",
        f"largest gap |authors - mesacheck| / L(0): {gap.max():.4f} (at step {int(steps[gap.argmax()])})",
        f"tolerance (sampling error): {tolerance}",
        f"agreement: {'yes' if gap.max() < tolerance else 'NO'}",
        "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result["seconds"].items()),
    ]
    with open(out + ".tmp", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(out + ".tmp", out)
    return gap.max()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", help="path to a checkout of yedizhang/linattn-icl")
    parser.add_argument("--out", default=os.path.join(HERE, "results_zsls_authors.txt"))
    parser.add_argument("--tolerance", type=float, default=0.03,
                        help="largest allowed |gap| / L(0) (the finite training set's sampling error)")
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.checkout, "train.py")):
        parser.error(f"checkout: no train.py in {args.checkout!r}: give a checkout of yedizhang/linattn-icl")
    gap = write(compare(args.checkout), args.out, args.tolerance)
    print(open(args.out).read())
    return 0 if gap < args.tolerance else 1


if __name__ == "__main__":
    raise SystemExit(main())
