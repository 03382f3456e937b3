"""Paper-ready LaTeX: golden statements of every claim, fragments, documents that compile.

The golden files ``tests/golden/<id>.tex`` hold each registered claim's printed statement. After a
deliberate change of the printer or of a statement, regenerate them from the worktree root with

    MESACHECK_REGENERATE_GOLDEN=1 python -m pytest tests/test_latex.py -k golden -p no:cacheprovider

and review the diff (``git diff tests/golden``) before committing.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from proofs_check import all_claims, get
from proofs_check.cli import main

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("MESACHECK_REGENERATE_GOLDEN") == "1"
CLAIM_IDS = [c.id for c in all_claims()]
PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed here (CI installs "
                                    "texlive-latex-base, texlive-latex-recommended and lmodern in .ci/run)")


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_golden_statement(claim_id):
    text = get(claim_id).latex() + "\n"
    path = GOLDEN / f"{claim_id}.tex"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file for {claim_id}: regenerate (see this module's docstring)"
    assert text == path.read_text(), f"{claim_id}'s LaTeX changed: review, then regenerate the golden file"


def test_no_stale_golden_files():
    assert sorted(p.stem for p in GOLDEN.glob("*.tex")) == sorted(CLAIM_IDS)


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_every_claim_has_a_statement_without_double_superscripts(claim_id):
    text = get(claim_id).latex()
    assert text and "False" not in text and "True" not in text
    assert "}^\\top" not in text.replace("\\right)^\\top", "")  # W^{KQ}^\top would not compile


def test_fragments_and_document(tmp_path, capsys):
    out, doc = tmp_path / "frag", tmp_path / "claims.tex"
    assert main(["latex", "oswald2022", "zheng2024.C4", "--out", str(out), "--document", str(doc)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{i}.tex" for i in
                                                           ("oswald2022.O1", "oswald2022.O2", "oswald2022.O3",
                                                            "oswald2022.O4", "oswald2022.sim.one-layer",
                                                            "oswald2022.trained-K2", "oswald2022.trained-K3",
                                                            "oswald2022.learned-gamma", "zheng2024.C4"))
    fragment = (out / "zheng2024.C4.tex").read_text()
    assert r"\label{mesacheck:zheng2024.C4}" in fragment and r"\begin{equation}" in fragment
    assert r"\lim_{\tau \to \infty}" in fragment and r"\mesacheckhypotheses{" in fragment
    text = doc.read_text()
    assert r"\usepackage[T1]{fontenc}" in text and r"\usepackage[hidelinks]{hyperref}" in text
    assert not list(tmp_path.rglob(".mesacheck-*")), "a temporary file was left behind"


def test_fragment_with_verdict(capsys):
    assert main(["latex", "oswald2022.O3", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "% verdict: VERIFIED (symbolic-all-dimensions" in out and r"\mesacheckverdict{VERIFIED}" in out


LATEX_BAD_INPUT = [
    ("unknown id", ["latex", "oswald2022.O9"], "unknown claim 'oswald2022.O9'"),
    ("unknown prefix", ["latex", "nonsense"], "unknown claim 'nonsense'"),
    ("document is a directory", ["latex", "--document", "{tmp}"], "is a directory"),
    ("document in a missing directory", ["latex", "--document", "{tmp}/no/such/claims.tex"], "does not exist"),
    ("out is a file", ["latex", "--out", "{tmp}/file"], "not a writable directory"),
]


@pytest.mark.parametrize("name, argv, message", LATEX_BAD_INPUT, ids=[c[0] for c in LATEX_BAD_INPUT])
def test_latex_bad_input(name, argv, message, tmp_path, capsys, monkeypatch):
    (tmp_path / "file").write_text("")
    from proofs_check import registry

    monkeypatch.setattr(registry.Claim, "latex", lambda self: pytest.fail("worked before the check"))
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def _pdflatex(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", path.name], cwd=path.parent,
                          capture_output=True, text=True, timeout=120)


@needs_pdflatex
def test_document_of_every_claim_compiles(tmp_path):
    doc = tmp_path / "all.tex"
    assert main(["latex", "--document", str(doc)]) == 0
    proc = _pdflatex(doc)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "all.pdf").stat().st_size > 10_000


@needs_pdflatex
def test_report_compiles(tmp_path):
    assert main(["report", "oswald2022.O3", "zheng2024.C6", "related.ZFB1", "--out", str(tmp_path)]) == 0
    proc = _pdflatex(tmp_path / "report.tex")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "VERIFIED" in (tmp_path / "report.tex").read_text()


@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_statement_reads_back(claim_id):
    import sympy as sp

    from proofs_check import load_statement
    from proofs_check.cli import _statement_payload

    claim = get(claim_id)
    original = claim.statement()
    original = sp.Tuple(*original) if isinstance(original, (list, tuple)) else original
    payload = json.loads(json.dumps(_statement_payload(claim)))
    loaded = load_statement(payload)
    # the same tree up to the order in which srepr lists a sum's terms; names and assumptions included
    assert sp.srepr(loaded) == sp.srepr(original)
    assert get(claim_id).latex() == __import__("theory.printing", fromlist=["latex"]).latex(loaded)
    assert loaded.free_symbols == original.free_symbols and "False" not in sp.srepr(loaded)


def test_load_statement_refuses_code():
    from proofs_check import load_statement

    for text in ("__import__('os').system('true')", "Symbol('x').__class__", "open('f')", "lambda: 1"):
        with pytest.raises(ValueError, match="srepr"):
            load_statement(text)


def test_json_documents_carry_provenance(capsys):
    assert main(["verify", "oswald2022.O4", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    prov = doc["provenance"]
    assert {"mesacheck", "sympy", "numpy", "scipy", "git_commit", "seed", "parameters"} <= set(prov)
    import sympy as sp

    assert prov["sympy"] == sp.__version__


def test_rich_display_in_jupyter():
    from proofs_check.verdicts import Method, verified

    for claim in all_claims():
        shown = claim._repr_latex_()
        assert shown.startswith("$$") and len(shown) > 4 and "$$$$" not in shown
    check = verified("block algebra", Method.SYMBOLIC_ALL_DIMENSIONS, "for all sizes")
    assert "**VERIFIED**" in check._repr_markdown_() and "symbolic-all-dimensions" in check._repr_markdown_()


def test_refuted_fragment_carries_the_counterexample_and_compiles(tmp_path, monkeypatch):
    from proofs_check.reports import claim_tex, tex_document
    from proofs_check.verdicts import Method, Verdict, refuted

    claim = get("oswald2022.O3")
    bad = refuted("entrywise", Method.SYMBOLIC_AT_SIZES, "residual 1/2 at x = 3",
                  {"x": "3", "residual": "1/2 & 100% of #_{}^~"})
    verdict = Verdict(claim.id, claim.title, [bad])
    text = claim_tex(claim, verdict)
    assert "% counterexample:" in text and r"\mesacheckverdict{REFUTED}" in text
    if PDFLATEX:
        doc = tmp_path / "refuted.tex"
        doc.write_text(tex_document([claim], [verdict]))
        proc = _pdflatex(doc)
        assert proc.returncode == 0, proc.stdout[-3000:]


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    import proofs_check.reports as reports

    target = tmp_path / "claims.tex"
    target.write_text("old")

    def fail(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        reports.write_atomic(target, "new, half written")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["claims.tex"]


def test_a_claim_without_statement_still_gives_a_fragment():
    from proofs_check import Claim
    from proofs_check.reports import claim_tex

    text = claim_tex(Claim("mine.T1", "my theorem", "my notes", hypotheses=["x > 0"]))
    assert "has no derived statement" in text and r"\begin{equation}" not in text and r"\item x \textgreater{} 0" in text


@needs_pdflatex
def test_fragments_can_be_input_by_a_paper(tmp_path):
    assert main(["latex", "zheng2024.C4", "oswald2022.O1", "--out", str(tmp_path / "frag")]) == 0
    paper = tmp_path / "paper.tex"
    paper.write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
                     "By \\eqref{mesacheck:zheng2024.C4} and \\eqref{mesacheck:oswald2022.O1}:\n"
                     "\\input{frag/zheng2024.C4.tex}\n\\input{frag/oswald2022.O1.tex}\n\\end{document}\n")
    proc = _pdflatex(paper)
    assert proc.returncode == 0, proc.stdout[-3000:]
