"""Zhang, Singh, Latham, Saxe 2025, "Training Dynamics of In-Context Learning in Linear Attention"
(ICML 2025, arXiv 2501.16265), through mesacheck's public API only.

Every derived object (the prediction, its cubic features, the population loss, the flow, its
restriction to a manifold, conserved quantities, fixed points) comes from the model description
(``theory.LinearAttention``) and the data law (``theory.InContextRegression``) by the pipeline;
the paper's closed forms are the claims' stated forms (``Claim.stated``), read through
``proofs_check.stated`` so that ``mesacheck mutate --statements`` reaches every check.

Conventions (ours, and where they meet the paper's): yhat = v^T (S / N) W_KQ z_q with
S = sum_n z_n z_n^T over the N context tokens, z_n = (x_n, y_n), z_q = (x_q, 0); the paper's
ATTN_M(X)_{D+1,N+1} with W^V's last row v and W^KQ (the query's column z_q on the right). The
population loss is (1/2) E (yhat - w^T x_q)^2 unless a claim says otherwise (the authors' code
and its plateau formula use the mean squared error, no 1/2: claim S1 uses scale 1). Time is the
flow's t; the paper's time constant tau (tau d theta/dt = -grad L) divides the flow (claim M3).
"""
from __future__ import annotations

from functools import lru_cache

from proofs_check import Check, Claim, Method, combine, register, stated

PAPER = "Zhang, Singh, Latham, Saxe 2025 (ICML 2025), arXiv 2501.16265"
SOURCE_NOTE = ("paper's numbering not read: only the arXiv HTML's opening (abstract, introduction) is in the "
               "stored pages; the statement follows the abstract, the spec related.md and the authors' code")

#: sizes of the default checks
M1_SIZES = ((1, 2), (2, 2), (3, 1))          # (D, N) with H = 2 heads, symbolic data
M2_DIMENSIONS = (1, 2, 3)
M3_DIMENSIONS = (1, 2, 3)
S1_DIMENSIONS = (1, 2)


def _sp():
    import sympy as sp

    return sp


def _N():
    from theory import SYMBOLS

    return SYMBOLS["N"]


def lambdas(D):
    """The diagonal covariance entries lambda_1..lambda_D (positive Symbols)."""
    sp = _sp()
    return [sp.Symbol(f"lambda_{d + 1}", positive=True) for d in range(D)]


# --------------------------------------------------------------------------------------------------
# M1: merged-KQ multi-head linear attention is a two-layer linear network on cubic features
# --------------------------------------------------------------------------------------------------
def _m1_stated():
    """M1 as stated: yhat = sum_h v_h sum_jk W_h,jk z_jk, z = (1/N) sum_n y_n x_n x_q^T; as the pair
    (weight of a path through hidden unit h, cubic feature of one sample), in symbols v, W, y, x, x_q, N."""
    sp = _sp()
    v, W, y, x, xq = sp.symbols("v W y x x_q", real=True)
    return sp.Tuple(v * W, y * x * xq / _N())


def stated_mlp(v_heads, W_heads, xs, ys, x_q, N):
    """The paper's two-layer network on the cubic features, built from M1's stated form.

    Parameters
    ----------
    v_heads : list of Expr, length H
        Second-layer weights (the readout entry of each head's value row).
    W_heads : list of Matrix, (D, D) each
        First-layer weights (each head's x-x block of W_KQ).
    xs : list of Matrix (D, 1); ys : list of Expr; x_q : Matrix (D, 1); N : int
    """
    sp = _sp()
    weight, feature = stated("zsls2025.M1")
    v, W, y, x, xq = sp.symbols("v W y x x_q", real=True)
    total = sp.Integer(0)
    for vh, Wh in zip(v_heads, W_heads):
        for j in range(Wh.rows):
            for k in range(Wh.cols):
                w_path = weight.subs({v: vh, W: Wh[j, k]}, simultaneous=True)
                for xn, yn in zip(xs, ys):
                    total += w_path * feature.subs({y: yn, x: xn[j], xq: x_q[k], _N(): N}, simultaneous=True)
    return sp.expand(total)


