"""Zheng et al. 2024 beyond the fixed point: individual limits, loss at the limit, linearised rate,
the balanced trajectory and the time to a tolerance, and convergence from every a_0 b_0 > 0 --
each for symbolic T (every T >= 3, every exchangeable law through kappa_0..kappa_3).

The derivations (theory/reduced_all_T.py) start from the coefficients counted from the model; the
stated closed forms below are the claims (consequences of Theorem 4.1 as reconstructed in our
spec: the paper's own text is not available to us).

No SymPy import at module level (``mesacheck list`` must stay fast).
"""
from __future__ import annotations

from functools import lru_cache

from ..registry import Check, Claim, register
from ..verdicts import Method, combine

SOURCE = "Zheng et al. 2024 (NeurIPS), arXiv 2405.16845, Theorem 4.1 and its proof (as reconstructed)"
ALL_T = Method.SYMBOLIC_ALL_T


@lru_cache(maxsize=None)
def flow_all_T():
    """The reduced flow with the counted Gamma(T), Lambda(T), K0(T)."""
    from theory.reduced_all_T import reduced_all_T

    return reduced_all_T()


@lru_cache(maxsize=None)
def flow_generic():
    """The same flow derived with generic positive Gamma, Lambda, K0: an identity shown with them holds
    for the counted coefficients, which are positive for every T >= 3 (checked in D5)."""
    from theory.reduced_all_T import GENERIC, reduced_all_T

    return reduced_all_T(GENERIC)


def _counted():
    """Substitution of the counted coefficients for the generic symbols."""
    from theory.reduced_all_T import GENERIC

    flow = flow_all_T()
    return dict(zip(GENERIC, (flow.Gamma, flow.Lambda, flow.K0)))


def _symbols():
    import sympy as sp

    return sp.symbols("a_0 b_0", positive=True)


def _u_star():
    return flow_all_T().u_star


def _limit_statement(name, value):
    """``lim_{tau -> oo} name(tau) = value`` as an unevaluated equation."""
    import sympy as sp
    from theory.dynamics import tau

    return sp.Eq(sp.Limit(sp.Function(name)(tau), tau, sp.oo), value, evaluate=False)


def _trajectory_statement():
    import sympy as sp
    from theory.dynamics import tau

    u0 = sp.Symbol("u_0", positive=True)
    return sp.Eq(sp.Function("u")(tau), stated_balanced(_u_star(), flow_all_T().Lambda, u0, tau), evaluate=False)


def _convergence_statement():
    import sympy as sp
    from theory.dynamics import a_sym, b_sym, tau

    flow = flow_all_T()
    u = sp.Function("u")(tau)
    return (sp.Eq(sp.Derivative(u, tau), flow.Gamma * (a_sym ** 2 + b_sym ** 2) * (flow.u_star - u), evaluate=False),
            sp.StrictGreaterThan(flow.Gamma, 0, evaluate=False))


def _a7_statement():
    import sympy as sp

    grad = sp.Symbol(r"\nabla_{(W^{KQ}_{21})_{ij}} L")
    u1, u2 = sp.symbols("u_1 u_2")                       # u_j = lim a_j b_j
    return (sp.Eq(grad, 0, evaluate=False), sp.Ne(u1, u2, evaluate=False),
            sp.StrictLessThan(sp.Symbol(r"L_{\infty}"), sp.Symbol(r"\min_{M_{a,b}} L"), evaluate=False))


# ----------------------------------------------------------------------------- D1
def _form_symbols():
    """Symbols of the stated closed forms (``Claim.stated``) of D1-D4."""
    import sympy as sp

    a0, b0 = sp.symbols("a_0 b_0", real=True)
    u_star, Gamma, Lambda, K0, u0, eps = sp.symbols("u^* Gamma Lambda K_0 u_0 epsilon", positive=True)
    a_inf, b_inf, tau = sp.symbols("a_inf b_inf tau", real=True)
    return dict(a0=a0, b0=b0, u_star=u_star, Gamma=Gamma, Lambda=Lambda, K0=K0, u0=u0, eps=eps, a_inf=a_inf,
                b_inf=b_inf, tau=tau)


def _from_stated(claim_id, **values):
    """The claim's stated form (through the registry, so that statement mutants reach it) at these values."""
    import sympy as sp

    from ..registry import stated

    names = _form_symbols()
    sub = {names[k]: v for k, v in values.items()}
    form = sp.sympify(stated(claim_id))
    return tuple(e.subs(sub, simultaneous=True) for e in form) if isinstance(form, sp.Tuple) \
        else form.subs(sub, simultaneous=True)


