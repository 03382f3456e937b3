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


@pytest.mark.parametrize("d, T", [(1, 3), (1, 4), (2, 3)])
def test_zheng_instance_reproduces_the_population_derivation(d, T):
    from theory import population_derivatives

    model = zheng_model(d)
    L = population_loss(model, AutoregressiveTask(d, RealGaussian(d), T))
    values = _random_point(model.symbols, seed=d + T)
    W_PV, W_KQ = model.parameters["v_1"].T.xreplace(values), model.parameters["W_KQ_1"].xreplace(values)
    ref = population_derivatives(d, T, model.parameters["v_1"].T, model.parameters["W_KQ_1"], RealGaussian(d),
                                 params=model.symbols)
    assert sp.expand(L.at(values) - ref.loss.xreplace(values)) == 0
    grad = L.gradient_at(values)
    for (i, j), g in zip([(i, j) for i in range(d) for j in range(2 * d)], ref.grad_PV):
        assert sp.expand(grad[model.parameters["v_1"][j, i]] - g.xreplace(values)) == 0
    assert population_derivatives(d, T, W_PV, W_KQ, RealGaussian(d)).loss != 0


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


def test_label_noise_risk_equals_the_related_derivation():
    D = 2
    eta = SYMBOLS["eta"]
    s = theory.s_sym
    model = LinearAttention(D=D, fixed={"W_KQ_1": sp.diag(1, 1, 0), "v_1": sp.Matrix([0, 0, eta])})
    L = population_loss(model, InContextRegression(D, noise=s ** 2))
    assert sp.cancel(L.at({}) * 2 - theory.one_step_risk(D).subs(theory.n_sym, N)) == 0


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
