"""The users' entry (issue 10 item 3): every script in examples/ runs, within its line limit, and prints the
verdicts it promises; the walkthrough of docs/your-model.md is complete (its code block runs as it stands)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: script -> the lines (substrings) its output must contain, in order.
EXPECTED = {
    "separate_kq_zheng.py": ["K K^T - Q Q^T conserved: VERIFIED", "K K^T + Q Q^T conserved: REFUTED"],
    "new_data_law.py": ["invariant: VERIFIED", "the law's own fixed point: a* = 10*N/(25*N + 9): VERIFIED",
                        "the Gaussian formula: a* = 2*N/(5*(N + 2)): REFUTED"],
    "new_theorem.py": ["invariant manifold: VERIFIED", "theorem: a* = N/(N + sigma**2 + 3): VERIFIED",
                       "wrong variant: a* = N/(N + 3): REFUTED", "the trained layer is one GD step: VERIFIED"],
}


def _run(args, cwd, timeout=240):
    # a user's run: the repository's mesacheck first on the path, from a directory that is not the repository
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _in_order(text, expected):
    position = 0
    for line in expected:
        found = text.find(line, position)
        assert found >= 0, f"{line!r} not printed (after position {position}) in:\n{text}"
        position = found + len(line)


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_and_prints_its_verdicts(script, tmp_path):
    path = EXAMPLES / script
    assert len(path.read_text().splitlines()) <= 40, f"{script} is longer than 40 lines"
    _in_order(_run([str(path)], cwd=tmp_path), EXPECTED[script])


def test_your_model_walkthrough_runs_in_30_lines(tmp_path):
    text = (ROOT / "docs" / "your-model.md").read_text()
    code = text.split("```python", 1)[1].split("```", 1)[0].strip("\n")
    assert len(code.splitlines()) <= 30
    script = tmp_path / "walkthrough.py"
    script.write_text(code + "\n")
    _in_order(_run([str(script)], cwd=tmp_path), ["VERIFIED symbolic-at-sizes: every N; at D in {2}", "REFUTED"])


def test_docs_index_lists_the_walkthrough():
    assert "your-model" in (ROOT / "docs" / "index.md").read_text()