def _context(D, N):
    sp = _sp()
    xs = [sp.Matrix(D, 1, lambda i, _j, n=n: sp.Symbol(f"x_{n + 1}{i + 1}", real=True)) for n in range(N)]
    ys = [sp.Symbol(f"y_{n + 1}", real=True) for n in range(N)]
    x_q = sp.Matrix(D, 1, lambda i, _j: sp.Symbol(f"xq_{i + 1}", real=True))
    return xs, ys, x_q


def paper_blocks(model, D):
    """The paper's parameter subspace of a merged model: each head's value row is (0, ..., 0, v_h) and
    the y-row of W_KQ is 0 (as the authors' initialisation sets them); returns (values, v_heads, W_heads)."""
    sp = _sp()
    values, v_heads, W_heads = {}, [], []
    for h in range(1, model.heads + 1):
        v = model.parameters[f"v_{h}"]
        W = model.parameters[f"W_KQ_{h}"]
        for i in range(D):
            values[v[i]] = 0
        for k in range(W.cols):
            values[W[D, k]] = 0
        v_heads.append(v[D])
        W_heads.append(sp.Matrix(W[:D, :D]))
    return values, v_heads, W_heads


def check_m1_prediction(sizes=M1_SIZES, heads=2):
    """On the paper's subspace the model's prediction equals the stated two-layer network on z."""
    from theory import LinearAttention

    from proofs_check import check_identity

    sp = _sp()
    results = []
    for D, N in sizes:
        model = LinearAttention(D=D, heads=heads, parametrisation="merged")
        xs, ys, x_q = _context(D, N)
        values, v_heads, W_heads = paper_blocks(model, D)
        yhat = sp.expand(model.predict(xs, ys, x_q).subs(values, simultaneous=True))
        result = check_identity(yhat, stated_mlp(v_heads, W_heads, xs, ys, x_q, N), sizes={"D": D, "N": N},
                                name="ATTN_M = MLP(z)")
        results.append(result)
        if result.status.value != "VERIFIED":
            break
    return combine("ATTN_M = MLP(z)", results,
                   f"model.predict on the paper's subspace vs the stated network, symbolic data and weights, "
                   f"H = {heads}, (D, N) in {list(sizes)}")


def check_m1_features(dimensions=(1, 2, 3), heads=2):
    """Everywhere (no zero blocks): the model's cubic-feature coefficients are C_ijk = sum_h v_h,i W_h,jk,
    a two-layer linear network (hidden unit h: first layer W_h, second layer v_h) on the features
    [S/N]_ij z_q,k; the coefficient of the paper's feature (i = y) is the stated path weight."""
    from theory import LinearAttention

    from proofs_check import check_identity

    sp = _sp()
    v, W = sp.symbols("v W", real=True)
    weight = stated("zsls2025.M1")[0]
    results = []
    for D in dimensions:
        model = LinearAttention(D=D, heads=heads, parametrisation="merged")
        feats = model.features()
        E = D + 1
        network = sp.Integer(0)
        for h in range(1, heads + 1):
            vh, Wh = model.parameters[f"v_{h}"], model.parameters[f"W_KQ_{h}"]
            for i in range(E):
                for j in range(E):
                    for k in range(E):
                        path = weight.subs({v: vh[i], W: Wh[j, k]}, simultaneous=True)
                        network += path * feats.S[i, j] * feats.zq[k] * feats.inv_rho
        result = check_identity(feats.prediction()[0], sp.expand(network), sizes={"D": D},
                                name="C_ijk = sum_h v_h,i W_h,jk")
        results.append(result)
        if result.status.value != "VERIFIED":
            break
    return combine("C_ijk = sum_h v_h,i W_h,jk", results,
                   f"the pipeline's cubic-feature expansion (model.features) vs the two-layer network built from "
                   f"the stated path weight, every weight and feature symbolic, H = {heads}, D in {list(dimensions)}")


