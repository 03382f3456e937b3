"""Zhang, Frei and Bartlett 2024, *Trained Transformers Learn Linear Models In-Context* (JMLR 25(49);
arXiv 2306.09927): the gradient-flow dynamics of one linear self-attention layer.

Everything here goes through the public API only: the model and the task are described with
``theory.LinearAttention`` and ``theory.InContextRegression``; the population loss, its gradient, the
flow, its restriction to the paper's manifold, conserved quantities and fixed points come from the
pipeline (``theory.population_loss``, ``gradient_flow``, ``Manifold``, ``conserved_quantities``,
``fixed_points``); the numerical integration from ``numerics.integrate_flow``; every verdict from the
public checks of :mod:`proofs_check`. The paper's closed forms are the *stated* forms (``Claim.stated``),
written once as matrix expressions in Gamma, Lambda, U_11, u and N, and instantiated at each size.

Conventions (paper Sec. 3): E = [[x_1 .. x_N, x_q], [y_1 .. y_N, 0]], f(E) = E + W^{PV} E (E^T W^{KQ} E)/N,
yhat = f(E)_{d+1, N+1}; x_i, x_q ~ N(0, Lambda) iid, w ~ N(0, I_d), y_i = <w, x_i> (no noise);
L = (1/2) E (yhat - <w, x_q>)^2; Gamma = (1 + 1/N) Lambda + tr(Lambda)/N I_d. Lambda is taken diagonal
(any covariance reduces to it by a rotation, which the model and the manifold commute with).

What we could read of the paper: the arXiv HTML copy available to us (``search`` pages corpus, a Markdown
rendering of arxiv.org/html/2306.09927) and the JMLR text expose only the opening (abstract, table of
contents); the numbering cited below (Lemma 5.1 "equivalence to a quadratic optimization problem", Lemma 5.2
"dynamical system of gradient flow", Appendix A.2's steps "u_12 and u_21 vanish", "dynamics of U_11",
"dynamics of u", Theorem 4.1, Sec. 4.2 "query shifts" / "covariate shifts") is from that table of contents;
the equations are those of spec related.md, and every one is re-derived here from the model rather than
transcribed. Convention differences with the paper: (i) the paper's E E^T / N includes the query column
(x_q; 0) in the sum, the pipeline's S sums the N context tokens only; on the manifold the two predictions are
equal (the query's y-entry is 0 and the value row is (0, u)), so F1-F6 do not depend on it; off the
manifold they differ, and the invariance of F1 is shown for the pipeline's model. (ii) The paper's ell of
Lemma 5.1 drops the constant L(0) = tr(Lambda)/2 (F4 derives it). (iii) Test prompts have the training
length N (the paper allows a test length M; its limits take N, M -> oo together).

No SymPy import at module level (``mesacheck list`` must stay fast).
"""
from __future__ import annotations

from functools import lru_cache

from proofs_check import Check, Claim, Method, combine, register

SOURCE = "Zhang, Frei, Bartlett 2024 (JMLR 25(49)), arXiv 2306.09927"
DIMENSIONS = (1, 2)
HYPOTHESES = ["x_i, x_q ~ N(0, Lambda) iid (Lambda diagonal, positive), w ~ N(0, I_d), y_i = <w, x_i>",
              "one linear self-attention layer, merged W^{KQ}, value row of W^{PV}; normaliser N",
              "loss L = (1/2) E (yhat - <w, x_q>)^2; gradient flow d theta/dt = -grad L",
              "Gamma = (1 + 1/N) Lambda + tr(Lambda)/N I_d"]


# ----------------------------------------------------------------------------- the model, once
def _names():
    """The named symbols of the stated forms (matrix symbols of symbolic size d)."""
    import sympy as sp

    d = sp.Symbol("d", integer=True, positive=True)
    N = _N()
    from theory import SYMBOLS

    return {"d": d, "N": N, "u": SYMBOLS["u"], "c": SYMBOLS["c"],
            "Gamma": sp.MatrixSymbol("Gamma", d, d), "Lambda": sp.MatrixSymbol("Lambda", d, d),
            "U": sp.MatrixSymbol("U", d, d)}  # U = U_11 (a bare name: U^T prints)


def _N():
    from theory import SYMBOLS

    return SYMBOLS["N"]


def _lambdas(D):
    import sympy as sp

    return tuple(sp.Symbol(f"lambda_{i + 1}", positive=True) for i in range(D))


