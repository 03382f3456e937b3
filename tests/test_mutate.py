"""Mutation testing (``mesacheck mutate``): deliberate errors must be REFUTED by a claim of their paper.

The quick model catalogue runs once (module fixture, two processes) and the assertions are
table-driven over its mutants; the full catalogue is ``-m slow``.
"""
from __future__ import annotations

import time

import pytest
import sympy as sp

from proofs_check import registry
from proofs_check.cli import main
from proofs_check.mutate import (ModelMutant, Target, model_mutants, mutant_table, run_mutants, select_mutants,
                                 statement_mutants)
from proofs_check.registry import Check, Claim, get, override_stated, stated
from proofs_check.verdicts import Method, verified

QUICK = model_mutants(full=False)
FULL = model_mutants(full=True)


@pytest.fixture(scope="module")
def quick_results():
    start = time.perf_counter()
    results = run_mutants(QUICK, jobs=2, timeout=120)
    return {r.mutant: r for r in results}, time.perf_counter() - start


# ----------------------------------------------------------------------------- the catalogue itself
def test_catalogue_has_at_least_20_mutants_with_unique_ids_and_known_papers():
    assert len(FULL) >= 20
    assert len({m.id for m in FULL}) == len(FULL)
    papers = {c.paper for c in registry.all_claims()}
    assert {m.paper for m in FULL} <= papers
    assert 0 < len(QUICK) < len(FULL)


@pytest.mark.parametrize("mutant", FULL, ids=[m.id for m in FULL])
def test_every_hint_names_an_existing_check_of_the_mutants_paper(mutant):
    for target in mutant.order:
        claim = get(target.claim)
        assert claim.paper == mutant.paper
        matching = [c for c in claim.checks if target.check is None or c.name.startswith(target.check)]
        assert matching, f"{mutant.id}: no check of {target.claim} starts with {target.check!r}"
        if target.at:
            assert all(c.sized is not None for c in matching)


def test_a_mutant_patches_every_binding_and_restores_them():
    import theory.dynamics as dyn
    import theory.zheng_population as pop

    original = pop.population_derivatives
    mutant = next(m for m in FULL if m.id.endswith("gradient-zero"))
    with mutant.apply():
        assert pop.population_derivatives is not original
        assert dyn.population_derivatives is pop.population_derivatives   # the importer's binding too
    assert pop.population_derivatives is original and dyn.population_derivatives is original


# ----------------------------------------------------------------------------- quick catalogue (default suite)
@pytest.mark.parametrize("mutant", QUICK, ids=[m.id for m in QUICK])
def test_quick_mutant_is_refuted_by_a_claim_of_its_paper(mutant, quick_results):
    result = quick_results[0][mutant.id]
    assert result.killed, f"{mutant.id} survived: {result.how}"
    assert result.killed_by.split(":", 1)[0].startswith(mutant.paper + ".")
    assert result.how and not result.how.startswith("survived")


def test_quick_catalogue_table_and_time(quick_results):
    results, seconds = quick_results
    table = mutant_table(list(results.values()))
    assert table.splitlines()[0].split() == ["mutant", "killed", "by", "how"]
    assert f"{len(results)} of {len(results)} mutants killed" in table
    assert seconds < 300


# ----------------------------------------------------------------------------- statement mutants
def test_stated_reads_the_claim_and_an_override_replaces_it():
    form = stated("related.N")
    n, s = sp.Symbol("n", integer=True, positive=True), sp.Symbol("s", positive=True)
    d = sp.Symbol("d", integer=True, positive=True)
    assert sp.simplify(form - n / (n + d + 1 + s ** 2)) == 0
    from proofs_check.claims.related import stated_label_noise_step

    with override_stated("related.N", n / (n + d + s ** 2)):
        assert sp.simplify(stated_label_noise_step(n, 2, s) - n / (n + 2 + s ** 2)) == 0
    assert sp.simplify(stated_label_noise_step(n, 2, s) - n / (n + 3 + s ** 2)) == 0
    with pytest.raises(ValueError, match="no stated closed form"):
        stated("zheng2024.C1")


def test_statement_mutants_perturb_constants_symbols_and_index_offsets():
    descriptions = [m.description for m in statement_mutants("zheng2024.C3")]
    assert any("constant -2 -> -1" in t and "harmonic" in t for t in descriptions)     # H_{T-2} -> H_{T-1}
    assert any("symbol kappa_2 -> kappa_3" in t for t in descriptions)
    assert any("constant -1 -> 1" in t for t in descriptions)                          # a sign
    six = [m.description for m in statement_mutants("zheng2024.C6")]
    assert any("15 -> 14" in t for t in six) and any("9 -> 10" in t for t in six)
    assert statement_mutants("zheng2024.C1") == []                                      # existence result


@pytest.mark.parametrize("claim_id", ["related.N", "related.ZFB1", "zheng2024.C6"])
def test_statement_mutants_of_a_claim_are_all_killed(claim_id):
    mutants = statement_mutants(claim_id, limit=6)
    assert mutants
    results = run_mutants(mutants, jobs=2, timeout=120)
    survivors = [(r.mutant, r.description, r.how) for r in results if not r.killed]
    assert not survivors
    assert all(r.killed_by.startswith(claim_id + ":") for r in results)


