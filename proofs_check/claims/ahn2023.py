"""Claims of Ahn, Cheng, Daneshmand, Sra 2023, "Transformers learn to implement preconditioned gradient
descent for in-context learning" (NeurIPS 2023, arXiv 2306.00297), through the public API alone.

Every derived object comes from the model-description pipeline (:func:`theory.population_loss`,
:func:`theory.gradient_flow`, :class:`theory.Manifold`, :func:`theory.fixed_points`,
:func:`theory.stacked_forward`) on :class:`theory.LinearAttention` instances, and every verdict from the
public checks of :mod:`proofs_check`; the paper's closed forms are the claims' stated forms
(``Claim.stated``), read through :func:`proofs_check.stated` so that ``mesacheck mutate`` reaches them.

Conventions, paper -> mesacheck (pinned by ``ahn2023.M``):

* prompt ``Z_0 = [[x_1 .. x_n, x_q], [y_1 .. y_n, 0]]``: tokens are the columns ``z_i = (x_i; y_i)``, the
  pipeline's default embedding; the paper's ``n`` is the pipeline's ``N`` (normaliser ``1/n``);
* ``Attn_{P,Q}(Z) = P Z M (Z^T Q Z)`` (Eq. 3; the ReLU variant of Sec. 6 spells the order out): the query
  column gains ``(1/n) sum_i P z_i (z_i^T Q z_q)``, which is the pipeline's layer with ``W_PV = P`` and
  ``W_KQ = Q`` (not ``Q^T``); the authors' code (github chengxiang/LinearTransformer, ``attention``) forms
  ``z_q^T Q z_i`` instead, i.e. ``W_KQ = Q^T``;
* the prediction is ``TF = -[Z_L]_{d+1,n+1}`` (the minus sign of Sec. 2): ``readout_sign=-1``; for one layer
  only the last row ``b^T`` of ``P`` matters, the pipeline's value row ``v = b``;
* the in-context loss (5) is ``E (TF - w^T x_q)^2`` with no factor 1/2 (the pipeline's ``scale=1/2``):
  the minimisers and fixed points are the same, loss values differ by the factor 2.

Sources read: the paper's text as stored here is a transcription of the NeurIPS PDF whose displayed
equations are missing (the arXiv HTML was not available). The statements come from its prose (Theorem 1's
hypotheses, "(1/n) sum_k lambda_k acts as a regularizer", Sec. 6's ``P Z M sigma(Z^T Q Z)``, Appendix
A.1's ``(b^T G A + w*^T) x``), from the authors' code, and, for the displays (6), (7) and (9), from a
third-party review that quotes them: ``Q_0 = -U diag(1/(((n+1)/n) lambda_i + (1/n) sum_k lambda_k)) U^T``,
``Q_0 = -(1/((n-1)/n + (d+2)/n)) diag(I, 0)`` and ``w_{l+1} = w_l - A_l grad R(w_l)``. Eq. (9)'s ``A_l``
(rather than ``A_l^T``) should be confirmed against the paper itself.
"""
from __future__ import annotations

from proofs_check import Check, Claim, Method, combine, register

PAPER = "Ahn, Cheng, Daneshmand, Sra 2023 (NeurIPS), arXiv 2306.00297"
#: Sizes (d, n) of the forward-pass checks: the prompt length n is concrete there, the data symbolic.
FORWARD_SIZES = ((2, 3),)
#: Layers of the forward-pass checks (Eq. 3-4 and Lemma 1).
LAYERS = (1, 2, 3)
#: Theorem 1: (d, covariance kind) with symbolic n: a general symmetric Sigma at d = 2.
T1_CASES = ((1, "general"), (2, "general"))
#: Eq. (7): dimensions with Sigma = I, symbolic n.
ISO_DIMENSIONS = (1, 2, 3)


# --------------------------------------------------------------------------- shared helpers
def _symbols(prefix, count, **assumptions):
    import sympy as sp

    assumptions.setdefault("real", True)
    return list(sp.symbols(f"{prefix}_1:{count + 1}", **assumptions))