def _d1_stated():
    """D1 as stated: a_inf = sign(a0) sqrt((c + sqrt(c^2 + 4 u*^2))/2), b_inf = u*/a_inf, c = a0^2 - b0^2.

    The sign is written a0 / |a0| = a0 sqrt(1/a0^2): with sign(a0) a perturbation sign(a0) -> sign(b0) is the
    same statement under the hypothesis a0 b0 > 0 (an equivalent mutant no check can kill).
    """
    import sympy as sp

    v = _form_symbols()
    c = v["a0"] ** 2 - v["b0"] ** 2
    a_inf = v["a0"] * sp.sqrt((c + sp.sqrt(c ** 2 + 4 * v["u_star"] ** 2)) / (2 * v["a0"] ** 2))
    return sp.Tuple(a_inf, v["u_star"] / a_inf)


def stated_individual_limits(a0, b0, u_star):
    """The stated limits: a_inf^2 = (c + sqrt(c^2 + 4 u*^2))/2, b_inf = u*/a_inf, c = a0^2 - b0^2 (D1's statement)."""
    return _from_stated("zheng2024.D1", a0=a0, b0=b0, u_star=u_star)


def check_d1(stated=stated_individual_limits):
    import sympy as sp

    from ..checks import check_identity, check_inequality
    from theory.reduced_all_T import T_from_n, individual_limits

    generic = flow_generic()
    a0, b0 = _symbols()
    U = sp.Symbol("U", positive=True)                  # any positive value of the limit u*
    import dataclasses

    a_der, b_der, conserved = individual_limits(dataclasses.replace(generic, u_star=U), a0, b0)
    a_st, b_st = stated(a0, b0, U)
    results = [
        check_identity(conserved, 0, name="a^2 - b^2 is conserved by the derived flow"),
        check_identity(sp.expand(a_st * b_st), U, name="stated a_inf b_inf = u*"),
        check_identity(sp.expand(a_st ** 2 - b_st ** 2), a0 ** 2 - b0 ** 2,
                       name="stated a_inf^2 - b_inf^2 = a_0^2 - b_0^2"),
        check_identity(a_der ** 2, a_st ** 2, name="derived a_inf^2 = stated"),
        check_identity(b_der ** 2, b_st ** 2, name="derived b_inf^2 = stated"),
        check_inequality(T_from_n(flow_all_T().u_star), ">", name="u* > 0 for every T >= 3"),
    ]
    # the negative branch a_0, b_0 < 0: the flow is odd under (a, b) -> (-a, -b), so the stated limits must be too
    a_neg, b_neg = stated(-a0, -b0, U)
    results.append(check_identity(a_neg, -a_st, name="mirror: the stated a_inf from (-a_0, -b_0) is -a_inf"))
    results.append(check_identity(b_neg, -b_st, name="mirror: the stated b_inf from (-a_0, -b_0) is -b_inf"))
    return combine("individual limits from the conserved a^2 - b^2", results,
                   "for every positive u* (the solution of {A^2 - B^2 = c, AB = u*} with A, B > 0 is unique), "
                   "and u* = Lambda/Gamma > 0 for every T",
                   a_inf=a_st.subs(U, flow_all_T().u_star))


def check_d1_numeric():
    """The reduced flow integrated at the paper's d = 5, T = 100 ends at the stated (a_inf, b_inf)."""
    import numpy as np
    import sympy as sp

    from ..checks import check_close
    from numerics import flows, population

    results = []
    for law, (a0, b0) in (("gaussian", (0.5, 1.5)), ("sparse", (2.0, 2.0)), ("gaussian", (0.1, 0.1))):
        co = population.population_coefficients(law, 5, 100)
        red = flows.integrate_reduced(co.Gamma, co.Lambda, a0, b0, t_max=2000.0)
        u_star = population.limit_ab_from_kappas(law, 5, 100)
        a_st, b_st = stated_individual_limits(sp.Float(a0), sp.Float(b0), sp.Float(u_star))
        results.append(check_close(np.asarray(red.y_final, float), np.array([float(a_st), float(b_st)]),
                                   rtol=1e-6, name=f"{law} from ({a0}, {b0}): (a, b)(end) = stated limits",
                                   what="LSODA on the reduced flow, d = 5, T = 100"))
    return combine("integrated reduced flow ends at the stated limits", results, "d = 5, T = 100")


