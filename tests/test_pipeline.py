"""The model-description pipeline (theory.models / tasks / derive): derivations agree with independent ones."""
import random

import pytest
import sympy as sp

import theory
from theory import (SYMBOLS, AutoregressiveTask, Flow, InContextRegression, LinearAttention, Manifold, RealGaussian,
                    conserved_quantities, fixed_points, one_step_gd, oswald_model, population_loss,
                    prediction_difference, preconditioned_gd, zheng_model)

N = SYMBOLS["N"]
a, b = sp.symbols("a b", real=True)


def _random_point(symbols, seed=1):
    rng = random.Random(seed)
    return {s: sp.Rational(rng.randint(-5, 5), rng.randint(1, 4)) for s in symbols}


def _direct_loss(model, task, n, values):
    """E (yhat - y)^2 / 2 by expanding an explicit prompt of n tokens (no set partitions)."""
    xs, ys = [], []
    for k in range(1, n + 1):
        x, y, _ = task.token(k)
        xs.append(x)
        ys.append(y)
    pred = model.predict(xs, ys, task.x_q, values)
    return task.expect((pred - task.target()) ** 2 / 2, blocks=n)


@pytest.mark.parametrize("kwargs", [dict(D=1), dict(D=2, heads=2), dict(D=1, parametrisation="separate", rank=1),
                                    dict(D=1, value="full")])
def test_symbolic_N_loss_equals_explicit_prompts(kwargs):
    model = LinearAttention(**kwargs)
    lam = sp.Symbol("lambda_1", positive=True)
    task = InContextRegression(kwargs["D"], covariance=[lam] + [1] * (kwargs["D"] - 1), noise=sp.Rational(1, 3))
    L = population_loss(model, task)
    values = _random_point(model.symbols)
    for n in ((1, 2, 3) if kwargs["D"] == 1 else (1, 2)):
        assert sp.expand(L.at(values).subs(N, n) - _direct_loss(model, task, n, values)) == 0
    assert L.at(values) != 0  # control: not trivially zero


def test_gradient_is_the_derivative_of_the_loss():
    model = LinearAttention(D=1, heads=2)
    L = population_loss(model, InContextRegression(1))
    point = _random_point(model.symbols, seed=3)
    expr = L.expr
    for s in model.symbols[:4]:
        assert sp.cancel((sp.diff(expr, s) - L.gradient[s]).subs(point)) == 0
    assert any(L.gradient[s].subs(point) != 0 for s in model.symbols)


def _ar_models(d):
    zheng = zheng_model(d)
    common = dict(embedding=zheng.embedding, readout=list(zheng.readout), normaliser=zheng.normaliser)
    return {"zheng": zheng, "two heads": LinearAttention(heads=2, **common),
            "separate rank 1": LinearAttention(parametrisation="separate", rank=1, **common),
            "full value": LinearAttention(value="full", **common)}


@pytest.mark.parametrize("d, T, name", [(1, 3, "zheng"), (1, 4, "zheng"), (2, 3, "zheng"), (1, 4, "two heads"),
                                        (1, 4, "separate rank 1"), (1, 3, "full value")])
def test_autoregressive_loss_equals_an_explicit_sequence(d, T, name):
    """The exact ring expansion (the model's readout_formula on jets) = SymPy's model.apply on one explicit
    sequence, phase-averaged; the gradient = the derivative of that reference."""
    model = _ar_models(d)[name]
    task = AutoregressiveTask(d, RealGaussian(d), T)
    L = population_loss(model, task)
    values = _random_point(model.symbols, seed=d + T)
    assert sp.expand(L.at(values) - task.reference_loss(model, values)) == 0
    assert L.at(values) != 0                                    # control: not trivially zero
    s = model.symbols[0]
    shifted = dict(values) | {s: s}
    reference = sp.diff(task.reference_loss(model, shifted), s).subs(s, values[s])
    assert sp.expand(L.gradient_at(values)[s] - reference) == 0
    assert any(g != 0 for g in L.gradient_at(values).values())


