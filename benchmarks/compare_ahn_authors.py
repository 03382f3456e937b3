"""Ahn et al.'s own code (github chengxiang/LinearTransformer, ``linear_transformer.attention``) against
mesacheck's layer: which key-query convention does the code use?

    python benchmarks/compare_ahn_authors.py CHECKOUT [--out benchmarks/results_ahn_authors.txt]

CHECKOUT is a directory holding the repository's ``linear_transformer.py`` (a clone), or a bare git
directory (``fetch`` gives one; the file is read from HEAD). Needs torch (CPU is enough; not a test
dependency). For random non-symmetric P, Q (the code's d x d blocks) and a random prompt, the code's
prediction -[Z + attention(P, Q, Z)]_{n+1, d+1} (its loss is (output + y)^2) is compared with
``theory.LinearAttention(value="full", readout_sign=-1)`` at W_PV = P_full and W_KQ = Q_full^T (the code
forms z_q^T Q z_i) and at W_KQ = Q_full (the paper's Eq. 3, z_i^T Q z_q): the first must agree to rounding,
the second must not (ahn2023.M and ahn2023.L1 pin the paper's convention; the code's is the transpose).
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_authors_module(checkout: Path):
    source = checkout / "linear_transformer.py"
    git = ["git", "-C", str(checkout)] if source.exists() else ["git", "--git-dir", str(checkout)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if not source.exists():                              # a bare git directory: read the file from HEAD
        text = subprocess.run([*git, "show", "HEAD:linear_transformer.py"], capture_output=True, text=True,
                              check=True).stdout
        source = Path(tempfile.mkdtemp()) / "linear_transformer.py"
        source.write_text(text)
    spec = importlib.util.spec_from_file_location("ahn_linear_transformer", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, commit or "unknown commit"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--out", default=str(Path(__file__).with_name("results_ahn_authors.txt")))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import numpy as np
    import sympy as sp
    import torch

    torch.set_default_dtype(torch.float64)               # the code builds its padding with the default dtype
    authors, commit = load_authors_module(args.checkout)
    from proofs_check import check_close
    from theory import LinearAttention

    rng = np.random.default_rng(args.seed)
    d, n = 3, 6
    P, Q = rng.standard_normal((d, d)), rng.standard_normal((d, d))
    X, w = rng.standard_normal((n + 1, d)), rng.standard_normal(d)
    y = X[:n] @ w
    Z = np.zeros((1, n + 1, d + 1))
    Z[0, :, :d], Z[0, :n, d] = X, y
    out = torch.tensor(Z) + authors.attention(torch.tensor(P), torch.tensor(Q), torch.tensor(Z))
    code_prediction = float(-out[0, n, d])

    rational = lambda M: sp.Matrix(M.shape[0], M.shape[1], [sp.Rational(float(v)) for v in M.ravel()])  # noqa: E731
    P_full = sp.zeros(d + 1, d + 1)                      # the code pads P with a zero row and column, P_full[d, d] = 1
    P_full[:d, :d], P_full[d, d] = rational(P), 1
    Q_full = sp.diag(rational(Q), 0)
    model = LinearAttention(D=d, value="full", readout_sign=-1)
    xs = [rational(X[i].reshape(d, 1)) for i in range(n)]
    ys = [sp.Rational(float(v)) for v in y]
    x_q = rational(X[n].reshape(d, 1))
    lines = [f"# compare_ahn_authors.py, {time.strftime('%Y-%m-%d %H:%M')} UTC, chengxiang/LinearTransformer "
             f"@{commit} linear_transformer.attention, d = {d}, n = {n}, seed {args.seed}, float64",
             f"code prediction -[Z + attention(P, Q, Z)]_(n+1, d+1) = {code_prediction!r}"]
    for label, KQ in (("W_KQ = Q_full^T (the code's z_q^T Q z_i)", Q_full.T), ("W_KQ = Q_full (the paper's Eq. 3)", Q_full)):
        ours = model.predict(xs, ys, x_q, values={"W_PV_1": P_full, "W_KQ_1": KQ})
        result = check_close(float(ours), code_prediction, rtol=1e-9, atol=1e-12, name=label)
        lines.append(f"{label}: mesacheck {float(ours)!r}, relative difference "
                     f"{abs(float(ours) - code_prediction) / abs(code_prediction):.3e}: {result.status.value}")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
