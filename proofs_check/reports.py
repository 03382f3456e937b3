"""Renderings of claims and verdicts: terminal table, JSON, Markdown, LaTeX."""
from __future__ import annotations

import json
from typing import Iterable

from .verdicts import Status, Verdict

_MARK = {Status.VERIFIED: "VERIFIED", Status.REFUTED: "REFUTED", Status.INCONCLUSIVE: "INCONCLUSIVE"}


def verdict_table(verdicts: Iterable[Verdict], wall_seconds: float | None = None) -> str:
    """A plain-text table: id, verdict, method, seconds; reasons and counterexamples below."""
    verdicts = list(verdicts)
    rows = [("claim", "verdict", "method", "seconds")]
    rows += [(v.claim_id, _MARK[v.status], v.method or "-", f"{v.seconds:.2f}") for v in verdicts]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell.rjust(widths[i]) for i, cell in enumerate(r))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = []
    for v in verdicts:
        if v.status is Status.REFUTED:
            notes.append(f"{v.claim_id}: REFUTED; counterexample: {json.dumps(_plain(v.counterexample))}")
        elif v.status is Status.INCONCLUSIVE:
            notes.append(f"{v.claim_id}: INCONCLUSIVE; {v.reason}")
    counts = {s: sum(v.status is s for v in verdicts) for s in Status}
    checking = sum(v.seconds for v in verdicts)
    timing = (f"{wall_seconds:.1f} s ({checking:.1f} s of checks in parallel)"
              if wall_seconds is not None and abs(wall_seconds - checking) > 0.5 else f"{checking:.1f} s")
    summary = (f"{counts[Status.VERIFIED]} verified, {counts[Status.REFUTED]} refuted, "
               f"{counts[Status.INCONCLUSIVE]} inconclusive in {timing}")
    return "\n".join(lines + ([""] + notes if notes else []) + ["", summary])


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def verdicts_json(verdicts: Iterable[Verdict], statements: dict | None = None) -> str:
    """One JSON document: every verdict with its checks, derived expressions and statement.

    Expressions are ``sympy.srepr`` strings, which ``sympy.sympify`` reads back.
    """
    out = []
    for v in verdicts:
        entry = v.to_dict()
        if statements and v.claim_id in statements:
            entry["statement"] = statements[v.claim_id]
        out.append(entry)
    counts = {s.value: sum(v["status"] == s.value for v in out) for s in Status}
    return json.dumps({"mesacheck": 1, "summary": counts, "claims": out}, indent=2)


def claim_markdown(claim) -> str:
    lines = [f"## `{claim.id}`: {claim.title}", "", f"*Source:* {claim.source}", ""]
    if claim.hypotheses:
        lines += ["*Hypotheses:*", ""] + [f"- {h}" for h in claim.hypotheses] + [""]
    latex = claim.latex()
    if latex:
        lines += ["$$", latex, "$$", ""]
    if claim.description:
        lines += [claim.description, ""]
    lines += ["*Checks:* " + "; ".join(f"{c.name} ({c.method.value}{', slow' if c.slow else ''})"
                                       for c in claim.checks), ""]
    return "\n".join(lines)


def verdict_markdown(verdict: Verdict) -> str:
    lines = [f"**{verdict.claim_id}**: **{verdict.status.value}** ({verdict.method or 'no method decided'}, "
             f"{verdict.seconds:.2f} s)", "", "| check | verdict | method | detail |", "|---|---|---|---|"]
    for c in verdict.checks:
        detail = c.detail if c.status is Status.VERIFIED else (c.reason or json.dumps(_plain(c.counterexample)))
        lines.append(f"| {c.name} | {c.status.value} | {c.method.value} | {detail.replace('|', '/')} |")
    return "\n".join(lines)


def markdown_report(claims, verdicts: list[Verdict]) -> str:
    by_id = {v.claim_id: v for v in verdicts}
    parts = ["# mesacheck report", ""]
    for claim in claims:
        parts.append(claim_markdown(claim))
        if claim.id in by_id:
            parts += [verdict_markdown(by_id[claim.id]), ""]
    return "\n".join(parts)


def latex_report(claims, verdicts: list[Verdict]) -> str:
    by_id = {v.claim_id: v for v in verdicts}
    body = []
    for claim in claims:
        v = by_id.get(claim.id)
        status = f" \\textbf{{{v.status.value}}} ({_tex_escape(v.method)})" if v else ""
        body.append(f"\\paragraph{{{_tex_escape(claim.id)}: {_tex_escape(claim.title)}.}}{status}\n"
                    f"{_tex_escape(claim.source)}.\n\\[\n{claim.latex()}\n\\]\n")
    return ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
            + "\n".join(body) + "\\end{document}\n")


def _tex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                 ("^", r"\^{}"), ("$", r"\$")):
        text = text.replace(a, b)
    return text