def _data(D, n):
    """A symbolic prompt: x_1..x_n (D x 1), the task vector w*, the query x_q; y_i = w*^T x_i."""
    import sympy as sp

    xs = [sp.Matrix(_symbols(f"x{i}", D)) for i in range(1, n + 1)]
    w_star = sp.Matrix(_symbols("wstar", D))
    x_q = sp.Matrix(_symbols("xq", D))
    ys = [sp.expand((w_star.T * x)[0]) for x in xs]
    return xs, ys, w_star, x_q


def _general(prefix, D, symmetric=False, **assumptions):
    import sympy as sp

    if not symmetric:
        return sp.Matrix(D, D, _symbols(prefix, D * D, **assumptions))
    M = sp.zeros(D, D)
    for i in range(D):
        for j in range(i, D):
            kind = dict(positive=True) if i == j else dict(real=True)
            M[i, j] = M[j, i] = sp.Symbol(f"{prefix}_{i + 1}{j + 1}", **kind)
    return M


def _covariance(D, kind):
    """Sigma: ``"general"`` a symbolic symmetric matrix (diagonal entries positive), ``"diagonal"``, ``"I"``."""
    import sympy as sp

    if kind == "I":
        return sp.eye(D)
    if kind == "diagonal":
        return sp.diag(*_symbols("lambda", D, positive=True))
    return _general("sigma", D, symmetric=True)


def _sparse(D, A):
    """The sparsity (8): P = diag(0_d, 1), Q = -diag(A, 0)."""
    import sympy as sp

    return sp.diag(*([0] * D + [1])), -sp.diag(A, sp.zeros(1, 1))


# --------------------------------------------------------------------------- ahn2023.M (Eq. 3-4)
def _m_stated():
    """Eq. (3)-(4) as stated: (Attn_{P,Q}(Z) = P Z M (Z^T Q Z), the step 1/n of Z -> Z + Attn/n, the sign of TF)."""
    import sympy as sp

    n = sp.Symbol("n", integer=True, positive=True)
    E, C = sp.Symbol("E", integer=True, positive=True), sp.Symbol("C", integer=True, positive=True)
    Z, P, Q, M = (sp.MatrixSymbol("Z", E, C), sp.MatrixSymbol("P", E, E), sp.MatrixSymbol("Q", E, E),
                  sp.MatrixSymbol("M", C, C))
    return sp.Tuple(P * Z * M * (Z.T * Q * Z), 1 / n, sp.Integer(-1))


def paper_forward(Ps, Qs, xs, ys, x_q, form=None):
    """The paper's Z_L and TF_L = -[Z_L]_{d+1,n+1} from the stated layer map (Eq. 3-4), at explicit sizes.

    Parameters
    ----------
    Ps, Qs : list of sympy.Matrix, shape (d+1, d+1)
        ``P_l`` and ``Q_l`` of each layer.
    xs, ys, x_q : the prompt (d x 1 inputs, labels, d x 1 query).
    form : sympy.Tuple, optional
        (attention map, step, readout sign); default :func:`proofs_check.stated` of ``ahn2023.M``.
    """
    import sympy as sp

    from proofs_check import stated
    from theory import PolyMatrix

    attention, step, sign = form if form is not None else stated("ahn2023.M")
    n = len(xs)
    Zm = sp.Matrix([list(x) + [y] for x, y in zip(xs, ys)] + [list(x_q) + [0]]).T
    E, C = Zm.shape
    mask = sp.diag(*([1] * n + [0]))
    names = {s.name: s for s in sp.sympify(attention).free_symbols | sp.sympify(step).free_symbols}
    scalars = {names[k]: sp.Integer(v) for k, v in (("n", n), ("E", E), ("C", C)) if k in names}
    step = sp.sympify(sp.sympify(step).xreplace(scalars))
    if not step.is_Rational:
        raise ValueError(f"the stated step must be a number at n = {n} (got {step})")
    gens = set(Zm.free_symbols).union(*(M.free_symbols for M in [*Ps, *Qs]))
    ring = PolyMatrix.ring(gens)
    Z = PolyMatrix.from_sympy(Zm, ring)
    for P, Q in zip(Ps, Qs):
        env = {names["Z"]: Z, names["P"]: PolyMatrix.from_sympy(P, ring),
               names["Q"]: PolyMatrix.from_sympy(Q, ring), names["M"]: PolyMatrix.from_sympy(mask, ring)}
        Z = Z + step * _evaluate(attention, env, scalars)
    Z = Z.to_sympy()
    return Z, sp.expand(sp.sympify(sign) * Z[E - 1, C - 1])


