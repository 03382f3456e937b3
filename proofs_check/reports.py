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


def verdicts_json(verdicts: Iterable[Verdict], statements: dict | None = None, parameters: dict | None = None,
                  seed=None) -> str:
    """One JSON document: every verdict with its checks, derived expressions and statement, and the
    provenance of the run (versions, git commit, seed, parameters; see :func:`proofs_check.provenance`).

    Expressions are ``sympy.srepr`` strings; :func:`proofs_check.load_statement` reads a statement back
    (matrix names, assumptions and unevaluated relations included).
    """
    from .readback import provenance

    out = []
    for v in verdicts:
        entry = v.to_dict()
        if statements and v.claim_id in statements:
            entry["statement"] = statements[v.claim_id]
        out.append(entry)
    counts = {s.value: sum(v["status"] == s.value for v in out) for s in Status}
    return json.dumps({"mesacheck": 1, "provenance": provenance(seed=seed, parameters=parameters),
                       "summary": counts, "claims": out}, indent=2)


def claim_markdown(claim) -> str:
    lines = [f"## `{claim.id}`: {prose_math(claim.title)}", "", f"*Source:* {claim.source}", ""]
    if claim.hypotheses:
        lines += ["*Hypotheses:*", ""] + [f"- {prose_math(h)}" for h in claim.hypotheses] + [""]
    latex = claim.latex()
    if latex:
        lines += ["$$", latex, "$$", ""]
    if claim.description:
        lines += [claim.description, ""]
    lines += ["*Checks:* " + "; ".join(f"{c.name} ({c.method.value}{', slow' if c.slow else ''})"
                                       for c in claim.checks), ""]
    return "\n".join(lines)


def check_markdown(check) -> str:
    """One check (Jupyter's rich display of a CheckResult): verdict, method, scope, detail or counterexample."""
    scope = getattr(check, "scope", "") or ""
    lines = [f"**{check.name}**: **{check.status.value}** (`{getattr(check.method, 'value', check.method)}`, "
             f"{check.seconds:.2f} s)"]
    if scope:
        lines.append(f"*Scope:* {scope}")
    if check.status is Status.REFUTED:
        lines.append(f"*Counterexample:* `{json.dumps(_plain(check.counterexample))}`")
    elif check.status is Status.INCONCLUSIVE:
        lines.append(f"*Reason:* {check.reason}")
    if check.detail:
        lines.append(check.detail)
    return "\n\n".join(lines)


def verdict_markdown(verdict: Verdict) -> str:
    lines = [f"**{verdict.claim_id}**: **{verdict.status.value}** ({verdict.method or 'no method decided'}, "
             f"{verdict.seconds:.2f} s)", "", "| check | verdict | method | scope / detail |", "|---|---|---|---|"]
    for c in verdict.checks:
        detail = _scope(c) if c.status is not Status.REFUTED else json.dumps(_plain(c.counterexample))
        method = getattr(c.method, "value", c.method)
        lines.append(f"| {c.name} | {c.status.value} | {method} | {detail.replace('|', '/')} |")
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
    """A standalone LaTeX document (T1 fontenc, amsmath, hyperref) of claims with their verdicts."""
    return tex_document(claims, verdicts, title="mesacheck report")


#: Macros a fragment uses for its hypotheses and verdict. A paper that ``\input``s fragments
#: shows nothing but the equation unless it redefines them; the document defines them to print.
_FRAGMENT_MACROS = (r"\providecommand{\mesacheckhypotheses}[1]{}" "\n"
                    r"\providecommand{\mesacheckverdict}[3]{}" "\n")
_DOCUMENT_MACROS = (r"\newcommand{\mesacheckhypotheses}[1]{\par\noindent\emph{Hypotheses:}"
                    r"\begin{itemize}#1\end{itemize}}" "\n"
                    r"\newcommand{\mesacheckverdict}[3]{\par\noindent\textbf{#1}"
                    r" (\texttt{#2})\ifx&#3&\else; scope: #3\fi.\par}" "\n")


