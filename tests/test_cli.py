"""The command line: exit codes, one-line errors, JSON that reads back."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp

from proofs_check.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "proofs_check.cli", *args], capture_output=True, text=True,
                          timeout=300)


BAD_INPUT = [
    ("unknown claim", ["verify", "oswald2022.O9"], "unknown claim 'oswald2022.O9'"),
    ("unknown prefix", ["verify", "nonsense"], "mesacheck list"),
    ("unknown show", ["show", "zzz"], "unknown claim"),
    ("unknown latex", ["latex", "oswald2022.O9"], "unknown claim"),
    ("bad option", ["verify", "--frobnicate"], "unrecognized arguments"),
    ("non-integer examples", ["verify", "--property", "--examples", "ten"], "positive integer"),
    ("zero examples", ["verify", "--property", "--examples", "0"], "positive integer"),
    ("unknown command", ["prove"], "invalid choice"),
]


@pytest.mark.parametrize("name, argv, message", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_one_line_exit_2(name, argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_verify_prefix_table_and_exit_code(capsys):
    assert main(["verify", "oswald2022.O1", "oswald2022.O4"]) == 0
    out = capsys.readouterr().out
    assert "oswald2022.O1" in out and "VERIFIED" in out and "symbolic-all-dimensions" in out
    assert "2 verified, 0 refuted, 0 inconclusive" in out


def test_verify_json_is_one_document_that_reads_back():
    proc = run("verify", "oswald2022.O1", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    claim = doc["claims"][0]
    assert claim["id"] == "oswald2022.O1" and claim["status"] == "VERIFIED"
    statement = sp.sympify(claim["statement"]["srepr"])
    assert isinstance(statement, sp.Tuple) and all(isinstance(e, sp.Eq) for e in statement)
    gradient = sp.sympify(claim["checks"][0]["expressions"]["gradient"])
    assert gradient.shape == (sp.Symbol("N_y", integer=True, positive=True),
                              sp.Symbol("N_x", integer=True, positive=True))


def test_list_and_show(capsys):
    assert main(["list", "oswald2022"]) == 0
    assert capsys.readouterr().out.count("oswald2022.O") == 4
    assert main(["show", "oswald2022.O3"]) == 0
    out = capsys.readouterr().out
    assert "hypotheses" in out and "gamma" in out and "symbolic-all-dimensions" in out


def test_latex_uses_paper_notation(capsys):
    assert main(["latex", "oswald2022.O1"]) == 0
    out = capsys.readouterr().out
    assert r"^\top" in out and r"\mathbb{I}" not in out and r"x_{\mathrm{test}}" in out


def test_exit_code_reflects_worst_verdict(monkeypatch, capsys):
    from proofs_check import registry
    from proofs_check.verdicts import Method, inconclusive, refuted

    registry._load()
    bad = registry.Claim("test.bad", "refuted", "test", checks=[registry.Check(
        "c", Method.SYMBOLIC_AT_SIZES, lambda: refuted("c", Method.SYMBOLIC_AT_SIZES, "", {"x": "1"}))])
    unsure = registry.Claim("test.unsure", "inconclusive", "test", checks=[registry.Check(
        "c", Method.SYMBOLIC_AT_SIZES, lambda: inconclusive("c", Method.SYMBOLIC_AT_SIZES, "no reduction"))])
    monkeypatch.setitem(registry._REGISTRY, "test.bad", bad)
    monkeypatch.setitem(registry._REGISTRY, "test.unsure", unsure)
    assert main(["verify", "test.unsure"]) == 3
    assert main(["verify", "test.bad", "test.unsure"]) == 1
    out = capsys.readouterr().out
    assert "counterexample" in out and "no reduction" in out


def test_report_writes_three_formats(tmp_path):
    assert main(["report", "oswald2022.O4", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"report.md", "report.json", "report.tex"}
    assert "VERIFIED" in (tmp_path / "report.md").read_text()


def test_unwritable_out_directory(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["report", "oswald2022.O4", "--out", str(target / "sub")]) == 2
    assert "not a writable directory" in capsys.readouterr().err


AT_CASES = [
    ("negative size", ["verify", "oswald2022.O1", "--at", "Nx=-1"], "size Nx must be a positive integer"),
    ("non-integer size", ["verify", "oswald2022.O1", "--at", "N=2.5"], "size N must be a positive integer"),
    ("malformed", ["verify", "oswald2022.O1", "--at", "Nx"], "NAME=N"),
    ("unknown size", ["verify", "oswald2022.O1", "--at", "d=3"], "has no size 'd'"),
    ("claim without sizes", ["verify", "oswald2022.O4", "--at", "Nx=2"], "takes no sizes"),
]


@pytest.mark.parametrize("name, argv, message", AT_CASES, ids=[c[0] for c in AT_CASES])
def test_bad_sizes_from_cli(name, argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_verify_at_user_sizes(capsys):
    assert main(["verify", "oswald2022.O3", "--at", "Nx=3,Ny=1,N=2"]) == 0
    assert "symbolic-at-sizes" in capsys.readouterr().out


def test_jupyter_reprs():
    from proofs_check import get, verify

    claim = get("oswald2022.O1")
    assert claim._repr_latex_().startswith("$$") and r"^\top" in claim._repr_latex_()
    assert "Proposition 1" in claim._repr_markdown_()
    table = verify("oswald2022.O4")._repr_markdown_()
    assert "| block algebra | VERIFIED | symbolic-all-dimensions |" in table


def test_parallel_verify_keeps_order_and_verdicts(capsys):
    assert main(["verify", "-j", "2", "oswald2022.O4", "oswald2022.O3", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.index("oswald2022.O4") < out.index("oswald2022.O3")
    assert "2 verified" in out


ZHENG_AT = [
    ("T below 3", ["verify", "zheng2024.C3", "--at", "d=2,T=2"], "size T must be an integer >= 3"),
    ("d zero", ["verify", "zheng2024.C4", "--at", "d=0,T=4"], "size d must be a positive integer"),
    ("oswald size on zheng", ["verify", "zheng2024.C3", "--at", "Nx=2"], "has no size 'Nx'"),
]


@pytest.mark.parametrize("name, argv, message", ZHENG_AT, ids=[c[0] for c in ZHENG_AT])
def test_zheng_sizes_validated(name, argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_zheng_claim_at_user_sizes(capsys):
    assert main(["verify", "zheng2024.C4", "--at", "d=2,T=5"]) == 0
    assert "zheng2024.C4  VERIFIED  symbolic-at-sizes" in capsys.readouterr().out
