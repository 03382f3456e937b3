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
        ("Sec. 4, trained deep LSA", "trained recurrent K-layer LSA vs K steps of GD and GD++; the learned gamma",
         r"trained recurrent multi-layer"),
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
    "zfb2024": [
        ("Lemma 5.1", "quadratic problem; its minimum", r"Lemma 5\.1"),
        ("Lemma 5.2 / App. A.2", "invariance, the (u, U_11) ODE, the balance", r"Lemma 5\.2|Sec\. 5\.2"),
        ("Theorem 4.1", "limit independent of the init; trained predictor", r"Theorem 4\.1"),
        ("Sec. 4.2", "query shift tolerated, covariate shift not", r"Sec\. 4\.2"),
    ],
    "zsls2025": [
        ("ATTN_M = two-layer network", "merged-KQ heads = a linear network on cubic features",
         r"Sec\. on ATTN_M"),
        ("ATTN_M fixed point", "beta^T (Lambda + (Lambda + tr(Lambda) I)/N)^{-1} x_q", r"converged ATTN_M"),
        ("ATTN_M time course", "closed-form s(t) from small initialisation, white covariance",
         r"analytical time-course"),
        ("ATTN_S rank one", "2^D fixed points and the plateau losses", r"ATTN_S with rank-one"),
    ],
    "ahn2023": [
        ("Eq. (3)-(4)", "the linear transformer: W_PV = P, W_KQ = Q, TF = -[Z_L]", r"Eq\. \(1\), \(3\), \(4\)"),
        ("Lemma 1", "forward pass = preconditioned GD", r"Lemma 1"),
        ("Theorem 1", "single-layer global optimum, Gamma^-1", r"Theorem 1, Eq\. \(6\)"),
        ("Eq. (7)", "the isotropic optimum", r"Eq\. \(7\)"),
    ],
}