@pytest.mark.parametrize("d, T", [(1, 3), (2, 3)])
def test_zheng_instance_is_the_population_derivation(d, T):
    """population_derivatives (complex W_PV, W_KQ) is the instance: at real weights it is the pipeline's loss."""
    from theory import population_derivatives

    model = zheng_model(d)
    L = population_loss(model, AutoregressiveTask(d, RealGaussian(d), T))
    values = _random_point(model.symbols, seed=d + T)
    W_PV, W_KQ = model.parameters["v_1"].T.xreplace(values), model.parameters["W_KQ_1"].xreplace(values)
    ref = population_derivatives(d, T, W_PV, W_KQ, RealGaussian(d))
    assert sp.expand(L.at(values) - ref.loss) == 0 and ref.loss != 0
    grad = L.gradient_at(values)
    for (i, j), g in zip([(i, j) for i in range(d) for j in range(2 * d)], ref.grad_PV):
        assert sp.expand(grad[model.parameters["v_1"][j, i]] - sp.re(g)) == 0


def test_oswald_instance_predicts_like_the_lsa_layer_and_one_gd_step():
    D = 2
    p = theory.regression_prompt(D, 1, 3, polynomial=False)
    eta = SYMBOLS["eta"]
    w = theory.gd_construction(p, eta=eta, W0=sp.zeros(1, D))
    blocks = lambda B, sizes: sp.Matrix(sp.BlockMatrix([[B[i][j] if B[i][j] is not None else sp.zeros(sizes[i], sizes[j])  # noqa: E731
                                                          for j in range(2)] for i in range(2)]))
    W_PV, W_KQ = blocks(w.W_PV, (D, 1)), blocks(w.W_KQ, (D, 1))
    model = oswald_model(D)
    values = {"W_PV_1": W_PV, "W_KQ_1": W_KQ}
    xs = [p.X[:, n] for n in range(3)]
    ys = [p.Y[0, n] for n in range(3)]
    ref = theory.prediction(theory.lsa_forward(w, theory.Tokens(p.X, p.Y, p.x_query, sp.zeros(1, 1)))[-1])
    assert sp.expand(model.predict(xs, ys, p.x_query, values) - ref[0]) == 0
    # one GD step with eta for every prompt of length 3 (the construction carries eta / N)
    assert prediction_difference(model, values, one_step_gd(D, eta), N=3) == 0
    assert prediction_difference(model, values, one_step_gd(D, -eta), N=3) != 0


