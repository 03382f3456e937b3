"""One paper-style LaTeX printer for every derived result.

Conventions: transposes as ``^\\top`` (``W^{KQ\\top}`` on a superscripted name, never a double
superscript), conjugate transposes as ``^H``, the identity as ``I`` (never ``\\mathbb{I}``), named
matrices as in the papers (``W_KQ`` -> ``W^{KQ}`` and ``W_PV`` -> ``W^{PV}`` as in Zheng et al.,
``W_K`` -> ``W_K`` as in von Oswald et al., ``W_0`` -> ``W_0``, ``x_test`` -> ``x_{\\mathrm{test}}``),
harmonic numbers with their order (``H_{n}^{(2)}``), the papers' term order (positive terms first:
``W_0 - \\eta \\ldots``, ``(1 - \\gamma\\lambda)^2``), derivatives in flow time as ``\\dot a``,
functions of the flow time ``\\tau`` as their name, equations joined in an ``aligned`` block.

Statements use a few unevaluated objects (SymPy ``Basic`` subclasses, so that they print, compare
and read back from ``srepr``): :class:`Gradient`, :class:`Expectation`, :class:`Entry` and
:class:`Where` (a statement shown at given sizes or under given conditions).
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

#: Names printed with a superscript label (Zheng et al.: W^{KQ}, W^{PV}, with block indices).
_SUPERSCRIPT_NAMES = re.compile(r"^W_?(KQ|PV)(?:_?(\d+))?$")
#: Names printed with a subscript label (von Oswald et al.: W_K, W_Q, W_V).
_SUBSCRIPT_NAMES = re.compile(r"^W_?(K|Q|V)(?:_?(\d+))?$")
#: The flow-time symbol: derivatives in it print as dots, functions of it as their name.
FLOW_TIME_NAMES = ("tau",)


def _name_latex(name: str) -> str | None:
    m = _SUPERSCRIPT_NAMES.match(name)
    if m:
        label, index = m.groups()
        return f"W^{{{label}}}" + (f"_{{{index}}}" if index else "")
    m = _SUBSCRIPT_NAMES.match(name)
    if m:
        label, index = m.groups()
        return f"W_{{{label}}}" + (f"^{{({index})}}" if index else "")
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
    "W_Ksteps": "W^{(K)}",
    "What_t": r"\hat{W}_t",
    "lambda_next": r"\lambda'",
    "M_ab": "M_{a,b}",
    "M_AB": "M_{A,B}",
    "L_masked": r"L_{\mathrm{masked}}",
    "L_unmasked": r"L_{\mathrm{unmasked}}",
    "L_LSA": r"L_{\mathrm{LSA}}",
    "L_GD": r"L_{\mathrm{GD}}",
    "cos_sens": r"\cos\angle\left(\partial_x \hat{y}_{\mathrm{LSA}}, \partial_x \hat{y}_{\mathrm{GD}}\right)",
    "eta_star": r"\eta^{*}",
    "eta_star_d2": r"\eta^{*}_{d=2}",
    "u_star": "u^{*}",
}


class Gradient(sp.Expr):
    r"""Unevaluated gradient :math:`\nabla_{W} f`, optionally restricted to a set: ``Gradient(L, W, M_ab)``.

    Parameters
    ----------
    f : SymPy expression (the differentiated quantity, e.g. ``Symbol("L")``)
    wrt : Symbol or MatrixSymbol
    at : Symbol, optional
        The set the gradient is evaluated on (printed ``\big|_{at}``).
    """

    is_commutative = False

    def __new__(cls, f, wrt, at=None):
        args = (sp.sympify(f), wrt) if at is None else (sp.sympify(f), wrt, sp.sympify(at))
        return sp.Basic.__new__(cls, *args)

    def _sympystr(self, printer):
        out = f"grad_{printer._print(self.args[1])}({printer._print(self.args[0])})"
        return out + (f"|_{printer._print(self.args[2])}" if len(self.args) > 2 else "")


class Expectation(sp.Expr):
    r"""Unevaluated expectation :math:`\mathbb{E}[X]` (the argument may be a matrix expression)."""

    is_commutative = False

    def __new__(cls, arg):
        return sp.Basic.__new__(cls, arg)

    def _sympystr(self, printer):
        return f"E[{printer._print(self.args[0])}]"


class Entry(sp.Expr):
    r"""Entry ``(i, j)`` of a (displayed) matrix quantity, printed :math:`(M)_{ij}`; indices from 1."""

    def __new__(cls, matrix, i, j):
        return sp.Basic.__new__(cls, matrix, sp.Integer(i), sp.Integer(j))

    def _sympystr(self, printer):
        return f"({printer._print(self.args[0])})_{self.args[1]}{self.args[2]}"


class Where(sp.Basic):
    r"""A statement shown at given sizes or under given conditions: ``Where(Eq(...), Eq(d, 2), Eq(T, 4))``.

    Printed ``statement \qquad (d = 2,\ T = 4)``; inside an aligned block each row carries its own.
    """

    def __new__(cls, statement, *conditions):
        if isinstance(statement, (list, tuple)):
            statement = sp.Tuple(*statement)
        return sp.Basic.__new__(cls, statement, *conditions)

    @property
    def statement(self):
        return self.args[0]

    def _sympystr(self, printer):
        conditions = ", ".join(f"{printer._print(c.lhs)} = {printer._print(c.rhs)}" if isinstance(c, sp.Eq)
                               else printer._print(c) for c in self.conditions)
        return f"{printer._print(self.statement)}  ({conditions})"

    @property
    def conditions(self):
        return self.args[1:]


def at_sizes(statement, **sizes) -> Where:
    """``Where(statement, Eq(Symbol(name), value), ...)`` for integer sizes, in the order given."""
    return Where(statement, *(sp.Eq(sp.Symbol(k), sp.Integer(v)) for k, v in sizes.items()))


class PaperLatexPrinter(LatexPrinter):
    """``sympy.printing.latex.LatexPrinter`` with the papers' notation."""

    printmethod = "_latex"

    def _print_Identity(self, expr):
        return "I"

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_Transpose(self, expr):
        return self._postfix(expr.arg, r"\top")

    def _print_Adjoint(self, expr):
        return self._postfix(expr.arg, "H")

    def _postfix(self, arg, mark):
        inner = self._print(arg)
        if isinstance(arg, (sp.MatrixSymbol, sp.Symbol)):
            m = re.fullmatch(r"([^^]*)\^\{([^{}]*)\}", inner)
            if m:  # W^{KQ} -> W^{KQ\top}: one superscript, never two
                glue = "" if mark.startswith("\\") else r"\,"
                return f"{m.group(1)}^{{{m.group(2)}{glue}{mark}}}"
            if "^" not in inner and "'" not in inner:
                return f"{inner}^{mark}"
        return rf"\left({inner}\right)^{mark}"

    def _print_MatrixSymbol(self, expr):
        return _name_latex(expr.name) or super()._print_MatrixSymbol(expr)

    def _print_Symbol(self, expr, style="plain"):
        return _name_latex(expr.name) or super()._print_Symbol(expr, style=style)

    def _print_harmonic(self, expr, exp=None):
        n = self._print(expr.args[0])
        order = expr.args[1] if len(expr.args) > 1 else sp.S.One
        out = rf"H_{{{n}}}" if order == 1 else rf"H_{{{n}}}^{{({self._print(order)})}}"
        return out if exp is None else rf"\left({out}\right)^{{{exp}}}"

    # --- term order: positive terms first (W_0 - \eta ..., 1 - \gamma \lambda) ------------------
    def _as_ordered_terms(self, expr, order=None):
        terms = list(super()._as_ordered_terms(expr, order=order))
        positive = [t for t in terms if not _is_negative_term(t)]
        negative = [t for t in terms if _is_negative_term(t)]
        return positive + negative

    def _print_MatAdd(self, expr):
        terms = self._as_ordered_terms(expr)
        tex = ""
        for i, term in enumerate(terms):
            if i and _is_negative_term(term):
                tex += " - "
                term = -term
            elif i:
                tex += " + "
            elif _is_negative_term(term):
                tex += "-"
                term = -term
            term_tex = self._print(term)
            if isinstance(term, (sp.MatAdd, sp.Add)):
                term_tex = rf"\left({term_tex}\right)"
            tex += term_tex
        return tex

    # --- flow time: \dot a, and a(\tau) printed as a --------------------------------------------
    def _print_Derivative(self, expr):
        variables = expr.variable_count
        target = expr.expr
        if (len(variables) == 1 and variables[0][0].name in FLOW_TIME_NAMES and variables[0][1] in (1, 2)):
            dots = {1: r"\dot", 2: r"\ddot"}[int(variables[0][1])]
            if isinstance(target, AppliedUndef) and target.args == (variables[0][0],):
                return rf"{dots}{{{self._print_Symbol(sp.Symbol(target.func.__name__))}}}"
            if variables[0][1] == 1:
                return rf"\frac{{d}}{{d {self._print(variables[0][0])}}}\left({self._print(target)}\right)"
        return super()._print_Derivative(expr)

    def _print_Function(self, expr, exp=None):
        if (isinstance(expr, AppliedUndef) and len(expr.args) == 1 and isinstance(expr.args[0], sp.Symbol)
                and expr.args[0].name in FLOW_TIME_NAMES):
            out = self._print_Symbol(sp.Symbol(expr.func.__name__))
            return out if exp is None else f"{out}^{{{exp}}}"
        return super()._print_Function(expr, exp=exp)

    # --- the statement objects ------------------------------------------------------------------
    def _print_Gradient(self, expr):
        f, wrt = expr.args[0], expr.args[1]
        out = rf"\nabla_{{{self._print(wrt)}}} {self._print(f)}"
        if len(expr.args) > 2:
            out = rf"\left.{out}\right|_{{{self._print(expr.args[2])}}}"
        return out

    def _print_Expectation(self, expr):
        return rf"\mathbb{{E}}\left[{self._print(expr.args[0])}\right]"

    def _print_Entry(self, expr):
        m, i, j = expr.args
        return rf"\left({self._print(m)}\right)_{{{self._print(i)}{self._print(j)}}}"

    def _print_Where(self, expr):
        return self._print(expr.statement) + self._conditions(expr.conditions)

    def _conditions(self, conditions):
        if not conditions:
            return ""
        return r" \qquad \left(" + r",\ ".join(self._print(c) for c in conditions) + r"\right)"

    def _print_Tuple(self, expr):
        return self._print_tuple(tuple(expr))

    def _print_tuple(self, expr):
        if expr and all(_is_row(e) for e in expr):
            return r"\begin{aligned}" + r" \\ ".join(self._row(e) for e in expr) + r"\end{aligned}"
        return super()._print_tuple(expr)

    def _row(self, e, conditions=()):
        if isinstance(e, Where):
            if isinstance(e.statement, sp.Tuple):
                return r" \\ ".join(self._row(s, e.conditions) for s in e.statement)
            return self._row(e.statement, e.conditions)
        op = self._relation_symbol(e)
        return rf"{self._print(e.lhs)} &{op} {self._print(e.rhs)}" + self._conditions(conditions)

    def _relation_symbol(self, e):
        return {"==": "=", "!=": r"\neq", "<": "<", ">": ">", "<=": r"\leq", ">=": r"\geq"}[e.rel_op]

    _print_list = _print_tuple