@lru_cache(maxsize=None)
def setup(D: int):
    """The paper's model, task, population loss, flow and manifold at dimension ``D`` (symbolic N).

    Returns
    -------
    dict
        ``model, task, loss, flow, reduced, u, U`` (U: the D x D block U_11 of W^{KQ} as a Matrix of
        symbols), ``Lambda`` (diagonal Matrix of lambda_i).
    """
    import sympy as sp

    from theory import InContextRegression, LinearAttention, Manifold, gradient_flow, population_loss

    lam = _lambdas(D)
    model = LinearAttention(D=D, heads=1, parametrisation="merged")
    task = InContextRegression(D=D, covariance=list(lam))
    loss = population_loss(model, task, N=_N(), scale=sp.Rational(1, 2))
    flow = gradient_flow(loss)
    u = _names()["u"]
    U = sp.Matrix(D, D, lambda i, j: sp.Symbol(f"U_{i + 1}{j + 1}", real=True))
    kq_name, v_name = _block_names(model)
    W_KQ = sp.zeros(D + 1, D + 1)
    W_KQ[:D, :D] = U
    v = sp.zeros(D + 1, 1)
    v[D, 0] = u
    manifold = Manifold(model, {kq_name: W_KQ, v_name: v}, variables=(u, *U))
    reduced = manifold.restrict(flow)
    return {"model": model, "task": task, "loss": loss, "flow": flow, "reduced": reduced, "manifold": manifold,
            "u": u, "U": U, "Lambda": sp.diag(*lam), "lambdas": lam}


def _block_names(model):
    """The names of W^{KQ} and of the value row of the one head, from the model's parameters."""
    names = list(model.parameters)
    kq = [n for n in names if n.upper().startswith("W_KQ")]
    v = [n for n in names if n.startswith("v")]
    if len(kq) != 1 or len(v) != 1:
        raise ValueError(f"expected one W_KQ block and one value row, got parameters {names}")
    return kq[0], v[0]


def _explicit(expr, env):
    """Instantiate a stated form: ``env`` maps matrix-symbol names to matrices and symbols to values."""
    from theory import instantiate

    matrices = {k: v for k, v in env.items() if isinstance(k, str)}
    scalars = {k: v for k, v in env.items() if not isinstance(k, str)}
    return instantiate(expr, matrices, scalars)


def _environment(D, stated_gamma=None):
    """Lambda, Gamma (from the stated definition), U_11, u and N for the instantiation at size D."""
    s = setup(D)
    names = _names()
    env = {"Lambda": s["Lambda"], "U": s["U"], names["u"]: s["u"], names["d"]: D}
    gamma_form = stated_gamma if stated_gamma is not None else _gamma_form()
    env["Gamma"] = _explicit(gamma_form, env)
    return env


def _gamma_form():
    import sympy as sp

    n = _names()
    return (1 + 1 / n["N"]) * n["Lambda"] + sp.Trace(n["Lambda"]) / n["N"] * sp.Identity(n["d"])


def _reduced_rhs(D):
    """The derived reduced flow as (du/dt, dU_11/dt Matrix)."""
    import sympy as sp

    s = setup(D)
    rhs = s["reduced"].rhs
    return rhs[s["u"]], sp.Matrix(D, D, lambda i, j: rhs[s["U"][i, j]])


def _stated(claim_id):
    import sympy as sp

    from proofs_check import stated

    return tuple(sp.sympify(stated(claim_id)))


def _sizes_check(name, per_size, dimensions, scope):
    results = []
    for D in dimensions:
        result = per_size(D)
        results.append(result)
        if result.status.value != "VERIFIED":
            break
    return combine(name, results, scope + f"; at d in {list(dimensions)}, symbolic N")


# ----------------------------------------------------------------------------- F1: the reduced flow
def _flow_stated():
    """Lemma 5.2 as stated: du/dt = -u tr(Gamma Lambda U Lambda U^T) + tr(Lambda^2 U),
    dU/dt = -u^2 Gamma Lambda U Lambda + u Lambda^2; and Gamma's definition."""
    import sympy as sp

    n = _names()
    G, L, U, u = n["Gamma"], n["Lambda"], n["U"], n["u"]
    du = -u * sp.Trace(G * L * U * L * U.T) + sp.Trace(L ** 2 * U)
    dU = -u ** 2 * G * L * U * L + u * L ** 2
    return sp.Tuple(du, dU, _gamma_form())


def check_invariance(dimensions=DIMENSIONS):
    from proofs_check import check_invariant

    def one(D):
        return check_invariant(setup(D)["reduced"], name=f"off-manifold velocity vanishes, d = {D}")

    return _sizes_check("manifold invariant", one, dimensions,
                        "every off-manifold component of the flow is 0 on the manifold")


def check_reduced_ode(dimensions=DIMENSIONS):
    from proofs_check import check_identity

    def one(D):
        import sympy as sp

        du_form, dU_form, gamma_form = _stated("zfb2024.F1")
        env = _environment(D, gamma_form)
        du, dU = _reduced_rhs(D)
        lhs = sp.Matrix([du, *dU])
        rhs = sp.Matrix([_explicit(du_form, env), *_explicit(dU_form, env)])
        return check_identity(lhs, rhs, sizes={"d": D}, name=f"reduced ODE, d = {D}")

    return _sizes_check("reduced ODE = Lemma 5.2", one, dimensions,
                        "the derived reduced flow equals the stated ODE entry by entry")


