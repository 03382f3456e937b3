"""Ahn, Cheng, Daneshmand, Sra 2023 (arXiv 2306.00297): every claim VERIFIED, wrong variants REFUTED, and
the claims module imports only public names (the point of issue 10: a user can do this through the API)."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import sympy as sp

from proofs_check import get, override_stated

MODULE = Path(__file__).resolve().parents[1] / "proofs_check" / "claims" / "ahn2023.py"
PUBLIC_PACKAGES = ("theory", "numerics", "proofs_check")


def _status(result):
    return result.status.value


def test_claims_module_imports_only_public_names():
    tree = ast.parse(MODULE.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in PUBLIC_PACKAGES or "." not in alias.name, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import from {node.module!r}: import public names from the package"
            if node.module in ("__future__", "sympy"):
                continue
            assert node.module in PUBLIC_PACKAGES, f"import from {node.module!r}: only {PUBLIC_PACKAGES}"
            exported = set(getattr(importlib.import_module(node.module), "__all__", ()))
            for alias in node.names:
                assert not alias.name.startswith("_"), alias.name
                assert alias.name in exported, f"{node.module}.{alias.name} is not in {node.module}.__all__"


@pytest.mark.slow
def test_every_claim_verified():
    """The registered checks at their full sizes (~35 s cold: `mesacheck verify ahn2023`)."""
    for claim_id in ("ahn2023.M", "ahn2023.L1", "ahn2023.T1", "ahn2023.T1iso"):
        verdict = get(claim_id).verify()
        assert verdict.status.value == "VERIFIED", (claim_id, [(r.name, r.status.value, r.detail)
                                                               for r in verdict.checks])


def test_each_claim_verified_at_small_sizes():
    """The same checks as the registered claims, at the smallest sizes (the full sizes run in the slow test)."""
    from proofs_check.claims.ahn2023 import check_isotropic, check_lemma1, check_model_correspondence, check_theorem1

    assert _status(check_model_correspondence(sizes=((1, 2),))) == "VERIFIED"
    assert _status(check_lemma1(layers=(1, 2))) == "VERIFIED"
    assert _status(check_theorem1(cases=((1, "general"),))) == "VERIFIED"
    assert _status(check_isotropic(dimensions=(1, 2))) == "VERIFIED"


# --------------------------------------------------------------------------- ahn2023.M
def test_model_correspondence_refutes_the_transposed_key_query():
    from proofs_check.claims.ahn2023 import check_model_correspondence

    assert _status(check_model_correspondence(transpose=True)) == "REFUTED"


def test_model_correspondence_refutes_a_wrong_readout_sign():
    from proofs_check.claims.ahn2023 import _m_stated, check_model_correspondence

    attention, step, _ = _m_stated()
    with override_stated("ahn2023.M", sp.Tuple(attention, step, sp.Integer(1))):
        assert _status(check_model_correspondence()) == "REFUTED"


def test_model_correspondence_refutes_a_wrong_step():
    from proofs_check.claims.ahn2023 import _m_stated, check_model_correspondence

    attention, step, sign = _m_stated()
    with override_stated("ahn2023.M", sp.Tuple(attention, 2 * step, sign)):
        assert _status(check_model_correspondence(sizes=((1, 2),))) == "REFUTED"


# --------------------------------------------------------------------------- ahn2023.L1
def _untransposed_update():
    d = sp.Symbol("d", integer=True, positive=True)
    w, g, A = sp.MatrixSymbol("w", d, 1), sp.MatrixSymbol("g", d, 1), sp.MatrixSymbol("A", d, d)
    return w - A * g


def test_lemma1_as_printed_is_refuted_for_a_non_symmetric_preconditioner():
    from proofs_check.claims.ahn2023 import check_lemma1

    with override_stated("ahn2023.L1", _untransposed_update()):
        result = check_lemma1(layers=(1,))
    assert _status(result) == "REFUTED"


def test_lemma1_as_printed_holds_for_symmetric_preconditioners():
    from proofs_check.claims.ahn2023 import check_lemma1

    with override_stated("ahn2023.L1", _untransposed_update()):
        assert _status(check_lemma1(layers=(1,), symmetric=True)) == "VERIFIED"


def test_lemma1_wrong_step_sign_is_refuted():
    from proofs_check.claims.ahn2023 import _l1_stated, check_lemma1

    form = _l1_stated()
    w = [s for s in form.free_symbols if s.name == "w"][0]
    with override_stated("ahn2023.L1", 2 * w - form):        # w + A^T g
        assert _status(check_lemma1(layers=(1,))) == "REFUTED"


# --------------------------------------------------------------------------- ahn2023.T1 / T1iso
@pytest.mark.parametrize("wrong", [
    pytest.param(lambda n: (sp.Integer(1), (n + 1) / n, 1 / n), id="sign of Q"),
    pytest.param(lambda n: (sp.Integer(-1), sp.Integer(1), 1 / n), id="Sigma without 1/n"),
    pytest.param(lambda n: (sp.Integer(-1), (n + 2) / (n + 1), 1 / (n + 1)), id="n+1 for n"),
])
def test_theorem1_wrong_preconditioners_are_refuted(wrong):
    from proofs_check.claims.ahn2023 import check_theorem1
    from theory import SYMBOLS

    with override_stated("ahn2023.T1", sp.Tuple(*wrong(SYMBOLS["N"]))):
        assert _status(check_theorem1(cases=((1, "general"),))) == "REFUTED"


@pytest.mark.parametrize("wrong", [
    pytest.param(lambda n, d: -1 / (1 + d / n), id="d for d+1"),
    pytest.param(lambda n, d: 1 / (1 + (d + 1) / n), id="sign"),
])
def test_isotropic_wrong_step_is_refuted(wrong):
    from proofs_check.claims.ahn2023 import check_isotropic
    from theory import SYMBOLS

    with override_stated("ahn2023.T1iso", wrong(SYMBOLS["N"], sp.Symbol("d", integer=True, positive=True))):
        assert _status(check_isotropic(dimensions=(2,))) == "REFUTED"


def test_the_symmetric_preconditioner_manifold_is_invariant_only_for_isotropic_inputs():
    """A finding: restricting Q = -diag(A, 0) to symmetric A is not a flow restriction when Sigma is anisotropic
    (the velocity leaves the symmetric matrices), though its projected fixed point is still -Gamma^{-1};
    ahn2023.T1 therefore trains Q's first d columns, an invariant manifold for every Sigma."""
    from proofs_check import check_invariant
    from theory import InContextRegression, LinearAttention, Manifold, population_loss

    a, b, c = sp.symbols("a b c", real=True)
    lam = sp.symbols("lambda_1 lambda_2", positive=True)
    model = LinearAttention(D=2, readout_sign=-1, fixed={"v_1": sp.Matrix([0, 0, 1])})
    symmetric = {"W_KQ_1": sp.Matrix([[a, b, 0], [b, c, 0], [0, 0, 0]])}
    for covariance, expected in ((list(lam), "REFUTED"), (None, "VERIFIED")):
        loss = population_loss(model, InContextRegression(2, covariance=covariance))
        reduced = Manifold(model, symmetric, (a, b, c)).restrict(loss)
        assert _status(check_invariant(reduced, sizes={"D": 2})) == expected