def _evaluate(expr, env, scalars):
    """A matrix expression of sums, products and transposes, evaluated on PolyMatrix values (stay expanded)."""
    import sympy as sp

    if expr in env:
        return env[expr]
    if isinstance(expr, sp.MatAdd):
        terms = [_evaluate(a, env, scalars) for a in expr.args]
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out
    if isinstance(expr, sp.MatMul):
        coeff, factors = expr.as_coeff_matrices()
        out = _evaluate(factors[0], env, scalars)
        for f in factors[1:]:
            out = out * _evaluate(f, env, scalars)
        coeff = sp.sympify(coeff).xreplace(scalars)
        if not coeff.is_Rational:
            raise ValueError(f"the stated layer map has a non-rational coefficient {coeff} at these sizes")
        return out if coeff == 1 else coeff * out
    if isinstance(expr, sp.Transpose):
        return _evaluate(expr.arg, env, scalars).T
    raise ValueError(f"the stated layer map uses {type(expr).__name__}: only sums, products and transposes of "
                     "Z, P, Q, M are evaluated")


def check_model_correspondence(sizes=FORWARD_SIZES, transpose=False, form=None):
    """One layer of Eq. (3)-(4) with general P and Q: every token of Z_1 and TF equal the pipeline's with
    W_PV = P, W_KQ = Q (``transpose=True``: W_KQ = Q^T, the authors' code's convention, must be REFUTED)."""
    import sympy as sp

    from proofs_check import check_identity
    from theory import LinearAttention, stacked_forward

    name = "Eq. (3)-(4) is LinearAttention(W_PV = P, W_KQ = Q, readout_sign = -1)"
    results = []
    for D, n in sizes:
        E = D + 1
        xs, ys, _, x_q = _data(D, n)
        P, Q = _general("p", E), _general("q", E)
        KQ = Q.T if transpose else Q
        Z1, TF = paper_forward([P], [Q], xs, ys, x_q, form=form)
        out = stacked_forward(LinearAttention(D=D, value="full", readout_sign=-1), [{"W_PV_1": P, "W_KQ_1": KQ}],
                              xs, ys, x_q)
        tokens = sp.Matrix.hstack(*out.context[1], out.query[1])
        sized = {"d": D, "n": n}
        results.append(check_identity(tokens, Z1, sizes=sized, name=f"every token of Z_1, d = {D}, n = {n}"))
        results.append(check_identity(out.prediction, TF, sizes=sized, name=f"TF = -[Z_1]_(d+1,n+1), d = {D}, n = {n}"))
        # one layer: only P's last row b reaches TF; the readout model's value row is v = b
        row = LinearAttention(D=D, readout_sign=-1).predict(xs, ys, x_q, values={"v_1": P.row(E - 1).T, "W_KQ_1": KQ})
        results.append(check_identity(sp.expand(row), TF, sizes=sized,
                                      name=f"readout model, v = P's last row, d = {D}, n = {n}"))
        if any(r.status.value != "VERIFIED" for r in results):
            return combine(name, results)
    return combine(name, results, f"general symbolic P, Q and prompt at (d, n) in {list(sizes)}")


def _m_statement():
    import sympy as sp

    attention, step, sign = _m_stated()
    Z = [s for s in attention.free_symbols if s.name == "Z"][0]
    return (sp.Eq(sp.MatrixSymbol("Z_next", *Z.shape), Z + step * attention, evaluate=False),
            sp.Eq(sp.Symbol("TF"), sign * sp.Symbol("y_q"), evaluate=False))


