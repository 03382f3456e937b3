"""Benchmark of ``mesacheck mutate`` (issue 8, item 4), one run, side by side.

    python benchmarks/bench_mutate.py [--jobs 2] [--skip-full]

1. The quick model-mutant catalogue (the default of ``mesacheck mutate``; also in the test
   suite), target < 10 min on 2 cores.
2. The full model-mutant catalogue (``--full``).
3. Every statement mutant of every claim with a stated closed form.
4. For scale: ``mesacheck verify`` of all claims (one unmutated run).

Each is one ``mesacheck`` subprocess with ``--json``; the kill counts come from its document.
Writes ``benchmarks/results_mutate.txt`` and every mutant's result to ``benchmarks/results_mutate.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))          # this checkout's proofs_check, not an installed one


def run(args: list[str]) -> tuple[float, dict | None, int]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "proofs_check.cli", *args], capture_output=True, text=True,
                          cwd=os.path.dirname(HERE))
    seconds = time.perf_counter() - start
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        doc = None
    return seconds, doc, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-full", action="store_true")
    args = parser.parse_args()
    j = ["-j", str(args.jobs)]
    from proofs_check.registry import all_claims

    ids = [c.id for c in all_claims() if c.stated is not None]
    rows = []
    verify_s, _, verify_rc = run(["verify", "--json", *j])
    rows.append(("verify (all claims, unmutated)", verify_s, None, verify_rc))
    quick_s, quick, quick_rc = run(["mutate", "--models-only", "--json", *j])
    rows.append(("mutate: quick model catalogue", quick_s, quick, quick_rc))
    if not args.skip_full:
        full_s, full, full_rc = run(["mutate", "--models-only", "--full", "--json", *j])
        rows.append(("mutate: full model catalogue", full_s, full, full_rc))
    # statement mutants only: claim ids select no model mutants (only a paper name or a mutant id does)
    stmt_s, stmt, stmt_rc = run(["mutate", *ids, "--json", *j])
    rows.append(("mutate: all statement mutants", stmt_s, stmt, stmt_rc))

    lines = [f"mesacheck mutate benchmark, {args.jobs} processes, {os.cpu_count()} cores "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", ""]
    for name, seconds, doc, rc in rows:
        counts = f"{doc['killed']}/{doc['total']} killed" if doc else f"exit {rc}"
        ratio = seconds / verify_s
        lines.append(f"{name:34s} {seconds:8.1f} s   {ratio:5.1f} x verify   {counts}")
    quick_row = rows[1]
    lines.append("")
    lines.append(f"quick catalogue vs the 10-minute target: {quick_row[1] / 600:.2f} of it")
    if not args.skip_full:
        lines.append(f"full / quick catalogue: {rows[2][1] / quick_row[1]:.1f} x "
                     f"({rows[2][2]['total'] if rows[2][2] else '?'} vs {quick_row[2]['total'] if quick_row[2] else '?'} mutants)")
    for name, seconds, doc, rc in rows[1:]:
        if doc:
            for m in doc["mutants"]:
                if not m["killed"]:
                    lines.append(f"survivor ({name}): {m['mutant']}: {m['how']}")
    text = "\n".join(lines)
    print(text)
    docs = {name: doc for name, _, doc, _ in rows[1:] if doc}
    with open(os.path.join(HERE, "results_mutate.json"), "w") as handle:
        json.dump(docs, handle, indent=1)
    with open(os.path.join(HERE, "results_mutate.txt"), "w") as handle:
        handle.write(text + "\n")


if __name__ == "__main__":
    main()
