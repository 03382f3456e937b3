"""The property runner: budgets, shrunk counterexamples with a reproducing command, and every
undecided outcome (health check, Unsatisfiable, a raising check, Undecided, no witness, free
symbols) reported INCONCLUSIVE, never as a pass."""
from __future__ import annotations

import io
import json

import pytest
import sympy as sp
from hypothesis import strategies as st

from proofs_check import properties as P
from proofs_check.cli import main
from proofs_check.verdicts import Method, Status


def _prop(name, strategy, body, kind="forall", examples=30):
    return P.Property(name, "test.X", name, lambda: strategy, body, kind=kind, examples=examples)


def _lt_100(n):
    assert n < 100, f"{n} >= 100"


def _raises(n):
    raise ZeroDivisionError("division by zero inside the check")


def _undecided(n):
    raise P.Undecided("the integrator did not converge")


RUNS = [
    ("holds", _prop("t.holds", st.integers(0, 50), _lt_100), Status.VERIFIED, None),
    ("fails", _prop("t.fails", st.integers(0, 10 ** 6), _lt_100, examples=200), Status.REFUTED, "100 >= 100"),
    ("health check", _prop("t.health", st.integers().filter(lambda n: False), _lt_100), Status.INCONCLUSIVE,
     "health check"),
    ("raises", _prop("t.raises", st.integers(), _raises), Status.INCONCLUSIVE, "ZeroDivisionError"),
    ("undecided", _prop("t.undecided", st.integers(), _undecided), Status.INCONCLUSIVE, "did not converge"),
    ("witness found", _prop("t.exists", st.integers(0, 10 ** 6), lambda n: n >= 1000, kind="exists"),
     Status.VERIFIED, None),
    ("no witness", _prop("t.none", st.integers(0, 10), lambda n: n > 10, kind="exists"), Status.INCONCLUSIVE,
     "no witness"),
    ("exists raises", _prop("t.exraise", st.integers(), _raises, kind="exists"), Status.INCONCLUSIVE,
     "ZeroDivisionError"),
]


@pytest.mark.parametrize("name, prop, status, text", RUNS, ids=[r[0] for r in RUNS])
def test_run_property_statuses(name, prop, status, text, monkeypatch):
    monkeypatch.setitem(P.PROPERTIES, prop.name, prop)  # registered: the report names the CLI command
    result = P.run_property(prop, seed=5)
    assert result.status is status
    assert result.method is Method.PROPERTY_BASED
    if status is Status.INCONCLUSIVE:
        assert text.lower() in result.reason.lower()
    if status is Status.REFUTED:
        assert result.counterexample["example"] == 100  # shrunk to the boundary
        assert text in result.counterexample["failure"]
        assert result.counterexample["reproduce"] == "mesacheck verify --property t.fails --seed 5 --examples 200"


def test_unregistered_property_reports_how_to_rerun():
    result = P.run_property(_prop("t.user", st.integers(0, 10 ** 6), _lt_100, examples=50), seed=9)
    assert result.counterexample["reproduce"] == "run_property(..., seed=9, examples=50)"


def test_exists_reports_the_shrunk_witness():
    result = P.run_property(RUNS[5][1], seed=1)
    assert json.loads(result.expressions["witness"]) == 1000


def test_same_seed_same_counterexample():
    prop = _prop("t.pair", st.tuples(st.integers(0, 1000), st.integers(0, 1000)),
                 lambda p: _lt_100(p[0] + p[1]), examples=100)
    a, b = P.run_property(prop, seed=42), P.run_property(prop, seed=42)
    assert a.counterexample == b.counterexample
    assert sum(a.counterexample["example"]) == 100


def test_pinned_examples_run_first():
    prop = P.Property("t.pinned", "test.X", "pinned", lambda: st.integers(0, 5), _lt_100, pinned=lambda: [250])
    result = P.run_property(prop, seed=0)
    assert result.status is Status.REFUTED and result.counterexample["example"] == 250


