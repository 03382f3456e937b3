"""One paper-style LaTeX printer for every derived result.

Conventions: transposes as ``^\\top``, conjugate transposes as ``^H``, the identity as
``I`` (never ``\\mathbb{I}``), named matrices as in the papers (``W_KQ`` -> ``W^{KQ}``,
``W_0`` -> ``W_0``, ``x_test`` -> ``x_{\\mathrm{test}}``), equations joined in an
``aligned`` block.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

#: Symbol names printed with a superscript label, as in the papers.
_SUPERSCRIPT_NAMES = re.compile(r"^W_?(KQ|PV|K|Q|V)(?:_?(\d+))?$")


def _name_latex(name: str) -> str | None:
    m = _SUPERSCRIPT_NAMES.match(name)
    if m:
        label, index = m.groups()
        return f"W^{{{label}}}" + (f"_{{{index}}}" if index else "")
    if name in _NAMED:
        return _NAMED[name]
    m = re.match(r"^(\w+?)_next$", name)
    if m:
        return f"{_name_latex(m.group(1)) or m.group(1)}'"
    return None


#: Plain symbol names (readable back by ``sympify``) with their paper notation.
_NAMED = {
    "x_test": r"x_{\mathrm{test}}",
    "DeltaW": r"\Delta W",
    "yhat": r"\hat{y}",
    "yhat_K": r"\hat{y}^{(K)}",
    "W_next": "W_{k+1}",
    "W_Ksteps": "W_K",
    "What_t": r"\hat{W}_t",
    "lambda_next": r"\lambda'",
}


class PaperLatexPrinter(LatexPrinter):
    """``sympy.printing.latex.LatexPrinter`` with the papers' notation."""

    printmethod = "_paper_latex"

    def _print_Identity(self, expr):
        return "I"

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_Transpose(self, expr):
        return self._postfix(expr.arg, r"^\top")

    def _print_Adjoint(self, expr):
        return self._postfix(expr.arg, "^H")

    def _postfix(self, arg, mark):
        inner = self._print(arg)
        if not isinstance(arg, (sp.MatrixSymbol, sp.Symbol)):
            inner = rf"\left({inner}\right)"
        return inner + mark

    def _print_MatrixSymbol(self, expr):
        return _name_latex(expr.name) or super()._print_MatrixSymbol(expr)

    def _print_Symbol(self, expr, style="plain"):
        return _name_latex(expr.name) or super()._print_Symbol(expr, style=style)

    def _print_harmonic(self, expr, exp=None):
        out = rf"H_{{{self._print(expr.args[0])}}}"
        return out if exp is None else f"{out}^{{{exp}}}"

    def _print_Tuple(self, expr):
        return self._print_tuple(tuple(expr))

    def _print_tuple(self, expr):
        if expr and all(isinstance(e, (sp.Eq, sp.Rel)) for e in expr):
            rows = [rf"{self._print(e.lhs)} &= {self._print(e.rhs)}" for e in expr]
            return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"
        return super()._print_tuple(expr)

    _print_list = _print_tuple


def latex(expr, **settings) -> str:
    """LaTeX of a derived result in the papers' notation.

    Parameters
    ----------
    expr : SymPy object, or a tuple/list of ``Eq`` (printed as an aligned block)

    Examples
    --------
    >>> import sympy as sp
    >>> n = sp.Symbol('n')
    >>> X = sp.MatrixSymbol('X', n, n)
    >>> latex(X.T * sp.Identity(n))
    'X^\\\\top'
    >>> latex(sp.MatrixSymbol('W_KQ', n, n))
    'W^{KQ}'
    """
    if isinstance(expr, (list, tuple)):
        expr = tuple(expr)
    return PaperLatexPrinter(settings).doprint(expr)