def _flow_statement():
    import sympy as sp

    du, dU, gamma = _stated("zfb2024.F1")
    n = _names()
    return (sp.Eq(sp.Symbol(r"\dot{u}"), du, evaluate=False),
            sp.Eq(sp.MatrixSymbol(r"\dot{U}", n["d"], n["d"]), dU, evaluate=False),
            sp.Eq(n["Gamma"], gamma, evaluate=False))


register(Claim(
    id="zfb2024.F1",
    stated=_flow_stated,
    title="ZFB reduced flow: the manifold W^PV = diag(0, u), W^KQ = diag(U_11, 0) is invariant and the flow on "
          "it is Lemma 5.2's ODE (every N; d = 1, 2)",
    source=SOURCE + ", Lemma 5.2 (Sec. 5.2) and Appendix A.2",
    hypotheses=HYPOTHESES + ["W^{PV} = [[0, 0], [0, u]], W^{KQ} = [[U_11, 0], [0, 0]] (U_11 any d x d matrix)"],
    statement=_flow_statement,
    checks=[Check("manifold invariant", Method.SYMBOLIC_AT_SIZES, check_invariance, parameters=("d",),
                  sized=lambda d=1: check_invariance(dimensions=(d,))),
            Check("reduced ODE = Lemma 5.2", Method.SYMBOLIC_AT_SIZES, check_reduced_ode, parameters=("d",),
                  sized=lambda d=1: check_reduced_ode(dimensions=(d,)))],
    description="The pipeline derives the population loss of the one-layer model for symbolic N, its gradient "
                "flow, and restricts it to the paper's manifold; the off-manifold residuals must vanish "
                "identically, and the reduced right-hand side is compared with the stated ODE instantiated at d.",
))


# ----------------------------------------------------------------------------- F2: the conserved quantity
def _conserved_stated():
    """u^2 - ||U_11||_F^2 is constant along the flow."""
    import sympy as sp

    n = _names()
    return n["u"] ** 2 - sp.Trace(n["U"] * n["U"].T)


def check_conserved_rate(dimensions=DIMENSIONS):
    from proofs_check import check_conserved

    def one(D):
        q = _explicit(_stated_single("zfb2024.F2"), _environment(D))
        return check_conserved(setup(D)["reduced"], q, name=f"d/dt (u^2 - ||U_11||^2) = 0, d = {D}")

    return _sizes_check("conserved along the flow", one, dimensions,
                        "the time derivative of the stated quantity along the derived reduced flow is 0")


def check_found_by_ansatz(dimensions=DIMENSIONS):
    """The stated quantity lies in the span of what ``conserved_quantities`` finds (degree 2 ansatz)."""
    import sympy as sp

    from proofs_check import check_identity
    from theory import conserved_quantities

    def one(D):
        s = setup(D)
        found = [sp.sympify(q) for q in conserved_quantities(s["reduced"], degree=2)]
        q = sp.expand(_explicit(_stated_single("zfb2024.F2"), _environment(D)))
        cs = sp.symbols(f"k_0:{len(found)}")
        combination = sum((c * f for c, f in zip(cs, found)), sp.Integer(0))
        variables = [s["u"], *s["U"]]
        equations = sp.Poly(sp.expand(q - combination), *variables).coeffs() if found else []
        solution = sp.solve(equations, cs, dict=True) if found else []
        best = combination.xreplace({c: 0 for c in cs}) if not solution else \
            combination.xreplace(solution[0]).xreplace({c: 0 for c in cs})
        return check_identity(q, sp.expand(best), sizes={"d": D},
                              name=f"u^2 - ||U_11||^2 in the span of the {len(found)} found, d = {D}")

    return _sizes_check("found by conserved_quantities", one, dimensions,
                        "the stated quantity is a combination of the conserved quantities the degree-2 ansatz finds")


def _stated_single(claim_id):
    import sympy as sp

    from proofs_check import stated

    return sp.sympify(stated(claim_id))


def _conserved_statement():
    import sympy as sp

    t = sp.Symbol("t")
    return sp.Eq(sp.Derivative(sp.Function("q")(t), t), 0, evaluate=False), \
        sp.Eq(sp.Function("q")(t), _stated_single("zfb2024.F2"), evaluate=False)


register(Claim(
    id="zfb2024.F2",
    stated=_conserved_stated,
    title="ZFB conserved quantity: u^2 - ||U_11||_F^2 is constant along the reduced flow (found by the ansatz; "
          "every N; d = 1, 2)",
    source=SOURCE + ", Sec. 5.2 and Appendix A.2 (the balance u^2 = ||U_11||_F^2 kept from the initialisation, "
                    "spec related.md)",
    hypotheses=HYPOTHESES + ["the flow of zfb2024.F1 on the manifold"],
    statement=_conserved_statement,
    checks=[Check("conserved along the flow", Method.SYMBOLIC_AT_SIZES, check_conserved_rate, parameters=("d",),
                  sized=lambda d=1: check_conserved_rate(dimensions=(d,))),
            Check("found by conserved_quantities", Method.SYMBOLIC_AT_SIZES, check_found_by_ansatz,
                  parameters=("d",), sized=lambda d=1: check_found_by_ansatz(dimensions=(d,)))],
    description="The time derivative of the stated quantity along the derived reduced flow must vanish "
                "identically; independently, theory.conserved_quantities (a degree-2 polynomial ansatz) must find "
                "it: the stated quantity is matched against the span of what the ansatz returns.",
))


