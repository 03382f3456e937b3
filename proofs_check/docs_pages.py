"""Generate one Markdown page per paper from the claim registry.

    python -m proofs_check.docs_pages docs/claims

Each page lists the paper's claims with source, hypotheses, the derived statement in LaTeX
(from the shared paper-style printer) and how each is checked. Pages are generated, not
written by hand, so they cannot drift from the registry (``tests/test_docs.py`` checks).
"""
from __future__ import annotations

import sys
from pathlib import Path

from .registry import all_claims
from .reports import claim_markdown

PAPER_TITLES = {
    "oswald2022": "von Oswald et al. 2022: Transformers learn in-context by gradient descent",
    "zheng2024": "Zheng et al. 2024: On Mesa-Optimization in Autoregressively Trained Transformers",
    "related": "Closely related closed-form results (spec related.md)",
}


def pages() -> dict[str, str]:
    """``{paper: markdown}`` for every paper with registered claims."""
    by_paper: dict[str, list] = {}
    for claim in all_claims():
        by_paper.setdefault(claim.paper, []).append(claim)
    out = {}
    for paper, claims in by_paper.items():
        title = PAPER_TITLES.get(paper, paper)
        body = [f"# {title}", "", "Generated from the claim registry by `python -m proofs_check.docs_pages`; "
                "run `mesacheck verify " + paper + "` for the verdicts.", ""]
        body += [claim_markdown(c) for c in claims]
        out[paper] = "\n".join(body)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0] if argv else "docs/claims")
    target.mkdir(parents=True, exist_ok=True)
    for paper, text in pages().items():
        from .io import atomic_write

        atomic_write(target / f"{paper}.md", text)
        print(f"wrote {target / (paper + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
