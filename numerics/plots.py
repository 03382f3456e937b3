"""Matplotlib figures (Agg backend) for the simulations. Thin layer: arrays in, PNG out."""
from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def line_panels(path: str, panels: list[dict], title: str = "") -> str:
    """One row of line plots.

    Each panel: ``{"title", "xlabel", "ylabel", "series": [{"x", "y", "label", "style"}],
    "hlines": [{"y", "label"}], "logy": bool}``.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4), squeeze=False)
    for ax, p in zip(axes[0], panels):
        for s in p.get("series", []):
            x, y = np.asarray(s["x"]), np.asarray(s["y"], dtype=float)
            ok = np.isfinite(y)
            ax.plot(x[ok], y[ok], s.get("style", "-"), label=s.get("label"), lw=1.5, ms=3)
        for h in p.get("hlines", []):
            ax.axhline(h["y"], color="k", ls="--", lw=1, label=h.get("label"))
        if p.get("logy"):
            ax.set_yscale("log")
        ax.set_title(p.get("title", ""))
        ax.set_xlabel(p.get("xlabel", ""))
        ax.set_ylabel(p.get("ylabel", ""))
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return path


def heatmaps(path: str, matrices: dict, title: str = "") -> str:
    """A grid of heatmaps, one per named real matrix, with a shared symmetric colour scale per map."""
    plt = _plt()
    names = list(matrices)
    cols = min(4, len(names))
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.3 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names):
        M = np.asarray(matrices[name], dtype=float)
        vmax = float(np.max(np.abs(M))) or 1.0
        im = ax.imshow(M, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(name, fontsize=9)
        ax.axis("on")
        fig.colorbar(im, ax=ax, fraction=0.046)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
    return path


def _save(fig, path: str) -> None:
    """Save atomically (a temporary file renamed over ``path``): an interrupt never leaves half a PNG."""
    import os

    from proofs_check.io import atomic_write

    fmt = os.path.splitext(path)[1].lstrip(".") or "png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format=fmt))