register(Claim(
    id="ahn2023.M",
    stated=_m_stated,
    title="The paper's linear transformer (Eq. 3-4) is LinearAttention with W_PV = P, W_KQ = Q (not Q^T), "
          "prediction -[Z_L]_{d+1,n+1}",
    source=f"{PAPER}, Sec. 2, Eq. (1), (3), (4) and the definition of TF_L",
    hypotheses=["Z_0 = [[x_1 .. x_n, x_q], [y_1 .. y_n, 0]], tokens as columns",
                "M = diag(I_n, 0) masks the query out of the keys; normaliser 1/n",
                "P, Q general (d+1) x (d+1) matrices; every token (context and query) updated",
                "y_q = [Z_L]_{d+1,n+1}, the query's label entry after the last layer"],
    statement=_m_statement,
    checks=[Check("Eq. (3)-(4) is LinearAttention(W_PV = P, W_KQ = Q)", Method.SYMBOLIC_AT_SIZES,
                  check_model_correspondence)],
    description="The stated layer map Z + (1/n) P Z M (Z^T Q Z) is applied to a symbolic prompt (d = 2, n = 3) with "
                "general symbolic P, Q: every token of Z_1 equals theory.stacked_forward's with "
                "LinearAttention(value='full', readout_sign=-1), W_PV = P, W_KQ = Q, and TF = -[Z_1]_{d+1,n+1} equals "
                "its prediction and the readout model's with v = P's last row. Stacking the same map is what "
                "stacked_forward does layer by layer (ahn2023.L1 checks L = 2, 3 with the sparse weights). "
                "With W_KQ = Q^T the identity is REFUTED (tests/test_ahn2023_claims.py): the convention is pinned. "
                "The authors' code (chengxiang/LinearTransformer @b6ddc35, attention()) forms z_q^T Q z_i: its "
                "prediction equals mesacheck's with W_KQ = Q^T to 4e-16 and differs from W_KQ = Q by 56 % "
                "(benchmarks/compare_ahn_authors.py, results_ahn_authors.txt).",
))


# --------------------------------------------------------------------------- ahn2023.L1 (Lemma 1)
def _l1_stated():
    """Lemma 1's update, as the paper's attention (3) implies it: w_{l+1} = w_l - A_l^T grad R(w_l)."""
    import sympy as sp

    d = sp.Symbol("d", integer=True, positive=True)
    w, g, A = sp.MatrixSymbol("w", d, 1), sp.MatrixSymbol("g", d, 1), sp.MatrixSymbol("A", d, d)
    return w - A.T * g


def _risk_gradient(w_star, xs):
    """grad R(u) = H u + g_0 for R(u) = (1/2n) sum_i (u^T x_i - w*^T x_i)^2: H and g_0 by differentiating R."""
    import sympy as sp

    u = sp.Matrix(_symbols("u", len(w_star)))
    R = sp.expand(sum(((u - w_star).T * x)[0] ** 2 for x in xs) / (2 * len(xs)))
    grad = sp.Matrix([sp.diff(R, s) for s in u])
    H = grad.jacobian(u)
    return H, grad.xreplace({s: 0 for s in u})


def stated_gd_iterates(As, w_star, xs, form=None, extra=()):
    """w_0 = 0 and w_{l+1} from the stated update (default ``stated("ahn2023.L1")``), one A_l per step.

    Returns the iterates as ``theory.PolyMatrix`` (expanded polynomials) in one ring, and the ring.
    """
    import sympy as sp

    from proofs_check import stated
    from theory import PolyMatrix

    form = form if form is not None else stated("ahn2023.L1")
    names = {s.name: s for s in sp.sympify(form).free_symbols}
    H, g0 = _risk_gradient(w_star, xs)
    gens = set(H.free_symbols) | set(g0.free_symbols) | set().union(*(A.free_symbols for A in As)) | set(extra)
    ring = PolyMatrix.ring(gens)
    H, g0 = PolyMatrix.from_sympy(H, ring), PolyMatrix.from_sympy(g0, ring)
    w = PolyMatrix.zeros(len(w_star), 1, ring)
    scalars = {names["d"]: len(w_star)} if "d" in names else {}
    iterates = [w]
    for A in As:
        env = {names["w"]: w, names["g"]: H * w + g0, names["A"]: PolyMatrix.from_sympy(A, ring)}
        w = _evaluate(form, env, scalars)
        iterates.append(w)
    return iterates, ring