def _risk_by_hand(d):
    """The one-step risk by the hand split of the double sum into equal and distinct indices (independent)."""
    n, s, eta = theory.n_sym, theory.s_sym, SYMBOLS["eta"]
    x1, x2, w = (sp.symbols(f"{p}_1:{d + 1}") for p in ("x1", "x2", "w"))
    e1, e2 = sp.symbols("e1 e2")
    var = {v: 1 for v in (*x1, *x2, *w)} | {e1: s ** 2, e2: s ** 2}

    def E(poly):
        out = 0
        for mono, coeff in sp.Poly(sp.expand(poly), *var).terms():
            term = coeff
            for k, v in zip(mono, var.values()):
                term *= 0 if k % 2 else sp.factorial2(k - 1) * v ** (k // 2) if k else 1
            out += term
        return sp.expand(out)

    dot = lambda p, q: sum(a * b for a, b in zip(p, q))  # noqa: E731
    y1, y2 = dot(w, x1) + e1, dot(w, x2) + e2
    v2 = E(y1 ** 2 * dot(x1, x1)) / n + (n - 1) / n * E(y1 * y2 * dot(x1, x2))
    return sp.expand(eta ** 2 * v2 - 2 * eta * E(y1 * dot(x1, w)) + E(dot(w, w)))


@pytest.mark.parametrize("D", [1, 2])
def test_label_noise_risk_from_the_pipeline_equals_the_hand_derivation(D):
    assert sp.cancel(theory.one_step_risk(D) - _risk_by_hand(D)) == 0
    assert theory.one_step_risk(D).has(theory.s_sym)  # control: the noise enters


def test_manifold_invariance_conserved_quantity_and_fixed_points():
    model = LinearAttention(D=1)
    L = population_loss(model, InContextRegression(1))
    M = Manifold(model, {"W_KQ_1": sp.Matrix([[a, 0], [0, 0]]), "v_1": sp.Matrix([0, b])}, (a, b))
    red = M.restrict(L)
    assert red.invariant
    assert conserved_quantities(red) == [a ** 2 - b ** 2]
    fp = fixed_points(red)
    assert fp.status == "positive-dimensional"  # the curve a b = N / (N + 2), never cut to points
    # on the curve the prediction is one GD step with eta = N / (N + 2)
    eta = N / (N + 2)
    at = {"W_KQ_1": sp.Matrix([[1, 0], [0, 0]]), "v_1": sp.Matrix([0, eta])}
    assert prediction_difference(model, at, one_step_gd(1, eta)) == 0
    assert prediction_difference(model, at, preconditioned_gd(sp.Matrix([[1]]))) != 0
    assert sp.cancel(red.rhs[a].subs({a: 1, b: eta})) == 0


def test_a_manifold_that_is_not_invariant_has_residuals():
    model = LinearAttention(D=1)
    L = population_loss(model, InContextRegression(1))
    M = Manifold(model, {"W_KQ_1": sp.Matrix([[0, a], [0, 0]]), "v_1": sp.Matrix([b, 0])}, (a, b))
    assert not M.restrict(L).invariant


def test_fixed_points_finite_and_none():
    x = sp.Symbol("x", real=True)
    fp = fixed_points(Flow({a: 1 - a ** 2, b: a - b}, (a, b)))
    assert fp.status == "finite" and len(fp.points) == 2
    assert fixed_points(Flow({a: sp.Integer(1), x: x}, (a, x))).status == "none"


@pytest.mark.parametrize("call, match", [
    (lambda: LinearAttention(D=1, fixed={"v_1": sp.Matrix([1, 2, 3])}), r"fixed\['v_1'\] must have shape"),
    (lambda: LinearAttention(D=1, rank=1), "rank applies only"),
    (lambda: LinearAttention(D=1, readout=5), "readout must be"),
    (lambda: LinearAttention(), "exactly one of D"),
    (lambda: LinearAttention(D=1, normaliser=SYMBOLS["T"]), "normaliser must be an expression in"),
    (lambda: InContextRegression(2, covariance=[1]), "covariance must be 2 variances"),
    (lambda: InContextRegression(1, noise=-1), "noise must be a variance"),
    (lambda: InContextRegression(1, covariance=[0.5]), "exact"),
    (lambda: AutoregressiveTask(2, RealGaussian(1), 4), "law must be a law in dimension d = 2"),
    (lambda: population_loss(LinearAttention(D=1), InContextRegression(1), scale=-1), "scale must be positive"),
    (lambda: Manifold(LinearAttention(D=1), {"W_KQ_1": sp.Matrix([[a, 0], [0, 0]])}, (a, b)), "independent"),
    (lambda: Manifold(LinearAttention(D=1), {"X": sp.eye(2)}, (a,)), "assignment must be keyed"),
    (lambda: population_loss(zheng_model(1), AutoregressiveTask(1, theory.StudentTLaw(1, 5), 3)), "infinite moment"),
])
def test_bad_descriptions_fail_with_one_line_naming_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        call()
    assert "\n" not in str(info.value)


def _one_d_flow():
    model = LinearAttention(D=1)
    L = population_loss(model, InContextRegression(1))
    M = Manifold(model, {"W_KQ_1": sp.Matrix([[a, 0], [0, 0]]), "v_1": sp.Matrix([0, b])}, (a, b))
    return model, L, M.restrict(L)


def _pipeline_checks():
    import proofs_check as pc

    model, L, red = _one_d_flow()
    gd = {"W_KQ_1": sp.Matrix([[1, 0], [0, 0]]), "v_1": sp.Matrix([0, N / (N + 2)])}
    off = Manifold(model, {"W_KQ_1": sp.Matrix([[0, a], [0, 0]]), "v_1": sp.Matrix([b, 0])}, (a, b)).restrict(L)
    return [
        ("invariant", lambda: pc.check_invariant(red), lambda: pc.check_invariant(off)),
        ("conserved", lambda: pc.check_conserved(red, a ** 2 - b ** 2), lambda: pc.check_conserved(red, a ** 2 + b ** 2)),
        ("fixed point", lambda: pc.check_fixed_point(red, {a: N / (N + 2) / b}),
         lambda: pc.check_fixed_point(red, {a: N / (N + 1) / b})),
        ("prediction", lambda: pc.check_prediction(model, gd, one_step_gd(1, N / (N + 2))),
         lambda: pc.check_prediction(model, gd, one_step_gd(1, N / (N + 1)))),
    ]


@pytest.mark.parametrize("index", range(4))
def test_pipeline_checks_verify_the_truth_and_refute_a_wrong_variant(index):
    what, good, bad = _pipeline_checks()[index]
    ok, wrong = good(), bad()
    assert ok.status.value == "VERIFIED", (what, ok.detail)
    assert "every N" in ok.scope, ok.scope  # symbolic N earned, not declared
    assert wrong.status.value == "REFUTED", (what, wrong.detail)


def test_a_curve_of_fixed_points_is_inconclusive_never_a_partial_list():
    import proofs_check as pc

    _, _, red = _one_d_flow()
    result = pc.check_fixed_points(red, [])
    assert result.status.value == "INCONCLUSIVE"
    assert "positive dimension" in result.reason


@pytest.mark.parametrize("n", [2, 3])
def test_k_layer_gd_construction_is_k_gd_steps_and_its_loss_is_theirs(n):
    import proofs_check as pc
    from theory import k_step_gd

    eta = SYMBOLS["eta"]
    model = oswald_model(1, layers=2)
    values = {key: (sp.diag(1, 0) if key.startswith("W_KQ") else sp.diag(0, -eta / n)) for key in model.parameters}
    assert pc.check_prediction(model, values, k_step_gd(1, eta, 2), N=n, sizes={"D": 1, "N": n}).status.value == \
        "VERIFIED"
    assert pc.check_prediction(model, values, k_step_gd(1, eta, 1), N=n).status.value == "REFUTED"
    task = InContextRegression(1)
    L = population_loss(model, task, N=n)
    xs, ys = zip(*[task.token(k)[:2] for k in range(1, n + 1)])
    gd2 = k_step_gd(1, eta, 2).on_data(list(xs), list(ys), task.x_q)
    assert sp.expand(L.at(values) - task.expect((gd2 - task.target()) ** 2 / 2, blocks=n)) == 0
    if n == 2:  # the deep gradient is the derivative of the deep loss (one weight, exact)
        s = model.parameters["W_PV_1_L1"][1, 0]
        eps = sp.Symbol("epsilon")
        moved = dict(model.with_values(values)) | {s: eps}
        assert sp.expand(sp.diff(L.at(moved), eps).subs(eps, 0) - L.gradient_at(values, symbols=[s])[s]) == 0


def test_the_exported_symbols_are_the_ones_the_library_derives_with():
    from theory import dynamics, lattice_count, related, zheng_patterns

    library = {"a": dynamics.a_sym, "b": dynamics.b_sym, "u": dynamics.u_sym, "T": zheng_patterns.T_sym,
               "t": lattice_count.t_sym, "N": related.N_sym, "n": related.n_sym, "s": related.s_sym,
               "eta": related.eta_sym}
    for name, symbol in library.items():
        assert SYMBOLS[name] == symbol, name  # same name and assumptions: the same SymPy symbol
    assert SYMBOLS["a"] != sp.Symbol("a")  # a Symbol without the assumptions is another symbol


def test_a_non_gaussian_input_law_changes_the_loss_through_its_fourth_moment():
    from theory import RademacherLaw

    model = LinearAttention(D=1, fixed={"W_KQ_1": sp.diag(1, 0), "v_1": sp.Matrix([0, SYMBOLS["eta"]])})
    gauss = population_loss(model, InContextRegression(1)).at({})
    rade = population_loss(model, InContextRegression(1, law=RademacherLaw(1))).at({})
    # x^2 = 1 for Rademacher inputs: beta = w exactly, so the risk is (eta - 1)^2 / 2 for every N
    assert sp.expand(rade - (SYMBOLS["eta"] - 1) ** 2 / 2) == 0
    assert sp.expand(gauss - rade) != 0  # the Gaussian's E x^4 = 3 enters
    xs, ys = zip(*[InContextRegression(1).token(k)[:2] for k in (1, 2)])
    task = InContextRegression(1, law=RademacherLaw(1))
    direct = task.expect((model.predict(list(xs), list(ys), task.x_q) - task.target()) ** 2 / 2, blocks=2)
    assert sp.expand(rade.subs(N, 2) - direct) == 0


def test_the_readme_example_runs_and_says_what_its_comments_say():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = text[text.index("## Your own model"):]
    code = block[block.index("```python") + len("```python"):]
    code = code[:code.index("```")]
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    pc, flow, a, b = namespace["pc"], namespace["flow"], namespace["a"], namespace["b"]
    assert pc.check_invariant(flow).status.value == "VERIFIED"
    assert pc.check_conserved(flow, a ** 2 - b ** 2).status.value == "VERIFIED"
    scope = pc.check_prediction(namespace["model"], namespace["at"], namespace["one_step_gd"](1, namespace["N"] / (namespace["N"] + 2))).scope
    assert scope == "symbolic-at-sizes: every N; at D in {1}"


@pytest.mark.parametrize("rhs, count", [(1 - a ** 2, 2), (2 * a - 4, 1), (a ** 2 * (3 - 5 * a ** 3), 2)])
def test_fixed_points_of_univariate_flows(rhs, count):
    # SymPy 1.14 with python-flint failed on monoms(order="lex") for univariate integer polynomials
    fp = fixed_points(Flow({a: rhs}, (a,)))
    assert fp.status == "finite" and len(fp.points) == count


def test_a_deep_model_and_a_stack_of_one_layer_models_are_the_same_computation():
    from theory import stacked_forward

    deep = oswald_model(1, layers=2)
    one = oswald_model(1)
    point = _random_point(deep.symbols, seed=7)
    per_layer = [{"W_PV_1": deep.parameters[f"W_PV_1_L{l}"].xreplace(point),
                  "W_KQ_1": deep.parameters[f"W_KQ_1_L{l}"].xreplace(point)} for l in (1, 2)]
    xs = [sp.Matrix([sp.Rational(1, 2)]), sp.Matrix([-2])]
    ys, xq = [sp.Integer(3), sp.Rational(-1, 3)], sp.Matrix([5])
    assert deep.predict(xs, ys, xq, point) == stacked_forward(one, per_layer, xs, ys, xq).prediction != 0


@pytest.mark.parametrize("d, T", [(1, 4), (2, 4)])
def test_zheng_manifold_restriction_is_the_reduced_flow(d, T):
    """Manifold(zheng_model(d), M_ab).restrict on the AR task = theory.dynamics.reduced_flow (entrywise), invariant."""
    from theory.dynamics import a_sym, b_sym, reduced_flow

    from proofs_check import check_invariant

    model, law = zheng_model(d), RealGaussian(d)
    point = {"v_1": sp.Matrix.vstack(b_sym * sp.eye(d), sp.zeros(d, d)),
             "W_KQ_1": sp.zeros(d, 2 * d).col_join((a_sym * sp.eye(d)).row_join(sp.zeros(d, d)))}
    flow = Manifold(model, point, (a_sym, b_sym)).restrict(population_loss(model, AutoregressiveTask(d, law, T)))
    ref = reduced_flow(d, T, law)
    assert sp.expand(flow.rhs[a_sym] - ref.a_dot) == 0 and sp.expand(flow.rhs[b_sym] - ref.b_dot) == 0
    assert flow.rhs[a_sym] != 0
    assert check_invariant(flow).status.value == "VERIFIED"
