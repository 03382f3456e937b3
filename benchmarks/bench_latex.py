"""Timing of paper-ready LaTeX: `mesacheck latex --document` for every claim (budget 5 s) and its
pdflatex compile (budget 10 s), each as a ratio to its budget, measured in one run.

    python benchmarks/bench_latex.py        # from the repository root
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

BUDGETS = {"mesacheck latex --document (all claims, new process)": 5.0, "pdflatex -halt-on-error": 10.0}


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        doc = os.path.join(tmp, "all.tex")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "proofs_check.cli", "latex", "--document", doc], cwd=root,
                       check=True, capture_output=True)
        times = {"mesacheck latex --document (all claims, new process)": time.perf_counter() - start}
        pdflatex = shutil.which("pdflatex")
        if pdflatex:
            start = time.perf_counter()
            subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "all.tex"], cwd=tmp, check=True,
                           capture_output=True)
            times["pdflatex -halt-on-error"] = time.perf_counter() - start
    for name, seconds in times.items():
        print(f"{name}: {seconds:.2f} s = {seconds / BUDGETS[name]:.2f} x its {BUDGETS[name]:g} s budget")
    if "pdflatex -halt-on-error" not in times:
        print("pdflatex: not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
