"""Timing of paper-ready LaTeX: `mesacheck latex --document` for every claim (budget 5 s) and its
pdflatex compile (budget 10 s), each as a ratio to its budget, measured in one run.

    python benchmarks/bench_latex.py        # from the repository root
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

BUDGETS = {"mesacheck latex --document (all claims, new process)": 5.0, "pdflatex -halt-on-error": 10.0}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        doc = os.path.join(tmp, "all.tex")
        start, cpu0 = time.perf_counter(), _children_cpu()
        subprocess.run([sys.executable, "-m", "proofs_check.cli", "latex", "--document", doc], cwd=root,
                       check=True, capture_output=True)
        times = {"mesacheck latex --document (all claims, new process)": time.perf_counter() - start}
        cpu = {"mesacheck latex --document (all claims, new process)": _children_cpu() - cpu0}
        pdflatex = shutil.which("pdflatex")
        if pdflatex:
            start, cpu0 = time.perf_counter(), _children_cpu()
            subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "all.tex"], cwd=tmp, check=True,
                           capture_output=True)
            times["pdflatex -halt-on-error"] = time.perf_counter() - start
            cpu["pdflatex -halt-on-error"] = _children_cpu() - cpu0
    for name, seconds in times.items():
        print(f"{name}: {seconds:.2f} s wall = {seconds / BUDGETS[name]:.2f} x its {BUDGETS[name]:g} s budget "
              f"(CPU {cpu[name]:.2f} s = {cpu[name] / BUDGETS[name]:.2f} x; wall above CPU is other load)")
    if "pdflatex -halt-on-error" not in times:
        print("pdflatex: not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