# ----------------------------------------------------------------------------- F3: the limit
def _limit_stated():
    """Theorem 4.1: W^{KQ}_* = tr(Gamma^{-2})^{-1/4} diag(Gamma^{-1}, 0), W^{PV}_* = tr(Gamma^{-2})^{1/4} diag(0, 1);
    hence u U_11 -> Gamma^{-1}."""
    import sympy as sp

    n = _names()
    G = n["Gamma"]
    return sp.Tuple(sp.Trace(G ** -2) ** sp.Rational(-1, 4) * G ** -1, sp.Trace(G ** -2) ** sp.Rational(1, 4),
                    G ** -1, _gamma_form())


def _limit_point(D):
    """(u_*, U_*, product_*) instantiated from the stated forms at size D."""
    U_form, u_form, product_form, gamma_form = _stated("zfb2024.F3")
    env = _environment(D, gamma_form)
    return _explicit(u_form, env), _explicit(U_form, env), _explicit(product_form, env)


def _at(expr, D, u_value, U_value):
    s = setup(D)
    values = {s["u"]: u_value, **{s["U"][i, j]: U_value[i, j] for i in range(D) for j in range(D)}}
    return expr.xreplace(values)


def check_stationary(dimensions=DIMENSIONS):
    from proofs_check import check_fixed_point

    def one(D):
        s = setup(D)
        u_star, U_star, _ = _limit_point(D)
        point = {s["u"]: u_star, **dict(zip(s["U"], U_star))}
        return check_fixed_point(s["reduced"], point, name=f"flow vanishes at W_*, d = {D}")

    return _sizes_check("the stated W_* is a fixed point", one, dimensions,
                        "the derived reduced flow vanishes at the stated limit")


def check_balanced(dimensions=DIMENSIONS):
    from proofs_check import check_identity

    def one(D):
        u_star, U_star, _ = _limit_point(D)
        return check_identity(u_star ** 2, (U_star * U_star.T).trace(), sizes={"d": D},
                              name=f"u_*^2 = ||U_*||_F^2, d = {D}")

    return _sizes_check("W_* on the balanced level set", one, dimensions,
                        "the stated limit keeps the conserved u^2 - ||U_11||^2 at its initial value 0")


def fixed_curve(D):
    """Solve the derived dU_11/dt = 0 for U_11 with u != 0 (linear in U_11): the unique solution, or None."""
    import sympy as sp

    s = setup(D)
    _, dU = _reduced_rhs(D)
    entries = list(s["U"])
    equations = [sp.expand(e / s["u"]) for e in dU]  # dU_11/dt has the factor u (see the stated ODE)
    solution = sp.solve(equations, entries, dict=True)
    if len(solution) != 1 or set(solution[0]) != set(entries):
        return None
    return sp.Matrix(D, D, lambda i, j: solution[0][s["U"][i, j]])


def check_fixed_product(dimensions=DIMENSIONS):
    import sympy as sp

    from proofs_check import CheckResult, Status, check_identity
    from theory import fixed_points

    def one(D):
        s = setup(D)
        curve = fixed_curve(D)
        _, _, product_star = _limit_point(D)
        if curve is None:   # undecided, not refuted: SymPy found no unique solution of a linear system
            return CheckResult(f"fixed points, d = {D}", Status.INCONCLUSIVE, Method.SYMBOLIC_AT_SIZES,
                               reason="solving dU_11/dt = 0 for U_11 (u != 0) gave no unique solution")
        du, _ = _reduced_rhs(D)
        product = check_identity(sp.expand(s["u"] * curve).applyfunc(sp.cancel), product_star, sizes={"d": D},
                                 name=f"u U_11 = Gamma^(-1) at every fixed point with u != 0, d = {D}")
        also_u = check_identity(sp.cancel(_at(du, D, s["u"], curve)), 0, sizes={"d": D},
                                name=f"du/dt = 0 on that curve, d = {D}")
        fp = fixed_points(s["reduced"])
        detail = f"theory.fixed_points: {fp.status} ({fp.reason})"
        return combine(f"fixed points, d = {D}", [product, also_u], detail)

    return _sizes_check("u U_11 = Gamma^{-1} at every fixed point with u != 0", one, dimensions,
                        "dU_11/dt = 0 solved for U_11 (linear for u != 0): one curve, on which u U_11 is the stated "
                        "product whatever u, hence whatever the initialisation")


#: The numerical instance: Lambda = diag(1, 2), N = 4 (Gamma = diag(2, 13/4)); ZFB's condition
#: sigma^2 ||Gamma||_op sqrt(d) < 2 holds for sigma <= 0.3.
NUMERIC_LAMBDA, NUMERIC_N = (1, 2), 4


