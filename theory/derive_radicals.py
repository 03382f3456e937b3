r"""Fixed points whose coordinates are radicals (a gap of :func:`theory.fixed_points`, found by the
ZSLS 2025 claims).

:func:`theory.fixed_points` checks every solution by substitution with :func:`theory.is_zero`, which
decides rational functions only, so a flow whose isolated fixed points involve a root (separate
rank-one heads on the balanced axes: :math:`\dot a = a^2 g(a^3)`, fixed at :math:`a^3 = 1/\gamma`)
raises ``ValueError`` instead of returning them. :func:`fixed_point_candidates` returns the same
Groebner-basis answer with the substitution check left to the caller (``proofs_check.check_identity``
on ``flow.rhs`` at each point, which decides radical expressions), so that the verdict is earned
where it is reported.
"""
from __future__ import annotations

import sympy as sp

from .derive import FixedPoints, Flow
from .validation import require_type

__all__ = ["fixed_point_candidates"]


def fixed_point_candidates(flow: Flow, variables=None) -> FixedPoints:
    r"""The isolated fixed points of ``flow`` as candidates, radicals allowed.

    Parameters
    ----------
    flow : theory.Flow or theory.RestrictedFlow
    variables : sequence of Symbol, optional
        Order of the lex Groebner basis (default ``flow.variables``).

    Returns
    -------
    FixedPoints
        The computation of :func:`theory.fixed_points` (lex Groebner basis, dimension decided first) without
        its rational-only substitution check: ``status`` ``"finite"`` with the solutions of the
        zero-dimensional basis (SymPy's ``solve``, which respects the variables' assumptions: real
        variables give the real points), ``"positive-dimensional"`` or ``"none"`` as there. The points
        are NOT checked by substitution here (``reason`` says so): check each with
        ``proofs_check.check_identity(flow.rhs[v].subs(point), 0)``.

    Examples
    --------
    >>> a, N, lam = sp.Symbol("a", real=True), sp.Symbol("N", positive=True), sp.Symbol("lambda", positive=True)
    >>> flow = Flow({a: a**2 * (N - (N + 2) * lam * a**3) / N}, (a,))   # theory.fixed_points raises here
    >>> fps = fixed_point_candidates(flow)
    >>> fps.status, [p[a] for p in fps.points]
    ('finite', [0, N**(1/3)/(N*lambda + 2*lambda)**(1/3)])
    """
    require_type("flow", flow, Flow, "a theory.Flow or theory.RestrictedFlow")
    vs = tuple(flow.variables if variables is None else variables)
    eqs = [sp.expand(sp.numer(sp.together(flow.rhs[v]))) for v in flow.variables]
    eqs = [e for e in eqs if e != 0]
    basis = list(sp.groebner(eqs, *vs, order="lex").exprs)
    if basis == [1]:
        return FixedPoints("none", [], "the fixed-point equations are inconsistent (Groebner basis [1])", basis)
    pure = set()
    for g in basis:
        lead = sp.Poly(g, *vs).monoms()[0]          # a Poly's monomials are in lex order (a string order=
        #                                             fails for univariate integer polys under python-flint)
        nz = [i for i, k in enumerate(lead) if k]
        if len(nz) == 1:
            pure.add(vs[nz[0]])
    free = [v for v in vs if v not in pure]
    if free:
        return FixedPoints("positive-dimensional", [], "the fixed points form a family of positive dimension: no "
                           f"equation bounds {', '.join(map(str, free))}", basis)
    sols = [s for s in sp.solve(basis, vs, dict=True) if set(s) >= set(vs)]
    return FixedPoints("finite", sols, f"{len(sols)} isolated fixed point(s) (zero-dimensional Groebner basis); "
                       "radical coordinates, not checked by substitution here: check each with "
                       "proofs_check.check_identity", basis)