def test_the_authors_code_uses_the_transposed_key_query():
    """benchmarks/compare_ahn_authors.py ran the authors' attention (torch, not needed here): their prediction is
    mesacheck's with W_KQ = Q^T, not with the paper's W_KQ = Q."""
    text = (Path(__file__).resolve().parents[1] / "benchmarks" / "results_ahn_authors.txt").read_text()
    assert "W_KQ = Q_full^T (the code's z_q^T Q z_i)" in text and "W_KQ = Q_full (the paper's Eq. 3)" in text
    lines = {line.split(":")[0]: line.rsplit(": ", 1)[1] for line in text.splitlines() if line.startswith("W_KQ")}
    assert lines == {"W_KQ = Q_full^T (the code's z_q^T Q z_i)": "VERIFIED", "W_KQ = Q_full (the paper's Eq. 3)": "REFUTED"}


def test_the_lifted_normal_equations_fail_away_from_the_optimum():
    """The global-minimum check of ahn2023.T1 is not vacuous: at (P_0, 2 Q_0) the lift's G C - b is not 0."""
    from proofs_check import check_identity
    from proofs_check.claims.ahn2023 import _covariance, _q_matrix, stated_q_block
    from theory import InContextRegression, LinearAttention, population_loss

    Sigma = _covariance(1, "general")
    model = LinearAttention(D=1, readout_sign=-1)
    loss = population_loss(model, InContextRegression(1, covariance=Sigma))
    C = loss.coefficients[0].xreplace(model.with_values({"v_1": sp.Matrix([0, 1]),
                                                         "W_KQ_1": 2 * _q_matrix(stated_q_block(Sigma))}))
    assert _status(check_identity(loss.G * C - loss.b[0, :].T, sp.zeros(loss.G.rows, 1))) == "REFUTED"