def _numeric_flow(D=2):
    """The derived reduced flow lambdified at the numerical instance, with its Jacobian."""
    import numpy as np
    import sympy as sp

    s = setup(D)
    variables = [s["u"], *s["U"]]
    du, dU = _reduced_rhs(D)
    rates = sp.Matrix([du, *dU])
    values = {**dict(zip(s["lambdas"], NUMERIC_LAMBDA[:D])), _N(): NUMERIC_N}
    rates = rates.xreplace(values)
    jac = rates.jacobian(variables)
    f = sp.lambdify([variables], list(rates), "numpy")
    J = sp.lambdify([variables], jac.tolist(), "numpy")
    return (lambda t, y: np.asarray(f(y), dtype=float)), (lambda t, y: np.asarray(J(y), dtype=float)), values


def check_numeric_limit(D=2):
    """Integrate the derived flow from two balanced initialisations (different Theta, sigma) and one
    unbalanced one; the balanced runs end at the stated W_*, all three at the stated product."""
    import numpy as np
    import sympy as sp

    from numerics import integrate_flow
    from proofs_check import check_close, check_float_less

    rhs, jac, values = _numeric_flow(D)
    u_star, U_star, product_star = _limit_point(D)
    u_num = float(u_star.xreplace(values))
    U_num = np.array(U_star.xreplace(values).tolist(), dtype=float)
    P_num = np.array(product_star.xreplace(values).tolist(), dtype=float)
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((D, D))
    inits = []
    for sigma, Theta in ((0.1, np.eye(D)), (0.3, theta)):
        TT = Theta @ Theta.T
        TT = TT / np.linalg.norm(TT)                        # ||Theta Theta^T||_F = 1 (the paper's Assumption)
        inits.append(("balanced", sigma, np.concatenate([[sigma], (sigma * TT).ravel()])))
    inits.append(("unbalanced", 0.5, np.concatenate([[0.5], (0.1 * np.eye(D)).ravel()])))
    results = []
    for kind, sigma, y0 in inits:
        run = integrate_flow(rhs, y0, t_max=1e4, jac=jac, grad_tol=1e-10)
        if run.status != "converged":
            results.append(check_close([np.nan], [0.0], rtol=1e-6, name=f"{kind} run ({run.status}: {run.message})"))
            continue
        u_end, U_end = run.y_final[0], run.y_final[1:].reshape(D, D)
        results.append(check_close(u_end * U_end, P_num, rtol=1e-6, atol=1e-8,
                                   name=f"{kind} init (sigma = {sigma}): u U_11 -> Gamma^(-1)",
                                   what="integrator rtol 1e-10, stop at ||grad|| = 1e-10: error ~ 1e-8"))
        if kind == "unbalanced":
            q0, q_end = y0[0] ** 2 - np.sum(y0[1:] ** 2), u_end ** 2 - np.sum(U_end ** 2)
            results.append(check_close(q_end, q0, rtol=1e-6, atol=1e-8,
                                       name="unbalanced init: u^2 - ||U_11||^2 kept (so its W limit is not W_*)"))
            results.append(check_float_less(1e-3, abs(u_end - u_num), margin=0.0,
                                            name="unbalanced init: u(oo) differs from u_*"))
        if kind == "balanced":
            W_end = np.concatenate([[u_end], U_end.ravel()])
            results.append(check_close(W_end, np.concatenate([[u_num], U_num.ravel()]), rtol=1e-6, atol=1e-8,
                                       name=f"balanced init (sigma = {sigma}): (u, U_11) -> W_*"))
    return combine("two initialisations, one limit", results,
                   f"LSODA with the derived Jacobian at Lambda = diag{NUMERIC_LAMBDA[:D]}, N = {NUMERIC_N}: "
                   + "; ".join(f"{r.name}: {r.detail}" for r in results))


def _limit_statement():
    import sympy as sp

    U_form, u_form, product_form, gamma = _stated("zfb2024.F3")
    n = _names()
    W_KQ, W_PV = sp.MatrixSymbol(r"W^{KQ}_{*,11}", n["d"], n["d"]), sp.Symbol(r"W^{PV}_{*,22}")
    return (sp.Eq(W_KQ, U_form, evaluate=False), sp.Eq(W_PV, u_form, evaluate=False),
            sp.Eq(sp.Symbol("u_*") * sp.MatrixSymbol("U_*", n["d"], n["d"]), product_form, evaluate=False),
            sp.Eq(n["Gamma"], gamma, evaluate=False))