register(Claim(
    id="zheng2024.D1",
    stated=_d1_stated,
    title="Individual limits: a_inf^2 = (c + sqrt(c^2 + 4u*^2))/2, b_inf = u*/a_inf with c = a_0^2 - b_0^2",
    source=f"{SOURCE}; spec C4 (the individual limits fixed by the conserved a^2 - b^2)",
    hypotheses=["C2's conditions (the flow stays on M_{a,b})", "a_0 b_0 > 0 (shown for a_0, b_0 > 0; the "
                "negative branch is the mirror image (a, b) -> (-a, -b))"],
    statement=lambda: _limit_statement("a", stated_individual_limits(*_symbols(), _u_star())[0]),
    checks=[Check("conserved quantity and the product fix the limits (symbolic T)", ALL_T, check_d1),
            Check("integrated flow at d = 5, T = 100", Method.NUMERIC_TOLERANCE, check_d1_numeric)],
    description="The flow is derived from the counted per-coordinate loss; a^2 - b^2 is conserved and ab -> u*, "
                "and the positive solution of those two equations is unique.",
))


# ----------------------------------------------------------------------------- D2
def _d2_stated():
    """D2 as stated: the per-coordinate loss at the limit (1/2)(K0 - Lambda^2/Gamma)."""
    import sympy as sp

    v = _form_symbols()
    return sp.Rational(1, 2) * (v["K0"] - v["Lambda"] ** 2 / v["Gamma"])


def stated_limit_loss(Gamma, Lambda, K0):
    """The stated per-coordinate loss at the limit: (1/2)(K0 - Lambda^2/Gamma) (D2's statement)."""
    return _from_stated("zheng2024.D2", Gamma=Gamma, Lambda=Lambda, K0=K0)


def check_d2(stated=stated_limit_loss):
    from ..checks import check_identity, check_inequality
    from theory.reduced_all_T import T_from_n, limit_loss

    flow = flow_all_T()
    derived = limit_loss(flow)
    return combine("loss at the limit", [
        check_identity(derived, stated(flow.Gamma, flow.Lambda, flow.K0),
                       name="loss on the curve ab = u* = stated (every T)"),
        check_inequality(T_from_n(flow.Lambda ** 2 / flow.Gamma), ">",
                         name="below the loss at ab = 0 by Lambda^2/(2 Gamma) > 0 (every T >= 3)")],
        "per coordinate; the full loss is d times it", limit_loss=derived)


register(Claim(
    id="zheng2024.D2",
    stated=_d2_stated,
    title="Loss at the limit: (d/2)(K_0 - Lambda^2/Gamma), strictly below the loss at the start ab = 0",
    source=f"{SOURCE}; spec C3 (loss on the manifold), C4",
    hypotheses=["C2's conditions", "K_0 = (T - 2) kappa_0"],
    statement=lambda: _limit_statement("ell", stated_limit_loss(flow_all_T().Gamma, flow_all_T().Lambda,
                                                               flow_all_T().K0)),
    checks=[Check("loss on the fixed-point curve (symbolic T)", ALL_T, check_d2)],
))


# ----------------------------------------------------------------------------- D3
def _d3_stated():
    """D3 as stated: the linearised rate at the limit Gamma (a_inf^2 + b_inf^2)."""
    v = _form_symbols()
    return v["Gamma"] * (v["a_inf"] ** 2 + v["b_inf"] ** 2)


def stated_rate(Gamma, a_inf, b_inf):
    """The stated linearised rate at the limit: Gamma (a_inf^2 + b_inf^2) (D3's statement)."""
    return _from_stated("zheng2024.D3", Gamma=Gamma, a_inf=a_inf, b_inf=b_inf)


def check_d3(stated=stated_rate):
    import sympy as sp

    from ..checks import check_identity
    from theory.dynamics import a_sym
    from theory.reduced_all_T import linearisation

    flow = flow_generic()
    J, eigen = linearisation(flow)
    nonzero = [e for e in eigen if e != 0]
    results = [check_identity(J.det(), 0, name="det J = 0 on the fixed-point curve (a neutral direction along it)")]
    if len(nonzero) != 1:
        from ..verdicts import inconclusive

        return inconclusive("linearisation", ALL_T, f"expected one non-zero eigenvalue (got {list(eigen)})")
    a0, b0 = _symbols()
    from theory.reduced_all_T import individual_limits

    a_inf, b_inf, _ = individual_limits(flow, a0, b0)
    rate = stated(flow.Gamma, a_sym, flow.u_star / a_sym)
    results.append(check_identity(-nonzero[0], rate, name="the transverse eigenvalue is -Gamma (a^2 + b^2)"))
    c = a0 ** 2 - b0 ** 2
    at_limit = sp.expand(stated(flow.Gamma, a_inf, b_inf) ** 2)
    results.append(check_identity(at_limit, sp.expand(flow.Gamma ** 2 * (c ** 2 + 4 * flow.u_star ** 2)),
                                  name="at the limit reached from (a_0, b_0): rate^2 = Gamma^2 (c^2 + 4 u*^2)"))
    return combine("linearised rate at the limit", results, "every positive Gamma, Lambda (so every T)",
                   eigenvalues=[e.xreplace(_counted()) for e in eigen])


