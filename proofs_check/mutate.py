"""Mutation testing of the claims: do the checks refute deliberate errors?

Two kinds of mutants:

* **Model mutants** (:func:`model_mutants`): a catalogue of deliberate errors in the built-in
  theory (a zeroed gradient, a missing conjugation, a flipped flow, another normaliser, a wrong
  moment, a transposed block, a wrong step size, ...). Each is a context manager that patches
  module attributes in-process (``unittest.mock.patch``, wrapping the original); no file is
  edited. Each names its paper; it is run in a fresh forked child process (lru_caches cleared)
  against that paper's claims, the likely killer first, stopping at the first REFUTED.
* **Statement mutants** (:func:`statement_mutants`), automatic for any claim with a stated closed
  form (``Claim.stated``): each numeric constant, each symbol and each index offset of the form is
  perturbed, and the claim's checks, which read the statement through
  :func:`proofs_check.registry.stated`, are run against the perturbed statement.

A mutant is *killed* when a check REFUTES it; INCONCLUSIVE is a survivor (with its reason). A claim
that lets a statement mutant live is *weak*.

Public surface::

    model_mutants(full=True)          -> list[ModelMutant]
    statement_mutants(claim)          -> list[StatementMutant]
    run_mutants(mutants, jobs=1, ...) -> list[MutantResult]
    mutant_table(results)             -> str
"""
from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

__all__ = ["ModelMutant", "StatementMutant", "MutantResult", "model_mutants", "statement_mutants",
           "run_mutants", "mutant_table", "select_mutants", "DEFAULT_TIMEOUT"]

#: Seconds a mutant may run (all its checks) before it is stopped and reported as a survivor.
DEFAULT_TIMEOUT = 240.0
#: Module prefixes whose bindings are patched together and whose lru_caches are cleared.
_OWN_PREFIXES = ("theory", "numerics", "proofs_check")


# ----------------------------------------------------------------------------- mutants
@dataclass(frozen=True)
class Target:
    """A check to run: a claim, optionally one of its checks (by name prefix) and sizes for ``Check.sized``."""

    claim: str
    check: str | None = None
    at: tuple = ()           # (("d", 2), ("T", 4)): run ``Check.sized(d=2, T=4)``

    def label(self, check_name: str) -> str:
        sizes = f" at {', '.join(f'{k}={v}' for k, v in self.at)}" if self.at else ""
        return f"{check_name}{sizes}"


@dataclass(frozen=True)
class ModelMutant:
    """A deliberate error in the theory, applied in-process as a context manager.

    Attributes
    ----------
    id : str
        ``"<paper>.mutant.<name>"``.
    description : str
        The error, in one line.
    apply : callable () -> context manager
        Entering it patches the theory; leaving it restores the originals.
    order : tuple of Target
        Checks tried first (the likely killers); then every other check of the paper's claims.
    quick : bool
        Part of the quick catalogue (the default of ``mesacheck mutate`` and of the test suite).
    """

    id: str
    description: str
    apply: Callable[[], contextlib.AbstractContextManager]
    order: tuple = ()
    quick: bool = False

    @property
    def paper(self) -> str:
        return self.id.split(".", 1)[0]

    kind = "model"


@dataclass(frozen=True)
class StatementMutant:
    """A perturbation of a claim's stated closed form.

    Attributes
    ----------
    id : str
        ``"<claim id>.stated.<k>"``.
    claim : str
    description : str
        What was changed (``"constant 2 -> 1 in T - 2"``).
    form : SymPy object
        The perturbed statement (what :func:`proofs_check.registry.stated` returns under the mutant).
    """

    id: str
    claim: str
    description: str
    form: object

    kind = "statement"

    @property
    def paper(self) -> str:
        return self.claim.split(".", 1)[0]


@dataclass
class MutantResult:
    """Outcome of one mutant.

    Attributes
    ----------
    mutant : str
        The mutant's id.
    kind : str
        ``"model"`` or ``"statement"``.
    description : str
    killed : bool
        True iff a check REFUTED the mutant.
    killed_by : str or None
        ``"<claim id>: <check name>"`` of the refuting check.
    how : str
        The refutation's counterexample, or ``"survived: ..."`` with the reason.
    checks_run : int
    seconds : float
    """

    mutant: str
    kind: str
    description: str
    killed: bool
    killed_by: str | None
    how: str
    checks_run: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"mutant": self.mutant, "kind": self.kind, "description": self.description, "killed": self.killed,
                "killed_by": self.killed_by, "how": self.how, "checks_run": self.checks_run,
                "seconds": round(self.seconds, 3)}


# ----------------------------------------------------------------------------- patching helpers
def _own_modules():
    from ._names import legacy

    return [m for name, m in list(sys.modules.items())
            if m is not None and (legacy(name) or "").split(".", 1)[0] in _OWN_PREFIXES]


def _import_theory() -> None:
    """Import every theory module and the claim modules, so that every binding exists before patching."""
    import importlib
    import pkgutil

    import theory

    from ._names import qualify

    for info in pkgutil.iter_modules(theory.__path__):
        with contextlib.suppress(Exception):
            importlib.import_module(qualify(f"theory.{info.name}"))
    from .registry import all_claims

    all_claims()