register(Claim(
    id="zfb2024.F3",
    stated=_limit_stated,
    title="ZFB limit: u U_11 -> Gamma^{-1} whatever the initialisation; from the balanced initialisation "
          "W^KQ_* = tr(Gamma^{-2})^{-1/4} diag(Gamma^{-1}, 0), W^PV_* = tr(Gamma^{-2})^{1/4} diag(0, 1)",
    source=SOURCE + ", Theorem 4.1 (Sec. 4.1) and Lemma 5.4",
    hypotheses=HYPOTHESES + ["W^{PV}(0) = sigma diag(0, 1), W^{KQ}(0) = sigma diag(Theta Theta^T, 0), "
                             "||Theta Theta^T||_F = 1 (balanced: u^2 = ||U_11||_F^2 at t = 0)",
                             "numerical check: Lambda = diag(1, 2), N = 4, sigma in {0.1, 0.3}"],
    statement=_limit_statement,
    checks=[Check("the stated W_* is a fixed point", Method.SYMBOLIC_AT_SIZES, check_stationary, parameters=("d",),
                  sized=lambda d=1: check_stationary(dimensions=(d,))),
            Check("W_* on the balanced level set", Method.SYMBOLIC_AT_SIZES, check_balanced, parameters=("d",),
                  sized=lambda d=1: check_balanced(dimensions=(d,))),
            Check("u U_11 = Gamma^{-1} at every fixed point with u != 0", Method.SYMBOLIC_AT_SIZES,
                  check_fixed_product, parameters=("d",), sized=lambda d=1: check_fixed_product(dimensions=(d,))),
            Check("two initialisations, one limit", Method.NUMERIC_TOLERANCE, check_numeric_limit)],
    description="The derived reduced flow must vanish at the stated W_*, which must lie on the balanced level set "
                "u^2 = ||U_11||_F^2 of the conserved quantity (zfb2024.F2) where the paper's initialisation starts; "
                "solving the derived dU_11/dt = 0 for u != 0 gives one curve of fixed points on which u U_11 is the "
                "stated Gamma^{-1}, so the product's limit does not depend on the initialisation (the individual "
                "limits do, through the conserved quantity). Numerically: the derived flow integrated from two "
                "balanced and one unbalanced initialisation.",
))


# ----------------------------------------------------------------------------- F4: the minimum of the objective
def _minimum_stated():
    """Lemma 5.1: L = ell(u, U_11) + tr(Lambda)/2, min ell = -(1/2) tr(Lambda^2 Gamma^{-1})."""
    import sympy as sp

    n = _names()
    return sp.Tuple(-sp.Rational(1, 2) * sp.Trace(n["Lambda"] ** 2 * n["Gamma"] ** -1), _gamma_form())


def loss_on_manifold(D):
    """The derived population loss with the manifold's values substituted: a function of (u, U_11)."""
    s = setup(D)
    return s["loss"].at(s["manifold"].point())


def check_minimum_value(dimensions=DIMENSIONS):
    import sympy as sp

    from proofs_check import check_identity

    def one(D):
        form, gamma_form = _stated("zfb2024.F4")
        env = _environment(D, gamma_form)
        loss = loss_on_manifold(D)
        curve = fixed_curve(D)
        s = setup(D)
        at_min = _at(loss, D, sp.Integer(1), curve.xreplace({s["u"]: 1}))
        at_zero = _at(loss, D, sp.Integer(0), sp.zeros(D, D))
        return check_identity(sp.cancel(at_min - at_zero), _explicit(form, env), sizes={"d": D},
                              name=f"L(min) - L(0) = -(1/2) tr(Lambda^2 Gamma^-1), d = {D}")

    return _sizes_check("the minimum value", one, dimensions,
                        "the derived loss at the fixed curve minus the loss at 0 equals the stated minimum")


def check_global(dimensions=DIMENSIONS):
    """L(u, U) - L_min = (1/2) tr(Gamma Lambda (H - Gamma^-1) Lambda (H - Gamma^-1)^T), H = u U: a sum of squares
    with positive weights, so the stated minimum is the global minimum on the manifold."""
    import sympy as sp

    from proofs_check import check_identity, check_inequality

    def one(D):
        s = setup(D)
        form, gamma_form = _stated("zfb2024.F4")
        env = _environment(D, gamma_form)
        Gm, Lm = env["Gamma"], env["Lambda"]
        loss = loss_on_manifold(D)
        at_zero = _at(loss, D, sp.Integer(0), sp.zeros(D, D))
        E = s["u"] * s["U"] - Gm.inv()
        square = sp.Rational(1, 2) * (Gm * Lm * E * Lm * E.T).trace()
        identity = check_identity(sp.expand(loss), sp.expand(at_zero + _explicit(form, env) + square),
                                  sizes={"d": D}, name=f"L - L_min is the weighted square, d = {D}")
        weights = [check_inequality(sp.cancel(Gm[i, i] * Lm[i, i] * Lm[j, j]), ">", name=f"weight {i + 1}{j + 1} > 0")
                   for i in range(D) for j in range(D)]
        return combine(f"global minimum, d = {D}", [identity, *weights], "positive weights")

    return _sizes_check("global minimum on the manifold", one, dimensions,
                        "L - L_min = (1/2) sum_ij gamma_i lambda_i lambda_j (u U_11 - Gamma^-1)_ij^2 with positive "
                        "weights")


def _minimum_statement():
    import sympy as sp

    form, gamma = _stated("zfb2024.F4")
    n = _names()
    return (sp.Eq(sp.Symbol(r"\min \ell") , form, evaluate=False), sp.Eq(n["Gamma"], gamma, evaluate=False))


