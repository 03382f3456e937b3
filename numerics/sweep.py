"""Sweeps: Zheng et al.'s training over grids of settings, each point a seeded independent task.

A grid maps each setting to a list of values; its points are the Cartesian product::

    grid = {"d": [2, 5], "T": [10, 20, 50], "law": ["gaussian"], "init": [(0.1, 0.1)],
            "lr": [1e-4], "m": [1000], "epochs": [150], "mode": ["empirical", "population"]}
    rows = run_sweep(grid, out_dir="sweep-out")                    # processes on this machine
    rows = run_sweep(grid, executor=client.get_executor())         # a Dask cluster (see below)

Every point is validated before any work (an invalid value raises :class:`SweepError` naming
the point and the setting). A point runs in any :class:`concurrent.futures.Executor`; its seed
is derived from the sweep's seed and the point's own settings (not its position), so a point
gives the same row in any grid, order or executor. A point that fails is a row with
``status = "error"`` and its message; the others go on. With ``out_dir`` every finished row is
appended to ``rows.jsonl`` at once, a rerun skips the points already finished there
(resumption), and the tidy table is written as ``results.csv`` and ``results.json`` (one row a
point, with provenance), with ``summary.png``: ab against T beside the theory limit (claim C4).

On a cluster: ``dask.distributed.Client("tcp://scheduler:8786").get_executor()`` is a
``concurrent.futures`` executor whose workers need mesacheck installed (``pip install
'mesacheck[dask]'``); ``mesacheck sweep --dask ADDRESS`` does this.

Modes: "empirical" runs :func:`numerics.training.zheng_gd` on ``m`` sampled sequences for
``epochs`` steps of size ``lr``; "population" integrates the exact population flow
(:func:`numerics.population.integrate_population`) for the same time ``lr * epochs``.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import platform
import time
from typing import Callable

#: Settings of a point, their defaults, and what each must be.
DEFAULTS = {"d": 5, "T": 100, "law": "gaussian", "scale": 1.0, "init": (0.1, 0.1), "lr": 1e-4, "m": 1000,
            "epochs": 150, "mode": "empirical"}
MODES = ("empirical", "population")
COLUMNS = ("point_id", "status", "error", *DEFAULTS, "seed", "ab", "limit_ab", "abs_err", "final_loss",
           "train_status", "kernel", "seconds", "mesacheck", "numpy", "python", "host", "finished_at")


class SweepError(ValueError):
    """An invalid grid, named by point and setting (raised before any work)."""


def _laws():
    from .sampling import ZHENG_LAWS

    return ZHENG_LAWS


def _check_value(name, value):
    """None if ``value`` is valid for setting ``name``, else the reason."""
    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    if name == "d":
        return None if is_int(value) and value >= 1 else f"d must be an integer >= 1 (got {value!r})"
    if name == "T":
        return None if is_int(value) and value >= 3 else (
            f"T must be an integer >= 3 (got {value!r}): the first prediction needs two context tokens")
    if name == "m":
        return None if is_int(value) and value >= 1 else f"m must be an integer >= 1 sequences (got {value!r})"
    if name == "epochs":
        return None if is_int(value) and value >= 1 else f"epochs must be an integer >= 1 (got {value!r})"
    if name == "law":
        return None if value in _laws() else f"law must be one of {', '.join(_laws())} (got {value!r})"
    if name == "mode":
        return None if value in MODES else f"mode must be one of {', '.join(MODES)} (got {value!r})"
    if name in ("lr", "scale"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
        return None if ok else f"{name} must be a positive finite number (got {value!r})"
    if name == "init":
        ok = (isinstance(value, (list, tuple)) and len(value) == 2
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value))
        return None if ok else f"init must be a pair (a0, b0) of finite numbers (got {value!r})"
    return f"unknown setting {name!r}: choose from {', '.join(DEFAULTS)}"


def expand_grid(grid: dict) -> list[dict]:
    """The points of ``grid`` (settings not given take :data:`DEFAULTS`), validated.

    Raises
    ------
    SweepError
        For an unknown setting, an empty list, or an invalid value (naming the point).
    """
    if not isinstance(grid, dict):
        raise SweepError(f"the grid must be a mapping of setting -> list of values (got {type(grid).__name__})")
    for name, values in grid.items():
        if name not in DEFAULTS:
            raise SweepError(f"unknown setting {name!r} in the grid: choose from {', '.join(DEFAULTS)}")
        if not isinstance(values, (list, tuple)) or (name == "init" and _is_pair(values)):
            raise SweepError(f"grid[{name!r}] must be a list of values (got {values!r})")
        if len(values) == 0:
            raise SweepError(f"grid[{name!r}] is empty: give at least one value")
    names = list(DEFAULTS)
    axes = [list(grid.get(n, [DEFAULTS[n]])) for n in names]
    points = []
    for k, combo in enumerate(itertools.product(*axes)):
        point = dict(zip(names, combo))
        if isinstance(point["init"], list):
            point["init"] = tuple(point["init"])
        for name in names:
            reason = _check_value(name, point[name])
            if reason is not None:
                raise SweepError(f"point {k} ({_describe(point)}): {reason}")
        points.append(point)
    return points


def _is_pair(values) -> bool:
    return len(values) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _describe(point: dict) -> str:
    return ", ".join(f"{k}={point[k]!r}" for k in DEFAULTS)


def point_id(point: dict) -> str:
    """A stable id of a point's settings (SHA-256 of their canonical JSON, 16 hex digits)."""
    canon = json.dumps({k: (list(v) if isinstance(v, tuple) else v) for k, v in sorted(point.items())},
                       sort_keys=True)
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def point_seed(point: dict, seed: int) -> int:
    """The seed of a point: from the sweep's seed and the point's settings, not its position."""
    return int(hashlib.sha256(f"{seed}:{point_id(point)}".encode()).hexdigest()[:8], 16)