def check_lemma1(sizes=FORWARD_SIZES, layers=LAYERS, symmetric=False, form=None):
    """With the sparsity (8) and general A_l: [Z_l]_{d+1,n+1} = -<x_q, w_l> and [Z_l]_{d+1,i} = y_i - <x_i, w_l>."""
    import sympy as sp

    from proofs_check import check_identity
    from theory import LinearAttention, PolyMatrix, stacked_forward

    name = "[Z_l]_{d+1,n+1} = -<x_q, w_l>"
    results = []
    for D, n in sizes:
        xs, ys, w_star, x_q = _data(D, n)
        model = LinearAttention(D=D, value="full")
        for L in layers:
            As = [_general(f"a{layer}", D, symmetric=symmetric) for layer in range(1, L + 1)]
            weights = []
            for A in As:
                P, Q = _sparse(D, A)
                weights.append({"W_PV_1": P, "W_KQ_1": Q})
            out = stacked_forward(model, weights, xs, ys, x_q)
            iterates, ring = stated_gd_iterates(As, w_star, xs, form=form, extra=x_q)
            lhs = sp.Matrix([out.query[-1][D]] + [z[D] for z in out.context[-1]])
            X = PolyMatrix.from_sympy(sp.Matrix.hstack(x_q, *xs), ring)
            labels = PolyMatrix.from_sympy(sp.Matrix([[0, *ys]]), ring)
            rhs = (labels - iterates[-1].T * X).to_sympy().T
            results.append(check_identity(lhs, rhs, sizes={"d": D, "n": n, "L": L},
                                          name=f"query and context labels after {L} layer(s), d = {D}, n = {n}"))
            if results[-1].status.value != "VERIFIED":
                return combine(name, results)
    kind = "symmetric" if symmetric else "general (non-symmetric)"
    return combine(name, results, f"{kind} symbolic A_l and prompt at (d, n) in {list(sizes)}, L in {list(layers)}")


def _l1_statement():
    import sympy as sp

    form = _l1_stated()
    d = form.shape[0]
    w, x = sp.MatrixSymbol("w", d, 1), sp.MatrixSymbol("x", d, 1)
    return (sp.Eq(sp.MatrixSymbol("y_q", 1, 1), -x.T * w, evaluate=False),
            sp.Eq(sp.MatrixSymbol("w_next", *form.shape), form, evaluate=False))


register(Claim(
    id="ahn2023.L1",
    stated=_l1_stated,
    title="Lemma 1: with P_l = diag(0, 1), Q_l = -diag(A_l, 0) the query's label after l layers is -<x_q, w_l>, "
          "w_{l+1} = w_l - A_l^T grad R(w_l): A_l^T, not A_l as printed, unless A_l is symmetric",
    source=f"{PAPER}, Lemma 1, Eq. (8)-(9); proof in Appendix C.1",
    hypotheses=["sparsity (8): P_l = [[0, 0], [0, 1]], Q_l = -[[A_l, 0], [0, 0]], A_l any d x d matrix",
                "R(w) = (1/2n) sum_i (w^T x_i - w*^T x_i)^2, y_i = w*^T x_i, w_0 = 0",
                "the layer of Eq. (3), Attn = P Z M (Z^T Q Z) (pinned by ahn2023.M)",
                "y_q = [Z_l]_{d+1,n+1}, the query's label entry after l layers, x = x_q, w = w_l, g = grad R(w_l)"],
    statement=_l1_statement,
    checks=[Check("[Z_l]_{d+1,n+1} = -<x_q, w_l>", Method.SYMBOLIC_AT_SIZES, check_lemma1)],
    description="theory.stacked_forward runs L = 1, 2, 3 layers of LinearAttention(value='full') with the sparse "
                "weights (8) and general symbolic A_l on a symbolic prompt (d = 2, n = 3); the iterates w_l come "
                "from the stated update with grad R obtained by differentiating R. The query's label is "
                "-<x_q, w_L> and every context label y_i - <x_i, w_L> (the proof's third fact) with A_l^T in the "
                "update. The paper's Eq. (9) prints w_l - A_l grad R(w_l): that variant is REFUTED at the first "
                "non-symmetric A_l and VERIFIED for symmetric A_l (tests/test_ahn2023_claims.py); it is what the "
                "authors' code computes (z_q^T Q z_i, i.e. Q^T in Eq. 3). Theorems 1-4 use symmetric A_l "
                "(Gamma^{-1}, a_l Sigma^{-1}), so they are unaffected.",
))