def _is_row(e) -> bool:
    if isinstance(e, Where):
        inner = e.statement
        return all(_is_row(s) for s in inner) if isinstance(inner, sp.Tuple) else _is_row(inner)
    return isinstance(e, sp.core.relational.Relational)


def _is_negative_term(term) -> bool:
    try:
        if isinstance(term, sp.MatMul):
            coeff, _ = term.as_coeff_matrices()
            return bool(coeff.could_extract_minus_sign())
        return bool(term.could_extract_minus_sign())
    except (AttributeError, TypeError):
        return False


def latex(expr, **settings) -> str:
    r"""LaTeX of a derived result in the papers' notation.

    Parameters
    ----------
    expr : SymPy object, or a tuple/list of relations (printed as an aligned block)

    Examples
    --------
    >>> import sympy as sp
    >>> n = sp.Symbol('n')
    >>> X = sp.MatrixSymbol('X', n, n)
    >>> latex(X.T * sp.Identity(n))
    'X^\\top'
    >>> latex(sp.MatrixSymbol('W_KQ', n, n).T)
    'W^{KQ\\top}'
    >>> latex(sp.harmonic(n, 2))
    'H_{n}^{(2)}'
    """
    if isinstance(expr, (list, tuple)):
        expr = tuple(expr)
    return PaperLatexPrinter(settings).doprint(expr)