def check_m1_subspace_invariant(dimensions=(1, 2), heads=2):
    """The paper's subspace (value rows (0, v_h), W_KQ's y-row 0; the y-column, which multiplies the query's
    label 0, also 0) is invariant under the exact population flow of the H-head model."""
    from theory import InContextRegression, LinearAttention, Manifold, population_loss

    from proofs_check import check_identity

    sp = _sp()
    results = []
    for D in dimensions:
        model = LinearAttention(D=D, heads=heads, parametrisation="merged")
        loss = population_loss(model, InContextRegression(D=D, covariance=lambdas(D)), N=_N())
        assignment, variables = {}, []
        for h in range(1, heads + 1):
            block = sp.Matrix(D, D, lambda j, k, h=h: sp.Symbol(f"m{h}_{j + 1}{k + 1}", real=True))
            W = sp.zeros(D + 1, D + 1)
            W[:D, :D] = block
            v = sp.zeros(D + 1, 1)
            v[D] = sp.Symbol(f"c_{h}", real=True)
            assignment[f"W_KQ_{h}"], assignment[f"v_{h}"] = W, v
            variables += list(block) + [v[D]]
        reduced = Manifold(model, assignment, variables).restrict(loss)
        result = check_identity(sp.Matrix(list(reduced.residuals.values())), 0, sizes={"D": D},
                                name="the paper's subspace is invariant")
        results.append(result)
        if result.status.value != "VERIFIED":
            break
    return combine("the paper's subspace is invariant", results,
                   f"every off-subspace velocity component is 0, symbolic N and diagonal Lambda, H = {heads}, D in "
                   f"{list(dimensions)}")


def _m1_statement():
    sp = _sp()
    N = _N()
    v = sp.IndexedBase("v")
    W = sp.IndexedBase("W")
    z = sp.IndexedBase("z")
    h, j, k, n, H, D = sp.symbols("h j k n H D", integer=True, positive=True)
    y, x, xq = sp.IndexedBase("y"), sp.IndexedBase("x"), sp.IndexedBase("x_q")
    yhat = sp.Symbol(r"\hat{y}")
    return (sp.Eq(yhat, sp.Sum(v[h] * sp.Sum(W[h, j, k] * z[j, k], (j, 1, D), (k, 1, D)), (h, 1, H)),
                  evaluate=False),
            sp.Eq(z[j, k], sp.Sum(y[n] * x[n, j], (n, 1, N)) * xq[k] / N, evaluate=False))


register(Claim(
    id="zsls2025.M1",
    stated=_m1_stated,
    title="Merged-KQ multi-head linear attention is a two-layer linear network on cubic features",
    source=f"{PAPER}, Sec. on ATTN_M (the equivalence ATTN_M(X)_(D+1,N+1) = MLP(z)); {SOURCE_NOTE}",
    hypotheses=["ATTN_M(X) = X + sum_i (1/N) W^V_i X X^T W^KQ_i X, readout the (D+1, N+1) entry",
                "paper's subspace: each head's value row (0, v_i) and W^KQ_i's y-row 0 (the authors' "
                "initialisation sets these; checked invariant under the population flow)",
                "the N context tokens are summed (the query's label is 0, so on the subspace it adds nothing)"],
    statement=_m1_statement,
    checks=[Check("ATTN_M = MLP(z)", Method.SYMBOLIC_AT_SIZES, check_m1_prediction, parameters=("D", "N"),
                  sized=lambda D=2, N=2: check_m1_prediction(sizes=((D, N),))),
            Check("C_ijk = sum_h v_h,i W_h,jk", Method.SYMBOLIC_AT_SIZES, check_m1_features, parameters=("D",),
                  sized=lambda D=2: check_m1_features(dimensions=(D,))),
            Check("the paper's subspace is invariant", Method.SYMBOLIC_AT_SIZES, check_m1_subspace_invariant,
                  parameters=("D",), sized=lambda D=2: check_m1_subspace_invariant(dimensions=(D,)))],
    description="The model's prediction at a symbolic context (model.predict), restricted to the paper's "
                "parameter subspace, is compared exactly with the stated network sum_h v_h <W_h, z>; and "
                "without any restriction, the model's cubic-feature coefficients (model.features) are compared "
                "with sum_h v_h,i W_h,jk built from the stated path weight; the subspace is checked invariant under "
                "the exact population flow (symbolic N, diagonal Lambda).",
))


# --------------------------------------------------------------------------------------------------
# M2: the fixed point (converged predictor) beta^T (Lambda + (Lambda + tr(Lambda) I)/N)^{-1} x_q
# --------------------------------------------------------------------------------------------------
def _m2_stated():
    """M2 as stated: the diagonal entry of (Lambda + (Lambda + tr(Lambda) I)/N)^{-1} for diagonal Lambda,
    in symbols lambda (the entry), tr (= tr Lambda) and N."""
    sp = _sp()
    lam, tr = sp.Symbol("lambda", positive=True), sp.Symbol("tr", positive=True)
    N = _N()
    return 1 / (lam + (lam + tr) / N)