register(Claim(
    id="zheng2024.D3",
    stated=_d3_stated,
    title="Linearised rate at the limit: Gamma (a_inf^2 + b_inf^2) = Gamma sqrt(c^2 + 4u*^2), one neutral direction",
    source=f"{SOURCE}; consequence of C3",
    hypotheses=["C2's conditions", "a_0 b_0 > 0"],
    statement=lambda: __import__("sympy").Eq(__import__("sympy").Symbol("rate"),
                                             stated_rate(flow_all_T().Gamma, *stated_individual_limits(
                                                 *_symbols(), _u_star()))),
    checks=[Check("Jacobian on the fixed-point curve (symbolic T)", ALL_T, check_d3)],
))


# ----------------------------------------------------------------------------- D4
def _d4_stated():
    """D4 as stated: u(tau) = u* u0 / (u0 + (u* - u0) exp(-2 Lambda tau)), time log((u*-u0)(1-eps)/(eps u0))/(2 Lambda)."""
    import sympy as sp

    v = _form_symbols()
    u_star, Lambda, u0, tau, eps = v["u_star"], v["Lambda"], v["u0"], v["tau"], v["eps"]
    return sp.Tuple(u_star * u0 / (u0 + (u_star - u0) * sp.exp(-2 * Lambda * tau)),
                    sp.log((u_star - u0) * (1 - eps) / (eps * u0)) / (2 * Lambda))


def stated_balanced(u_star, Lambda, u0, tau):
    """The stated balanced trajectory u(tau) = u* u0 / (u0 + (u* - u0) exp(-2 Lambda tau)) (D4's statement)."""
    return _from_stated("zheng2024.D4", u_star=u_star, Lambda=Lambda, u0=u0, tau=tau)[0]


def stated_time_to_fraction(u_star, Lambda, u0, eps):
    """The stated time to reach (1 - eps) u* from u0 < u*: log((u* - u0)(1 - eps)/(eps u0)) / (2 Lambda) (D4)."""
    return _from_stated("zheng2024.D4", u_star=u_star, Lambda=Lambda, u0=u0, eps=eps)[1]


def check_d4(stated=stated_balanced, stated_time=stated_time_to_fraction):
    import sympy as sp

    from ..checks import check_identity
    from theory.dynamics import tau
    from theory.reduced_all_T import balanced_trajectory, time_to_fraction

    flow = flow_generic()
    u0 = sp.Symbol("u_0", positive=True)
    eps = sp.Symbol("epsilon", positive=True)
    u_tau, rhs, residual = balanced_trajectory(flow, u0)
    results = [check_identity(residual, 0, name="the derived u(tau) solves du/dtau = 2 a a_dot on a = b"),
               check_identity(u_tau.subs(tau, 0), u0, name="u(0) = u_0"),
               check_identity(u_tau, stated(flow.u_star, flow.Lambda, u0, tau),
                              name="derived u(tau) = stated logistic")]
    times = time_to_fraction(u_tau, flow.u_star, eps)
    if len(times) != 1:
        from ..verdicts import inconclusive

        return inconclusive("balanced", ALL_T, f"expected one time to (1 - eps) u* (got {times})")
    L = flow.Lambda
    results.append(check_identity(sp.exp(2 * L * times[0]), sp.exp(2 * L * stated_time(flow.u_star, L, u0, eps)),
                                  name="time to (1 - eps) u* = stated (compared through exp(2 Lambda tau))"))
    return combine("balanced trajectory and time to tolerance", results,
                   "a_0 = b_0, u_0 = a_0^2; every positive Gamma, Lambda (so every T)",
                   u_of_tau=u_tau.xreplace(_counted()))