# --------------------------------------------------------------------------- ahn2023.T1 (Theorem 1)
def _t1_stated():
    """Theorem 1 as stated: Q_0's top-left block s (c_1 Sigma + c_2 tr(Sigma) I)^{-1}, given as (s, c_1, c_2)."""
    import sympy as sp

    from theory import SYMBOLS

    n = SYMBOLS["N"]
    return sp.Tuple(sp.Integer(-1), (n + 1) / n, 1 / n)


def stated_q_block(Sigma, form=None):
    """Theorem 1's stated top-left block of Q_0 for the covariance ``Sigma`` (d x d), symbolic n."""
    import sympy as sp

    from proofs_check import stated

    s, c1, c2 = form if form is not None else stated("ahn2023.T1")
    Gamma = c1 * Sigma + c2 * Sigma.trace() * sp.eye(Sigma.rows)
    return (s * Gamma.inv()).applyfunc(sp.cancel)


def _iso_stated():
    """Eq. (7) as stated: the top-left block of Q_0 is -(1 + (d+1)/n)^{-1} I_d."""
    import sympy as sp

    from theory import SYMBOLS

    d = sp.Symbol("d", integer=True, positive=True)
    return -1 / (1 + (d + 1) / SYMBOLS["N"])


def stated_iso_block(D, form=None):
    """Eq. (7)'s stated top-left block of Q_0 at dimension ``D``, symbolic n."""
    import sympy as sp

    from proofs_check import stated

    form = form if form is not None else stated("ahn2023.T1iso")
    d = sp.Symbol("d", integer=True, positive=True)
    return sp.cancel(sp.sympify(form).xreplace({d: D})) * sp.eye(D)


def _q_matrix(block):
    """Q = [[block, 0], [0, 0]], (d+1) x (d+1)."""
    import sympy as sp

    return sp.diag(block, sp.zeros(1, 1))


def check_single_layer_optimum(D, Sigma, block, critical_point=True):
    """Theorem 1 at one dimension: the stated (P_0, Q_0) from the derived population loss (symbolic n).

    1. on the family P = gamma diag(0, 1), Q = Q_0 / gamma the gradient of the loss in every weight (the
       value row v = b and all of Q) vanishes, with a control (it does not vanish at (P_0, 2 Q_0)); and the
       family is a global minimiser over all (P, Q): the loss is a convex quadratic F(C) of the prediction's
       feature coefficients C = (v_k W_lj) (theory's PopulationLoss G, b, coefficients), and C at the family
       solves F's normal equations G C = b (the paper's Appendix A argument, lifted to C);
    2. with b = e_{d+1} fixed the loss is a convex quadratic in Q's first d columns (Q's last column only meets
       the query's zero label): that manifold is invariant and Q_0 is its only fixed point, so the global
       minimiser over Q;
    3. the prediction at Q_0 is one step of preconditioned GD with P = -(Q_0's block) for every prompt.
    """
    import sympy as sp

    from proofs_check import check_fixed_points, check_identity, check_invariant, check_nonzero, check_prediction
    from theory import InContextRegression, LinearAttention, Manifold, population_loss, preconditioned_gd

    E = D + 1
    sizes = {"D": D}
    task = InContextRegression(D, covariance=Sigma)
    e_last = sp.Matrix([0] * D + [1])
    results = []
    if critical_point:
        free = LinearAttention(D=D, readout_sign=-1)
        loss = population_loss(free, task)
        gamma = sp.Symbol("gamma", positive=True)
        at = loss.gradient_at({"v_1": gamma * e_last, "W_KQ_1": _q_matrix(block) / gamma})
        results.append(check_identity(sp.Matrix([at[s] for s in free.symbols]), sp.zeros(len(free.symbols), 1),
                                      sizes=sizes, name=f"grad L = 0 at (gamma P_0, Q_0 / gamma), every weight "
                                                        f"(d = {D})"))
        elsewhere = loss.gradient_at({"v_1": e_last, "W_KQ_1": 2 * _q_matrix(block)})
        results.append(check_nonzero(sp.Matrix([elsewhere[s] for s in free.symbols]), sizes=sizes,
                                     name=f"control: grad L != 0 at (P_0, 2 Q_0) (d = {D})"))
        # global: L = c (C^T G C - 2 b C + c_0) with G = E[features features^T] (PSD), C = C(P, Q) the
        # prediction's feature coefficients (v_k W_lj). G C = b at (P_0, Q_0) makes C(P_0, Q_0) a minimiser of
        # this convex quadratic over every C, so (P_0, Q_0) minimises L over every (P, Q).
        lifted = loss.coefficients[0].xreplace(free.with_values({"v_1": gamma * e_last,
                                                                  "W_KQ_1": _q_matrix(block) / gamma}))
        results.append(check_identity(loss.G * lifted - loss.b[0, :].T, sp.zeros(loss.G.rows, 1), sizes=sizes,
                                      name=f"global: G C(gamma P_0, Q_0 / gamma) = b, the convex lift's normal "
                                           f"equations (d = {D})"))
    model = LinearAttention(D=D, readout_sign=-1, fixed={"v_1": e_last})
    loss = population_loss(model, task)
    a = _symbols("q", E * D)
    W = sp.Matrix(E, D, a).row_join(sp.zeros(E, 1))
    reduced = Manifold(model, {"W_KQ_1": W}, a).restrict(loss)
    results.append(check_invariant(reduced, sizes=sizes, name=f"Q's first d columns: invariant (d = {D})"))
    target = _q_matrix(block)[:, :D]
    expected = {q: target[k] for k, q in enumerate(a)}          # Matrix(E, D, a) is filled row by row
    results.append(check_fixed_points(reduced, [expected], sizes=sizes,
                                      name=f"the only fixed point there is Q_0 (d = {D})"))
    values = {"W_KQ_1": _q_matrix(block)}
    results.append(check_prediction(model, values, preconditioned_gd(-block), sizes=sizes,
                                    name=f"prediction at Q_0 = preconditioned GD, P = Gamma^-1 (d = {D})"))
    return combine(f"d = {D}", results)