def stated_preconditioner(lams, N):
    """The stated P = (Lambda + (Lambda + tr(Lambda) I)/N)^{-1} for Lambda = diag(lams), from M2's stated form."""
    sp = _sp()
    form = stated("zsls2025.M2")
    lam, tr = sp.Symbol("lambda", positive=True), sp.Symbol("tr", positive=True)
    total = sum(lams)
    return sp.diag(*[form.subs({lam: l, tr: total, _N(): N}, simultaneous=True) for l in lams])


@lru_cache(maxsize=None)
def product_flow(D, scale=None):
    """The merged model with the second layer held at 1 (one head, value row e_{D+1}, not trained): its
    population loss is the loss as a function of the product M = sum_h v_h W_h; the flow restricted
    to the paper's subspace (W_KQ's y-row and y-column 0). Returns (model, task, loss, reduced, W)."""
    from theory import InContextRegression, LinearAttention, Manifold, gradient_flow, population_loss

    sp = _sp()
    E = D + 1
    readout = sp.zeros(E, 1)
    readout[D] = 1
    model = LinearAttention(D=D, heads=1, parametrisation="merged", fixed={"v_1": readout})
    task = InContextRegression(D=D, covariance=lambdas(D))
    kwargs = {} if scale is None else {"scale": scale}
    loss = population_loss(model, task, N=_N(), **kwargs)
    block = sp.Matrix(D, D, lambda j, k: sp.Symbol(f"m_{j + 1}{k + 1}", real=True))
    W = sp.zeros(E, E)
    W[:D, :D] = block
    manifold = Manifold(model, {"W_KQ_1": W}, variables=tuple(block))
    reduced = manifold.restrict(gradient_flow(loss))
    return model, task, loss, reduced, block


def check_m2_fixed_point(dimensions=M2_DIMENSIONS):
    """The flow on the product has one fixed point, and it is the stated preconditioner."""
    from theory import fixed_points

    from proofs_check import check_identity

    sp = _sp()
    results = []
    for D in dimensions:
        _model, _task, _loss, reduced, block = product_flow(D)
        invariant = check_identity(sp.Matrix(list(reduced.residuals.values()) or [0]), 0,
                                   sizes={"D": D}, name="the paper's subspace is invariant")
        fps = fixed_points(reduced)
        unique = check_identity(sp.Integer(len(fps.points) if fps.status == "finite" else 0), 1, sizes={"D": D},
                                name=f"one fixed point ({fps.status}{': ' + fps.reason if fps.reason else ''})")
        if unique.status.value != "VERIFIED":
            results += [invariant, unique]
            break
        (point,) = fps.points
        M_star = block.subs(point, simultaneous=True)
        result = check_identity(M_star, stated_preconditioner(lambdas(D), _N()), sizes={"D": D},
                                name="M* = (Lambda + (Lambda + tr Lambda I)/N)^{-1}")
        results += [invariant, unique, result]
        if result.status.value != "VERIFIED":
            break
    return combine("M* = stated preconditioner", results,
                   f"the unique fixed point of the flow on the product, symbolic N and diagonal Lambda with "
                   f"symbolic entries, D in {list(dimensions)}")


def check_m2_predictor(dimensions=M2_DIMENSIONS):
    """At the fixed point the model's prediction is the preconditioned GD predictor with the stated P."""
    from theory import fixed_points, prediction_difference, preconditioned_gd

    from proofs_check import check_identity

    sp = _sp()
    results = []
    for D in dimensions:
        model, task, _loss, reduced, block = product_flow(D)
        (point,) = fixed_points(reduced).points
        W_star = sp.zeros(D + 1, D + 1)
        W_star[:D, :D] = block.subs(point, simultaneous=True)
        values = {"W_KQ_1": W_star}
        diff = prediction_difference(model, values, preconditioned_gd(stated_preconditioner(lambdas(D), _N())),
                                     N=_N())
        result = check_identity(diff, 0, sizes={"D": D}, name="yhat* = beta^T P x_q")
        results.append(result)
        if result.status.value != "VERIFIED":
            break
    return combine("yhat* = beta^T P x_q", results,
                   f"prediction_difference against preconditioned_gd with the stated P, D in {list(dimensions)}")