#: Discrepancies between a paper, its code and our derivation, each shown by a registered claim.
DISCREPANCIES = [
    ("oswald2022", "Input range: the paper's text says x ~ U(-1, 1); the authors' code samples U(-0.5, 0.5). "
     "Only U(-0.5, 0.5) reproduces the reported one-step-GD loss of about 0.2 (0.21; U(-1, 1) gives 0.84).",
     ["oswald2022.sim.one-layer"]),
    ("oswald2022", "K layers with W_0 != 0: the context y-parts become y - (W_K - W_0) x, not the residuals "
     "y - W_K x (the spec's wording holds for W_0 = 0 only); O2 states the general form.", ["oswald2022.O2"]),
    ("oswald2022", "The sign of GD++'s gamma: in the one convention x <- x - gamma X X^T x (O3's P = [[-gamma I_x, 0], "
     "[0, (eta/N) I_y]]) the line-searched gamma is positive and so is the trained model's, but the quick (500-step) "
     "JSON of `mesacheck simulate oswald2022-gdpp` reports learned gammas of the opposite sign: it stops in the early "
     "phase of training (loss still above one GD step), where the fitted step size is small (N = 10, batch 512, seed "
     "0: eta 1.4, 2.8, 4.5 at steps 500, 1000, 1500, gamma about -0.1; gamma turns positive at step 2000 as eta "
     "passes 6) and the loss-minimising GD++ gamma at such an eta is negative (-0.29 at eta = 3, -0.17 at eta = 4, "
     "+0.01 at eta = 5, +0.07 at eta = 6, +0.18 at GD++'s 13.5): a negative gamma expands the inputs, enlarging the "
     "second layer's update while the step size is still small. The authors' GD++ "
     "initialisation (lin_diag) uses the same sign (P_xx = -lr/N^2, i.e. gamma = lr/N^2 > 0). The N = 50 plateau is "
     "that early phase too (not reproduced at 6000 steps, batch 512).", ["oswald2022.learned-gamma"]),
    ("oswald2022", "Recurrent 3-layer LSA: near the GD++ construction (eta ~ 20.7) Adam at the authors' lr 1e-3 is "
     "unstable (the loss jumps by orders of magnitude from small perturbations; the authors clip gradients for "
     "K > 2); the claim's runs use lr 1e-4 (quick) and a linear decay 1e-3 -> 1e-4 (slow). From a small random "
     "initialisation our 3-layer run does not reach GD++ (loss 0.0986 after 6000 steps, 0.1065 after 10000; GD++ "
     "0.0762, 3-step GD 0.1322): it beats 3-step GD, but whether a trained 3-layer model matches GD++ "
     "is decided only near the construction (quick check); the slow check says INCONCLUSIVE on it.",
     ["oswald2022.trained-K3"]),
    ("zheng2024", "Condition (E) as reconstructed is not sufficient for C2: the a-equation carries the column sums "
     "sum_{k != j} E|z_k|^2 |z_j|^4; an exact sign-symmetric law with (S) and (E) but j-dependent column sums "
     "leaves M_{a,b}. C2 lists the column-sum condition (the paper's own wording is not available to us).",
     ["zheng2024.A6", "zheng2024.C2"]),
    ("zheng2024", "Normalisation: rho_t = t - 1 (the authors' code) and the loss scale 1/2 are conventions; a "
     "different loss scale rescales time and leaves every limit unchanged; the reduced ODE is the entrywise flow "
     "(the gradient of the loss as a function of the two scalars would carry an extra factor d).",
     ["zheng2024.C3", "zheng2024.C4"]),
    ("zfb2024", "The query column: we sum the context only (the spec masks the query out of E E^T / N); on the "
     "paper's manifold both conventions give the same prediction because the query's y-entry is 0, off it they "
     "differ.", ["zfb2024.F1"]),
    ("zfb2024", "The reduced objective drops the constant tr(Lambda)/2: the minimum is -tr(Lambda^2 Gamma^-1)/2 "
     "relative to L(0).", ["zfb2024.F4"]),
    ("zfb2024", "The limit of u U_11 is Gamma^-1 from every start with u U_11 not on the saddle branch; the "
     "individual W_* with the tr(Gamma^-2)^(-+1/4) factors need a balanced start (the conserved u^2 - ||U_11||^2 "
     "= 0).", ["zfb2024.F3"]),
    ("zfb2024", "Shifts: a query-only shift (x_q ~ N(0, Lambda_q)) is tolerated as N -> infinity; the c^2 factor of "
     "the covariate-shift statement needs context and query both drawn from N(0, c^2 Lambda).", ["zfb2024.F6"]),
    ("ahn2023", "Transpose: with the paper's Attn = P Z M (Z^T Q Z) (Eq. 3) the forward pass is w_{l+1} = w_l - "
     "A_l^T grad R(w_l); Lemma 1's Eq. (9) reads A_l, true only for symmetric A_l. The authors' code forms z_q^T Q z_i "
     "(W_KQ = Q^T, matching Eq. 9 as printed, not Eq. 3); Theorems 1-4 use symmetric A_l and are unaffected.",
     ["ahn2023.M", "ahn2023.L1"]),
    ("ahn2023", "Loss scale: the paper's f = E(TF - w^T x_q)^2 has no factor 1/2 (mesacheck's scale 1/2): same "
     "minimisers. The manifold Q = -diag(A, 0) with A symmetric is not invariant under the flow for an anisotropic "
     "Sigma; Q's first d columns are.", ["ahn2023.T1"]),
    ("zsls2025", "Loss scale and time: the paper's and the authors' loss is the mean squared error (no 1/2; "
     "mesacheck's default scale is 1/2, so S1 states its plateaus at scale 1), and the paper's time constant tau "
     "(tau d theta/dt = -grad L) divides the flow (M3 states s(t) for every tau).", ["zsls2025.S1", "zsls2025.M3"]),
    ("zsls2025", "The authors' run (yedizhang/linattn-icl, train.py --model attnM --white_cov, D = 2, H = 2, N = 8, "
     "20000 training sequences) against mesacheck's exact population flow from the same initial weights "
     "(benchmarks/compare_zsls_authors.py): the largest gap is 1.26 % of L(0), at the drop; the plateau differs "
     "by 0.3 % of L(0), of the order of the sampling error of a loss on 20000 fixed sequences (theirs; ours is "
     "the population loss).", ["zsls2025.M3"]),
    ("zheng2024", "a_0 b_0 > 0 is sufficient but not necessary: only a_0 = -b_0 converges to the saddle ab = 0.",
     ["zheng2024.A3", "zheng2024.D5"]),
]

PAPERS = {"ahn2023": "Ahn, Cheng, Daneshmand, Sra 2023 (NeurIPS; arXiv 2306.00297), read from a transcription of "
                     "the NeurIPS PDF whose displayed equations are missing (see ahn2023's module docstring)",
          "oswald2022": "von Oswald et al. 2022 (arXiv 2212.07677)",
          "zheng2024": "Zheng et al. 2024 (arXiv 2405.16845), statements as reconstructed in our spec",
          "zsls2025": "Zhang, Singh, Latham, Saxe 2025 (ICML 2025; arXiv 2501.16265), statements from the abstract, "
                      "the spec and the authors' code (only the arXiv HTML's opening was readable here)",
          "zfb2024": "Zhang, Frei, Bartlett 2024 (JMLR; arXiv 2306.09927), statements as reconstructed in our spec "
                     "(only the paper's opening and contents were readable here)"}


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
