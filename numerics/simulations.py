"""Reproductions of the two papers' simulations: ``simulate(name, quick, seed, out_dir, progress)``.

Each simulation writes PNG figures and one JSON of every plotted series to ``out_dir`` (if
given) and returns a :class:`SimulationResult`. Divergence is a status, never an exception.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import flows, metrics, plots, population, sampling, training


class Summary(dict):
    """The headline numbers (a dict); calling it returns them as indented text."""

    def __call__(self) -> str:
        return json.dumps(_tolist(dict(self)), indent=1)


@dataclass
class SimulationResult:
    """Outcome of :func:`simulate`.

    Attributes
    ----------
    name : str
    status : {"ok", "diverged"}
        "diverged" when a gradient descent run diverged (``message`` names the run and epoch).
    message : str
    summary : Summary  headline numbers (a dict; ``summary()`` gives them as text)
    series : dict      every plotted series (also written as JSON)
    figures : list of str      PNG and PDF paths written
    json_path : str or None
    seconds : float
    provenance : dict
        Versions, git commit when known, seed, quick flag and parameters (also in the JSON).
    """

    name: str
    status: str
    message: str
    summary: Summary = field(default_factory=Summary)
    series: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    json_path: str | None = None
    seconds: float = 0.0
    provenance: dict = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """Jupyter: status, headline numbers and the PNG figures inline."""
        import base64
        import html

        parts = [f"<p><b>{html.escape(self.name)}</b>: {html.escape(self.status)} ({html.escape(self.message)}), "
                 f"{self.seconds:.1f} s</p>", f"<pre>{html.escape(self.summary())}</pre>"]
        for path in self.figures:
            if path.endswith(".png") and os.path.exists(path):
                with open(path, "rb") as fh:
                    data = base64.b64encode(fh.read()).decode("ascii")
                parts.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(os.path.basename(path))}" '
                             'style="max-width:100%"/>')
        return "\n".join(parts)

    def __str__(self) -> str:
        files = f"; wrote {len(self.figures)} figure(s) and {self.json_path}" if self.json_path else ""
        return f"{self.name}: {self.status} ({self.message}), {self.seconds:.1f} s{files}\n{self.summary()}"


# --- argument checks --------------------------------------------------------------------------

def _check_positive(name: str, value, integer: bool = False, example: str = "") -> None:
    ok = value is not None and np.isfinite(value) and value > 0
    if integer:
        ok = ok and int(value) == value
    if not ok:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{name} must be {kind} (got {value!r}): pass e.g. {name}={example}.")


def _prepare_out(out_dir):
    if out_dir is None:
        return None
    try:
        import tempfile

        os.makedirs(out_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):  # unlinked at once on POSIX: nothing left if interrupted
            pass
    except OSError as exc:
        raise ValueError(f"cannot write to out_dir {str(out_dir)!r} ({exc.strerror or exc}): "
                         f"choose a writable directory.") from None
    return out_dir


def _tolist(v):
    if isinstance(v, dict):
        return {str(k): _tolist(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_tolist(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_tolist(x) for x in v.tolist()] if v.dtype.kind in "fc" else v.tolist()
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, complex):
        return [v.real, v.imag]
    if isinstance(v, np.integer):
        return int(v)
    return v


def _provenance(seed, quick, params) -> dict:
    """Versions (mesacheck, NumPy, SciPy, matplotlib), the git commit when known, seed, quick, parameters."""
    import platform
    import subprocess
    from importlib import metadata

    import scipy

    def version(dist):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    commit = None
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if os.path.exists(os.path.join(root, ".git")):
        try:
            proc = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
            commit = proc.stdout.strip() if proc.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            commit = None
    return {"mesacheck": version("mesacheck"), "python": platform.python_version(), "sympy": version("sympy"),
            "numpy": np.__version__, "scipy": scipy.__version__, "matplotlib": version("matplotlib"),
            "git_commit": commit, "seed": seed, "quick": bool(quick), "parameters": dict(params)}


def _write_json(out, name, result: SimulationResult) -> str:
    from proofs_check.io import atomic_write

    path = os.path.join(out, f"{name}.json")
    return atomic_write(path, json.dumps(_tolist({"name": name, "status": result.status, "message": result.message,
                                                   "provenance": result.provenance, "summary": result.summary,
                                                   "series": result.series}), indent=1))


class _Progress:
    def __init__(self, fn, total):
        self.fn, self.total, self.done = fn, total, 0

    def step(self, n=1, message=""):
        self.done += n
        if self.fn is not None:
            self.fn(min(self.done, self.total), self.total, message)


# --- zheng2024-fig1 ---------------------------------------------------------------------------

FIG1_INITS = ((0.1, 0.1), (0.5, 1.5), (2.0, 2.0))
FIG1_SETUPS = (("gaussian", 1.0, 1e-4, 150), ("sparse", 1.0, 1e-3, 201))


def _fig1(quick, seed, params, out, progress):
    d, T = 5, 100
    m = params.get("m", 400 if quick else 10000)
    lr_over, ep_over = params.get("lr"), params.get("epochs")
    total = sum((ep_over or ep) for *_, ep in FIG1_SETUPS) * len(FIG1_INITS)
    prog = _Progress(progress, total)
    rng = np.random.default_rng(seed)
    series, summary, messages = {}, {"m": m, "d": d, "T": T, "runs": {}}, []
    status = "ok"
    for law, scale, lr, epochs in FIG1_SETUPS:
        lr = lr_over or lr
        epochs = ep_over or epochs
        x_train = sampling.zheng_sequences(m, T, d, law, scale, rng)
        x_test = sampling.zheng_sequences(m, T, d, law, scale, rng)
        limit = population.limit_ab_from_kappas(law, d, T, scale)
        co = population.population_coefficients(law, d, T, scale)
        u_hat, se = metrics.empirical_limit_with_error(x_train)
        series[law] = {"theory_limit_ab": limit, "lr": lr, "epochs": epochs, "runs": {}}
        summary[law] = {"theory_limit_ab": limit, "population_limit_ab": co.limit_ab,
                        "Gamma": co.Gamma, "Lambda": co.Lambda, "empirical_minimiser_ab": u_hat,
                        "sampling_se_ab": se}
        for a0, b0 in FIG1_INITS:
            key = f"a0={a0},b0={b0}"
            res = training.zheng_gd(x_train, x_test, a0, b0, lr=lr, epochs=epochs,
                                    log_ratio=(law == "gaussian"), log_test_loss=(law == "sparse"),
                                    progress=lambda k, n, msg, law=law, key=key: prog.step(int(k > 0), f"{law} {key} {msg}"))
            if res.status != "finished":
                status = "diverged"
                messages.append(f"{law} {key}: {res.message}")
                prog.step(epochs - (len(res.ab) - 1))
            taus = lr * res.epochs
            flow = flows.integrate_on_times(flows.reduced_rhs(co.Gamma, co.Lambda), [a0, b0], taus,
                                            jac=flows.reduced_jac(co.Gamma, co.Lambda))
            flow_ab = flow[:, 0] * flow[:, 1]
            run = {"epochs": res.epochs, "ab": res.ab, "flow_ab": flow_ab, "train_loss": res.train_loss}
            if law == "gaussian":
                run["ratio"] = res.ratio
            else:
                run["test_loss"] = res.test_loss
            series[law]["runs"][key] = run
            summary["runs"][f"{law} {key}"] = {
                "status": res.status, "diverged_at": res.diverged_at, "final_ab": float(res.ab[-1]),
                "abs_error_vs_theory": float(abs(res.ab[-1] - limit)),
                "max_abs_diff_vs_population_flow": float(np.nanmax(np.abs(res.ab - flow_ab))),
                "final_ratio": float(res.ratio[-1]) if law == "gaussian" else None,
                "final_test_loss": float(res.test_loss[-1]) if law == "sparse" else None,
                "seconds": res.seconds}
    figures = []
    if out:
        panels = []
        for law, ylab in (("gaussian", "pred/true ratio"), ("sparse", "test loss")):
            s = series[law]
            colours = {k: f"C{i}" for i, k in enumerate(s["runs"])}  # a run and its flow share a colour
            panels.append({"title": f"{law}: ab vs epoch (lr={s['lr']:g})", "xlabel": "epoch", "ylabel": "ab",
                           "series": [dict(x=r["epochs"], y=r["ab"], label=k, color=colours[k])
                                      for k, r in s["runs"].items()]
                           + [dict(x=r["epochs"], y=r["flow_ab"], label=f"flow {k}", style=":", color=colours[k])
                              for k, r in s["runs"].items()],
                           "hlines": [{"y": s["theory_limit_ab"], "label": "theory (C4)"}]})
            metric = "ratio" if law == "gaussian" else "test_loss"
            # at ab = u the predictor is u diag(|z_j|^2) x_{T+1} up to O(1/T) phase sums: mean ratio u kappa_0
            theory = ([{"y": s["theory_limit_ab"] * population.kappas(law, d)["kappa0"],
                        "label": "theory: ab* kappa_0 (T -> oo: C6)"}] if law == "gaussian" else [])
            panels.append({"title": f"{law}: {ylab}", "xlabel": "epoch", "ylabel": ylab,
                           "logy": law == "sparse", "hlines": theory,
                           "series": [dict(x=r["epochs"], y=r[metric], label=k, color=colours[k])
                                      for k, r in s["runs"].items()]})
        figures.append(plots.line_panels(os.path.join(out, "zheng2024-fig1.png"), panels,
                                         f"Zheng et al. Fig. 1 reproduction (d={d}, T={T}, m={m})"))
    return status, "; ".join(messages) or "all runs finished", summary, series, figures


# --- zheng2024-full-one -----------------------------------------------------------------------

def _full_one(quick, seed, params, out, progress):
    d, T = 5, 100
    m = params.get("m", 400 if quick else 10000)
    lr = params.get("lr", 5e-4)
    epochs = params.get("epochs", 200)
    a0 = b0 = 1.0                      # the authors' argparse defaults --a 1 --b 1
    prog = _Progress(progress, 2 * epochs + 1)
    rng = np.random.default_rng(seed)
    x_train = sampling.zheng_sequences(m, T, d, "full-one", 1.0, rng)
    x_test = sampling.zheng_sequences(m, T, d, "full-one", 1.0, rng)
    series, summary, messages, status = {}, {"m": m, "d": d, "T": T, "lr": lr, "epochs": epochs}, [], "ok"
    mats = {}
    for masked in (True, False):
        key = "masked" if masked else "unmasked"
        res = training.zheng_gd(x_train, x_test, a0, b0, lr=lr, epochs=epochs, mask=masked,
                                log_ratio=True, log_test_loss=True,
                                progress=lambda k, n, msg, key=key: prog.step(int(k > 0), f"{key} {msg}"))
        if res.status != "finished":
            status = "diverged"
            messages.append(f"{key}: {res.message}")
        series[key] = {"epochs": res.epochs, "ab": res.ab, "test_loss": res.test_loss, "ratio": res.ratio,
                       "W_KQ_real": res.Q.real, "W_PV_real": res.P.real}
        summary[key] = {"status": res.status, "final_test_loss": float(res.test_loss[-1]),
                        "final_train_loss": float(res.train_loss[-1]), "final_ab": float(res.ab[-1]),
                        "final_ratio": float(res.ratio[-1])}
        mats[f"Re W^KQ ({key})"] = res.Q.real
        mats[f"Re W^PV ({key})"] = res.P.real
    # exact population counterpart: masked = the reduced flow, unmasked = the flow of (A, B)
    co = population.population_coefficients("full-one", d, T)
    red = flows.integrate_reduced(co.Gamma, co.Lambda, a0, b0, t_max=1e3)
    ar, br = red.y_final
    loss_masked = population.population_loss(co, ar * np.eye(d), br * np.eye(d))
    full = population.integrate_population(co, a0 * np.eye(d), b0 * np.eye(d), t_max=1e3, grad_tol=1e-9)
    A, B = population.unpack(full.y_final, d)
    loss_unmasked = population.population_loss(co, A, B)
    prog.step(1, "population flows")
    summary["population"] = {"masked_limit_ab": float(ar * br), "masked_loss": loss_masked,
                             "unmasked_loss": loss_unmasked, "unmasked_status": full.status,
                             "masked_status": red.status,
                             "unmasked_A_diag": float(np.mean(np.diag(A).real)),
                             "unmasked_A_offdiag": float(np.mean(A.real[~np.eye(d, dtype=bool)])),
                             "unmasked_B_diag": float(np.mean(np.diag(B).real)),
                             "unmasked_B_offdiag": float(np.mean(B.real[~np.eye(d, dtype=bool)]))}
    summary["unmasked_lower_empirical"] = summary["unmasked"]["final_test_loss"] < summary["masked"]["final_test_loss"]
    summary["unmasked_lower_population"] = loss_unmasked < loss_masked
    series["population"] = {"A_real": A.real, "B_real": B.real, "masked_loss": loss_masked,
                            "unmasked_loss": loss_unmasked, "masked_limit_ab": float(ar * br)}
    figures = []
    if out:
        figures.append(plots.heatmaps(os.path.join(out, "zheng2024-full-one-weights.png"), mats,
                                      "full-one: learned weights (real parts)"))
        figures.append(plots.line_panels(os.path.join(out, "zheng2024-full-one-loss.png"), [
            {"title": "test loss", "xlabel": "epoch", "ylabel": "loss", "logy": True,
             "series": [dict(x=series[k]["epochs"], y=series[k]["test_loss"], label=k, color=c)
                        for k, c in (("masked", "C0"), ("unmasked", "C1"))],
             "hlines": [{"y": loss_masked, "label": "population flow limit, masked", "color": "C0"},
                        {"y": loss_unmasked, "label": "population flow limit, unmasked", "color": "C1",
                         "style": ":"}]},
            {"title": "ab", "xlabel": "epoch", "ylabel": "ab",
             "series": [dict(x=series[k]["epochs"], y=series[k]["ab"], label=k, color=c)
                        for k, c in (("masked", "C0"), ("unmasked", "C1"))],
             "hlines": [{"y": float(ar * br), "label": "masked population limit (C4)", "color": "C0"}]}],
            f"full-one (d={d}, T={T}, m={m}, lr={lr:g})"))
    return status, "; ".join(messages) or "both runs finished", summary, series, figures


# --- oswald2022-one-layer ---------------------------------------------------------------------

def _oswald_one(quick, seed, params, out, progress):
    steps = params.get("steps", 1000 if quick else 5000)
    batch = params.get("batch", 512 if quick else 2048)
    lr = params.get("lr", 1e-3)
    n_eval = 2000 if quick else 10000
    prog = _Progress(progress, 2 * steps)
    series, summary, status, messages = {}, {"steps": steps, "batch": batch, "lr": lr}, "ok", []
    for r in (1.0, 2.0):
        key = f"U(-{r / 2:g},{r / 2:g})"
        ev_rng = np.random.default_rng(seed + 1000)
        Xs, Ys, xs, ys = sampling.oswald_tasks(n_eval, rng=ev_rng, r=r)
        eta = training.gd_best_eta(Xs, Ys, xs, ys)
        X, Y, xq, yq = sampling.oswald_tasks(min(n_eval, 2000), rng=ev_rng, r=r)
        y_gd = training.gd_one_step_predict(X, Y, xq, eta)
        s_gd = training.gd_sensitivity(X, Y, eta)
        curve = {"step": [], "loss_tf": [], "pred_diff_rms": [], "sens_cosine": []}

        def cb(k, WPV, WKQ):
            y_tf, _ = training.lsa_predict(WPV, WKQ, X, Y, xq)
            s_tf = training.lsa_sensitivity(WPV, WKQ, X, Y)
            nrm = np.linalg.norm(s_tf, axis=1) * np.linalg.norm(s_gd, axis=1)
            curve["step"].append(k)
            curve["loss_tf"].append(0.5 * float(np.mean((y_tf - yq) ** 2)))
            curve["pred_diff_rms"].append(float(np.sqrt(np.mean((y_tf - y_gd) ** 2))))
            curve["sens_cosine"].append(float(np.mean(np.sum(s_tf * s_gd, 1) / np.maximum(nrm, 1e-300))))

        res = training.train_lsa_adam(steps, batch, lr, r=r, seed=seed, callback=cb,
                                      progress=lambda k, n, msg: prog.step(100 if k % 100 == 0 else k % 100, f"{key} {msg}"))
        if res.status != "finished":
            status = "diverged"
            messages.append(f"{key}: {res.message}")
        final = training.compare_lsa_to_gd(res.W_PV, res.W_KQ, n_tasks=n_eval, r=r, seed=seed + 2000)
        final["adam_seconds"] = res.seconds
        summary[key] = final
        series[key] = {"train_step": res.steps, "train_loss": res.loss, "eval": curve,
                       "gd_loss": 0.5 * float(np.mean((y_gd - yq) ** 2)), "W_PV": res.W_PV, "W_KQ": res.W_KQ}
    gd_losses = {k: summary[k]["loss_gd"] for k in series}
    summary["one_step_gd_loss"] = gd_losses
    summary["range_reproducing_paper_0.2"] = min(gd_losses, key=lambda k: abs(gd_losses[k] - 0.2))
    figures = []
    if out:
        panels = []
        for metric, ylab in (("loss_tf", "loss"), ("pred_diff_rms", "||yhat_TF - yhat_GD|| (rms)"),
                             ("sens_cosine", "cos(dyhat_TF/dx, dyhat_GD/dx)")):
            p = {"title": ylab, "xlabel": "Adam step", "ylabel": ylab, "logy": metric != "sens_cosine",
                 "series": [dict(x=series[k]["eval"]["step"], y=series[k]["eval"][metric], label=f"LSA {k}", style="-o")
                            for k in series], "hlines": []}
            if metric == "sens_cosine":  # a layer that is one GD step has the GD step's sensitivities
                p["hlines"].append({"y": 1.0, "label": "one GD step (O1): 1"})
            if metric == "loss_tf":
                p["series"] += [dict(x=series[k]["eval"]["step"],
                                     y=[series[k]["gd_loss"]] * len(series[k]["eval"]["step"]),
                                     label=f"1-step GD {k}", style="--") for k in series]
            panels.append(p)
        figures.append(plots.line_panels(os.path.join(out, "oswald2022-one-layer.png"), panels,
                                         f"one-layer LSA (Adam, batch {batch}) vs line-searched one-step GD"))
    return status, "; ".join(messages) or "trained for both input ranges", summary, series, figures


# --- zheng2024-gaussian-init ------------------------------------------------------------------

GAUSSIAN_INIT_SIGMAS = (0.05, 0.2, 0.5)


def _gaussian_init(quick, seed, params, out, progress):
    d, T = 5, 100
    m = params.get("m", 400 if quick else 10000)
    lr = params.get("lr", 1e-4)
    epochs = params.get("epochs", 300)
    prog = _Progress(progress, epochs * len(GAUSSIAN_INIT_SIGMAS))
    rng = np.random.default_rng(seed)
    x_train = sampling.zheng_sequences(m, T, d, "gaussian", 1.0, rng)
    x_test = sampling.zheng_sequences(m, T, d, "gaussian", 1.0, rng)
    limit = population.limit_ab_from_kappas("gaussian", d, T)
    series, summary, messages, status, mats = {}, {"m": m, "lr": lr, "epochs": epochs, "theory_limit_ab": limit}, [], "ok", {}
    off = ~np.eye(d, dtype=bool)
    for sw in GAUSSIAN_INIT_SIGMAS:
        key = f"sigma_w={sw:g}"
        P0 = sw * rng.standard_normal((d, 2 * d)) + 0j
        Q0 = sw * rng.standard_normal((2 * d, 2 * d)) + 0j
        res = training.zheng_gd(x_train, x_test, lr=lr, epochs=epochs, P0=P0, Q0=Q0, log_ratio=True,
                                log_test_loss=False,
                                progress=lambda k, n, msg, key=key: prog.step(int(k > 0), f"{key} {msg}"))
        if res.status != "finished":
            status = "diverged"
            messages.append(f"{key}: {res.message}")
        A, B = res.Q[d:, :d].real, res.P[:, :d].real
        rest = np.concatenate([res.Q[:d].ravel(), res.Q[d:, d:].ravel(), res.P[:, d:].ravel()])
        summary[key] = {
            "status": res.status, "final_ab": float(res.ab[-1]),
            "diag_products": (np.diag(A) * np.diag(B)).tolist(),
            "offdiag_over_diag_A": float(np.linalg.norm(A[off]) / np.linalg.norm(np.diag(A))),
            "offdiag_over_diag_B": float(np.linalg.norm(B[off]) / np.linalg.norm(np.diag(B))),
            "other_blocks_over_diag": float(np.linalg.norm(rest) / np.linalg.norm(np.diag(A) * np.diag(B)) ** 0.5),
            "final_ratio": float(res.ratio[-1])}
        series[key] = {"epochs": res.epochs, "ab": res.ab, "ratio": res.ratio,
                       "W_KQ_real": res.Q.real, "W_PV_real": res.P.real}
        mats[f"Re W^KQ ({key})"] = res.Q.real
        mats[f"Re W^PV ({key})"] = res.P.real
    figures = []
    if out:
        figures.append(plots.heatmaps(os.path.join(out, "zheng2024-gaussian-init-weights.png"), mats,
                                      "Gaussian initialisation of all parameters: learned weights"))
        figures.append(plots.line_panels(os.path.join(out, "zheng2024-gaussian-init.png"), [
            {"title": "ab (mean of diagonal products)", "xlabel": "epoch", "ylabel": "ab",
             "series": [dict(x=series[k]["epochs"], y=series[k]["ab"], label=k) for k in series],
             "hlines": [{"y": limit, "label": "theory (C4)"}]},
            {"title": "pred/true ratio", "xlabel": "epoch", "ylabel": "ratio",
             "series": [dict(x=series[k]["epochs"], y=series[k]["ratio"], label=k) for k in series],
             "hlines": [{"y": limit * population.kappas("gaussian", d)["kappa0"],
                         "label": "theory: ab* kappa_0 (T -> oo: C6)"}]}],
            f"Gaussian init (d={d}, T={T}, m={m}, lr={lr:g})"))
    return status, "; ".join(messages) or "all runs finished", summary, series, figures


# --- oswald2022-gdpp --------------------------------------------------------------------------

GDPP_NS = (10, 25, 50)
#: The one sign convention for gamma, in the JSON and the figure (that of training.gdpp_weights).
GAMMA_CONVENTION = "x <- x - gamma (X X^T) x: the x-block of the layer's update is -gamma S_xx, S = Z Z^T"


def _learned_gamma(W_PV, W_KQ, X, Y) -> float:
    """The GD++ gamma that best matches a learned first layer: the least-squares fit of the x-block of
    its update matrix M = W_PV S W_KQ by -gamma S_xx over the tasks (exactly gamma for GD++ weights)."""
    Nx = X.shape[2]
    Z = np.concatenate([X, Y[:, :, None]], axis=2).transpose(0, 2, 1)
    S = Z @ Z.transpose(0, 2, 1)
    M_xx = (W_PV @ S @ W_KQ)[:, :Nx, :Nx]
    S_xx = S[:, :Nx, :Nx]
    return -float(np.sum(M_xx * S_xx) / np.sum(S_xx * S_xx))


def _gdpp(quick, seed, params, out, progress):
    Nx = 10
    steps = params.get("steps", 500 if quick else 5000)
    batch = params.get("batch", 256 if quick else 2048)
    lr = params.get("lr", 1e-3)
    n_eval = 2000 if quick else 10000
    prog = _Progress(progress, steps * len(GDPP_NS))
    series, summary, status, messages = {}, {"steps": steps, "batch": batch, "lr": lr, "input_range": "U(-0.5,0.5)"}, "ok", []
    for N in GDPP_NS:
        key = f"N={N}"
        rng = np.random.default_rng(seed + N)
        Xs, Ys, xs, ys = sampling.oswald_tasks(n_eval, N=N, Nx=Nx, r=1.0, rng=rng)
        eta_gd, _, _ = training.line_search_gd(Xs, Ys, xs, ys, layers=2, plus=False)
        eta_pp, gamma_pp, _ = training.line_search_gd(Xs, Ys, xs, ys, layers=2, plus=True)
        X, Y, xq, yq = sampling.oswald_tasks(n_eval, N=N, Nx=Nx, r=1.0, rng=rng)

        def test_loss(W_PV, W_KQ):
            return training.lsa_recurrent_loss_and_grad(W_PV, W_KQ, X, Y, xq, yq, 2, need_grad=False)[0]

        loss_gd1 = 0.5 * float(np.mean((training.gd_one_step_predict(X, Y, xq, training.gd_best_eta(Xs, Ys, xs, ys)) - yq) ** 2))
        loss_gd2 = test_loss(*training.gdpp_weights(Nx, N, eta_gd, 0.0))
        loss_pp = test_loss(*training.gdpp_weights(Nx, N, eta_pp, gamma_pp))
        curve = {"step": [], "loss": []}

        def cb(k, W_PV, W_KQ):
            curve["step"].append(k)
            curve["loss"].append(test_loss(W_PV, W_KQ))

        res = training.train_lsa_adam(steps, batch, lr, N=N, Nx=Nx, r=1.0, seed=seed + N, layers=2, callback=cb,
                                      eval_every=max(1, steps // 20),
                                      progress=lambda k, n, msg: prog.step(100 if k % 100 == 0 else k % 100, f"{key} {msg}"))
        if res.status != "finished":
            status = "diverged"
            messages.append(f"{key}: {res.message}")
        learned_gamma = _learned_gamma(res.W_PV, res.W_KQ, X, Y)
        eig = np.linalg.eigvalsh(np.einsum("bni,bnj->bij", X, X))
        summary[key] = {"loss_trained_2layer": float(curve["loss"][-1]), "loss_gd_1step": loss_gd1,
                        "loss_gd_2steps": loss_gd2, "loss_gdpp_2steps": loss_pp, "eta_gd": eta_gd,
                        "eta_gdpp": eta_pp, "gamma_gdpp": gamma_pp, "gamma_learned": learned_gamma,
                        "gamma_learned_xx_blocks": -float(np.trace(res.W_PV[:Nx, :Nx] @ res.W_KQ[:Nx, :Nx])) / Nx,
                        "gamma_convention": GAMMA_CONVENTION,
                        # below one GD step's loss the run is still in its early phase, where the learned gamma
                        # is negative (the fitted step size is small): see claim oswald2022.learned-gamma
                        "learned_beyond_one_gd_step": bool(curve["loss"][-1] < loss_gd1),
                        "eig_XXT_min_mean": float(eig[:, 0].mean()), "eig_XXT_max_mean": float(eig[:, -1].mean()),
                        "eig_XXT_p1": float(np.percentile(eig, 1)), "eig_XXT_p99": float(np.percentile(eig, 99)),
                        "adam_seconds": res.seconds}
        series[key] = {"eval": curve, "loss_gd_2steps": loss_gd2, "loss_gdpp_2steps": loss_pp,
                       "train_step": res.steps, "train_loss": res.loss, "N": N, "gamma_gdpp": gamma_pp,
                       "gamma_learned": learned_gamma}
    figures = []
    if out:
        panels = []
        for key in series:
            s = series[key]
            panels.append({"title": f"{key}", "xlabel": "Adam step", "ylabel": "test loss", "logy": True,
                           "series": [dict(x=s["eval"]["step"], y=s["eval"]["loss"], label="recurrent 2-layer LSA", style="-o")],
                           "hlines": []})
            panels[-1]["series"] += [
                dict(x=s["eval"]["step"], y=[s["loss_gd_2steps"]] * len(s["eval"]["step"]), label="2 steps GD", style="--"),
                dict(x=s["eval"]["step"], y=[s["loss_gdpp_2steps"]] * len(s["eval"]["step"]), label="2 steps GD++", style=":")]
        Ns = [series[k]["N"] for k in series]
        panels.append({"title": "gamma (x <- (I - gamma XX^T) x)", "xlabel": "N", "ylabel": "gamma",
                       "series": [dict(x=Ns, y=[series[k]["gamma_gdpp"] for k in series], label="GD++ (line search)",
                                       style="--s", color="C1"),
                                  dict(x=Ns, y=[series[k]["gamma_learned"] for k in series],
                                       label="learned (layer 1, fitted)", style="-o", color="C0")],
                       "hlines": [{"y": 0.0, "color": "0.6", "style": "-"}]})
        figures.append(plots.line_panels(os.path.join(out, "oswald2022-gdpp.png"), panels,
                                         "recurrent two-layer LSA vs GD and GD++ (line-searched)"))
    return status, "; ".join(messages) or "trained for every N", summary, series, figures


SIMULATIONS: dict[str, Callable] = {
    "zheng2024-fig1": _fig1,
    "zheng2024-full-one": _full_one,
    "oswald2022-one-layer": _oswald_one,
    "zheng2024-gaussian-init": _gaussian_init,
    "oswald2022-gdpp": _gdpp,
}

_PARAM_EXAMPLES = {"lr": "1e-4", "epochs": "150", "steps": "5000", "batch": "2048", "m": "10000"}
#: The overrides each simulation uses (any other is rejected, never silently ignored).
_SIM_PARAMS = {name: (("steps", "batch", "lr") if name.startswith("oswald") else ("lr", "epochs", "m"))
               for name in SIMULATIONS}


def simulation_names() -> list[str]:
    return list(SIMULATIONS)


def simulate(name: str, quick: bool = False, seed: int = 0, out_dir: str | None = None,
             progress: Callable | None = None, **params) -> SimulationResult:
    """Run one reproduction.

    Parameters
    ----------
    name : str
        One of :func:`simulation_names`.
    quick : bool
        Smaller sample sizes (same step sizes and epochs) for a fast run.
    seed : int
    out_dir : str, optional
        Where PNGs and ``<name>.json`` go (created if missing).
    progress : callable (done, total, message), optional
    **params
        Overrides: ``lr``, ``epochs``, ``m`` (Zheng), ``steps``, ``batch``, ``lr`` (von Oswald); one that
        the chosen simulation does not use is a ValueError, never ignored.

    Raises
    ------
    ValueError
        Unknown name (lists the valid ones), non-positive step size / epochs / sizes,
        unwritable ``out_dir``.
    """
    if name not in SIMULATIONS:
        raise ValueError(f"unknown simulation {name!r}: choose one of {', '.join(SIMULATIONS)}.")
    from theory.validation import require_bool, require_int

    for key, value in params.items():
        if key not in _PARAM_EXAMPLES:
            raise ValueError(f"unknown parameter {key!r} for simulate: use one of {', '.join(_SIM_PARAMS[name])}.")
        if key not in _SIM_PARAMS[name]:
            raise ValueError(f"parameter {key!r} does not apply to simulate({name!r}): use one of "
                             f"{', '.join(_SIM_PARAMS[name])}.")
        _check_positive(key, value, integer=key != "lr", example=_PARAM_EXAMPLES[key])
    require_bool("quick", quick)
    require_int("seed", seed, 0, "it seeds numpy.random.default_rng")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable (done, total, message) or None (got {type(progress).__name__})")
    if out_dir is None:
        return _run(name, quick, seed, params, None, progress)
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a path (str) or None (got {type(out_dir).__name__})")
    import contextlib

    from proofs_check.io import output_directory

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(output_directory(out_dir))
        except OSError as exc:
            raise ValueError(f"cannot write to out_dir {str(out_dir)!r} ({exc.strerror or exc}): "
                             f"choose a writable directory.") from None
        return _run(name, quick, seed, params, _prepare_out(out_dir), progress)


def _run(name, quick, seed, params, out, progress) -> SimulationResult:
    start = time.perf_counter()
    status, message, summary, series, figures = SIMULATIONS[name](quick, seed, params, out, progress)
    figures = [f for png in figures for f in (png, os.path.splitext(png)[0] + ".pdf") if os.path.exists(f)]
    result = SimulationResult(name, status, message, Summary(summary), series, figures, None, 0.0,
                              provenance=_provenance(seed, quick, params))
    result.seconds = time.perf_counter() - start
    result.summary["seconds"] = result.seconds
    if out:
        result.json_path = _write_json(out, name, result)
    return result