register(Claim(
    id="zheng2024.D4",
    stated=_d4_stated,
    title="Balanced start a_0 = b_0: u(tau) is logistic with rate 2 Lambda; time to (1 - eps) u* is "
          "log((u* - u_0)(1 - eps)/(eps u_0))/(2 Lambda)",
    source=f"{SOURCE}; spec C3 (the balanced solution is logistic)",
    hypotheses=["C2's conditions", "a_0 = b_0 > 0, u_0 = a_0^2 < u*"],
    statement=lambda: _trajectory_statement(),
    checks=[Check("logistic solution by the linear equation of 1/u (symbolic T)", ALL_T, check_d4)],
))


# ----------------------------------------------------------------------------- D5
def check_d5():
    import sympy as sp

    from ..checks import check_identity, check_inequality
    from theory.dynamics import a_sym, b_sym
    from theory.moments import KAPPA_SYMBOLS
    from theory.reduced_all_T import T_from_n, convergence_factor

    flow = flow_all_T()
    factor = convergence_factor(flow)
    positive = sp.Symbol("kappa_2", positive=True)
    return combine("convergence from every a_0 b_0 > 0", [
        check_identity(factor, flow.Gamma, name="du/dtau = Gamma (a^2 + b^2)(u* - u) (every T)"),
        check_inequality(T_from_n(flow.Gamma).subs(KAPPA_SYMBOLS[2], positive), ">",
                         name="Gamma > 0 for every T >= 3 (kappa_2 > 0)"),
        check_inequality(T_from_n(flow.u_star).subs(KAPPA_SYMBOLS[2], positive), ">",
                         name="u* > 0 for every T >= 3"),
        check_identity(a_sym ** 2 + b_sym ** 2 - 2 * a_sym * b_sym, (a_sym - b_sym) ** 2,
                       name="a^2 + b^2 >= 2ab = 2u")],
        "u' has the sign of u* - u, so u moves monotonically to u* and cannot cross it (nor 0); "
        "a^2 + b^2 >= 2 min(u_0, u*) > 0 bounds the rate below: ab -> u* exponentially from every a_0 b_0 > 0",
        gamma=flow.Gamma)


register(Claim(
    id="zheng2024.D5",
    title="Convergence from every a_0 b_0 > 0, for every T: du/dtau = Gamma (a^2 + b^2)(u* - u) with Gamma > 0",
    source=f"{SOURCE}; spec C4 (the sign argument on the u-equation)",
    hypotheses=["C2's conditions", "kappa_2 > 0 (z is not 0 almost surely)"],
    statement=_convergence_statement,
    checks=[Check("the sign argument for symbolic T", ALL_T, check_d5)],
))


# ----------------------------------------------------------------------------- A7: what A6 implies
A7_T_VALUES = (4, 8, 16, 32)


def _a6_diagonal_loss(T):
    """The exact diagonal loss L(a_1..a_3, b_1..b_3) of the A6 law at sequence length T (symbolic-T
    counting, moments substituted), as a SymPy expression, with its symbols."""
    from theory.zheng_patterns import T_sym, diagonal_loss_all_T

    from .zheng2024 import a6_law

    law = a6_law()
    dl = diagonal_loss_all_T(3)
    values = {}
    for s in dl.loss.free_symbols:
        if s.name.startswith("m_"):
            coords, powers = s.name[2:].split("_")
            values[s] = law.moment_of_abs({int(c) - 1: int(p) for c, p in zip(coords, powers)})
    return dl.loss.subs(values).subs(T_sym, T), dl.a, dl.b


def _diagonal_limit(T, start=0.5):
    """Integrate the diagonal flow (6 real parameters) of the A6 law from a = b = start; returns the
    end point, the gradient norm there, the limit loss and the best loss on M_{a,b}."""
    import numpy as np
    import sympy as sp
    from scipy.integrate import solve_ivp

    loss, a, b = _a6_diagonal_loss(T)
    params = (*a, *b)
    grad = [sp.diff(loss, p) for p in params]
    f = sp.lambdify([params], [-g for g in grad], modules="math", cse=True)
    jac = sp.lambdify([params], [[-sp.diff(g, q) for q in params] for g in grad], modules="math", cse=True)
    L = sp.lambdify([params], loss, modules="math", cse=True)
    sol = solve_ivp(lambda t, y: f(y), (0.0, 1e4), [start] * 6, method="LSODA", jac=lambda t, y: jac(y),
                    rtol=1e-11, atol=1e-13)
    end = sol.y[:, -1]
    u = sp.Symbol("u", real=True)
    scalar = sp.expand(loss.subs({**{s: 1 for s in a}, **{s: u for s in b}}))
    (u_best,) = sp.solve(sp.diff(scalar, u), u)
    return sol, end, float(np.linalg.norm(f(end))), float(L(end)), scalar.subs(u, u_best), u_best