register(Claim(
    id="zfb2024.F4",
    stated=_minimum_stated,
    title="ZFB minimum of the objective: L - L(0) = -(1/2) tr(Lambda^2 Gamma^{-1}) at u U_11 = Gamma^{-1}, the "
          "global minimum on the manifold (every N; d = 1, 2)",
    source=SOURCE + ", Lemma 5.1 (Sec. 5.1) and Appendix A.1",
    hypotheses=HYPOTHESES + ["the paper's ell drops the constant L(0) = tr(Lambda)/2 (derived here, not assumed)"],
    statement=_minimum_statement,
    checks=[Check("the minimum value", Method.SYMBOLIC_AT_SIZES, check_minimum_value, parameters=("d",),
                  sized=lambda d=1: check_minimum_value(dimensions=(d,))),
            Check("global minimum on the manifold", Method.SYMBOLIC_AT_SIZES, check_global, parameters=("d",),
                  sized=lambda d=1: check_global(dimensions=(d,)))],
    description="The derived loss on the manifold, at the fixed curve of zfb2024.F3 minus its value at 0, is "
                "compared with the stated minimum; the derived loss minus its minimum is shown to be a sum of "
                "squares of the entries of u U_11 - Gamma^{-1} with positive weights.",
))


# ----------------------------------------------------------------------------- F5: the trained predictor
def _predictor_stated():
    """Theorem 4.1: yhat = x_q^T Gamma^{-1} (1/N) sum_i y_i x_i (preconditioned GD with P = Gamma^{-1})."""
    import sympy as sp

    n = _names()
    return sp.Tuple(n["Gamma"] ** -1, _gamma_form())


def check_predictor(dimensions=DIMENSIONS):
    import sympy as sp

    from proofs_check import check_prediction
    from theory import preconditioned_gd

    def one(D):
        s = setup(D)
        P_form, gamma_form = _stated("zfb2024.F5")
        env = _environment(D, gamma_form)
        u_star, U_star, _ = _limit_point(D)
        kq_name, v_name = _block_names(s["model"])
        W_KQ = sp.zeros(D + 1, D + 1)
        W_KQ[:D, :D] = U_star
        v = sp.zeros(D + 1, 1)
        v[D, 0] = u_star
        algorithm = preconditioned_gd(_explicit(P_form, env))
        return check_prediction(s["model"], {kq_name: W_KQ, v_name: v}, algorithm, N=_N(),
                                name=f"trained yhat = preconditioned GD, d = {D}")

    return _sizes_check("trained predictor = preconditioned GD", one, dimensions,
                        "the model at the stated W_* minus x_q^T P (1/N) sum y_i x_i with the stated P")


register(Claim(
    id="zfb2024.F5",
    stated=_predictor_stated,
    title="ZFB trained predictor: at W_*, yhat = x_q^T Gamma^{-1} (1/N) sum_i y_i x_i (every N; d = 1, 2)",
    source=SOURCE + ", Theorem 4.1 (the prediction of the trained transformer)",
    hypotheses=HYPOTHESES + ["weights at the limit W_* of zfb2024.F3; test prompt of the training length N"],
    statement=lambda: _predictor_statement(),
    checks=[Check("trained predictor = preconditioned GD", Method.SYMBOLIC_AT_SIZES, check_predictor,
                  parameters=("d",), sized=lambda d=1: check_predictor(dimensions=(d,)))],
    description="theory.prediction_difference of the model at the stated limit and preconditioned GD with the "
                "stated preconditioner must be identically 0 in the data symbols.",
))


def _predictor_statement():
    import sympy as sp

    P_form, gamma = _stated("zfb2024.F5")
    n = _names()
    return (sp.Eq(sp.MatrixSymbol("P", n["d"], n["d"]), P_form, evaluate=False),
            sp.Eq(n["Gamma"], gamma, evaluate=False))


# ----------------------------------------------------------------------------- F6: covariate shift
def _shift_stated():
    """Sec. 4.2: tested on x_i, x_q ~ N(0, c^2 Lambda), yhat ~ c^2 <w, x_q> for large N; a query-only shift
    x_q ~ N(0, c^2 Lambda) is tolerated, yhat ~ <w, x_q>; the risk's limit under the covariate shift."""
    import sympy as sp

    n = _names()
    c = n["c"]
    return sp.Tuple(c ** 2, sp.Integer(1),
                    sp.Rational(1, 2) * c ** 2 * (c ** 2 - 1) ** 2 * sp.Trace(n["Lambda"]))


