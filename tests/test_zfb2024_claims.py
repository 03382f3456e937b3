"""Zhang, Frei, Bartlett 2024 (claims zfb2024.F1-F6): each verifies through the public pipeline, a wrong
variant of each stated form is REFUTED, and the claims module imports public names only.

The default suite runs every check at d = 1 (a few seconds); the full claims (d = 1, 2 and the
numerical integration) run in the slow test."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sympy as sp

from proofs_check import Status, get, override_stated, stated, verify
from proofs_check.claims import zfb2024 as Z

MODULE = Path(Z.__file__)
IDS = ["zfb2024.F1", "zfb2024.F2", "zfb2024.F3", "zfb2024.F4", "zfb2024.F5", "zfb2024.F6"]


def _n():
    return Z._names()


def _sized(claim_id, d=1):
    """Every sized check of a claim at dimension d (the numerical check has no size and is left out)."""
    claim = get(claim_id)
    return [c.sized(d=d) for c in claim.checks if c.sized is not None]


@pytest.mark.parametrize("claim_id", IDS)
def test_checks_verify_at_d1(claim_id):
    for result in _sized(claim_id):
        assert result.status is Status.VERIFIED, (claim_id, result.name, result.reason)


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", IDS)
def test_claims_verify(claim_id):
    verdict = verify(claim_id)
    assert verdict.status is Status.VERIFIED, verdict.reason


def _replace(form, index, new):
    parts = list(sp.sympify(form))
    parts[index] = new
    return sp.Tuple(*parts)


def _wrong_variants():
    import sympy as sp

    n = _n()
    G, L, U, u, N, c = n["Gamma"], n["Lambda"], n["U"], n["u"], n["N"], n["c"]
    d = n["d"]
    # (name, claim, component replaced (None: the whole form), new component, dimension)
    return [
        ("F1: dU/dt with U Lambda Gamma order", "zfb2024.F1", 1, -u ** 2 * L * U * L * G + u * L ** 2, 2),
        ("F1: du/dt without the factor u", "zfb2024.F1", 0,
         -sp.Trace(G * L * U * L * U.T) + sp.Trace(L ** 2 * U), 1),
        ("F1: Gamma with normaliser N + 1", "zfb2024.F1", 2,
         (1 + 1 / (N + 1)) * L + sp.Trace(L) / (N + 1) * sp.Identity(d), 1),
        ("F2: u^2 + ||U||^2", "zfb2024.F2", None, u ** 2 + sp.Trace(U * U.T), 1),
        ("F2: u^2 - 2||U||^2", "zfb2024.F2", None, u ** 2 - 2 * sp.Trace(U * U.T), 1),
        ("F3: exponent -1/3 on W^KQ", "zfb2024.F3", 0, sp.Trace(G ** -2) ** sp.Rational(-1, 3) * G ** -1, 1),
        ("F3: balanced exponents 1/3", "zfb2024.F3", None,
         sp.Tuple(sp.Trace(G ** -2) ** sp.Rational(-1, 3) * G ** -1, sp.Trace(G ** -2) ** sp.Rational(1, 3),
                  G ** -1, Z._gamma_form()), 1),
        ("F3: product Lambda^-1", "zfb2024.F3", 2, L ** -1, 1),
        ("F4: minimum -(1/2) tr(Lambda Gamma^-1)", "zfb2024.F4", 0,
         -sp.Rational(1, 2) * sp.Trace(L * G ** -1), 1),
        ("F4: minimum -tr(Lambda^2 Gamma^-1)", "zfb2024.F4", 0, -sp.Trace(L ** 2 * G ** -1), 1),
        ("F5: P = Lambda^-1", "zfb2024.F5", 0, L ** -1, 1),
        ("F6: covariate shift factor c", "zfb2024.F6", 0, c, 1),
        ("F6: query shift factor c^2", "zfb2024.F6", 1, c ** 2, 1),
        ("F6: risk limit without c^2", "zfb2024.F6", 2, sp.Rational(1, 2) * (c ** 2 - 1) ** 2 * sp.Trace(L), 1),
    ]


WRONG = _wrong_variants()


@pytest.mark.parametrize("name, claim_id, index, new, d", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_variant_refuted(name, claim_id, index, new, d):
    # d = 2 where the variant differs only for non-commuting matrices (a transposed or reordered product)
    original = stated(claim_id)
    form = new if index is None else _replace(original, index, new)
    with override_stated(claim_id, form):
        results = _sized(claim_id, d=d)
    assert any(r.status is Status.REFUTED for r in results), (name, [(r.name, r.status, r.reason) for r in results])
    refuted = [r for r in results if r.status is Status.REFUTED]
    assert all(r.counterexample for r in refuted)


def test_fixed_points_are_a_curve_not_a_point():
    # on the manifold the fixed set with u != 0 is the curve u U_11 = Gamma^-1 (one point per u)
    from theory import fixed_points

    fp = fixed_points(Z.setup(1)["reduced"])
    assert fp.status == "positive-dimensional", (fp.status, fp.reason)
    curve = Z.fixed_curve(1)
    assert curve is not None and curve.free_symbols >= {Z.setup(1)["u"]}


PUBLIC_PACKAGES = {"theory", "numerics", "proofs_check"}


def test_claims_module_imports_public_names_only():
    import importlib

    tree = ast.parse(MODULE.read_text())
    seen = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import from {node.module!r} (line {node.lineno})"
            top = node.module.split(".")[0]
            if top in PUBLIC_PACKAGES:
                assert node.module == top, f"import from {node.module} (a module, not the public package)"
                package = importlib.import_module(top)
                for alias in node.names:
                    assert not alias.name.startswith("_"), alias.name
                    assert alias.name in package.__all__, f"{top}.{alias.name} is not exported"
                    seen.append(alias.name)
            else:
                assert top in {"sympy", "numpy", "functools", "operator", "__future__"}, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] in {"sympy", "numpy", "operator"}, alias.name
    assert {"population_loss", "Manifold", "check_identity", "check_invariant", "check_conserved", "check_fixed_point",
            "check_prediction"} <= set(seen)


def test_a_manifold_that_is_not_invariant_is_refuted():
    # W^KQ's y-row entry held at 1: yhat gains u S_yy x_q,1 / N, whose gradient leaves the manifold
    from proofs_check import check_invariant
    from theory import Manifold

    s = Z.setup(1)
    u, U = s["u"], s["U"]
    bad = Manifold(s["model"], {"W_KQ_1": sp.Matrix([[U[0, 0], 0], [1, 0]]), "v_1": sp.Matrix([0, u])}, (u, U[0, 0]))
    result = check_invariant(bad.restrict(s["flow"]))
    assert result.status is Status.REFUTED and result.counterexample