def check_a7_diagonal_kept(T=4):
    """Off-diagonal gradient entries vanish at every diagonal point (the law satisfies (S))."""
    import sympy as sp

    from ..zero import check_zero
    from theory.causal_attention import manifold_AB
    from theory.zheng_population import population_derivatives

    from .zheng2024 import a6_law

    a = sp.symbols("a_1:4", real=True)
    b = sp.symbols("b_1:4", real=True)
    W_PV, W_KQ = manifold_AB(sp.diag(*a), sp.diag(*b))
    deriv = population_derivatives(3, T, W_PV, W_KQ, a6_law(), params=(*a, *b))
    off = [deriv.grad_KQ[3 + i, j] for i in range(3) for j in range(3) if i != j]
    off += [deriv.grad_PV[i, j] for i in range(3) for j in range(3) if i != j]
    from ..checks import check_nonzero

    size = {"d": 3, "T": T}
    return combine("the flow from a diagonal point stays diagonal", [
        check_zero("off-diagonal gradient entries vanish", off, Method.SYMBOLIC_AT_SIZES,
                   "off-diagonal gradient entries of W^KQ_21 and W^PV_11 at diag(a), diag(b)", sizes=size),
        check_nonzero(deriv.grad_KQ[3, 0], sizes=size, name="control: the diagonal entries do move")],
        "exact population gradient of the A6 law")


def check_a7_limits(T_values=A7_T_VALUES):
    import numpy as np

    from ..checks import check_close, check_float_less

    results, gaps = [], []
    for T in T_values:
        sol, end, gnorm, limit_loss, best_scalar, u_best = _diagonal_limit(T)
        if sol.status != 0:
            from ..verdicts import inconclusive

            return inconclusive("A7 limits", Method.NUMERIC_TOLERANCE, f"T={T}: integration failed: {sol.message}")
        u = end[:3] * end[3:]
        results.append(check_close(gnorm, 0.0, rtol=0.0, atol=1e-8, name=f"T={T}: converged (|grad L| at the end)"))
        if T == T_values[0]:
            results.append(check_float_less(1e-3, float(np.ptp(u)), margin=0.0,
                                            name=f"T={T}: unequal products a_j b_j = {np.round(u, 5).tolist()}"))
        gap = float(best_scalar) - limit_loss
        gaps.append(gap / float(best_scalar))
        results.append(check_float_less(limit_loss, float(best_scalar), margin=1e-9,
                                        name=f"T={T}: limit loss below the best point of M_(a,b)"))
    for k in range(len(gaps) - 1):
        results.append(check_float_less(gaps[k + 1], gaps[k], margin=0.0,
                                        name=f"relative gap shrinks from T={T_values[k]} to T={T_values[k + 1]}"))
    return combine("diagonal flow of the A6 law", results,
                   "relative gaps " + ", ".join(f"T={T}: {g:.2e}" for T, g in zip(T_values, gaps)))


register(Claim(
    id="zheng2024.A7",
    title="What A6 implies: for a law with (S), (E) but unequal column sums the flow stays diagonal yet ends "
          "at unequal a_j b_j (a preconditioned step, not vanilla GD), below the best point of M_(a,b); "
          "the gap shrinks as T grows",
    source=f"{SOURCE}; consequence of Assumption 4.1 as reconstructed in our spec (finding of this toolkit)",
    hypotheses=["the exact discrete law of zheng2024.A6 (d = 3): (S) and (E) hold, column sums depend on j",
                "i != j; u_j = lim a_j b_j; L_inf the loss at the limit of the diagonal flow",
                "start a = b = (1/2, 1/2, 1/2)"],
    statement=_a7_statement,
    checks=[Check("diagonal kept (exact, d = 3, T = 4)", Method.SYMBOLIC_AT_SIZES, check_a7_diagonal_kept),
            Check("limits, losses and the gap for T = 4, 8, 16, 32 (exact loss, LSODA flow)",
                  Method.NUMERIC_TOLERANCE, check_a7_limits)],
    description="The diagonal loss for symbolic T (index-pattern counting with one moment per coordinate "
                "assignment) is evaluated with the law's exact moments; its gradient flow in the six diagonal "
                "entries is integrated with LSODA and an analytic Jacobian.",
))
