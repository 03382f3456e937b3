"""Generate one Markdown page per paper from the claim registry.

    python -m proofs_check.docs_pages docs/claims            # statements, hypotheses, checks
    python -m proofs_check.docs_pages docs/claims --verify   # ... and each claim's verdict and scope

Each page lists the paper's claims with source, hypotheses, the derived statement in LaTeX (from the
shared paper-style printer), how each is checked, the command that reproduces the verdict and (with
``--verify``) the verdict, its method and the scope of each check. Pages are generated, not written by
hand, so they cannot drift from the registry (``tests/test_docs.py`` checks; the verdict blocks, which
need the checks to run, are compared by the slow docs build test).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .registry import all_claims
from .reports import claim_markdown, verdict_markdown

PAPER_TITLES = {
    "oswald2022": "von Oswald et al. 2022: Transformers learn in-context by gradient descent",
    "zheng2024": "Zheng et al. 2024: On Mesa-Optimization in Autoregressively Trained Transformers",
    "related": "Closely related closed-form results (spec related.md)",
    "zfb2024": "Zhang, Frei, Bartlett 2024: Trained Transformers Learn Linear Models In-Context",
    "zsls2025": "Zhang, Singh, Latham, Saxe 2025: Training Dynamics of In-Context Learning in Linear Attention",
    "ahn2023": "Ahn, Cheng, Daneshmand, Sra 2023: Transformers learn to implement preconditioned gradient descent",
}
VERDICT_START, VERDICT_END = "<!-- verdict -->", "<!-- /verdict -->"


def pages(verdicts: dict | None = None) -> dict[str, str]:
    """``{paper: markdown}`` for every paper with registered claims.

    Parameters
    ----------
    verdicts : dict, optional
        ``{claim id: Verdict}``; each given verdict is shown under its claim (between the markers
        ``<!-- verdict -->`` and ``<!-- /verdict -->``).
    """
    by_paper: dict[str, list] = {}
    for claim in all_claims():
        by_paper.setdefault(claim.paper, []).append(claim)
    out = {}
    for paper, claims in by_paper.items():
        title = PAPER_TITLES.get(paper, paper)
        body = [f"# {title}", "", "Generated from the claim registry by `python -m proofs_check.docs_pages`; "
                "run `mesacheck verify " + paper + "` for the verdicts.", ""]
        for c in claims:
            body.append(claim_markdown(c))
            body += [f"*Reproduce:* `mesacheck verify {c.id}` (LaTeX: `mesacheck latex {c.id}`)", ""]
            if verdicts and c.id in verdicts:
                body += [VERDICT_START, "", verdict_markdown(verdicts[c.id]), "", VERDICT_END, ""]
        out[paper] = "\n".join(body)
    return out


def without_verdicts(text: str) -> str:
    """A page with its verdict blocks removed (what ``pages()`` gives without verdicts)."""
    return re.sub(re.escape(VERDICT_START) + r".*?" + re.escape(VERDICT_END) + r"\n\n?", "", text, flags=re.S)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verify = "--verify" in argv
    argv = [a for a in argv if a != "--verify"]
    target = Path(argv[0] if argv else "docs/claims")
    target.mkdir(parents=True, exist_ok=True)
    verdicts = {c.id: c.verify() for c in all_claims()} if verify else None
    from .io import atomic_write

    for paper, text in pages(verdicts).items():
        atomic_write(target / f"{paper}.md", text)
        print(f"wrote {target / (paper + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
