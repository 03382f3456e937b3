"""The per-paper docs pages are generated from the registry and must not drift from it."""
from pathlib import Path

from proofs_check.docs_pages import pages, without_verdicts

DOCS = Path(__file__).resolve().parents[1] / "docs" / "claims"


def test_generated_pages_are_current():
    for paper, text in pages().items():
        committed = without_verdicts((DOCS / f"{paper}.md").read_text())
        assert committed == text, f"docs/claims/{paper}.md is stale: run python -m proofs_check.docs_pages docs/claims"


def test_every_claim_has_a_page_entry():
    from proofs_check import all_claims

    text = "".join(p.read_text() for p in DOCS.glob("*.md"))
    assert all(f"`{c.id}`" in text for c in all_claims())