def _m2_statement():
    sp = _sp()
    N = _N()
    Lam = sp.MatrixSymbol("Lambda", 3, 3)
    beta, xq = sp.MatrixSymbol("beta", 3, 1), sp.MatrixSymbol("x_q", 3, 1)
    yhat = sp.Symbol(r"\hat{y}_*")
    P = sp.Inverse(Lam + (Lam + sp.Trace(Lam) * sp.Identity(3)) / N)
    return sp.Eq(yhat, beta.T * P * xq, evaluate=False)


register(Claim(
    id="zsls2025.M2",
    stated=_m2_stated,
    title="ATTN_M's fixed point: yhat = beta^T (Lambda + (Lambda + tr(Lambda) I)/N)^{-1} x_q (every N; D = 1..3)",
    source=f"{PAPER}, the converged ATTN_M (global minimum of the two-layer network); {SOURCE_NOTE}",
    hypotheses=["x_n, x_q ~ N(0, Lambda) iid, Lambda = diag(lambda_1..lambda_D); w ~ N(0, I); y = w^T x, no noise",
                "beta = (1/N) sum_n y_n x_n", "loss (1/2) E (yhat - y_q)^2 (the scale does not move the point)"],
    statement=_m2_statement,
    checks=[Check("M* = stated preconditioner", Method.SYMBOLIC_AT_SIZES, check_m2_fixed_point, parameters=("D",),
                  sized=lambda D=2: check_m2_fixed_point(dimensions=(D,))),
            Check("yhat* = beta^T P x_q", Method.SYMBOLIC_AT_SIZES, check_m2_predictor, parameters=("D",),
                  sized=lambda D=2: check_m2_predictor(dimensions=(D,)))],
    description="The loss depends on the heads only through the product M = sum_h v_h W_h (claim M1), so the "
                "model with its second layer held at 1 has the loss as a function of M. Its exact population "
                "loss (symbolic N and lambda_d), flow, restriction to the paper's subspace (checked invariant) and "
                "fixed points come from the pipeline; the unique fixed point is compared with the stated inverse, "
                "and the prediction there with preconditioned GD with the stated P.",
))


# --------------------------------------------------------------------------------------------------
# M3: the time course from a small balanced initialisation, white covariance
# --------------------------------------------------------------------------------------------------
def _m3_stated():
    """M3 as stated: s(t) = e^{2 sqrt(D) t/tau} / ((1 + (1+D)/N)(e^{2 sqrt(D) t/tau} - 1) + sqrt(D)/w_init^2)."""
    sp = _sp()
    t, tau = sp.Symbol("t", nonnegative=True), sp.Symbol("tau", positive=True)
    D, w0 = sp.Symbol("D", integer=True, positive=True), sp.Symbol("w_init", positive=True)
    N = _N()
    g = sp.exp(2 * sp.sqrt(D) * t / tau)
    return g / ((1 + (1 + D) / N) * (g - 1) + sp.sqrt(D) / w0 ** 2)


def stated_time_course(D):
    """The stated s(t) at this D: an expression in t, tau, N, w_init."""
    sp = _sp()
    form = stated("zsls2025.M3")
    return form.subs(sp.Symbol("D", integer=True, positive=True), D)


@lru_cache(maxsize=None)
def balanced_flow(D):
    """The one-head merged model on the white task restricted to the balanced line
    W_KQ = (w/sqrt(D)) diag(I_D, 0), v = w e_{D+1} (||W_KQ||_F = v_{D+1} = w); and on the plane
    (a diag(I_D, 0), b e_{D+1}). Returns (model, reduced line flow, reduced plane flow, w, (a, b))."""
    from theory import InContextRegression, LinearAttention, Manifold, gradient_flow, population_loss

    sp = _sp()
    E = D + 1
    model = LinearAttention(D=D, heads=1, parametrisation="merged")
    task = InContextRegression(D=D)
    flow = gradient_flow(population_loss(model, task, N=_N()))
    P = sp.diag(*([1] * D + [0]))
    e = sp.zeros(E, 1)
    e[D] = 1
    w = sp.Symbol("w", positive=True)
    a, b = sp.symbols("a b", real=True)
    line = Manifold(model, {"W_KQ_1": w / sp.sqrt(D) * P, "v_1": w * e}, variables=(w,)).restrict(flow)
    plane = Manifold(model, {"W_KQ_1": a * P, "v_1": b * e}, variables=(a, b)).restrict(flow)
    return model, line, plane, w, (a, b)