@lru_cache(maxsize=None)
def shifted_moments(D, shift):
    """``(E yhat^2, E yhat y_q, E y_q^2)`` of the trained model on the shifted test law (symbolic N, c).

    The trained model is the point u = 1, U_11 = Gamma^{-1} of the derived fixed curve (zfb2024.F3): the
    prediction depends on the weights only through u U_11. The three moments are read off the derived
    test loss at the weights scaled by s, 2 L(s) = s^2 E yhat^2 - 2 s E yhat y_q + E y_q^2.

    shift : "covariate" (x_i and x_q ~ N(0, c^2 Lambda)) or "query" (x_q only, the pipeline's query_covariance).
    """
    import sympy as sp

    from theory import InContextRegression, population_loss

    st = setup(D)
    c = _names()["c"]
    lam = list(st["lambdas"])
    shifted = [c ** 2 * l for l in lam]
    task = InContextRegression(D=D, covariance=shifted) if shift == "covariate" else \
        InContextRegression(D=D, covariance=lam, query_covariance=shifted)
    test = population_loss(st["model"], task, N=_N(), scale=sp.Rational(1, 2))
    scale = sp.Symbol("s", real=True)
    curve = fixed_curve(D).xreplace({st["u"]: 1})
    point = st["manifold"].point()
    values = {sym: e.xreplace({st["u"]: scale, **dict(zip(st["U"], curve))}) for sym, e in point.items()}
    twice = sp.Poly(sp.expand(2 * test.at(values)), scale)
    return twice.coeff_monomial(scale ** 2), -twice.coeff_monomial(scale) / 2, twice.coeff_monomial(1)


def shifted_risk(D, shift, kappa):
    """The derived test risk (1/2) E(yhat - kappa y_q)^2 of the trained model on the shifted law."""
    A, B, C = shifted_moments(D, shift)
    return (A - 2 * kappa * B + kappa ** 2 * C) / 2


def check_shift_limits(dimensions=DIMENSIONS):
    import sympy as sp

    from proofs_check import check_identity

    def one(D):
        factor_cov, factor_query, risk_form = _stated("zfb2024.F6")
        env = _environment(D)
        env[_names()["c"]] = _names()["c"]
        results = []
        for shift, factor in (("covariate", factor_cov), ("query", factor_query)):
            lim = sp.limit(sp.cancel(shifted_risk(D, shift, factor)), _N(), sp.oo)
            results.append(check_identity(sp.simplify(lim), 0, sizes={"d": D},
                                          name=f"{shift} shift: E(yhat - {factor} <w, x_q>)^2 -> 0, d = {D}"))
        lim = sp.limit(sp.cancel(shifted_risk(D, "covariate", 1)), _N(), sp.oo)
        results.append(check_identity(sp.factor(lim), _explicit(risk_form, env), sizes={"d": D},
                                      name=f"covariate shift: limit of the risk, d = {D}"))
        return combine(f"shifts, d = {D}", results, "N -> oo of the derived risks")

    return _sizes_check("large-N limits under shift", one, dimensions,
                        "sympy limit N -> oo of the derived test risks of the trained model")


def _shift_statement():
    import sympy as sp

    factor_cov, factor_query, risk_form = _stated("zfb2024.F6")
    N, y = _N(), sp.Symbol(r"\hat{y}")
    wx = sp.Symbol("y_q")                                   # y_q = <w, x_q>, the noise-free target
    risk = sp.Function("R_{c}")(N)
    return (sp.Eq(sp.Limit(sp.Function("E")((y - factor_cov * wx) ** 2), N, sp.oo), 0, evaluate=False),
            sp.Eq(sp.Limit(sp.Function("E_{q}")((y - factor_query * wx) ** 2), N, sp.oo), 0, evaluate=False),
            sp.Eq(sp.Limit(risk, N, sp.oo), risk_form, evaluate=False))


register(Claim(
    id="zfb2024.F6",
    stated=_shift_stated,
    title="ZFB covariate shift: on x_i, x_q ~ N(0, c^2 Lambda) the trained model predicts ~ c^2 <w, x_q> (risk "
          "-> c^2 (c^2 - 1)^2 tr(Lambda)/2); a query-only shift is tolerated (d = 1, 2)",
    source=SOURCE + ", Sec. 4.2 (query shifts; covariate shifts)",
    hypotheses=HYPOTHESES + ["the trained model, trained on N(0, Lambda): u = 1, U_11 = Gamma^{-1} (a point "
                             "of the derived fixed curve of zfb2024.F3; yhat depends on u U_11 only); test "
                             "prompts of length N",
                             "covariate shift: x_i and x_q ~ N(0, c^2 Lambda); query shift: x_q only",
                             "y_q = <w, x_q> (the noise-free target); R_c(N) the risk (1/2) E(yhat - y_q)^2 under "
                             "the covariate shift"],
    statement=_shift_statement,
    checks=[Check("large-N limits under shift", Method.SYMBOLIC_AT_SIZES, check_shift_limits, parameters=("d",),
                  sized=lambda d=1: check_shift_limits(dimensions=(d,)))],
    description="The pipeline derives the population risk of the trained model on the shifted test law "
                "(query_covariance for the query-only shift), for symbolic N and c, against the target "
                "kappa <w, x_q> (from the derived moments E yhat^2, E yhat y_q, E y_q^2); its N -> oo limit is "
                "taken with sympy.limit and must vanish at the stated kappa. "
                "The third component (the non-vanishing risk) is our consequence of the first, not a typed "
                "formula from the paper.",
))
