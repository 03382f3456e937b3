"""The per-paper docs pages are generated from the registry and must not drift from it."""
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_sphinx_site_builds_with_W_and_renders_maths_offline(tmp_path):
    """The documented build: claim pages with verdicts, API reference, bundled MathJax, -W."""
    import importlib.util
    import shutil
    import subprocess
    import sys

    for module in ("sphinx", "myst_parser"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: python -m pip install '.[docs]'")
    if importlib.util.find_spec("sphinx-mathjax-offline") is None:
        pytest.skip("sphinx-mathjax-offline is not installed: python -m pip install '.[docs]'")
    from proofs_check import docs_pages

    docs = tmp_path / "docs"
    shutil.copytree(DOCS.parent, docs, ignore=shutil.ignore_patterns("_build"))
    assert docs_pages.main([str(docs / "claims"), "--verify"]) == 0
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(docs), str(out)],
                          capture_output=True, text=True, timeout=900, cwd=DOCS.parents[1])
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = (out / "claims" / "zheng2024.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in page and "cdn" not in page.lower()
    assert (out / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert "VERIFIED" in page and "Reproduce:" in page and "symbolic-all-T" in page
    assert "load_statement" in (out / "api.html").read_text()