def check_theorem1(cases=T1_CASES, form=None, critical_point=True):
    results = []
    for D, kind in cases:
        Sigma = _covariance(D, kind)
        results.append(check_single_layer_optimum(D, Sigma, stated_q_block(Sigma, form), critical_point))
        if results[-1].status.value != "VERIFIED":
            break
    shown = ", ".join(f"d = {D} ({kind} Sigma)" for D, kind in cases)
    return combine("Theorem 1", results, f"symbolic n and symbolic covariance entries: {shown}")


def check_isotropic(dimensions=ISO_DIMENSIONS, form=None):
    results = []
    for D in dimensions:
        results.append(check_single_layer_optimum(D, None, stated_iso_block(D, form), critical_point=D <= 2))
        if results[-1].status.value != "VERIFIED":
            break
    return combine("Eq. (7)", results, f"symbolic n, Sigma = I, d in {list(dimensions)}")


def _t1_statement():
    import sympy as sp

    d = sp.Symbol("d", integer=True, positive=True)
    Sigma, Gamma = sp.MatrixSymbol("Sigma", d, d), sp.MatrixSymbol("Gamma", d, d)
    s, c1, c2 = _t1_stated()
    return (sp.Eq(sp.MatrixSymbol("Q_0", d, d), s * Gamma.inv(), evaluate=False),
            sp.Eq(Gamma, c1 * Sigma + c2 * sp.Trace(Sigma) * sp.Identity(d), evaluate=False))


def _iso_statement():
    import sympy as sp

    d = sp.Symbol("d", integer=True, positive=True)
    return (sp.Eq(sp.MatrixSymbol("Q_0", d, d), _iso_stated() * sp.Identity(d), evaluate=False),)