def claim_tex(claim, verdict: Verdict | None = None, version: str = "") -> str:
    r"""A LaTeX fragment a paper can ``\input``: the statement as an ``equation`` labelled
    ``mesacheck:<id>``, its hypotheses and (given a verdict) the verdict and proof scope, as comments
    and as ``\mesacheckhypotheses`` / ``\mesacheckverdict`` (no output unless the paper defines them).

    A claim registered without a statement (every claim of this package has one) gets the comments
    and hypotheses but no equation, and a comment saying so, so that a document still compiles.
    """
    body = claim.latex()
    lines = [f"% mesacheck {version}: {claim.id}: {_comment(claim.title)}".replace("  ", " "),
             f"% source: {_comment(claim.source)}"]
    lines += [f"% hypothesis: {_comment(h)}" for h in claim.hypotheses]
    if verdict is not None:
        lines.append(f"% verdict: {verdict.status.value} ({verdict.method or 'no method decided'})")
        lines += [f"%   {c.name}: {c.status.value}, {getattr(c.method, 'value', c.method)}; {_comment(_scope(c))}"
                  for c in verdict.checks]
        if verdict.counterexample:
            lines.append(f"% counterexample: {_comment(json.dumps(_plain(verdict.counterexample)))}")
    lines.append(_FRAGMENT_MACROS.rstrip("\n"))
    if body:
        lines += [r"\begin{equation}\label{mesacheck:" + claim.id + "}", body, r"\end{equation}"]
    else:
        lines.append(f"% {claim.id} has no derived statement to print")
    if claim.hypotheses:
        items = "".join(r"\item " + prose_math(h, tex_text) for h in claim.hypotheses)
        lines.append(r"\mesacheckhypotheses{" + items + "}")
    if verdict is not None:
        scope = "; ".join(tex_text(_scope(c)) for c in verdict.checks if c.status is verdict.status and _scope(c))
        if verdict.counterexample:
            scope += ("; " if scope else "") + "counterexample: " + tex_text(json.dumps(_plain(verdict.counterexample)))
        lines.append(r"\mesacheckverdict{" + verdict.status.value + "}{" + tex_text(verdict.method or "-") + "}{"
                     + scope + "}")
    return "\n".join(lines) + "\n"


def _scope(check) -> str:
    """What a check established: its scope when the engine records one, else its detail or reason."""
    scope = getattr(check, "scope", "") or ""
    if scope:
        return str(scope)
    if check.status is Status.INCONCLUSIVE:
        return check.reason or ""
    return check.detail or ""


def tex_document(claims, verdicts: list[Verdict] | None = None, title: str = "mesacheck claims",
                 version: str = "") -> str:
    r"""A standalone amsmath document (T1 fontenc, lmodern, hyperref): each claim as a section with its
    source, hypotheses, statement (equation labelled ``mesacheck:<id>``) and, given verdicts, the verdict."""
    by_id = {v.claim_id: v for v in verdicts or []}
    parts = [r"\documentclass[10pt]{article}", r"\usepackage[T1]{fontenc}", r"\usepackage[utf8]{inputenc}",
             r"\usepackage{lmodern}", r"\usepackage[margin=2cm]{geometry}", r"\usepackage{amsmath,amssymb}",
             r"\usepackage[hidelinks]{hyperref}", r"\allowdisplaybreaks", r"\setlength{\emergencystretch}{3em}",
             _DOCUMENT_MACROS.rstrip("\n"), r"\title{" + tex_text(title) + "}", r"\date{}",
             r"\begin{document}", r"\maketitle"]
    for claim in claims:
        parts.append(r"\section*{\texttt{" + tex_text(claim.id) + "}: " + prose_math(claim.title, tex_text) + "}")
        parts.append(r"\noindent\emph{Source:} " + tex_text(claim.source) + ".")
        parts.append(claim_tex(claim, by_id.get(claim.id), version=version))
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


_ASCII_MATH = (("<->", r"$\leftrightarrow$"), ("->", r"$\to$"), ("!=", r"$\neq$"), (">=", r"$\geq$"),
               ("<=", r"$\leq$"))
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "&": r"\&", "%": r"\%",
                "#": r"\#", "$": r"\$", "^": r"\^{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
                ">": r"\textgreater{}", "|": r"\textbar{}"}