def _s_of(model, values, D):
    """s in yhat = s beta^T x_q: the model's cubic-feature coefficient of [S/N]_{y,1} z_q,1 = beta_1 x_q,1."""
    sp = _sp()
    feats = model.features()
    target = feats.S[D, 0] * feats.zq[0] * feats.inv_rho
    (coefficient,) = [c for c, m in zip(feats.coefficients[0], feats.monomials) if m == target]
    return sp.expand(sp.sympify(coefficient).subs(values, simultaneous=True))


def check_m3_time_course(dimensions=M3_DIMENSIONS):
    from theory import conserved_quantities

    from proofs_check import check_identity

    sp = _sp()
    results = []
    t, w0 = sp.Symbol("t", nonnegative=True), sp.Symbol("w_init", positive=True)
    for D in dimensions:
        model, line, plane, w, (a, b) = balanced_flow(D)
        # the plane and the balanced line are invariant
        res_plane = check_identity(sp.Matrix(list(plane.residuals.values()) or [0]), 0, sizes={"D": D},
                                   name="plane (a, b) invariant")
        res_line = check_identity(sp.Matrix(list(line.residuals.values()) or [0]), 0, sizes={"D": D},
                                  name="balanced line invariant")
        # b^2 - D a^2 is conserved on the plane (the balanced line is its zero level set)
        balance = b ** 2 - D * a ** 2
        found = conserved_quantities(plane, degree=2)
        res_conserved = check_identity(plane.derivative_of(balance), 0, sizes={"D": D},
                                       name=f"d/dt (b^2 - D a^2) = 0 (conserved_quantities: {found})")
        # s along the line, its ODE, and the stated solution
        values = {p: 0 for p in model.symbols}
        W, v = model.parameters["W_KQ_1"], model.parameters["v_1"]
        for j in range(D):
            values[W[j, j]] = w / sp.sqrt(D)
        values[v[D]] = w
        s_of_w = _s_of(model, values, D)                        # = w^2 / sqrt(D)
        ds_dt = sp.expand(sp.diff(s_of_w, w) * line.rhs[w])     # a polynomial in w^2
        S = sp.Symbol("S", positive=True)
        (w_of_s,) = [r for r in sp.solve(sp.Eq(s_of_w, S), w) if r.is_positive is not False]
        ode = sp.expand(ds_dt.subs(w, w_of_s))                 # ds/dt as a function of s
        s_t = stated_time_course(D)
        tau = sp.Symbol("tau", positive=True)
        lhs, rhs = sp.diff(s_t, t), ode.subs(S, s_t) / tau      # the flow with time constant tau
        # first at one exact point (a wrong s(t) is refuted there at once; the symbolic zero test of a
        # wrong exponential identity can take minutes), then for symbolic t, tau, N and w_init
        point = {t: 1, tau: 3, _N(): 3, w0: 2}
        res_point = check_identity(lhs.subs(point), rhs.subs(point), sizes={"D": D},
                                   name="tau ds/dt = F(s) at t = 1, tau = 3, N = 3, w_init = 2")
        res_ode = check_identity(lhs, rhs, sizes={"D": D}, name="tau ds/dt = F(s) along the stated s(t)") \
            if res_point.status.value == "VERIFIED" else res_point
        res_s = check_identity(s_of_w.subs(w, w_of_s), S, sizes={"D": D}, name="s(w(s)) = s on the line")
        res_init = check_identity(s_t.subs(t, 0), s_of_w.subs(w, w0), sizes={"D": D},
                                  name="s(0) = s(w_init)")
        group = [res_plane, res_line, res_conserved, res_s, res_point, res_ode, res_init]
        results += group
        if any(r.status.value != "VERIFIED" for r in group):
            break
    return combine("s(t) solves the reduced flow", results,
                   f"white Lambda = I, one head, symbolic t, tau, N and w_init, D in {list(dimensions)}")