def _provenance() -> dict:
    import numpy as np

    try:
        from importlib.metadata import version

        mesacheck = version("mesacheck")
    except Exception:  # noqa: BLE001
        mesacheck = "unknown"
    return {"mesacheck": mesacheck, "numpy": np.__version__, "python": platform.python_version(),
            "host": platform.node(), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def run_point(point: dict, seed: int = 0) -> dict:
    """Run one point; returns its row (never raises: an error is a row with ``status="error"``)."""
    start = time.perf_counter()
    row = {"point_id": point_id(point), **point, "init": list(point["init"]), "seed": point_seed(point, seed),
           "status": "ok", "error": ""}
    try:
        row.update(_run(point, row["seed"]))
    except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
    row["seconds"] = time.perf_counter() - start
    row.update(_provenance())
    return row


def _run(point, seed):
    import numpy as np

    from . import population, sampling, training

    d, T, law, scale = point["d"], point["T"], point["law"], float(point["scale"])
    a0, b0 = map(float, point["init"])
    limit = population.limit_ab_from_kappas(law, d, T, scale)
    if point["mode"] == "empirical":
        x = sampling.zheng_sequences(point["m"], T, d, law, scale, np.random.default_rng(seed))
        res = training.zheng_gd(x, None, a0, b0, lr=float(point["lr"]), epochs=point["epochs"], threads=1)
        ab, loss, status, kernel = float(res.ab[-1]), float(res.train_loss[-1]), res.status, res.kernel
    else:
        co = population.population_coefficients(law, d, T, scale)
        res = population.integrate_population(co, a0 * np.eye(d), b0 * np.eye(d),
                                              t_max=float(point["lr"]) * point["epochs"])
        ab = float(population.ab_from_state(res.y_final, d))
        A, B = population.unpack(res.y_final, d)
        loss, status, kernel = float(population.population_loss(co, A, B)), res.status, "population-flow"
    return {"ab": ab, "limit_ab": float(limit), "abs_err": abs(ab - limit), "final_loss": loss,
            "train_status": status, "kernel": kernel}


def _read_rows(path):
    rows = {}
    if os.path.exists(path):
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:        # a line cut by an interrupted run: rerun it
                    continue
                rows[row.get("point_id")] = row
    return rows


def run_sweep(grid: dict, executor=None, out_dir: str | None = None, seed: int = 0,
              progress: Callable | None = None, resume: bool = True, figure: bool = True) -> list[dict]:
    """Run every point of ``grid``; returns the rows in grid order.

    Parameters
    ----------
    grid : dict
        Setting -> list of values (see :func:`expand_grid`).
    executor : concurrent.futures.Executor, optional
        Where points run (``ProcessPoolExecutor``, a Dask client's ``get_executor()``, ...);
        default: in this process, one after the other.
    out_dir : str, optional
        ``rows.jsonl`` (appended as points finish; read back to skip finished points),
        ``results.csv``, ``results.json`` and ``summary.png``.
    progress : callable (done, total, message), optional
    resume : bool
        Skip the points already finished (status "ok") in ``out_dir/rows.jsonl``.
    """
    points = expand_grid(grid)                                  # all validation before any work
    ids = [point_id(p) for p in points]
    done = {}
    journal = None
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        journal = os.path.join(out_dir, "rows.jsonl")
        if resume:
            done = {k: r for k, r in _read_rows(journal).items() if r.get("status") == "ok" and k in set(ids)}
    todo = [p for p, k in zip(points, ids) if k not in done]
    total = len(points)
    rows = dict(done)
    if progress is not None:
        progress(len(rows), total, f"{len(done)} of {total} points already done" if done else f"{total} points")

    def finish(row):
        rows[row["point_id"]] = row
        if journal is not None:
            with open(journal, "a") as handle:
                handle.write(json.dumps(row) + "\n")
        if progress is not None:
            progress(len(rows), total, f"{row['point_id']} {row['status']}")

    if executor is None:
        for p in todo:
            finish(run_point(p, seed))
    else:
        from concurrent.futures import as_completed

        futures = {executor.submit(run_point, p, seed): p for p in todo}
        for fut in as_completed(futures):
            try:
                row = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker: recorded like a failed point
                p = futures[fut]
                row = {"point_id": point_id(p), **p, "init": list(p["init"]), "seed": point_seed(p, seed),
                       "status": "error", "error": f"{type(exc).__name__}: {exc}", **_provenance()}
            finish(row)
    ordered = [rows[k] for k in ids]
    if out_dir is not None:
        write_table(ordered, out_dir)
        if figure:
            summary_figure(ordered, os.path.join(out_dir, "summary.png"))
    return ordered


def write_table(rows: list[dict], out_dir: str) -> None:
    """``results.csv`` and ``results.json``: one row a point, the columns of :data:`COLUMNS`."""
    import csv

    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (json.dumps(v) if isinstance(v, (list, tuple)) else v) for k, v in row.items()})
    with open(os.path.join(out_dir, "results.json"), "w") as handle:
        json.dump({"columns": list(COLUMNS), "rows": [{k: row.get(k) for k in COLUMNS} for row in rows]},
                  handle, indent=1)


