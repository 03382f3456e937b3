"""Zhang, Singh, Latham, Saxe 2025 through the public API: every claim VERIFIED, wrong variants REFUTED,
the claims module imports only public names, and the stored comparison with the authors' run agrees."""
import ast
import importlib
import pathlib
import re

import pytest
import sympy as sp

from proofs_check import Status, override_stated, verify
from proofs_check.claims import zsls2025 as z
from theory import SYMBOLS

ROOT = pathlib.Path(__file__).resolve().parents[1]
N = SYMBOLS["N"]
lam, tr = sp.Symbol("lambda", positive=True), sp.Symbol("tr", positive=True)
D_sym = sp.Symbol("D", integer=True, positive=True)


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", ["zsls2025.M1", "zsls2025.M2", "zsls2025.M3", "zsls2025.S1"])
def test_verified(claim_id):
    assert verify(claim_id).status is Status.VERIFIED


# the default suite: each claim's checks at one small size (a few seconds each)
SMALL = [
    ("M1 prediction", lambda: z.check_m1_prediction(sizes=((2, 2),))),
    ("M1 features", lambda: z.check_m1_features(dimensions=(2,))),
    ("M1 subspace invariant", lambda: z.check_m1_subspace_invariant(dimensions=(1,))),
    ("M2 fixed point", lambda: z.check_m2_fixed_point(dimensions=(2,))),
    ("M2 predictor", lambda: z.check_m2_predictor(dimensions=(2,))),
    ("M3 time course", lambda: z.check_m3_time_course(dimensions=(1,))),
    ("S1 fixed points", lambda: z.check_s1_fixed_points(dimensions=(1,))),
]


@pytest.mark.parametrize("name, run", SMALL, ids=[s[0] for s in SMALL])
def test_verified_at_a_small_size(name, run):
    result = run()
    assert result.status is Status.VERIFIED, result


def _m1_wrong_normaliser():
    v, W, y, x, xq = sp.symbols("v W y x x_q", real=True)
    return sp.Tuple(v * W, y * x * xq / (N + 1))


def _m1_wrong_feature():
    v, W, y, x, xq = sp.symbols("v W y x x_q", real=True)
    return sp.Tuple(v * W, y * x * x / N)


WRONG = [
    ("M1: 1/(N+1) normaliser", "zsls2025.M1", _m1_wrong_normaliser, lambda: z.check_m1_prediction(sizes=((2, 2),))),
    ("M1: x_n x_n feature", "zsls2025.M1", _m1_wrong_feature, lambda: z.check_m1_prediction(sizes=((2, 1),))),
    ("M1: path weight 2 v W", "zsls2025.M1",
     lambda: sp.Tuple(2 * sp.Symbol("v", real=True) * sp.Symbol("W", real=True), z._m1_stated()[1]),
     lambda: z.check_m1_features(dimensions=(1,))),
    ("M2: trace term without 1/N", "zsls2025.M2", lambda: 1 / (lam + lam / N + tr),
     lambda: z.check_m2_fixed_point(dimensions=(2,))),
    ("M2: N+1 for N", "zsls2025.M2", lambda: 1 / (lam + (lam + tr) / (N + 1)),
     lambda: z.check_m2_predictor(dimensions=(1,))),
    ("M3: exponent sqrt(D) t", "zsls2025.M3",
     lambda: z._m3_stated().subs(sp.Symbol("t", nonnegative=True), sp.Symbol("t", nonnegative=True) / 2),
     lambda: z.check_m3_time_course(dimensions=(1,))),
    ("M3: (1 + D/N)", "zsls2025.M3",
     lambda: z._m3_stated().subs(1 + (1 + D_sym) / N, 1 + D_sym / N),
     lambda: z.check_m3_time_course(dimensions=(1,))),
    ("S1: 1/2 scale on the base loss", "zsls2025.S1",
     lambda: sp.Tuple(tr / 2, *z._s1_stated()[1:]), lambda: z.check_s1_fixed_points(dimensions=(1,))),
    ("S1: drop lambda/(1 + tr/(lambda N))", "zsls2025.S1",
     lambda: sp.Tuple(tr, lam / (1 + tr / lam / N), z._s1_stated()[2]),
     lambda: z.check_s1_fixed_points(dimensions=(1,))),
    ("S1: D + 2 fixed points", "zsls2025.S1",
     lambda: sp.Tuple(tr, z._s1_stated()[1], D_sym + 2), lambda: z.check_s1_fixed_points(dimensions=(1,))),
]


@pytest.mark.parametrize("name, claim_id, form, run", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_variant_refuted(name, claim_id, form, run):
    wrong = form()
    assert wrong != z._m1_stated() and sp.srepr(wrong) != sp.srepr(
        {"zsls2025.M1": z._m1_stated, "zsls2025.M2": z._m2_stated, "zsls2025.M3": z._m3_stated,
         "zsls2025.S1": z._s1_stated}[claim_id]())
    with override_stated(claim_id, wrong):
        result = run()
    assert result.status is Status.REFUTED, result


PUBLIC_PACKAGES = ("theory", "numerics", "proofs_check")


def test_claims_module_imports_only_public_names():
    source = pathlib.Path(z.__file__).read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                assert top not in PUBLIC_PACKAGES, f"import {alias.name}: import names from the package instead"
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import from {node.module!r}: use the public package"
            top = (node.module or "").split(".")[0]
            if top in PUBLIC_PACKAGES:
                assert node.module == top, f"from {node.module} import ...: a private module"
                exported = set(getattr(importlib.import_module(top), "__all__", ()))
                for alias in node.names:
                    assert not alias.name.startswith("_"), alias.name
                    assert alias.name in exported, f"{alias.name} is not in {top}.__all__"


def test_stored_comparison_with_the_authors_run_agrees():
    text = (ROOT / "benchmarks" / "results_zsls_authors.txt").read_text()
    gap = float(re.search(r"largest gap \|authors - mesacheck\| / L\(0\): ([0-9.eE+-]+)", text).group(1))
    tolerance = float(re.search(r"tolerance \(sampling error\): ([0-9.eE+-]+)", text).group(1))
    assert gap < tolerance <= 0.05