def test_identity_property_refutes_with_exact_values():
    x = sp.Symbol("x")
    q = st.fractions(min_value=-5, max_value=5, max_denominator=4).map(sp.Rational)
    good = P.identity_property((x + 1) ** 2, x ** 2 + 2 * x + 1, {x: q}, examples=20, seed=0)
    assert good.status is Status.VERIFIED
    bad = P.identity_property((x + 1) ** 2, x ** 2 + 1, {x: q}, examples=50, seed=0)
    assert bad.status is Status.REFUTED
    assert bad.counterexample["example"] != {"x": "0"}  # x = 0 satisfies it; the witness does not
    value = sp.Rational(bad.counterexample["example"]["x"])
    assert ((value + 1) ** 2 - value ** 2 - 1) != 0


def test_identity_property_free_symbols_without_strategy_are_inconclusive():
    x, y = sp.symbols("x y")
    result = P.identity_property((x + y) ** 2, x ** 2 + 2 * x * y + y ** 2, {x: st.integers().map(sp.Integer)})
    assert result.status is Status.INCONCLUSIVE and "y" in result.reason


def test_identity_property_division_by_zero_is_undecided_not_a_pass():
    x = sp.Symbol("x")
    result = P.identity_property((x ** 2 - x) / (x - 1), x, {x: st.just(sp.Integer(1))}, examples=5)
    assert result.status is Status.INCONCLUSIVE and "not finite" in result.reason


@pytest.fixture
def fake_registry(monkeypatch):
    """Replace the registry by three small properties (one of each outcome)."""
    registry = {}
    for name, prop, _, _ in RUNS[:3]:
        registry[prop.name] = prop
    monkeypatch.setattr(P, "PROPERTIES", registry)
    return registry


def test_run_properties_exit_codes_and_report(fake_registry):
    out = io.StringIO()
    assert P.run_properties(["t.holds"], seed=1, out=out) == 0
    assert "VERIFIED" in out.getvalue() and "ex/s" in out.getvalue()
    out = io.StringIO()
    assert P.run_properties(["t.fails"], seed=1, out=out) == 1
    text = out.getvalue()
    assert "shrunk counterexample: 100" in text
    assert "reproduce with: mesacheck verify --property t.fails --seed 1 --examples 200" in text
    out = io.StringIO()
    assert P.run_properties(["t.health"], seed=1, out=out) == 3
    assert "INCONCLUSIVE" in out.getvalue() and "health check" in out.getvalue()
    assert P.run_properties(["nope"], seed=1, out=io.StringIO()) == 2


def test_run_properties_json_is_one_document(fake_registry):
    out = io.StringIO()
    code = P.run_properties(None, seed=7, examples=20, as_json=True, out=out)
    assert code == 1
    doc = json.loads(out.getvalue())
    statuses = {p["name"]: p["status"] for p in doc["properties"]}
    assert statuses == {"t.holds": "VERIFIED", "t.fails": "REFUTED", "t.health": "INCONCLUSIVE"}
    assert doc["verdicts"][0]["id"] == "test.X" and doc["verdicts"][0]["status"] == "REFUTED"
    assert all(p["method"] == "property-based" for p in doc["properties"])
    assert doc["properties"][1]["reproduce"] == "mesacheck verify --property t.fails --seed 7 --examples 20"


def test_every_registered_property_names_a_claim_and_is_selectable():
    P._register_all()
    names = list(P.PROPERTIES)
    assert {"zheng2024.C2.invariance", "zheng2024.C2.needs-S", "zheng2024.C4.fixed-point",
            "zheng2024.C5.limit", "zheng2024.C5.finite-T", "oswald2022.O1.exact"} <= set(names)
    assert [p.name for p in P.select_properties(["zheng2024.C5"])] == ["zheng2024.C5.limit", "zheng2024.C5.finite-T"]
    with pytest.raises(KeyError, match="Did you mean"):
        P.select_properties(["zheng2024.C2.invariants"])


def test_cli_verify_property(capsys):
    code = main(["verify", "--property", "oswald2022.O3.exact", "--examples", "3", "--seed", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0 and "VERIFIED" in out and "oswald2022.O3.exact" in out
    assert main(["verify", "--property", "no.such.property", "--no-progress"]) == 2