@contextlib.contextmanager
def patch_everywhere(module: str, attr: str, make: Callable[[object], object]):
    """Replace ``module.attr`` by ``make(original)`` in that module and in every own module bound to it.

    ``from .x import f`` copies the binding, so a patch of ``x.f`` alone would miss the importers;
    this patches every module of theory/, numerics/ and proofs_check/ whose attribute ``attr`` is the
    original object.

    Raises
    ------
    AttributeError
        If ``module`` has no attribute ``attr`` (the mutant's target is gone).
    """
    import importlib
    from unittest import mock

    from ._names import qualify

    mod = importlib.import_module(qualify(module))
    original = getattr(mod, attr)
    replacement = make(original)
    with contextlib.ExitStack() as stack:
        for m in _own_modules():
            if getattr(m, attr, None) is original:
                stack.enter_context(mock.patch.object(m, attr, replacement))
        yield replacement


@contextlib.contextmanager
def patch_method(module: str, cls: str, attr: str, make: Callable[[object], object]):
    """Replace the method ``cls.attr`` of ``module`` by ``make(original)`` (class attribute)."""
    import importlib
    from unittest import mock

    from ._names import qualify

    klass = getattr(importlib.import_module(qualify(module)), cls)
    original = getattr(klass, attr)
    with mock.patch.object(klass, attr, make(original)):
        yield


def _wrap(module: str, attr: str, make: Callable[[object], object]):
    return lambda: patch_everywhere(module, attr, make)


def _method(module: str, cls: str, attr: str, make: Callable[[object], object]):
    return lambda: patch_method(module, cls, attr, make)