def _m3_statement():
    sp = _sp()
    s = sp.Function("s")(sp.Symbol("t"))
    yhat = sp.Symbol(r"\hat{y}(t)")
    beta, xq = sp.MatrixSymbol("beta", 3, 1), sp.MatrixSymbol("x_q", 3, 1)
    return (sp.Eq(yhat, s * (beta.T * xq), evaluate=False), sp.Eq(s, _m3_stated(), evaluate=False))


register(Claim(
    id="zsls2025.M3",
    stated=_m3_stated,
    title="ATTN_M time course for white covariance: s(t) = e^{2 sqrt(D) t} / ((1 + (1+D)/N)(e^{2 sqrt(D) t} - 1) "
          "+ sqrt(D)/w_init^2) (every t, tau and N; D = 1..3)",
    source=f"{PAPER}, the analytical time-course solution (white covariance, balanced initialisation); "
           f"{SOURCE_NOTE}",
    hypotheses=["Lambda = I_D, w ~ N(0, I), no noise", "one head; W^KQ(0) = (w_init/sqrt(D)) diag(I_D, 0), "
                "v(0) = w_init e_{D+1} (balanced: ||W^KQ||_F = v_{D+1} = w_init)",
                "loss (1/2) E (yhat - y_q)^2, flow tau d theta/dt = -grad L (with the mean squared error, no 1/2, "
                "the exponent would be 4 sqrt(D) t/tau)"],
    statement=_m3_statement,
    checks=[Check("s(t) solves the reduced flow", Method.SYMBOLIC_AT_SIZES, check_m3_time_course, parameters=("D",),
                  sized=lambda D=2: check_m3_time_course(dimensions=(D,)))],
    description="The pipeline restricts the exact population flow to the plane (a diag(I, 0), b e_{D+1}) and to "
                "its balanced line (both checked invariant; b^2 - D a^2 checked conserved); s, the coefficient "
                "of beta^T x_q, is read from the model's cubic features; ds/dt on the line is a polynomial in s, "
                "and the stated s(t) is checked to solve it exactly for symbolic t, N, w_init, with s(0) the "
                "initial s.",
))


# --------------------------------------------------------------------------------------------------
# S1: separate rank-one K and Q heads: 2^D fixed points and the plateau losses
# --------------------------------------------------------------------------------------------------
def _s1_stated():
    """S1 as stated: (loss at 0, loss drop of one learned direction, number of fixed points) =
    (tr, lambda / (1 + (1 + tr/lambda)/N), 2^D), in symbols tr, lambda, N, D."""
    sp = _sp()
    lam, tr = sp.Symbol("lambda", positive=True), sp.Symbol("tr", positive=True)
    D = sp.Symbol("D", integer=True, positive=True)
    return sp.Tuple(tr, lam / (1 + (1 + tr / lam) / _N()), 2 ** D)


def stated_plateau(lams, learned, N):
    """The stated loss at the fixed point that has learned the directions ``learned`` (indices)."""
    sp = _sp()
    base, drop, _count = stated("zsls2025.S1")
    lam, tr = sp.Symbol("lambda", positive=True), sp.Symbol("tr", positive=True)
    total = sum(lams)
    value = base.subs(tr, total) - sum(drop.subs({lam: lams[d], tr: total, _N(): N}, simultaneous=True)
                                       for d in learned)
    return value.subs(_N(), N)


def stated_count(D):
    sp = _sp()
    return stated("zsls2025.S1")[2].subs(sp.Symbol("D", integer=True, positive=True), D)


@lru_cache(maxsize=None)
def separate_flow(D):
    """D rank-one separate heads on the balanced axes K_h = Q_h = a_h e_h^T, v_h = a_h e_{D+1};
    the loss is the mean squared error (scale 1, as the authors' code and the stated plateaus)."""
    from theory import InContextRegression, LinearAttention, Manifold, gradient_flow, population_loss

    sp = _sp()
    E = D + 1
    model = LinearAttention(D=D, heads=D, parametrisation="separate", rank=1)
    task = InContextRegression(D=D, covariance=lambdas(D))
    loss = population_loss(model, task, N=_N(), scale=1)
    a = sp.symbols(f"a_1:{D + 1}", real=True)
    blocks = {}
    for h in range(D):
        row = sp.zeros(1, E)
        row[h] = a[h]
        col = sp.zeros(E, 1)
        col[D] = a[h]
        blocks[f"K_{h + 1}"], blocks[f"Q_{h + 1}"], blocks[f"v_{h + 1}"] = row, row, col
    manifold = Manifold(model, blocks, variables=a)
    return model, loss, manifold, manifold.restrict(gradient_flow(loss)), a


