"""The fidelity page is generated from the registry: every numbered statement of both papers is
checked by at least one claim, and every discrepancy note is tied to registered claims."""
from __future__ import annotations

from pathlib import Path

from proofs_check import all_claims
from proofs_check.fidelity import DISCREPANCIES, STATEMENTS, page, statement_map

ROOT = Path(__file__).resolve().parents[1]


def _claims():
    return [c for c in all_claims() if c.paper in STATEMENTS]


def test_every_numbered_statement_has_a_claim():
    for paper, rows in statement_map(_claims()).items():
        for label, _, ids in rows:
            assert ids, f"{paper} {label}: no claim cites it in its source"


def test_discrepancies_cite_registered_claims():
    known = {c.id for c in all_claims()}
    for _, _, ids in DISCREPANCIES:
        assert ids and set(ids) <= known


def test_page_lists_every_claim_with_its_scopes():
    claims = _claims()
    fake = {c.id: {"status": "VERIFIED", "method": "m", "title": c.title,
                   "checks": [{"name": "k", "status": "VERIFIED", "scope": f"scope of {c.id}"}]} for c in claims}
    text = page(claims, fake)
    for c in claims:
        assert f"scope of {c.id}" in text


def test_committed_page_names_every_claim():
    text = (ROOT / "docs" / "fidelity.md").read_text()
    for c in _claims():
        assert f"`{c.id}`" in text, f"docs/fidelity.md is stale: run python -m proofs_check.fidelity docs/fidelity.md"