register(Claim(
    id="ahn2023.T1",
    stated=_t1_stated,
    title="Theorem 1: P_0 = diag(0, 1), Q_0 = -diag(Gamma^{-1}, 0), Gamma = (1 + 1/n) Sigma + tr(Sigma)/n I, is a "
          "global minimiser of f(P, Q), one step of preconditioned GD (symbolic n; d = 1, 2, any Sigma)",
    source=f"{PAPER}, Theorem 1, Eq. (6); proof in Appendix A.1-A.3 (Lemma 3)",
    hypotheses=["x_i, x_q ~ N(0, Sigma) iid, Sigma symmetric with symbolic entries (the paper's U Lambda U^T), "
                "w ~ N(0, I_d), y_i = w^T x_i, no label noise",
                "the optimum holds up to P -> gamma P, Q -> Q / gamma (the paper's re-scaling)",
                "f depends on P only through its last row b (Appendix A.1), the pipeline's value row v",
                "Q_0 denotes Q's top-left d x d block (the rest of Q_0 is 0); the paper's n is mesacheck's N"],
    statement=_t1_statement,
    checks=[Check("Theorem 1", Method.SYMBOLIC_AT_SIZES, check_theorem1),
            Check("Theorem 1 at d = 3 (diagonal Sigma)", Method.SYMBOLIC_AT_SIZES,
                  lambda: check_theorem1(((3, "diagonal"),), critical_point=False), slow=True)],
    description="The population loss of one merged-KQ layer (readout -[Z]_{d+1,n+1}) is derived for symbolic n and a "
                "symbolic covariance. (1) On the rescaled family (gamma b, Q_0/gamma), b = e_{d+1}, the derived "
                "gradient in every weight vanishes (a critical point of f(P, Q) for every gamma > 0), and it is a "
                "global minimiser: the loss is a convex quadratic F(C) = c (C^T G C - 2 b C + c_0) of the "
                "prediction's feature coefficients C = (v_k W_lj) with G the features' second moments, and C at "
                "the family solves G C = b, so F there is min over every C, hence over every (P, Q) (the paper's "
                "per-component convexity argument of Appendix A, done once on the lift). (2) With b fixed the flow on Q's first d columns (all (d+1) d entries, "
                "the y-row included) is invariant and its only fixed point is the stated Q_0 = "
                "s (c_1 Sigma + c_2 tr(Sigma) I)^{-1}, (s, c_1, c_2) = (-1, (n+1)/n, 1/n); the loss there is a "
                "convex quadratic (an expectation of squares of linear functions), so Q_0 is its global minimiser. "
                "(3) The prediction at Q_0 is preconditioned GD with P = Gamma^{-1}, for every prompt length. "
                "The paper writes Gamma^{-1} as U diag(1/(((n+1)/n) lambda_i + (1/n) sum_k lambda_k)) U^T: the same "
                "matrix. The paper's manifold Q = -diag(A, 0) with A symmetric is not invariant under the flow when "
                "Sigma is anisotropic (check_invariant REFUTES it at d = 2, Sigma = diag(lambda_1, lambda_2); "
                "tests/test_ahn2023_claims.py), hence the first d columns.",
))

register(Claim(
    id="ahn2023.T1iso",
    stated=_iso_stated,
    title="Eq. (7): for Sigma = I the optimum is Q_0 = -(1 + (d+1)/n)^{-1} diag(I_d, 0), one GD step with "
          "step n/(n + d + 1) (symbolic n; d = 1, 2, 3)",
    source=f"{PAPER}, Sec. 3, Eq. (7) (the isotropic case of Theorem 1); Appendix A.2, Lemma 2",
    hypotheses=["x_i, x_q ~ N(0, I_d) iid, w ~ N(0, I_d), y_i = w^T x_i, no label noise",
                "up to P -> gamma P, Q -> Q / gamma",
                "Q_0 denotes Q's top-left d x d block (the rest of Q_0 is 0); the paper's n is mesacheck's N"],
    statement=_iso_statement,
    checks=[Check("Eq. (7)", Method.SYMBOLIC_AT_SIZES, check_isotropic)],
    description="As ahn2023.T1 with Sigma = I at d = 1, 2, 3 (the all-weights critical-point and global-minimum "
                "checks at d = 1, 2): "
                "the only fixed point on Q's first d columns is -(1 + (d+1)/n)^{-1} diag(I, 0) for symbolic n, and the "
                "prediction there is preconditioned GD with P = (1 + (d+1)/n)^{-1} I, i.e. one GD step of size "
                "n/(n + d + 1). The paper's (7) writes the factor as 1/((n-1)/n + (d+2)/n): the same number.",
))
