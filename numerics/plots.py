"""Matplotlib figures for the simulations. Thin layer: arrays in, PNG and PDF out.

Figures are built with the object API (``matplotlib.figure.Figure``) and saved through their own
canvas, so no backend is chosen or forced: a user's backend (Jupyter inline, Qt, ...) is left alone.
Every figure uses the one style shipped with the package, ``numerics/mesacheck.mplstyle``
(:data:`STYLE`), and is written twice: ``<name>.png`` and ``<name>.pdf`` beside it.
"""
from __future__ import annotations

import os

import numpy as np

#: The package's matplotlib style file.
STYLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mesacheck.mplstyle")


def _figure(**kwargs):
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _save(fig, path: str) -> str:
    """Write ``path`` (PNG) and the PDF beside it, each atomically (a temporary file renamed over the
    target: an interrupt never leaves half a figure); return the PNG's path."""
    from proofs_check.io import atomic_write

    stem, _ = os.path.splitext(path)
    for ext in ("png", "pdf"):
        atomic_write(f"{stem}.{ext}", lambda tmp, ext=ext: fig.savefig(tmp, format=ext))
    return stem + ".png"


def line_panels(path: str, panels: list[dict], title: str = "") -> str:
    """One row of line plots, written as PNG and PDF.

    Each panel: ``{"title", "xlabel", "ylabel", "series": [{"x", "y", "label", "style", "color"}],
    "hlines": [{"y", "label", "color", "style"}], "logy": bool}``. A series or line without a colour
    takes the next colour of the style's cycle; give the same ``color`` to a run and its theory curve.
    """
    import matplotlib.style

    with matplotlib.style.context(STYLE):
        fig = _figure(figsize=(3.4 * len(panels), 2.8))
        axes = fig.subplots(1, len(panels), squeeze=False)
        for ax, p in zip(axes[0], panels):
            for s in p.get("series", []):
                x, y = np.asarray(s["x"]), np.asarray(s["y"], dtype=float)
                ok = np.isfinite(y)
                ax.plot(x[ok], y[ok], s.get("style", "-"), label=s.get("label"), color=s.get("color"))
            for h in p.get("hlines", []):
                ax.axhline(h["y"], color=h.get("color", "k"), ls=h.get("style", "--"), lw=1, label=h.get("label"))
            if p.get("logy"):
                ax.set_yscale("log")
            ax.set_title(p.get("title", ""))
            ax.set_xlabel(p.get("xlabel", ""))
            ax.set_ylabel(p.get("ylabel", ""))
            if ax.get_legend_handles_labels()[0]:
                ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return _save(fig, path)


def heatmaps(path: str, matrices: dict, title: str = "") -> str:
    """A grid of heatmaps, one per named real matrix, with a symmetric colour scale per map (PNG and PDF)."""
    import matplotlib.style

    with matplotlib.style.context(STYLE):
        names = list(matrices)
        cols = min(4, len(names))
        rows = (len(names) + cols - 1) // cols
        fig = _figure(figsize=(2.6 * cols, 2.4 * rows))
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        for ax, name in zip(axes.ravel(), names):
            M = np.asarray(matrices[name], dtype=float)
            vmax = float(np.max(np.abs(M))) or 1.0
            im = ax.imshow(M, vmin=-vmax, vmax=vmax)
            ax.set_title(name)
            ax.axis("on")
            ax.grid(False)
            fig.colorbar(im, ax=ax, fraction=0.046)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return _save(fig, path)