def tex_text(text: str) -> str:
    r"""Plain text (titles, sources, hypotheses in ASCII maths) as LaTeX text: every special character
    escaped, ``->``, ``!=``, ``>=``, ``<=`` as the symbols, non-ASCII passed through (utf8 inputenc)."""
    out, i = [], 0
    text = str(text)
    while i < len(text):
        for ascii_op, tex in _ASCII_MATH:
            if text.startswith(ascii_op, i):
                out.append(tex)
                i += len(ascii_op)
                break
        else:
            out.append(_TEX_SPECIAL.get(text[i], text[i]))
            i += 1
    return "".join(out)


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def write_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (:func:`proofs_check.io.atomic_write`)."""
    from .io import atomic_write

    atomic_write(path, text)


# --- prose maths: the ASCII maths of titles and hypotheses as inline LaTeX -------------------------

_GREEK = {"alpha", "beta", "gamma", "delta", "eta", "kappa", "lambda", "mu", "nu", "rho", "sigma", "tau",
          "Gamma", "Lambda", "Sigma", "Delta"}
_ATOM = None


def _atom_pattern():
    import re

    global _ATOM
    if _ATOM is None:
        ident = r"(?:[A-Za-z]+)"
        sub = r"(?:_(?:\{[^{}]*\}|[A-Za-z0-9]+))"
        sup = r"(?:\^(?:\{[^{}]*\}|[A-Za-z0-9]+))"
        _ATOM = re.compile(rf"(?<![A-Za-z0-9\\])(?:{ident}{sub}{sup}?|(?:{'|'.join(sorted(_GREEK, key=len, reverse=True))})"
                           rf"(?![A-Za-z]){sub}?{sup}?|{ident}{sup}|(?<=[)|\]]){sup}|<->|->|>=|<=|!=|~|\boo\b|\binfinity\b)")
    return _ATOM


def _atom_tex(atom: str) -> str:
    import re

    fixed = {"->": r"\to", "<->": r"\leftrightarrow", ">=": r"\geq", "<=": r"\leq", "!=": r"\neq", "~": r"\sim",
             "oo": r"\infty", "infinity": r"\infty"}
    if atom in fixed:
        return fixed[atom]
    m = re.fullmatch(r"([A-Za-z]*)(?:_(\{[^{}]*\}|[A-Za-z0-9]+))?(?:\^(\{[^{}]*\}|[A-Za-z0-9]+))?", atom)
    if not m:
        return atom
    base, sub, sup = m.groups()
    if base in _GREEK:
        base = "\\" + base
    elif base == "eps":
        base = r"\varepsilon"
    elif base == "sum":
        base = r"\sum"
    out = base
    if sub is not None:
        inner = sub[1:-1] if sub.startswith("{") else sub
        inner = inner.replace("!=", r"\neq ")
        if base == "W" and inner in ("KQ", "PV"):  # Zheng et al.'s W^{KQ}, W^{PV}
            out += "^{" + inner + "}"
        else:
            if len(inner) > 1 and inner.isalpha():
                inner = r"\mathrm{" + inner + "}"
            out += "_{" + inner + "}"
    if sup is not None:
        inner = sup[1:-1] if sup.startswith("{") else sup
        out += r"^\top" if inner == "T" else "^{" + inner + "}"
    return out


def prose_math(text: str, escape=None) -> str:
    r"""Titles and hypotheses written in ASCII maths with their maths as inline LaTeX:
    ``kappa_1`` -> ``$\kappa_{1}$``, ``x_test`` -> ``$x_{\mathrm{test}}$``, ``XX^T`` -> ``$XX^\top$``,
    ``->`` -> ``$\to$``, ``>=`` -> ``$\geq$``; the rest passes through ``escape`` (e.g. :func:`tex_text`).

    Examples
    --------
    >>> prose_math("ab -> kappa_1 / kappa_2")
    'ab $\\to$ $\\kappa_{1}$ / $\\kappa_{2}$'
    """
    escape = escape or (lambda s: s)
    out, last = [], 0
    for m in _atom_pattern().finditer(text):
        out.append(escape(text[last:m.start()]))
        out.append("$" + _atom_tex(m.group(0)) + "$")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)