def summary_figure(rows: list[dict], path: str) -> None:
    """ab at the end of each point against T, beside the theory limit of claim C4 (one panel per law)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .population import limit_ab_from_kappas

    ok = [r for r in rows if r.get("status") == "ok"]
    laws = sorted({r["law"] for r in ok}) or ["gaussian"]
    fig, axes = plt.subplots(1, len(laws), figsize=(5 * len(laws), 3.6), squeeze=False)
    for ax, law in zip(axes[0], laws):
        sel = [r for r in ok if r["law"] == law]
        for (d, scale) in sorted({(r["d"], r["scale"]) for r in sel}):
            Ts = sorted({r["T"] for r in sel if r["d"] == d and r["scale"] == scale})
            grid = np.unique(np.geomspace(3, max(Ts + [4]), 60).astype(int))
            ax.plot(grid, [limit_ab_from_kappas(law, d, int(T), scale) for T in grid], "-", lw=1,
                    label=f"theory d={d} scale={scale:g}")
            for mode, marker in (("empirical", "o"), ("population", "x")):
                pts = [(r["T"], r["ab"]) for r in sel if r["mode"] == mode and r["d"] == d and r["scale"] == scale]
                if pts:
                    ax.plot(*zip(*pts), marker, ms=5, label=f"{mode} d={d}")
        ax.set_xscale("log")
        ax.set_xlabel("T")
        ax.set_ylabel("ab at the end")
        ax.set_title(law)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