def _clear_caches() -> None:
    """Clear every functools cache in our modules (a forked child must not reuse unmutated results)."""
    for m in _own_modules():
        for value in list(vars(m).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                with contextlib.suppress(Exception):
                    clear()


# ----------------------------------------------------------------------------- the catalogue
def _scaled_derivatives(grad_factor, loss_factor=1):
    def make(original):
        def mutated(*args, **kwargs):
            out = original(*args, **kwargs)
            out.grad_PV = out.grad_PV * grad_factor
            out.grad_KQ = out.grad_KQ * grad_factor
            out.loss = out.loss * loss_factor
            return out
        return mutated
    return make


def _flipped_flow(original):
    def mutated(*args, **kwargs):
        flow = original(*args, **kwargs)
        flow.a_dot, flow.b_dot = -flow.a_dot, -flow.b_dot
        return flow
    return mutated


def _rho_t(original):
    def mutated(W_PV, W_KQ, X, X_conj, t):
        return original(W_PV, W_KQ, X, X_conj, t) * (t - 1) / t
    return mutated


def _short_context(original):
    """E_t with the tokens e_1..e_{t-1} (an off-by-one in the context sum); rho_t unchanged."""
    def mutated(W_PV, W_KQ, X, X_conj, t):
        import sympy as sp
        from theory.causal_attention import embedding

        original(W_PV, W_KQ, X, X_conj, t)                 # same validation
        E = sp.Matrix.hstack(*[embedding(X, i) for i in range(1, t)])
        E_H = sp.Matrix.hstack(*[embedding(X_conj, i) for i in range(1, t)]).T
        return (W_PV * (E * (E_H * (W_KQ * embedding(X, t))))) / (t - 1)
    return mutated


def _conjugate_keeps_lambda(original):
    def mutated(expr, symbols):
        import sympy as sp

        swap = {}
        for z, zb in zip(symbols.z, symbols.zbar):
            swap[z], swap[zb] = zb, z
        swap[sp.I] = -sp.I
        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(lambda e: sp.sympify(e).xreplace(swap))
        return sp.sympify(expr).xreplace(swap)
    return mutated


def _transposed_manifold(original):
    def mutated(A, B):
        import sympy as sp

        W_PV, W_KQ = original(A, B)
        d = A.rows
        return W_PV, sp.zeros(d, d).row_join(A).col_join(sp.zeros(d, 2 * d))   # A in the (1,2) block
    return mutated


def _gaussian_kappa1(original):
    def mutated(self, j, a, b):
        if a + b == 4:
            return 2 * self.sigma ** 4                      # E g^4 = 3 sigma^4, mutated to 2 sigma^4
        return original(self, j, a, b)
    return mutated


def _kappa3_includes_j(original):
    def mutated(self, j):
        from theory.moments import Kappas

        k0, k1, k2, k3 = original(self, j)
        return Kappas(k0, k1, k2, k3 + self.moment_of_abs({j: 3}))   # sum over k != j taken over all k
    return mutated


def _sparse_scale(original):
    def mutated(self, monomial):
        return 2 * original(self, monomial) if sum(a + b for a, b in monomial) == 6 else original(self, monomial)
    return mutated


def _drop_s_moment(original):
    """Condition (S) without its first moment (and that moment's conjugate, the same condition)."""
    def mutated(*args, **kwargs):
        types = sorted(original(*args, **kwargs))
        dropped = {types[0], tuple(sorted((b, a) for a, b in types[0]))}
        return set(types) - dropped
    return mutated


def _scaled_result(factor):
    def make(original):
        def mutated(*args, **kwargs):
            out = original(*args, **kwargs)
            return [factor * e for e in out[0]], [factor * e for e in out[1]]
        return mutated
    return make


def _one_step_eta(original):
    def mutated(d, t, eta, X, X_conj):
        return original(d, t, 2 * eta, X, X_conj)
    return mutated


def _product_flow_sign(original):
    def mutated(flow):
        import sympy as sp

        return sp.factor(flow.a_dot * flow.b - flow.a * flow.b_dot)
    return mutated


def _weights(make_blocks):
    """Wrap a construction ``f(prompt, ...) -> LSAWeights`` so that ``make_blocks(weights, prompt)`` rebuilds it."""
    def make(original):
        def mutated(prompt, *args, **kwargs):
            from theory.attention import LSAWeights

            w = original(prompt, *args, **kwargs)
            return LSAWeights(**make_blocks(w, prompt))
        return mutated
    return make


def _p_without_N(w, prompt):
    from theory.attention import block_scale

    return dict(P=block_scale(prompt.N, w.P), W_V=w.W_V, W_K=w.W_K, W_Q=w.W_Q)


def _w0_dropped(w, prompt):
    return dict(P=w.P, W_V=[[w.W_V[0][0], w.W_V[0][1]], [None, w.W_V[1][1]]], W_K=w.W_K, W_Q=w.W_Q)


def _gamma_sign(w, prompt):
    P = [[-w.P[0][0], w.P[0][1]], [w.P[1][0], w.P[1][1]]]
    return dict(P=P, W_V=w.W_V, W_K=w.W_K, W_Q=w.W_Q)


def _gdpp_identity_dropped(w, prompt):
    return dict(P=w.P, W_V=[[None, w.W_V[0][1]], [w.W_V[1][0], w.W_V[1][1]]], W_K=w.W_K, W_Q=w.W_Q)


def _layer_transposed_pv(original):
    def mutated(W_PV, W_KQ, tokens):
        from theory.attention import block_transpose

        return original(block_transpose(W_PV), W_KQ, tokens)
    return mutated


def _layer_query_in_keys(original):
    def mutated(W_PV, W_KQ, tokens):
        from theory import attention as A

        X, Y, xq, yq = tokens.X, tokens.Y, tokens.x_query, tokens.y_query
        gram = [[X * X.T + xq * xq.T, X * Y.T + xq * yq.T], [Y * X.T + yq * xq.T, Y * Y.T + yq * yq.T]]
        M = A.block_mul(A.block_mul(W_PV, gram), W_KQ)
        dX, dY = A.block_apply(M, X, Y)
        dxq, dyq = A.block_apply(M, xq, yq)
        return A.Tokens(A._add(X, dX), A._add(Y, dY), A._add(xq, dxq), A._add(yq, dyq))
    return mutated


def _gradient_factor(factor):
    def make(original):
        def mutated(W, X, Y, N):
            return factor(N) * original(W, X, Y, N)
        return mutated
    return make


def _gd_step_sign(original):
    def mutated(W, X, Y, N, eta):
        return original(W, X, Y, N, -eta)
    return mutated


def _gd_iterates_extra(original):
    def mutated(W0, X, Y, N, eta, steps):
        iterates = original(W0, X, Y, N, eta, steps + 1)
        return iterates[:-2] + iterates[-1:]
    return mutated


def _prediction_sign(original):
    def mutated(tokens):
        return -original(tokens)
    return mutated


def _block_scale_diagonal(original):
    def mutated(c, A):
        return [[(c * A[i][j] if A[i][j] is not None and i == j else A[i][j]) for j in range(2)] for i in range(2)]
    return mutated


def _gaussian_moment_fourth(original):
    def mutated(cov, indices):
        if len(indices) == 4 and len(set(indices)) == 1:   # E g^4 = 2 var^2 instead of 3 var^2
            return 2 * cov[indices[0]][indices[0]] ** 2
        return original(cov, indices)
    return mutated


def _noise_dropped(original):
    def mutated(d):
        from theory.related import s_sym

        return original(d).subs(s_sym, 0)
    return mutated


def _distinct_weight(original):
    def mutated(d):
        from theory.related import N_sym

        moment, Lambda = original(d)
        return (moment + Lambda ** 2 / N_sym).applyfunc(lambda e: e.expand()), Lambda
    return mutated


def _loss_scale_constant():
    return patch_everywhere("theory.dynamics", "LOSS_SCALE", lambda original: 2 * original)


def _rho_constant():
    return patch_everywhere("theory.dynamics", "RHO", lambda original: original + 1)


def _T(claim, check=None, **at):
    return Target(claim, check, tuple(at.items()))


def model_mutants(full: bool = True) -> list[ModelMutant]:
    """The catalogue of model mutants (the quick ones only when ``full`` is False).

    Returns
    -------
    list of ModelMutant
    """
    Z, O, R = "zheng2024", "oswald2022", "related"
    pop = "theory.zheng_population"
    catalogue = [
        ModelMutant(f"{Z}.mutant.gradient-zero", "population gradient multiplied by 0 (loss unchanged)",
                    _wrap(pop, "population_derivatives", _scaled_derivatives(0)),
                    (_T(f"{Z}.A1"), _T(f"{Z}.C3", "derived entrywise ODE", d=2, T=4)), quick=True),
        ModelMutant(f"{Z}.mutant.gradient-double", "population gradient multiplied by 2 (loss unchanged)",
                    _wrap(pop, "population_derivatives", _scaled_derivatives(2)),
                    (_T(f"{Z}.C3", "derived entrywise ODE", d=2, T=4),), quick=True),
        ModelMutant(f"{Z}.mutant.loss-scale-1", "loss scale 1 instead of 1/2 (loss and gradient doubled): the "
                    "limit of C4 is unchanged, the ODE of C3 is not",
                    _wrap(pop, "population_derivatives", _scaled_derivatives(2, 2)),
                    (_T(f"{Z}.C3", "derived entrywise ODE", d=2, T=4), _T(f"{Z}.C3", "counting formula"))),
        ModelMutant(f"{Z}.mutant.loss-scale-constant", "LOSS_SCALE = 1 in theory.dynamics (the documented convention)",
                    _loss_scale_constant, (_T(f"{Z}.C3", "derived entrywise ODE", d=2, T=4),)),
        ModelMutant(f"{Z}.mutant.population-conjugation", "missing conjugation in the population expansion "
                    "(|r|^2 computed as r * r)",
                    _method(pop, "_Context", "conj", lambda original: (lambda self, p: p)),
                    (_T(f"{Z}.C2", "gradient on M_ab", d=2, T=4), _T(f"{Z}.C1", "off-block gradients", d=2, T=4))),
        ModelMutant(f"{Z}.mutant.conjugate-lambda", "theory.causal_attention.conjugate does not map lambda to 1/lambda",
                    _wrap("theory.causal_attention", "conjugate", _conjugate_keeps_lambda),
                    (_T(f"{Z}.C5", "sparse law"),), quick=True),
        ModelMutant(f"{Z}.mutant.flow-sign", "the reduced flow's sign flipped (d/dtau = +grad)",
                    _wrap("theory.dynamics", "reduced_flow", _flipped_flow),
                    (_T(f"{Z}.C3", "derived entrywise ODE", d=2, T=4), _T(f"{Z}.C4", "monotone convergence")),
                    quick=True),
        ModelMutant(f"{Z}.mutant.rho-t", "normaliser rho_t = t instead of t - 1 in causal_prediction",
                    _wrap("theory.causal_attention", "causal_prediction", _rho_t),
                    (_T(f"{Z}.C4", "one-step-GD"), _T(f"{Z}.C5", "sparse law")), quick=True),
        ModelMutant(f"{Z}.mutant.rho-constant", "RHO = t in theory.dynamics (the documented convention)",
                    _rho_constant, (_T(f"{Z}.C3", "derived entrywise ODE", d=2, T=4),)),
        ModelMutant(f"{Z}.mutant.context-off-by-one", "E_t built from t - 1 tokens (e_1..e_{t-1}) in causal_prediction",
                    _wrap("theory.causal_attention", "causal_prediction", _short_context),
                    (_T(f"{Z}.C4", "one-step-GD"), _T(f"{Z}.C5", "sparse law"))),
        ModelMutant(f"{Z}.mutant.manifold-transposed", "M_ab with A in the transposed block W_KQ[:d, d:]",
                    _wrap("theory.causal_attention", "manifold_AB", _transposed_manifold),
                    (_T(f"{Z}.C4", "one-step-GD"),)),
        ModelMutant(f"{Z}.mutant.gaussian-kappa1", "Gaussian fourth moment 2 sigma^4 instead of 3 sigma^4 (kappa_1)",
                    _method("theory.moments", "RealGaussian", "_coordinate_moment", _gaussian_kappa1),
                    (_T(f"{Z}.C6"),), quick=True),
        ModelMutant(f"{Z}.mutant.kappa3-includes-j", "kappa_3 = sum over all k (including k = j) in theory.moments",
                    _method("theory.moments", "TokenLaw", "kappas_at", _kappa3_includes_j),
                    (_T(f"{Z}.C3", "derived entrywise ODE", d=2, T=4),)),
        ModelMutant(f"{Z}.mutant.sparse-sixth-moment", "sparse law: sixth moments doubled (kappa_2 = 2 c^6 / d)",
                    _method("theory.moments", "SparseLaw", "_moment", _sparse_scale),
                    (_T(f"{Z}.C4", "Gaussian and sparse limits"),)),
        ModelMutant(f"{Z}.mutant.s-moment-dropped", "one moment dropped from condition (S) "
                    "(hypothesis_S_moment_types of the claim module)",
                    _wrap("proofs_check.claims.zheng2024", "hypothesis_S_moment_types", _drop_s_moment),
                    (_T(f"{Z}.C2", "off-diagonal gradients involve only"),)),
        ModelMutant(f"{Z}.mutant.entrywise-all-T-double", "symbolic-T entrywise flow multiplied by 2",
                    _wrap("theory.dynamics", "entrywise_flow_all_T", _scaled_result(2)),
                    (_T(f"{Z}.C3", "entrywise flow for symbolic T"),)),
        ModelMutant(f"{Z}.mutant.one-step-gd-eta", "one GD step on OLS with step 2 eta instead of eta",
                    _wrap("theory.dynamics", "one_step_gd_prediction", _one_step_eta),
                    (_T(f"{Z}.C4", "one-step-GD"),), quick=True),
        ModelMutant(f"{Z}.mutant.product-flow-sign", "d(ab)/dtau = a_dot b - a b_dot (chain rule sign)",
                    _wrap("theory.dynamics", "product_flow", _product_flow_sign),
                    (_T(f"{Z}.C3", "a^2-b^2 conserved"),)),
        # --- von Oswald et al.
        ModelMutant(f"{O}.mutant.gd-step-eta", "Proposition 1 with P = eta I instead of (eta/N) I",
                    _wrap("theory.constructions", "gd_construction", _weights(_p_without_N)),
                    (_T(f"{O}.O1"),), quick=True),
        ModelMutant(f"{O}.mutant.w0-dropped", "Proposition 1 with W_0 dropped from W_V",
                    _wrap("theory.constructions", "gd_construction", _weights(_w0_dropped)),
                    (_T(f"{O}.O1"),), quick=True),
        ModelMutant(f"{O}.mutant.gdpp-gamma-sign", "GD++ with +gamma I_x in P instead of -gamma I_x",
                    _wrap("theory.constructions", "gdpp_construction", _weights(_gamma_sign)),
                    (_T(f"{O}.O3"),), quick=True),
        ModelMutant(f"{O}.mutant.gdpp-identity-dropped", "GD++ with the I_x block of W_V dropped",
                    _wrap("theory.constructions", "gdpp_construction", _weights(_gdpp_identity_dropped)),
                    (_T(f"{O}.O3"),)),
        ModelMutant(f"{O}.mutant.lsa-transposed-block", "the LSA layer applies W_PV^T (blockwise) instead of W_PV",
                    _wrap("theory.attention", "lsa_layer", _layer_transposed_pv), (_T(f"{O}.O1"),), quick=True),
        ModelMutant(f"{O}.mutant.lsa-query-in-keys", "the LSA layer sums e_i e_i^T over the query token too",
                    _wrap("theory.attention", "lsa_layer", _layer_query_in_keys), (_T(f"{O}.O1", "entrywise"),)),
        ModelMutant(f"{O}.mutant.ls-gradient-no-1/N", "least-squares gradient without the 1/N (eta/N -> eta)",
                    _wrap("theory.least_squares", "least_squares_gradient", _gradient_factor(lambda N: N)),
                    (_T(f"{O}.O1"),)),
        ModelMutant(f"{O}.mutant.ls-gradient-sign", "least-squares gradient with the wrong sign",
                    _wrap("theory.least_squares", "least_squares_gradient", _gradient_factor(lambda N: -1)),
                    (_T(f"{O}.O1"),)),
        ModelMutant(f"{O}.mutant.gd-step-sign", "gradient ascent: W + eta grad L in gd_step",
                    _wrap("theory.least_squares", "gd_step", _gd_step_sign), (_T(f"{O}.O2", "K layers, entrywise"),),
                    quick=True),
        ModelMutant(f"{O}.mutant.gd-iterates-off-by-one", "gd_iterates returns K + 1 steps as the K-th iterate",
                    _wrap("theory.least_squares", "gd_iterates", _gd_iterates_extra),
                    (_T(f"{O}.O2", "K layers, entrywise"),)),
        ModelMutant(f"{O}.mutant.prediction-sign", "the prediction read as +y_query instead of -y_query",
                    _wrap("theory.attention", "prediction", _prediction_sign), (_T(f"{O}.O1"),)),
        ModelMutant(f"{O}.mutant.block-scale-diagonal", "block_scale scales only the diagonal blocks",
                    _wrap("theory.attention", "block_scale", _block_scale_diagonal), (_T(f"{O}.O4"),), quick=True),
        # --- related work
        ModelMutant(f"{R}.mutant.gaussian-fourth-moment", "E g^4 = 2 instead of 3 in the tasks' Isserlis pairings",
                    _wrap("theory.tasks", "_isserlis", _gaussian_moment_fourth),
                    (_T(f"{R}.ZFB1"), _T(f"{R}.N")), quick=True),
        ModelMutant(f"{R}.mutant.label-noise-dropped", "the label noise s dropped from the one-step risk",
                    _wrap("theory.related", "one_step_risk", _noise_dropped), (_T(f"{R}.N"),)),
        ModelMutant(f"{R}.mutant.distinct-weight", "E[(XX^T/N)^2]: distinct-index weight (N-1)/N -> 1",
                    _wrap("theory.related", "zfb_second_moment", _distinct_weight), (_T(f"{R}.ZFB1"),)),
    ]
    return [m for m in catalogue if full or m.quick]


# ----------------------------------------------------------------------------- statement mutants
def _paths(expr, path=()):
    """Paths (tuples of argument indices) to every node of a SymPy tree, parents first (a matrix symbol's
    or identity's shape is its type, not a constant of the statement: not descended into)."""
    import sympy as sp

    yield path, expr
    if isinstance(expr, (sp.MatrixSymbol, sp.Identity, sp.ZeroMatrix)):
        return
    for k, arg in enumerate(getattr(expr, "args", ())):
        yield from _paths(arg, path + (k,))


def _replace_at(expr, path, new):
    if not path:
        return new
    args = list(expr.args)
    args[path[0]] = _replace_at(args[path[0]], path[1:], new)
    return expr.func(*args)


def _number_variants(n):
    """Perturbations of a number: n +- 1 and -n (the 5 -> 3 of a typo is covered by n -+ 1 twice)."""
    import sympy as sp

    out = []
    if n.is_Integer:
        out = [n - 1, n + 1, -n]
    elif n.is_Rational:
        p, q = n.p, n.q
        out = [sp.Rational(p + 1, q), sp.Rational(p - 1, q), -n, sp.Rational(p, q + 1)]
    return [v for v in out if v != n]


def _context(expr, path):
    """A short text of the node containing the position (two levels up for a number in a sum)."""
    chain = [expr]
    for k in path:
        chain.append(chain[-1].args[k])
    parent = chain[-2] if len(chain) >= 2 else chain[-1]
    if chain[-1].is_Number and parent.is_Add and len(chain) >= 3:
        parent = chain[-3]
    text = str(parent)
    return text if len(text) <= 48 else text[:45] + "..."


def _equivalent(a, b) -> bool:
    import sympy as sp

    try:
        return sp.simplify(sp.together(sp.sympify(a) - sp.sympify(b))) == 0
    except Exception:  # noqa: BLE001 - undecided: keep the mutant
        return False


def statement_mutants(claim, limit: int | None = None) -> list[StatementMutant]:
    """The statement mutants of a claim: each constant, symbol and index offset of its stated form perturbed.

    Parameters
    ----------
    claim : Claim or str
        A registered claim (or its id) with ``Claim.stated``; claims without one have no statement mutants.
    limit : int, optional
        At most this many mutants (evenly spread over the positions).

    Returns
    -------
    list of StatementMutant
        Equivalent perturbations (equal to the original after simplification) and perturbations
        that are not finite (``zoo``, ``nan``) are left out.
    """
    import sympy as sp

    from .registry import get

    claim = get(claim) if isinstance(claim, str) else claim
    if claim.stated is None:
        return []
    original = sp.sympify(claim.stated())
    components = list(original) if isinstance(original, sp.Tuple) else [original]
    symbols = sorted(set().union(*(sp.sympify(c).free_symbols for c in components)), key=str)
    mutants: list[StatementMutant] = []
    seen = set()
    for index, comp in enumerate(components):
        own = sorted(sp.sympify(comp).free_symbols, key=str) or symbols
        for path, node in _paths(comp):
            variants = []
            if node.is_Number:
                variants = [(v, f"constant {node} -> {v}") for v in _number_variants(node)]
            elif node.is_Symbol and len(own) > 1:
                # one replacement per occurrence: the next symbol of the same component (cyclic), of the
                # same kind (a scalar for a scalar, a matrix symbol of the same shape for a matrix symbol):
                # a scalar swapped for a matrix is an ill-typed statement no check can decide
                kind = [s for s in own if getattr(s, "shape", None) == getattr(node, "shape", None)]
                pool = kind if node in kind else own
                other = pool[(pool.index(node) + 1) % len(pool)] if node in pool else symbols[0]
                variants = [(other, f"symbol {node} -> {other}")] if other != node else []
            for new, what in variants:
                try:
                    mutated = _replace_at(comp, path, new)
                except Exception:  # noqa: BLE001 - an invalid tree is no mutant
                    continue
                if mutated.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or mutated == comp or _equivalent(mutated, comp):
                    continue
                key = (index, sp.srepr(mutated))
                if key in seen:
                    continue
                seen.add(key)
                form = sp.Tuple(*(components[:index] + [mutated] + components[index + 1:])) \
                    if isinstance(original, sp.Tuple) else mutated
                where = f"component {index + 1}: " if isinstance(original, sp.Tuple) else ""
                mutants.append(StatementMutant(f"{claim.id}.stated.{len(mutants) + 1}", claim.id,
                                               f"{where}{what} in {_context(comp, path) if path else comp}", form))
    if limit is not None and len(mutants) > limit:
        step = len(mutants) / limit
        mutants = [mutants[int(k * step)] for k in range(limit)]
    return mutants


# ----------------------------------------------------------------------------- running
def _paper_targets(paper: str, first: Iterable[Target]) -> list[tuple[Target, object, object]]:
    """(target, claim, check) in run order: ``first``, then every other non-slow check of the paper."""
    from .registry import all_claims, get

    out, seen = [], set()
    for target in first:
        claim = get(target.claim)
        for check in claim.checks:
            if target.check is None and check.slow:
                continue
            if target.check is not None and not check.name.startswith(target.check):
                continue
            if target.at and check.sized is None:
                continue
            out.append((target, claim, check))
            if not target.at:
                seen.add((claim.id, check.name))
    for claim in all_claims():
        if claim.paper != paper:
            continue
        for check in claim.checks:
            if not check.slow and (claim.id, check.name) not in seen:
                seen.add((claim.id, check.name))
                out.append((Target(claim.id), claim, check))
    return out


def _run_one_check(target: Target, check):
    from .verdicts import run_check

    if target.at:
        at = dict(target.at)
        return run_check(check.name, check.method, lambda: check.sized(**at))
    return run_check(check.name, check.method, check.run)


def _how(result) -> str:
    if result.counterexample:
        items = [f"{k} = {v}" for k, v in result.counterexample.items()]
        text = "; ".join(items)
        return (text if len(text) <= 160 else text[:157] + "...")
    return result.detail[:160]


def _child_model(conn, mutant: ModelMutant) -> None:
    """In a forked child: fresh caches, apply the mutant, run the checks, report each one."""
    try:
        _import_theory()
        _clear_caches()
        targets = _paper_targets(mutant.paper, mutant.order)
        try:
            manager = mutant.apply()
            manager.__enter__()
        except Exception as exc:  # noqa: BLE001 - the mutant's target is gone: reported, not killed
            conn.send(("error", f"the mutant could not be applied ({type(exc).__name__}: {exc})"))
            return
        _run_targets(conn, targets)
    except BaseException as exc:  # noqa: BLE001 - whatever happens in the child is reported
        with contextlib.suppress(Exception):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(Exception):
            conn.send(("done", None))
            conn.close()


def _run_targets(conn, targets) -> None:
    for target, claim, check in targets:
        conn.send(("start", f"{claim.id}: {target.label(check.name)}"))
        result = _run_one_check(target, check)
        conn.send(("check", (claim.id, target.label(check.name), result.status.value,
                             _how(result) if result.status.value == "REFUTED" else (result.reason or ""))))
        if result.status.value == "REFUTED":
            return


def _child_statement(conn, mutant: StatementMutant, order: list) -> None:
    """In a forked child (warm caches): override the claim's statement and run its checks."""
    from .registry import get, override_stated

    try:
        claim = get(mutant.claim)
        checks = sorted((c for c in claim.checks if not c.slow),
                        key=lambda c: order.index(c.name) if c.name in order else len(order))
        with override_stated(mutant.claim, mutant.form):
            _run_targets(conn, [(Target(claim.id), claim, c) for c in checks])
    except BaseException as exc:  # noqa: BLE001
        with contextlib.suppress(Exception):
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(Exception):
            conn.send(("done", None))
            conn.close()


class _Running:
    def __init__(self, mutant, process, conn, timeout):
        self.mutant, self.process, self.conn = mutant, process, conn
        self.start = time.perf_counter()
        self.deadline = self.start + timeout
        self.timeout = timeout
        self.current = None
        self.checks: list = []
        self.error = None
        self.done = False


def _result_of(run: _Running, timed_out: bool) -> MutantResult:
    m = run.mutant
    seconds = time.perf_counter() - run.start
    for claim_id, name, status, text in run.checks:
        if status == "REFUTED":
            return MutantResult(m.id, m.kind, m.description, True, f"{claim_id}: {name}", text, len(run.checks), seconds)
    if timed_out:
        how = f"survived: INCONCLUSIVE timed out after {run.timeout:.0f} s (running {run.current})"
    elif run.error:
        how = f"survived: INCONCLUSIVE {run.error}"
    else:
        undecided = [(c, n, t) for c, n, s, t in run.checks if s == "INCONCLUSIVE"]
        if undecided:
            c, n, t = undecided[0]
            how = f"survived: INCONCLUSIVE {c}: {n}: {t}"
        elif run.checks:
            how = f"survived: all VERIFIED ({len(run.checks)} checks)"
        else:
            how = "survived: no check ran"
    return MutantResult(m.id, m.kind, m.description, False, None, how, len(run.checks), seconds)


def run_mutants(mutants, jobs: int = 1, timeout: float = DEFAULT_TIMEOUT, progress=None) -> list[MutantResult]:
    """Run each mutant in its own forked child process and report whether a check refuted it.

    Parameters
    ----------
    mutants : list of ModelMutant or StatementMutant
    jobs : int
        Children running at once.
    timeout : float
        Seconds per mutant; past it the child is killed and the mutant survives ("timed out").
    progress : callable (done, total, message), optional

    Returns
    -------
    list of MutantResult
        In the order of ``mutants``.

    Notes
    -----
    The on-disk caches of :mod:`proofs_check.cache` are off while mutants run (``MESACHECK_NO_CACHE=1``,
    restored afterwards): they are keyed on the code on disk, which a mutant does not change.
    Model mutants start from fresh caches (cleared in the child). Statement mutants share the
    parent's warm caches: the parent first runs each claim's checks unmutated (which must not be
    REFUTED), and the child only overrides the statement.
    """
    import os

    saved = os.environ.get(_CACHE_OFF)
    os.environ[_CACHE_OFF] = "1"        # patched code is not on disk: the on-disk caches would replay the original
    try:
        return _run_mutants(list(mutants), jobs, timeout, progress)
    finally:
        if saved is None:
            os.environ.pop(_CACHE_OFF, None)
        else:
            os.environ[_CACHE_OFF] = saved


#: The environment switch of proofs_check.cache (derivation and check-result caches on disk).
_CACHE_OFF = "MESACHECK_NO_CACHE"


def _run_mutants(mutants, jobs, timeout, progress):
    import multiprocessing
    from multiprocessing.connection import wait

    ctx = multiprocessing.get_context("fork")
    order: dict[str, list] = {}
    baseline: dict[str, str] = {}
    for m in mutants:
        if m.kind == "statement" and m.claim not in baseline:
            baseline[m.claim] = _warm(m.claim)
    results: dict[int, MutantResult] = {}
    pending = list(enumerate(mutants))
    running: dict[object, tuple[int, _Running]] = {}
    total = len(mutants)

    def start(k, m):
        parent, child = ctx.Pipe(duplex=False)
        if m.kind == "statement":
            target, args = _child_statement, (child, m, order.get(m.claim, []))
        else:
            target, args = _child_model, (child, m)
        process = ctx.Process(target=target, args=args, daemon=True)
        process.start()
        child.close()
        running[parent] = (k, _Running(m, process, parent, timeout))

    def finish(conn, timed_out=False):
        k, run = running.pop(conn)
        if timed_out or run.process.is_alive():
            run.process.kill()
        run.process.join(5)
        with contextlib.suppress(Exception):
            conn.close()
        result = _result_of(run, timed_out)
        if run.mutant.kind == "statement" and result.killed:
            name = result.killed_by.split(": ", 1)[1]
            lst = order.setdefault(run.mutant.claim, [])
            if name in lst:
                lst.remove(name)
            lst.insert(0, name)
        results[k] = result
        if progress:
            progress(len(results), total, f"{run.mutant.id} {'killed' if result.killed else 'SURVIVED'}")

    for claim_id, status in baseline.items():
        if status != "ok":
            for k, m in list(pending):
                if m.kind == "statement" and m.claim == claim_id:
                    pending.remove((k, m))
                    results[k] = MutantResult(m.id, m.kind, m.description, False, None,
                                              f"survived: not run, the unmutated claim is {status}")
    if progress:
        progress(len(results), total, "")
    while pending or running:
        while pending and len(running) < max(1, jobs):
            start(*pending.pop(0))
        now = time.perf_counter()
        wait_for = max(0.05, min(run.deadline for _, run in running.values()) - now)
        ready = wait(list(running), timeout=wait_for)
        for conn in ready:
            k, run = running[conn]
            try:
                while conn.poll():
                    kind, payload = conn.recv()
                    if kind == "start":
                        run.current = payload
                    elif kind == "check":
                        run.checks.append(payload)
                    elif kind == "error":
                        run.error = payload
                    elif kind == "done":
                        run.done = True
            except (EOFError, OSError):
                run.done = True
            if run.done:
                finish(conn)
        now = time.perf_counter()
        for conn, (k, run) in list(running.items()):
            if now >= run.deadline:
                finish(conn, timed_out=True)
    return [results[k] for k in range(total)]


def _warm(claim_id: str) -> str:
    """Run a claim's checks unmutated in this process (warming its caches): "ok" or why not."""
    from .registry import get

    verdict = get(claim_id).verify()
    if verdict.status.value == "REFUTED":
        return "REFUTED"
    return "ok"


# ----------------------------------------------------------------------------- selection and report
def select_mutants(patterns=None, full: bool = False, statements: bool = True):
    """Mutants for ids or prefixes: model mutants by id/paper, statement mutants of the matching claims.

    Raises
    ------
    proofs_check.registry.UnknownClaimError
        If a pattern matches no claim and no mutant.
    """
    from .registry import UnknownClaimError, all_claims

    models = model_mutants(full=True)
    claims = all_claims()

    def matches(name, pattern):
        return name == pattern or name.startswith(pattern.rstrip(".") + ".")

    chosen_models, chosen_claims = [], []
    for pattern in patterns or [None]:
        ms = [m for m in models if pattern is None or matches(m.id, pattern) or matches(m.paper, pattern)]
        cs = [c for c in claims if pattern is None or matches(c.id, pattern)]
        if pattern is not None:
            # a claim id selects the model mutants of its paper only when it names the paper itself
            ms = [m for m in ms if matches(m.id, pattern) or pattern.rstrip(".") == m.paper]
            if not ms and not cs:
                raise UnknownClaimError(f"unknown claim or mutant {pattern!r}: run 'mesacheck mutate --list' "
                                        "to see the mutants and 'mesacheck list' for the claims")
        explicit = pattern is not None and any(m.id == pattern for m in ms)
        chosen_models.extend(m for m in ms if (full or m.quick or explicit) and m not in chosen_models)
        chosen_claims.extend(c for c in cs if c not in chosen_claims)
    out = list(chosen_models)
    no_form = []
    if statements:
        for claim in chosen_claims:
            if claim.stated is None:
                no_form.append(claim.id)
            else:
                out.extend(statement_mutants(claim))
    return out, no_form


def mutant_table(results: list[MutantResult], no_form: Iterable[str] = (), wall_seconds: float | None = None) -> str:
    """The table ``mutant | killed by | how``, a line per claim without a closed form, and a summary."""
    rows = [("mutant", "killed by", "how")]
    for r in results:
        label = r.mutant if r.kind == "model" else f"{r.mutant} ({r.description})"
        rows.append((label, r.killed_by or "-", r.how))
    for claim_id in no_form:
        rows.append((f"{claim_id} (statement)", "-", "no stated closed form (existence result or numerical "
                                                     "agreement): no statement mutants"))
    widths = [min(max(len(row[k]) for row in rows), cap) for k, cap in ((0, 60), (1, 60))]
    lines = []
    for n, (a, b, c) in enumerate(rows):
        lines.append(f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}")
        if n == 0:
            lines.append(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 40}")
    killed = sum(r.killed for r in results)
    weak = sorted({r.mutant.rsplit('.stated.', 1)[0] for r in results if r.kind == "statement" and not r.killed})
    summary = f"\n{killed} of {len(results)} mutants killed"
    if wall_seconds is not None:
        summary += f" in {wall_seconds:.1f} s"
    if weak:
        summary += f"; weak claims (a statement mutant lives): {', '.join(weak)}"
    survivors = [r.mutant for r in results if r.kind == "model" and not r.killed]
    if survivors:
        summary += f"; surviving model mutants: {', '.join(survivors)}"
    return "\n".join(lines) + summary
