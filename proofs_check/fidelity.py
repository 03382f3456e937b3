"""The fidelity page: every numbered statement of both papers, the claims that check it, what each
check proved for which sizes, and every discrepancy found between a paper, its code and our
derivation.

    python -m proofs_check.fidelity docs/fidelity.md            # runs `verify` (the default checks)
    python -m proofs_check.fidelity docs/fidelity.md --from verify.json

The statement -> claim map is read from each claim's ``source`` field (no hand-kept list of ids);
the scopes come from the verdicts of an actual run; only the paper's list of numbered statements
and the discrepancy notes (each tied to the claim that shows it) are written here.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

#: The numbered statements of each paper, as they are cited in the claims' ``source`` fields.
STATEMENTS = {
    "oswald2022": [
        ("Proposition 1", "one LSA layer with constructed weights = one GD step", r"Proposition 1\b"),
        ("Sec. 3, K layers", "K layers = K GD steps; rescaling non-uniqueness", r"Sec\. 3"),
        ("Sec. 4, GD++", "GD++ and its eigenvalue map", r"Sec\. 4 \(GD\+\+\)"),
        ("Sec. 4 / Fig. 2", "a trained one-layer LSA matches line-searched GD", r"section 4 / Figure 2"),
    ],
    "zheng2024": [
        ("Assumption 3.1", "diagonal initialisation (used by every claim)", r"Assumption 3\.1"),
        ("Sec. 4, invariance", "gradient flow keeps the block structure", r"invariance lemma"),
        ("Assumption 4.1", "moment conditions (S), (E), finite sixth moments", r"Assumption 4\.1"),
        ("Sec. 4, reduced dynamics", "the ODE of (a, b)", r"reduced dynamics|claims? C3"),
        ("Theorem 4.1", "emergence: ab -> the limit, one step of GD", r"Theorem 4\.1"),
        ("Assumption 4.2 / Theorem 4.2", "capability: recovery iff kappa_1^2 = kappa_0 kappa_2", r"Theorem 4\.2"),
        ("Proposition 4.1", "Gaussian data: no recovery", r"Proposition 4\.1"),
        ("Sec. 4.3 / Appendix", "full-one start: beyond Assumption 4.1", r"full-one|C7"),
        ("Figure 1", "the authors' simulations", r"Figure 1"),
    ],
}

#: Discrepancies between a paper, its code and our derivation, each shown by a registered claim.
DISCREPANCIES = [
    ("oswald2022", "Input range: the paper's text says x ~ U(-1, 1); the authors' code samples U(-0.5, 0.5). "
     "Only U(-0.5, 0.5) reproduces the reported one-step-GD loss of about 0.2 (0.21; U(-1, 1) gives 0.84).",
     ["oswald2022.sim.one-layer"]),
    ("oswald2022", "K layers with W_0 != 0: the context y-parts become y - (W_K - W_0) x, not the residuals "
     "y - W_K x (the spec's wording holds for W_0 = 0 only); O2 states the general form.", ["oswald2022.O2"]),
    ("zheng2024", "Condition (E) as reconstructed is not sufficient for C2: the a-equation carries the column sums "
     "sum_{k != j} E|z_k|^2 |z_j|^4; an exact sign-symmetric law with (S) and (E) but j-dependent column sums "
     "leaves M_{a,b}. C2 lists the column-sum condition (the paper's own wording is not available to us).",
     ["zheng2024.A6", "zheng2024.C2"]),
    ("zheng2024", "Normalisation: rho_t = t - 1 (the authors' code) and the loss scale 1/2 are conventions; a "
     "different loss scale rescales time and leaves every limit unchanged; the reduced ODE is the entrywise flow "
     "(the gradient of the loss as a function of the two scalars would carry an extra factor d).",
     ["zheng2024.C3", "zheng2024.C4"]),
    ("zheng2024", "a_0 b_0 > 0 is sufficient but not necessary: only a_0 = -b_0 converges to the saddle ab = 0.",
     ["zheng2024.A3", "zheng2024.D5"]),
]

PAPERS = {"oswald2022": "von Oswald et al. 2022 (arXiv 2212.07677)",
          "zheng2024": "Zheng et al. 2024 (arXiv 2405.16845), statements as reconstructed in our spec"}


def statement_map(claims) -> dict:
    """``{paper: [(label, what, [claim ids])]}`` from the claims' ``source`` fields (``hypotheses`` for a
    statement no source cites, such as an assumption every claim makes)."""
    out = {}
    for paper, statements in STATEMENTS.items():
        rows = []
        for label, what, pattern in statements:
            ids = [c.id for c in claims if c.paper == paper and re.search(pattern, c.source)]
            if not ids:   # a statement every claim assumes (Assumption 3.1) is cited in the hypotheses
                ids = [c.id for c in claims if c.paper == paper and re.search(pattern, " ".join(c.hypotheses))]
            rows.append((label, what, ids))
        out[paper] = rows
    return out


def _claim_lines(cid: str, verdicts: dict) -> list:
    """A claim's verdict line and one line per check with its earned scope."""
    v = verdicts.get(cid)
    if v is None:
        return [f"- `{cid}`: not run"]
    lines = [f"- `{cid}` **{v['status']}** ({v['method'] or '-'}): {v['title']}"]
    for ch in v["checks"]:
        scope = ch.get("scope") or ch.get("reason") or ""
        lines.append(f"  - {ch['name']}: {ch['status']}; {scope}")
    return lines