@pytest.fixture
def weak_claim():
    """A user claim stating x^2 + 1 whose only check looks at x = 0: most perturbations live."""
    x = sp.Symbol("x")

    def check():
        from proofs_check.zero import check_equal

        return check_equal("value at 0", sp.sympify(stated("user.weak")).subs(x, 0), 1,
                           Method.SYMBOLIC_AT_SIZES, "the statement at x = 0")

    claim = Claim(id="user.weak", title="x^2 + 1 (checked at 0 only)", source="test", stated=lambda: x ** 2 + 1,
                  checks=[Check("value at 0", Method.SYMBOLIC_AT_SIZES, check)])
    registry.all_claims()
    registry.register(claim)
    yield claim
    registry._REGISTRY.pop(claim.id, None)


def test_a_claim_that_lets_a_statement_mutant_live_is_reported_weak(weak_claim, capsys):
    results = run_mutants(statement_mutants(weak_claim), jobs=1, timeout=60)
    assert any(r.killed for r in results)                      # 1 -> 0 changes the value at 0
    survivors = [r for r in results if not r.killed]
    assert survivors and all(r.how.startswith("survived: ") for r in survivors)
    assert any(r.description == "constant 2 -> 1 in x**2" and r.how.startswith("survived: all VERIFIED")
               for r in survivors)                             # x + 1 is 1 at x = 0 too
    assert "weak claims (a statement mutant lives): user.weak" in mutant_table(results)
    assert main(["mutate", "user.weak", "--no-progress", "-j", "1"]) == 1
    assert "weak claims" in capsys.readouterr().out


# ----------------------------------------------------------------------------- time bound and errors
def _sleeping_claim():
    def check():
        time.sleep(60)
        return verified("never", Method.SYMBOLIC_AT_SIZES, "unreachable")

    return Claim(id="user.sleepy", title="sleeps", source="test",
                 checks=[Check("sleeps", Method.SYMBOLIC_AT_SIZES, check)])


def test_a_mutant_past_its_time_bound_survives_as_timed_out():
    import contextlib

    registry.all_claims()
    registry.register(_sleeping_claim())
    try:
        mutant = ModelMutant("user.mutant.noop", "changes nothing", contextlib.nullcontext,
                             (Target("user.sleepy"),))
        start = time.perf_counter()
        (result,) = run_mutants([mutant], timeout=2)
        assert time.perf_counter() - start < 30
        assert not result.killed and "timed out after 2 s" in result.how and "user.sleepy: sleeps" in result.how
    finally:
        registry._REGISTRY.pop("user.sleepy", None)


def test_a_mutant_whose_target_is_gone_is_reported_not_killed():
    from proofs_check.mutate import patch_everywhere

    mutant = ModelMutant("related.mutant.gone", "patches a missing function",
                         lambda: patch_everywhere("theory.related", "no_such_function", lambda f: f),
                         (Target("related.N"),))
    (result,) = run_mutants([mutant], timeout=60)
    assert not result.killed and "could not be applied" in result.how


# ----------------------------------------------------------------------------- CLI
BAD_INPUT = [
    ("unknown id", ["mutate", "zheng2024.C99"], "unknown claim or mutant 'zheng2024.C99'"),
    ("zero jobs", ["mutate", "-j", "0"], "positive integer"),
    ("bad mutant timeout", ["mutate", "--mutant-timeout", "-3"], "positive number of seconds"),
    ("bad check timeout", ["mutate", "--timeout", "x"], "number of seconds"),
    ("bad option", ["mutate", "--frobnicate"], "unrecognized arguments"),
]


@pytest.mark.parametrize("name, argv, message", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_mutate_bad_input_one_line_exit_2(name, argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_mutate_list_names_quick_and_statement_mutants_and_claims_without_closed_form(capsys):
    assert main(["mutate", "--list", "related", "zheng2024.C1"]) == 0
    out = capsys.readouterr().out
    assert "related.mutant.gaussian-fourth-moment  [model]" in out
    assert "related.N.stated.1  [statement]" in out
    assert "zheng2024.C1  [statement] no stated closed form" in out
    mutants, no_form = select_mutants(["zheng2024"], full=False, statements=False)
    assert {m.id for m in mutants} == {m.id for m in QUICK if m.paper == "zheng2024"}


def test_mutate_exit_0_when_every_mutant_is_killed_and_json(capsys):
    import json

    assert main(["mutate", "related.mutant.label-noise-dropped", "oswald2022.O4", "--json", "-j", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["killed"] == doc["total"] == 1 + len(statement_mutants("oswald2022.O4"))
    assert doc["mutants"][0]["killed_by"] == "related.N: eta* for every n"


# ----------------------------------------------------------------------------- full catalogue
#: Mutants of the conventions LOSS_SCALE and RHO of theory.dynamics: they survived while the derivation
#: hard-coded 1/2 and 1/(t - 1) (issue 8 finding 6); killed since the one model definition uses them.
CONVENTION_MUTANTS = {"zheng2024.mutant.loss-scale-constant", "zheng2024.mutant.rho-constant"}


@pytest.mark.slow
def test_full_catalogue_every_mutant_refuted_by_its_paper():
    results = run_mutants(FULL, jobs=2, timeout=240)
    survivors = [(r.mutant, r.how) for r in results if not r.killed]
    for m, r in zip(FULL, results):
        assert not r.killed or r.killed_by.startswith(m.paper + ".")
    if survivors and {name for name, _ in survivors} <= CONVENTION_MUTANTS:
        pytest.xfail(f"the conventions are not used by the derivation yet: {survivors}")
    assert not survivors, survivors


@pytest.mark.slow
def test_every_statement_mutant_of_every_claim_is_killed():
    mutants, _ = select_mutants(None, full=False)
    mutants = [m for m in mutants if m.kind == "statement"]
    results = run_mutants(mutants, jobs=2, timeout=240)
    assert not [(r.mutant, r.description, r.how) for r in results if not r.killed]