def check_s1_fixed_points(dimensions=S1_DIMENSIONS):
    from theory import fixed_points

    from proofs_check import check_identity

    sp = _sp()
    results = []
    for D in dimensions:
        model, loss, manifold, reduced, a = separate_flow(D)
        invariant = check_identity(sp.Matrix(list(reduced.residuals.values()) or [0]), 0, sizes={"D": D},
                                   name="balanced axes invariant")
        fps = fixed_points(reduced)                    # real variables: the real points
        points = fps.points if fps.status == "finite" else []
        count = check_identity(sp.Integer(len(points)), stated_count(D), sizes={"D": D},
                               name=f"2^D fixed points ({fps.status}: {fps.reason})")
        group = [invariant, count]
        for point in points:
            learned = tuple(d for d in range(D) if point[a[d]] != 0)
            group.append(check_identity(sp.Matrix([reduced.rhs[x].subs(point) for x in a]), 0, sizes={"D": D},
                                        name=f"fixed point learning {learned}"))
            group.append(check_identity(_loss_at(model, loss, manifold, point, a),
                                        stated_plateau(lambdas(D), learned, _N()), sizes={"D": D},
                                        name=f"loss at the fixed point learning {learned}"))
        results += group
        if any(r.status.value != "VERIFIED" for r in group):
            break
    return combine("2^D fixed points and their losses", results,
                   f"D rank-one heads, symbolic N and diagonal Lambda with symbolic entries, D in {list(dimensions)}")


def _loss_at(model, loss, manifold, point, a):
    """The pipeline's population loss at a point of the balanced axes (every other weight 0)."""
    sp = _sp()
    values = {sym: sp.sympify(expr).subs(point, simultaneous=True) for sym, expr in manifold.point().items()}
    return sp.simplify(loss.at(values))


def _s1_statement():
    sp = _sp()
    N = _N()
    m = sp.Symbol("m", integer=True, nonnegative=True)
    d = sp.Symbol("d", integer=True, positive=True)
    lam = sp.IndexedBase("lambda")
    L = sp.Function(r"\mathcal{L}")(sp.Symbol(r"\mathcal{M}_m"))
    tr = sp.Symbol(r"\operatorname{tr}\Lambda")
    return sp.Eq(L, tr - sp.Sum(lam[d] / (1 + (1 + tr / lam[d]) / N), (d, 1, m)), evaluate=False)


register(Claim(
    id="zsls2025.S1",
    stated=_s1_stated,
    title="Separate rank-one K, Q heads: 2^D fixed points; at the one learning the directions S the loss is "
          "tr(Lambda) - sum_{d in S} lambda_d / (1 + (1 + tr(Lambda)/lambda_d)/N) (every N; D = 1, 2; 3 with --slow)",
    source=f"{PAPER}, ATTN_S with rank-one key and query (fixed points, saddle-to-saddle plateaus); {SOURCE_NOTE}; "
           "the authors' plot_loss.ipynb (loss_at_saddle) computes the same plateaus",
    hypotheses=["x ~ N(0, Lambda), Lambda = diag(lambda_1..lambda_D), distinct; w ~ N(0, I); no noise",
                "H = D heads, head h on the balanced axis K_h = Q_h = a_h e_h^T, v_h = a_h e_{D+1}",
                "loss E (yhat - y_q)^2 (mean squared error, as the authors' code; with (1/2) every plateau halves)"],
    statement=_s1_statement,
    checks=[Check("2^D fixed points and their losses", Method.SYMBOLIC_AT_SIZES, check_s1_fixed_points,
                  parameters=("D",), sized=lambda D=2: check_s1_fixed_points(dimensions=(D,))),
            Check("2^D fixed points and their losses, D = 3", Method.SYMBOLIC_AT_SIZES,
                  lambda: check_s1_fixed_points(dimensions=(3,)), slow=True)],
    description="The pipeline's population loss of D separate rank-one heads (symbolic N and lambda_d), its flow "
                "restricted to the balanced axes (checked invariant), and the flow's fixed points there (real "
                "ones counted: 2^D); the loss at each, from the pipeline's loss, is compared with the stated plateau.",
))