def page(claims, verdicts: dict) -> str:
    """The Markdown page. ``verdicts``: ``{claim id: verdict dict}`` (``Verdict.to_dict()``)."""
    lines = ["# Fidelity: what is proved, for which sizes, and where the papers, their code and we differ", "",
             "Generated by `python -m proofs_check.fidelity docs/fidelity.md` from the claim registry and one run "
             "of `mesacheck verify` (default checks). Each row lists the claims citing the statement in their "
             "source, their verdict and, per check, the scope the engine earned.", ""]
    for paper, rows in statement_map(claims).items():
        lines += [f"## {PAPERS[paper]}", ""]
        for label, what, ids in rows:
            lines.append(f"### {label}: {what}")
            lines.append("")
            if not ids:
                lines += ["*No registered claim checks this statement.*", ""]
                continue
            for cid in ids:
                lines += _claim_lines(cid, verdicts)
            lines.append("")
    lines += ["## Discrepancies found", ""]
    for paper, text, ids in DISCREPANCIES:
        shown = ", ".join(f"`{i}` ({verdicts[i]['status'] if i in verdicts else 'not run'})" for i in ids)
        lines.append(f"- **{paper}**: {text} Shown by {shown}.")
    unmapped = [c.id for c in claims if c.paper in STATEMENTS and not any(
        c.id in ids for rows in statement_map(claims).values() for _, _, ids in rows)]
    if unmapped:
        lines += ["", "## Claims not tied to a numbered statement", ""]
        for cid in unmapped:
            lines += _claim_lines(cid, verdicts)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    from .registry import all_claims

    parser = argparse.ArgumentParser(prog="python -m proofs_check.fidelity")
    parser.add_argument("out", nargs="?", default="docs/fidelity.md")
    parser.add_argument("--from", dest="source", default=None, help="a `mesacheck verify --json` document")
    args = parser.parse_args(argv)
    claims = [c for c in all_claims() if c.paper in STATEMENTS]
    if args.source:
        doc = json.loads(Path(args.source).read_text())
    else:
        import subprocess

        from ._names import qualify

        run = subprocess.run([sys.executable, "-m", qualify("proofs_check.cli"), "verify", "--json",
                              *sorted({c.paper for c in claims})], capture_output=True, text=True)
        doc = json.loads(run.stdout)
    verdicts = {v["id"]: v for v in doc["claims"]}
    out = Path(args.out)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(page(claims, verdicts))
    tmp.replace(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
