"""Bad input at the public boundary: one table, every public function of theory, numerics and
proofs_check (each ``__init__.py``'s exports).

Each row: the call, the exception type it must raise, and a fragment of the message that names
the argument (and usually the fix). The messages are one line, never a traceback from inside.
Rows build their (cheap) valid operands lazily, so that collecting the table costs nothing.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import sympy as sp

import numerics as nm
import proofs_check as pc
import theory as th
from theory import validation as v

NAN = float("nan")


# ----------------------------------------------------------------------------- valid operands
@functools.lru_cache(maxsize=None)
def prompt():
    return th.regression_prompt(2, 1, 2)


@functools.lru_cache(maxsize=None)
def weights():
    return th.gd_construction(prompt())


def tokens():
    p = prompt()
    return th.Tokens(p.X, p.Y, p.x_query, -p.W0 * p.x_query)


@functools.lru_cache(maxsize=None)
def law1():
    return th.RealGaussian(1)


@functools.lru_cache(maxsize=None)
def flow():
    return th.reduced_flow(1, 3, law1())


@functools.lru_cache(maxsize=None)
def deriv():
    return th.gradient_on_ab(1, 3, law1())


@functools.lru_cache(maxsize=None)
def co():
    return nm.population_coefficients("gaussian", 1, 3)


def seq():
    return th.sequence(1, 3)


def W_X_Y():
    W = sp.Matrix([[1, 2]])
    X = sp.Matrix([[1, 0, 1], [0, 1, 1]])
    Y = sp.Matrix([[1, 2, 3]])
    return W, X, Y


def tasks(B=4, N=3, Nx=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (B, N, Nx))
    w = rng.normal(size=(B, Nx))
    Y = np.einsum("bni,bi->bn", X, w)
    xt = rng.uniform(-1, 1, (B, Nx))
    return X, Y, xt, np.einsum("bi,bi->b", xt, w)


def with_nan(a):
    a = np.array(a, dtype=complex if np.iscomplexobj(a) else float)
    a.flat[0] = NAN
    return a


def zx(m=4, T=4, d=1):
    return nm.zheng_sequences(m, T, d, rng=np.random.default_rng(0))


def rhs(t, y):
    return -y


def pd_W(d=1):
    return np.zeros((d, 2 * d)), np.zeros((2 * d, 2 * d))


def a_claim(claim_id="mine.T1", **kw):
    ok = pc.Check("c", pc.Method.NUMERIC_TOLERANCE, lambda: None)
    return pc.Claim(claim_id, "t", "s", checks=kw.pop("checks", [ok]), **kw)


# ----------------------------------------------------------------------------- the table
# (id, call, exception, fragment of the message)
T, V = TypeError, ValueError
ROWS = [
    # --- the model-description pipeline (theory.models / tasks / derive)
    ("Embedding-dim", lambda: th.Embedding(0, len, len), V, "dim"),
    ("Embedding-token", lambda: th.Embedding(2, "f", len), T, "token"),
    ("LinearAttention-D", lambda: th.LinearAttention(D=0), V, "D"),
    ("LinearAttention-both", lambda: th.LinearAttention(1, embedding=th.regression_embedding(1)), V, "exactly one"),
    ("LinearAttention-parametrisation", lambda: th.LinearAttention(D=1, parametrisation="mixed"), V, "parametrisation"),
    ("LinearAttention-fixed-shape", lambda: th.LinearAttention(D=1, fixed={"v_1": sp.eye(3)}), V, "fixed['v_1']"),
    ("oswald_model-D", lambda: th.oswald_model(0), V, "D"),
    ("zheng_model-d", lambda: th.zheng_model(1.5), T, "d"),
    ("pair_embedding-d", lambda: th.pair_embedding(0), V, "d"),
    ("regression_embedding-D", lambda: th.regression_embedding(-1), V, "D"),
    ("InContextRegression-covariance", lambda: th.InContextRegression(2, covariance=sp.Matrix([[1, 2], [0, 1]])), V,
     "covariance must be symmetric"),
    ("InContextRegression-noise", lambda: th.InContextRegression(1, noise=-1), V, "noise"),
    ("InContextRegression-law-complex", lambda: th.InContextRegression(1, law=th.ComplexGaussian(1)), V, "law"),
    ("InContextRegression-law-and-covariance", lambda: th.InContextRegression(1, covariance=[2],
                                                                              law=th.RademacherLaw(1)), V, "exclusive"),
    ("AutoregressiveTask-T", lambda: th.AutoregressiveTask(1, th.RealGaussian(1), 2), V, "T"),
    ("AutoregressiveTask-law", lambda: th.AutoregressiveTask(1, "gaussian", 3), T, "law"),
    ("isserlis-cov", lambda: th.isserlis("x", (0,)), T, "cov"),
    ("isserlis-indices", lambda: th.isserlis(sp.eye(2), (0, 5)), T, "indices"),
    ("is_zero-function", lambda: th.is_zero(sp.sin(sp.Symbol("x"))), V, "rational functions"),
    ("population_loss-model", lambda: th.population_loss("m", th.InContextRegression(1)), T, "model"),
    ("population_loss-N", lambda: th.population_loss(th.LinearAttention(D=1), th.InContextRegression(1), N=0), V, "N"),
    ("gradient_flow-loss", lambda: th.gradient_flow(3), T, "loss"),
    ("Flow-variables", lambda: th.Flow({}, (sp.Symbol("a"),)), V, "variables"),
    ("Manifold-variables", lambda: th.Manifold(th.LinearAttention(D=1), {"v_1": sp.zeros(2, 1)}, ("a",)), T,
     "variables"),
    ("conserved_quantities-flow", lambda: th.conserved_quantities("f"), T, "flow"),
    ("conserved_quantities-degree", lambda: th.conserved_quantities(th.Flow({}, ()), degree=0), V, "degree"),
    ("fixed_points-generic-flow", lambda: th.fixed_points(None), T, "flow"),
    ("one_step_gd-eta", lambda: th.one_step_gd(1, 0.5), V, "eta"),
    ("preconditioned_gd-P", lambda: th.preconditioned_gd("P"), T, "P"),
    ("k_step_gd-K", lambda: th.k_step_gd(1, 1, 0), V, "K"),
    ("prediction_difference-algorithm", lambda: th.prediction_difference(th.LinearAttention(D=1), {}, "gd"), T,
     "algorithm"),
    ("zero_algorithm-D", lambda: th.zero_algorithm(0), V, "D"),
    ("instantiate-matrices", lambda: th.instantiate(sp.MatrixSymbol("L", 2, 2), [sp.eye(2)]), T, "matrices"),
    ("instantiate-missing", lambda: th.instantiate(sp.MatrixSymbol("L", 2, 2), {}), V, "matrices['L']"),
    ("instantiate-shape", lambda: th.instantiate(sp.MatrixSymbol("L", 2, 2), {"L": sp.eye(3)}), V, "shape"),
    ("check_invariant-flow", lambda: pc.check_invariant("flow"), T, "flow"),
    ("check_conserved-flow", lambda: pc.check_conserved(None, 1), T, "flow"),
    ("check_conserved-quantity-float", lambda: pc.check_conserved(th.Flow({}, ()), 0.5), V, "quantity"),
    ("check_fixed_point-point", lambda: pc.check_fixed_point(th.Flow({}, ()), {}), T, "point"),
    ("check_fixed_points-flow", lambda: pc.check_fixed_points("f", []), T, "flow"),
    ("check_prediction-algorithm", lambda: pc.check_prediction(th.LinearAttention(D=1), {}, "gd"), T, "algorithm"),
    ("one_step_risk-d", lambda: th.one_step_risk(0), V, "d"),
    ("optimal_step-d", lambda: th.optimal_step("2"), V, "d"),
    ("zfb_second_moment-d", lambda: th.zfb_second_moment(1.5), V, "d"),
    ("InContextRegression.context_moment-factors",
     lambda: th.InContextRegression(1).context_moment([(0, 2)]), V, "factors"),
    # --- theory.attention
    ("lsa_layer-W_PV-none", lambda: th.lsa_layer(None, weights().W_K, tokens()), T, "W_PV"),
    ("lsa_layer-W_PV-grid", lambda: th.lsa_layer([[1]], [[1]], tokens()), V, "W_PV must be a 2 x 2 grid"),
    ("lsa_layer-tokens", lambda: th.lsa_layer(weights().W_V, weights().W_K, "tokens"), T, "tokens"),
    ("lsa_forward-layers-zero", lambda: th.lsa_forward(weights(), tokens(), layers=0), V, "layers"),
    ("lsa_forward-layers-float", lambda: th.lsa_forward(weights(), tokens(), layers=1.5), T, "layers"),
    ("lsa_forward-weights", lambda: th.lsa_forward("w", tokens()), T, "weights"),
    ("lsa_forward-weights-list-len", lambda: th.lsa_forward([weights()], tokens(), layers=2), V, "weights"),
    ("prediction-tokens", lambda: th.prediction("x"), T, "tokens"),
    # --- theory.constructions
    ("regression_prompt-Nx-zero", lambda: th.regression_prompt(Nx=0), V, "Nx"),
    ("regression_prompt-Nx-float", lambda: th.regression_prompt(Nx=2.5), V, "Nx"),
    ("regression_prompt-Ny-negative", lambda: th.regression_prompt(2, -1, 2), V, "Ny"),
    ("regression_prompt-N-str", lambda: th.regression_prompt(2, 1, "3"), V, "N"),
    ("regression_prompt-polynomial", lambda: th.regression_prompt(2, 1, 2, polynomial="yes"), T, "polynomial"),
    ("gd_construction-prompt", lambda: th.gd_construction("p"), T, "prompt"),
    ("gd_construction-eta-str", lambda: th.gd_construction(prompt(), eta="abc"), V, "eta"),
    ("gd_construction-W0-shape", lambda: th.gd_construction(prompt(), W0=sp.Matrix([[1, 2, 3]])), V, "W0"),
    ("gdpp_construction-prompt", lambda: th.gdpp_construction(None, 1), T, "prompt"),
    ("gdpp_construction-gamma", lambda: th.gdpp_construction(prompt(), "x y"), V, "gamma"),
    # --- theory.least_squares
    ("least_squares_loss-N-zero", lambda: th.least_squares_loss(*W_X_Y(), 0), V, "N"),
    ("least_squares_loss-N-float", lambda: th.least_squares_loss(*W_X_Y(), 1.5), T, "N"),
    ("least_squares_loss-N-columns", lambda: th.least_squares_loss(*W_X_Y(), 2), V, "N"),
    ("least_squares_loss-Y-shape", lambda: th.least_squares_loss(W_X_Y()[0], W_X_Y()[1], sp.Matrix([[1, 2]]), 3),
     V, "Y"),
    ("least_squares_gradient-N-zero", lambda: th.least_squares_gradient(*W_X_Y(), 0), V, "N"),
    ("least_squares_gradient-W-shape", lambda: th.least_squares_gradient(sp.Matrix([[1]]), *W_X_Y()[1:], 3),
     V, "W"),
    ("least_squares_gradient-X-type", lambda: th.least_squares_gradient(W_X_Y()[0], "X", W_X_Y()[2], 3), T, "X"),
    ("gd_step-eta-str", lambda: th.gd_step(*W_X_Y(), 3, "not a number"), V, "eta"),
    ("gd_step-eta-nan", lambda: th.gd_step(*W_X_Y(), 3, NAN), V, "eta"),
    ("gd_iterates-steps-negative", lambda: th.gd_iterates(*W_X_Y(), 3, 1, -1), V, "steps"),
    ("gd_iterates-steps-float", lambda: th.gd_iterates(*W_X_Y(), 3, 1, 1.5), T, "steps"),
    # --- theory.matrix_algebra, polymatrix, printing
    ("matrix_terms-expr", lambda: th.matrix_terms("abc"), T, "expr"),
    ("reduced_terms-expr", lambda: th.reduced_terms([1, 2]), T, "expr"),
    ("PolyMatrix-dm", lambda: th.PolyMatrix("x"), T, "dm"),
    ("latex-setting", lambda: th.latex(sp.Symbol("x"), no_such_setting=1), T, "no_such_setting"),
    # --- theory.moments
    ("TokenLaw-d-zero", lambda: th.TokenLaw(0), V, "d must be an integer >= 1"),
    ("RealGaussian-d-zero", lambda: th.RealGaussian(0), V, "d must be"),
    ("RealGaussian-d-float", lambda: th.RealGaussian(2.5), V, "d must be"),
    ("RealGaussian-sigma-negative", lambda: th.RealGaussian(2, sigma=-1), V, "sigma"),
    ("RealGaussian-sigma-float", lambda: th.RealGaussian(2, sigma=0.5), V, "sigma"),
    ("ComplexGaussian-d-negative", lambda: th.ComplexGaussian(-1), V, "d must be"),
    ("ComplexGaussian-sigma-zero", lambda: th.ComplexGaussian(1, sigma=0), V, "sigma"),
    ("AnisotropicGaussian-empty", lambda: th.AnisotropicGaussian([]), V, "sigmas"),
    ("AnisotropicGaussian-negative", lambda: th.AnisotropicGaussian([1, -2]), V, "sigma"),
    ("AnisotropicGaussian-scalar", lambda: th.AnisotropicGaussian(3), T, "sigmas"),
    ("SparseLaw-d-zero", lambda: th.SparseLaw(0), V, "d must be"),
    ("SparseLaw-c-negative", lambda: th.SparseLaw(2, c=-1), V, "c must be positive"),
    ("FullOneLaw-d-zero", lambda: th.FullOneLaw(0), V, "d must be"),
    ("FullOneLaw-d-bool", lambda: th.FullOneLaw(True), V, "d must be"),
    ("RademacherLaw-c-zero", lambda: th.RademacherLaw(1, c=0), V, "c must be positive"),
    ("UniformLaw-c-negative", lambda: th.UniformLaw(2, c=-1), V, "c must be positive"),
    ("StudentTLaw-nu-negative", lambda: th.StudentTLaw(2, -1), V, "nu"),
    ("StudentTLaw-nu-str", lambda: th.StudentTLaw(2, "x"), V, "nu"),
    ("DiscreteLaw-empty", lambda: th.DiscreteLaw([], []), V, "atoms"),
    ("DiscreteLaw-weights-count", lambda: th.DiscreteLaw([[1]], [1, 2]), V, "weights"),
    ("DiscreteLaw-weights-negative", lambda: th.DiscreteLaw([[1], [2]], [-1, 2]), V, "weights[0]"),
    ("DiscreteLaw-ragged", lambda: th.DiscreteLaw([[1], [1, 2]], [sp.Rational(1, 2)] * 2), V, "atoms"),
    ("DiscreteLaw-float-atom", lambda: th.DiscreteLaw([[0.5]], [1]), V, "atom"),
    ("DiscreteLaw-sum", lambda: th.DiscreteLaw([[1], [2]], [1, 1]), V, "weights must sum to 1"),
    ("MomentTableLaw-kappa0-negative", lambda: th.MomentTableLaw(2, kappa0=-1), V, "kappa0"),
    ("MomentTableLaw-kappa0-float", lambda: th.MomentTableLaw(2, kappa0=0.5), V, "kappa0"),
    ("MomentTableLaw-kappa3-d1", lambda: th.MomentTableLaw(1, kappa3=1), V, "kappa3"),
    ("MomentTableLaw-cauchy-schwarz", lambda: th.MomentTableLaw(2, 2, 1, 1, 0), V, "kappa0^2 <= kappa1"),
    ("MomentTableLaw-extra-overrides-kappa0", lambda: th.MomentTableLaw(2, extra={(1,): 3}), V, "extra"),
    ("MomentTableLaw-extra-overrides-kappa3", lambda: th.MomentTableLaw(2, extra={(2, 1): 3}), V, "extra"),
    ("MomentTableLaw-extra-negative", lambda: th.MomentTableLaw(2, extra={(1, 1): -1}), V, "extra"),
    ("MomentTableLaw-extra-type", lambda: th.MomentTableLaw(2, extra="x"), T, "extra"),
    ("MomentTableLaw-extra-key", lambda: th.MomentTableLaw(2, extra={(0,): 1}), V, "extra"),
    ("MomentTableLaw-extra-too-long", lambda: th.MomentTableLaw(2, extra={(1, 1, 1): 1}), V, "extra"),
    ("MomentTableLaw-extra-symbolic-negative",
     lambda: th.MomentTableLaw(2, extra={(1, 1): sp.Symbol("m", negative=True)}), V, "extra"),
    ("Kappas-arity", lambda: th.Kappas(1, 2, 3), T, "kappa3"),
    ("phase_average-lambdas", lambda: th.phase_average(sp.Symbol("x"), "abc"), T, "lambdas"),
    ("phase_average-power", lambda: th.phase_average(sp.Symbol("l") ** sp.Rational(1, 2), [sp.Symbol("l")]),
     V, "expr"),
    ("phase_expectation-float", lambda: th.phase_expectation([1.5]), V, "exponents"),
    ("phase_expectation-scalar", lambda: th.phase_expectation(3), T, "exponents"),
    # --- theory.causal_attention
    ("token_symbols-d-zero", lambda: th.token_symbols(0), V, "d must be"),
    ("token_symbols-d-float", lambda: th.token_symbols(1.0), V, "d must be"),
    ("sequence-T-two", lambda: th.sequence(1, 2), V, "T must be an integer >= 3"),
    ("sequence-d-zero", lambda: th.sequence(0, 3), V, "d must be"),
    ("sequence-symbols-type", lambda: th.sequence(1, 3, symbols="x"), T, "symbols"),
    ("sequence-symbols-d", lambda: th.sequence(2, 3, th.token_symbols(1)), V, "symbols"),
    ("conjugate-symbols", lambda: th.conjugate(sp.Symbol("x"), "s"), T, "symbols"),
    ("embedding-X", lambda: th.embedding("X", 1), T, "X"),
    ("embedding-i-zero", lambda: th.embedding(seq(), 0), V, "i must be in 1..T"),
    ("embedding-i-float", lambda: th.embedding(seq(), 1.5), T, "i"),
    ("causal_prediction-shapes", lambda: th.causal_prediction(sp.zeros(1, 1), sp.zeros(2, 2), seq(), seq(), 2),
     V, "W_PV must be (d, 2d)"),
    ("causal_prediction-t-one", lambda: th.causal_prediction(sp.zeros(1, 2), sp.zeros(2, 2), seq(), seq(), 1),
     V, "t must be"),
    ("causal_prediction-t-T", lambda: th.causal_prediction(sp.zeros(1, 2), sp.zeros(2, 2), seq(), seq(), 3),
     V, "t must be <= T - 1"),
    ("causal_prediction-X_conj", lambda: th.causal_prediction(sp.zeros(1, 2), sp.zeros(2, 2), seq(), sp.zeros(1, 4), 2),
     V, "X_conj"),
    ("manifold_AB-shapes", lambda: th.manifold_AB(sp.eye(2), sp.eye(3)), V, "A and B"),
    ("manifold_AB-type", lambda: th.manifold_AB("a", sp.eye(2)), T, "A"),
    ("manifold_ab-d-zero", lambda: th.manifold_ab(0, 1, 1), V, "d must be"),
    ("check_sizes-T", lambda: th.check_sizes(T=2), V, "T must be"),
    ("check_sizes-d", lambda: th.check_sizes(d=0), V, "d must be"),
    ("check_sizes-t", lambda: th.check_sizes(t=1), V, "t must be"),
    # --- theory.zheng_population, dynamics, patterns, invariance, full
    ("population_derivatives-T", lambda: th.population_derivatives(1, 2, sp.zeros(1, 2), sp.zeros(2, 2), law1()),
     V, "T must be"),
    ("population_derivatives-law", lambda: th.population_derivatives(1, 3, sp.zeros(1, 2), sp.zeros(2, 2), "x"),
     T, "law"),
    ("population_derivatives-law-d", lambda: th.population_derivatives(2, 3, sp.zeros(2, 4), sp.zeros(4, 4), law1()),
     V, "law"),
    ("population_derivatives-W_PV-shape",
     lambda: th.population_derivatives(1, 3, sp.zeros(2, 2), sp.zeros(2, 2), law1()), V, "W_PV"),
    ("population_derivatives-gradient",
     lambda: th.population_derivatives(1, 3, sp.zeros(1, 2), sp.zeros(2, 2), law1(), gradient="yes"), T, "gradient"),
    ("autoregressive_derivatives-model", lambda: th.autoregressive_derivatives("m", 3, {}, law1()), T, "model"),
    ("autoregressive_derivatives-model-layers",
     lambda: th.autoregressive_derivatives(th.oswald_model(1, layers=2), 3, {}, law1()), V, "model"),
    ("autoregressive_derivatives-model-embedding",
     lambda: th.autoregressive_derivatives(th.LinearAttention(D=2), 3, {}, None), V, "model.embedding"),
    ("autoregressive_derivatives-model-readout",
     lambda: th.autoregressive_derivatives(th.LinearAttention(embedding=th.pair_embedding(1), readout=1), 3, {},
                                           law1()), V, "model.readout"),
    ("autoregressive_derivatives-T", lambda: th.autoregressive_derivatives(th.zheng_model(1), 2, {}, law1()),
     V, "T must be"),
    ("autoregressive_derivatives-values", lambda: th.autoregressive_derivatives(th.zheng_model(1), 3, [], law1()),
     T, "values"),
    ("autoregressive_derivatives-values-key",
     lambda: th.autoregressive_derivatives(th.zheng_model(1), 3, {"X": sp.eye(2)}, law1()), V, "values"),
    ("autoregressive_derivatives-values-shape",
     lambda: th.autoregressive_derivatives(th.zheng_model(1), 3, {"W_KQ_1": sp.eye(3)}, law1()), V, "values"),
    ("autoregressive_derivatives-params",
     lambda: th.autoregressive_derivatives(th.zheng_model(1), 3, {}, law1(), params=(sp.Symbol("p"),)), V, "params"),
    ("autoregressive_derivatives-law",
     lambda: th.autoregressive_derivatives(th.zheng_model(1), 3, {}, th.RealGaussian(2)), V, "law"),
    ("autoregressive_derivatives-backend",
     lambda: th.autoregressive_derivatives(th.zheng_model(1), 3, {}, law1(), backend="x"), V, "backend"),
    ("autoregressive_derivatives-weights-symbols",
     lambda: th.autoregressive_derivatives(th.zheng_model(1), 3, {}, law1()), V, "weights"),
    ("AutoregressiveTask.reference_loss-model",
     lambda: th.AutoregressiveTask(1, law1(), 3).reference_loss(th.LinearAttention(D=2), {}), V, "model"),
    ("gradient_on_ab-T", lambda: th.gradient_on_ab(1, 2, law1()), V, "T must be"),
    ("gradient_on_ab-law", lambda: th.gradient_on_ab(1, 3, "gaussian"), T, "law"),
    ("gradient_on_AB-d", lambda: th.gradient_on_AB(0, 3, law1()), V, "d must be"),
    ("invariance_residuals_AB-deriv", lambda: th.invariance_residuals_AB("x", 1), T, "deriv"),
    ("invariance_residuals_ab-d", lambda: th.invariance_residuals_ab(deriv(), 0), V, "d must be"),
    ("reduced_flow-law-none", lambda: th.reduced_flow(1, 3, None), T, "law"),
    ("reduced_flow-loss_scale-negative", lambda: th.reduced_flow(1, 3, law1(), loss_scale=-1), V, "loss_scale"),
    ("reduced_flow-loss_scale-zero", lambda: th.reduced_flow(1, 3, law1(), loss_scale=0), V, "loss_scale"),
    ("reduced_flow-loss_scale-float", lambda: th.reduced_flow(1, 3, law1(), loss_scale=0.5), V, "loss_scale"),
    ("reduced_flow-T", lambda: th.reduced_flow(1, 2, law1()), V, "T must be"),
    ("reduced_flow-masked", lambda: th.reduced_flow(1, 3, law1(), masked="no"), T, "masked"),
    ("reduced_flow-deriv", lambda: th.reduced_flow(1, 3, law1(), deriv="x"), T, "deriv"),
    ("product_flow-flow", lambda: th.product_flow("x"), T, "flow"),
    ("conserved_rate-flow", lambda: th.conserved_rate(None), T, "flow"),
    ("fixed_points-flow", lambda: th.fixed_points(3), T, "flow"),
    ("limit_of_product-flow", lambda: th.limit_of_product("f"), T, "flow"),
    ("limits_of_a_b-a0", lambda: th.limits_of_a_b(flow(), "a b", 1), V, "a0"),
    ("limits_of_a_b-flow", lambda: th.limits_of_a_b(None, 1, 1), T, "flow"),
    ("balanced_solution-flow", lambda: th.balanced_solution("f"), T, "flow"),
    ("balanced_solution-u0", lambda: th.balanced_solution(flow(), u0="x y"), V, "u0"),
    ("attention_prediction_on_ab-t", lambda: th.attention_prediction_on_ab(1, 1), V, "t must be"),
    ("attention_prediction_on_ab-d", lambda: th.attention_prediction_on_ab(0, 2), V, "d must be"),
    ("one_step_gd_prediction-t", lambda: th.one_step_gd_prediction(1, 1, 1, seq(), seq()), V, "t must be"),
    ("one_step_gd_prediction-X", lambda: th.one_step_gd_prediction(1, 2, 1, "X", seq()), T, "X"),
    ("one_step_gd_prediction-eta", lambda: th.one_step_gd_prediction(1, 2, "fast", seq(), seq()), V, "eta"),
    ("reduced_flow_function-flow", lambda: th.reduced_flow_function("f"), T, "flow"),
    ("reduced_flow_function-values", lambda: th.reduced_flow_function(flow(), values="x"), T, "values"),
    ("entrywise_flow_all_T-d-zero", lambda: th.entrywise_flow_all_T(0), V, "d must be"),
    ("entrywise_flow_all_T-d-float", lambda: th.entrywise_flow_all_T(1.5), V, "d must be"),
    ("coefficients_all_T-args", lambda: th.coefficients_all_T(1), T, "positional argument"),
    ("per_step_coefficients-args", lambda: th.per_step_coefficients(1), T, "positional argument"),
    ("diagonal_loss_all_T-d", lambda: th.diagonal_loss_all_T(0), V, "d must be"),
    ("count_solutions-variables", lambda: th.count_solutions([], "x", 3), T, "variables"),
    ("count_solutions-upper", lambda: th.count_solutions([], [sp.Symbol("i")], {}), V, "upper"),
    ("off_block_invariance-args", lambda: th.off_block_invariance(1), T, "positional argument"),
    ("off_diagonal_moment_types-args", lambda: th.off_diagonal_moment_types(1), T, "positional argument"),
    ("full_population_gradient-T", lambda: th.full_population_gradient(1, 2, law1()), V, "T must be"),
    ("full_population_gradient-law", lambda: th.full_population_gradient(1, 3, "x"), V, "law"),
    # --- numerics.flows
    ("geometric_grid-t_max", lambda: nm.geometric_grid(-1), V, "t_max"),
    ("geometric_grid-n-zero", lambda: nm.geometric_grid(10, n=0), V, "n must be"),
    ("geometric_grid-n-float", lambda: nm.geometric_grid(10, n=2.5), T, "n must be"),
    ("geometric_grid-t_min-negative", lambda: nm.geometric_grid(10, t_min=-1), V, "t_min"),
    ("geometric_grid-t_min-above", lambda: nm.geometric_grid(10, t_min=20), V, "t_min"),
    ("integrate_flow-rhs", lambda: nm.integrate_flow("f", [1.0]), T, "rhs"),
    ("integrate_flow-y0-nan", lambda: nm.integrate_flow(rhs, [NAN]), V, "y0"),
    ("integrate_flow-t_max", lambda: nm.integrate_flow(rhs, [1.0], t_max=0), V, "t_max"),
    ("integrate_flow-method", lambda: nm.integrate_flow(rhs, [1.0], method="Euler"), V, "method"),
    ("integrate_flow-rtol", lambda: nm.integrate_flow(rhs, [1.0], rtol=-1), V, "rtol"),
    ("integrate_flow-n_samples", lambda: nm.integrate_flow(rhs, [1.0], n_samples=0), V, "n_samples"),
    ("integrate_flow-blowup", lambda: nm.integrate_flow(rhs, [1.0], blowup=-1), V, "blowup"),
    ("integrate_flow-jac", lambda: nm.integrate_flow(rhs, [1.0], jac="x"), T, "jac"),
    ("integrate_on_times-order", lambda: nm.integrate_on_times(rhs, [1.0], [3.0, 1.0]), V, "times"),
    ("integrate_on_times-nan", lambda: nm.integrate_on_times(rhs, [1.0], [0.0, NAN]), V, "times"),
    ("integrate_reduced-Gamma", lambda: nm.integrate_reduced(-1, 1, 0.1, 0.1), V, "Gamma"),
    ("integrate_reduced-Lambda-nan", lambda: nm.integrate_reduced(1, NAN, 0.1, 0.1), V, "Lambda"),
    ("integrate_reduced-a0-nan", lambda: nm.integrate_reduced(1, 1, NAN, 0.1), V, "a0"),
    ("integrate_reduced-t_max", lambda: nm.integrate_reduced(1, 1, 0.1, 0.1, t_max=-1), V, "t_max"),
    ("reduced_jac-Gamma", lambda: nm.reduced_jac("x", 1), T, "Gamma"),
    ("reduced_rhs-Lambda", lambda: nm.reduced_rhs(1, NAN), V, "Lambda"),
    # --- numerics.metrics
    ("diagonal_statistics-nan", lambda: nm.diagonal_statistics(with_nan(np.ones((3, 4, 1)))), V, "x"),
    ("diagonal_statistics-chunk", lambda: nm.diagonal_statistics(np.ones((3, 4, 1)), chunk=0), V, "chunk"),
    ("empirical_limit_with_error-empty", lambda: nm.empirical_limit_with_error(np.array([])), V, "x"),
    ("empirical_limit_with_error-nan", lambda: nm.empirical_limit_with_error(with_nan(np.ones(3))), V, "x"),
    # --- numerics.population
    ("integrate_population-co", lambda: nm.integrate_population("co", np.eye(1), np.eye(1)), T, "co"),
    ("integrate_population-A0-shape", lambda: nm.integrate_population(co(), np.eye(2), np.eye(1)), V, "A0"),
    ("integrate_population-A0-nan", lambda: nm.integrate_population(co(), with_nan(np.eye(1)), np.eye(1)), V, "A0"),
    ("integrate_population-t_max", lambda: nm.integrate_population(co(), np.eye(1), np.eye(1), t_max=0), V, "t_max"),
    ("integrate_full_population-gradient", lambda: nm.integrate_full_population("g", 1, *pd_W()), T, "gradient"),
    ("integrate_full_population-d", lambda: nm.integrate_full_population(rhs, 0, *pd_W()), V, "d must be"),
    ("integrate_full_population-shape", lambda: nm.integrate_full_population(rhs, 2, *pd_W()), V, "W_PV0"),
    ("pack_full-nan", lambda: nm.pack_full(with_nan(pd_W()[0]), pd_W()[1]), V, "W_PV"),
    ("pack_full-shape", lambda: nm.pack_full(np.zeros((1, 3)), pd_W()[1]), V, "W_PV"),
    ("unpack_full-y", lambda: nm.unpack_full(np.zeros(5), 1), V, "y"),
    ("unpack_full-d", lambda: nm.unpack_full(np.zeros(12), 0), V, "d must be"),
    ("kappas-law", lambda: nm.kappas("bogus", 2), V, "unknown law"),
    ("kappas-d", lambda: nm.kappas("gaussian", 0), V, "d must be"),
    ("kappas-scale-negative", lambda: nm.kappas("gaussian", 2, scale=-1), V, "scale"),
    ("kappas-scale-nan", lambda: nm.kappas("gaussian", 2, scale=NAN), V, "scale"),
    ("limit_ab_from_kappas-T-1", lambda: nm.limit_ab_from_kappas("gaussian", 2, 1), V, "T must be"),
    ("limit_ab_from_kappas-T-0", lambda: nm.limit_ab_from_kappas("gaussian", 2, 0), V, "T must be"),
    ("limit_ab_from_kappas-T--5", lambda: nm.limit_ab_from_kappas("gaussian", 2, -5), V, "T must be"),
    ("limit_ab_from_kappas-T-float", lambda: nm.limit_ab_from_kappas("gaussian", 2, 3.5), T, "T must be"),
    ("limit_ab_from_kappas-d", lambda: nm.limit_ab_from_kappas("gaussian", 0, 3), V, "d must be"),
    ("limit_ab_from_kappas-scale", lambda: nm.limit_ab_from_kappas("gaussian", 2, 3, scale=0), V, "scale"),
    ("moment_tensor-order", lambda: nm.moment_tensor("gaussian", 2, 0), V, "order"),
    ("moment_tensor-order-float", lambda: nm.moment_tensor("gaussian", 2, 1.5), T, "order"),
    ("moment_tensor-d", lambda: nm.moment_tensor("gaussian", 0, 2), V, "d must be"),
    ("population_coefficients-T-float", lambda: nm.population_coefficients("gaussian", 2, 3.5), T, "T must be"),
    ("population_coefficients-T-two", lambda: nm.population_coefficients("gaussian", 2, 2), V, "T must be"),
    ("population_coefficients-d", lambda: nm.population_coefficients("gaussian", 0, 3), V, "d must be"),
    ("population_coefficients-law", lambda: nm.population_coefficients("x", 1, 3), V, "unknown law"),
    ("population_coefficients-scale", lambda: nm.population_coefficients("gaussian", 1, 3, scale=-1), V, "scale"),
    ("population_gradient-A-shape", lambda: nm.population_gradient(co(), np.eye(2), np.eye(1)), V, "A"),
    ("population_gradient-A-nan", lambda: nm.population_gradient(co(), with_nan(np.eye(1)), np.eye(1)), V, "A"),
    ("population_gradient-co", lambda: nm.population_gradient("x", np.eye(1), np.eye(1)), T, "co"),
    ("population_loss-B-shape", lambda: nm.population_loss(co(), np.eye(1), np.eye(3)), V, "B"),
    # --- numerics.sampling
    ("oswald_tasks-batch", lambda: nm.oswald_tasks(0), V, "batch"),
    ("oswald_tasks-N", lambda: nm.oswald_tasks(2, N=0), V, "N must be"),
    ("oswald_tasks-Nx", lambda: nm.oswald_tasks(2, Nx=1.5), T, "Nx"),
    ("oswald_tasks-r", lambda: nm.oswald_tasks(2, r=-1), V, "r must be"),
    ("oswald_tasks-rng", lambda: nm.oswald_tasks(2, rng="x"), T, "rng"),
    ("sample_initial_tokens-m", lambda: nm.sample_initial_tokens(0, 2), V, "m must be"),
    ("sample_initial_tokens-d", lambda: nm.sample_initial_tokens(2, 0), V, "d must be"),
    ("sample_initial_tokens-law", lambda: nm.sample_initial_tokens(2, 1, law="x"), V, "unknown law"),
    ("sample_initial_tokens-scale", lambda: nm.sample_initial_tokens(2, 1, scale=0), V, "scale"),
    ("sample_phases-m", lambda: nm.sample_phases(0, 2), V, "m must be"),
    ("sample_phases-d", lambda: nm.sample_phases(2, 1.5), T, "d must be"),
    ("zheng_sequences-T-float", lambda: nm.zheng_sequences(3, 3.5, 2), T, "T must be"),
    ("zheng_sequences-T-two", lambda: nm.zheng_sequences(3, 2, 2), V, "T must be"),
    ("zheng_sequences-m", lambda: nm.zheng_sequences(0, 3, 2), V, "m must be"),
    ("zheng_sequences-d", lambda: nm.zheng_sequences(3, 3, 0), V, "d must be"),
    ("zheng_sequences-law", lambda: nm.zheng_sequences(3, 3, 1, law="bogus"), V, "unknown law"),
    ("zheng_sequences-return_params", lambda: nm.zheng_sequences(3, 3, 1, return_params="x"), T, "return_params"),
    # --- numerics.simulations
    ("simulate-name", lambda: nm.simulate("bogus"), V, "unknown simulation"),
    ("simulate-seed", lambda: nm.simulate("oswald2022-one-layer", seed=-1), V, "seed"),
    ("simulate-quick", lambda: nm.simulate("oswald2022-one-layer", quick="yes"), T, "quick"),
    ("simulate-lr", lambda: nm.simulate("oswald2022-one-layer", lr=0), V, "lr"),
    ("simulate-steps-zheng", lambda: nm.simulate("zheng2024-fig1", steps=10), V, "'steps' does not apply"),
    ("simulate-m-oswald", lambda: nm.simulate("oswald2022-one-layer", m=10), V, "'m' does not apply"),
    ("simulate-out_dir", lambda: nm.simulate("oswald2022-one-layer", out_dir=3), T, "out_dir"),
    ("simulate-progress", lambda: nm.simulate("oswald2022-one-layer", progress=3), T, "progress"),
    ("simulation_names-args", lambda: nm.simulation_names(1), T, "positional argument"),
    # --- numerics.training
    ("compare_lsa_to_gd-shape", lambda: nm.compare_lsa_to_gd(np.eye(2), np.eye(2), Nx=2), V, "W_PV"),
    ("compare_lsa_to_gd-n_tasks", lambda: nm.compare_lsa_to_gd(np.eye(3), np.eye(3), n_tasks=0, Nx=2), V, "n_tasks"),
    ("compare_lsa_to_gd-r", lambda: nm.compare_lsa_to_gd(np.eye(3), np.eye(3), Nx=2, r=0), V, "r must be"),
    ("compare_lsa_to_gd-nan", lambda: nm.compare_lsa_to_gd(with_nan(np.eye(3)), np.eye(3), Nx=2), V, "W_PV"),
    ("line_search_gd-nan", lambda: nm.line_search_gd(with_nan(tasks()[0]), *tasks()[1:]), V, "X"),
    ("line_search_gd-singular", lambda: nm.line_search_gd(np.zeros((4, 3, 2)), *tasks()[1:]), V, "X"),
    ("line_search_gd-layers", lambda: nm.line_search_gd(*tasks(), layers=0), V, "layers"),
    ("line_search_gd-plus", lambda: nm.line_search_gd(*tasks(), plus="x"), T, "plus"),
    ("line_search_gd-Y-shape", lambda: nm.line_search_gd(tasks()[0], np.zeros((4, 2)), *tasks()[2:]), V, "Y"),
    ("lsa_loss_and_grad-shape", lambda: nm.lsa_loss_and_grad(np.eye(2), np.eye(3), *tasks()), V, "W_PV"),
    ("lsa_loss_and_grad-nan", lambda: nm.lsa_loss_and_grad(np.eye(3), np.eye(3), with_nan(tasks()[0]), *tasks()[1:]),
     V, "X"),
    ("lsa_predict-nan", lambda: nm.lsa_predict(np.eye(3), np.eye(3), *tasks()[:2], with_nan(tasks()[2])), V, "x_test"),
    ("lsa_predict-x_test-shape", lambda: nm.lsa_predict(np.eye(3), np.eye(3), *tasks()[:2], np.zeros((4, 3))),
     V, "x_test"),
    ("train_lsa_adam-batch", lambda: nm.train_lsa_adam(batch=0), V, "batch"),
    ("train_lsa_adam-steps", lambda: nm.train_lsa_adam(steps=0), V, "steps"),
    ("train_lsa_adam-lr", lambda: nm.train_lsa_adam(lr=0), V, "lr"),
    ("train_lsa_adam-N", lambda: nm.train_lsa_adam(N=0), V, "N must be"),
    ("train_lsa_adam-Nx", lambda: nm.train_lsa_adam(Nx=2.5), T, "Nx"),
    ("train_lsa_adam-r", lambda: nm.train_lsa_adam(r=-1), V, "r must be"),
    ("train_lsa_adam-init_std", lambda: nm.train_lsa_adam(init_std=-1), V, "init_std"),
    ("train_lsa_adam-init", lambda: nm.train_lsa_adam(Nx=2, init=np.eye(3)), T, "init"),
    ("train_lsa_adam-init-shape", lambda: nm.train_lsa_adam(Nx=2, init=(np.eye(2), np.eye(3))), V, "W_PV"),
    ("train_lsa_adam-lr_final", lambda: nm.train_lsa_adam(lr_final=-1.0), V, "lr_final"),
    ("line_search_gd-starts", lambda: nm.line_search_gd(*tasks(), plus=True, starts=()), V, "starts"),
    ("line_search_gd-xatol", lambda: nm.line_search_gd(*tasks(), plus=True, xatol=0), V, "xatol"),
    ("lsa_recurrent_sensitivity-shape", lambda: nm.lsa_recurrent_sensitivity(np.eye(2), np.eye(3), *tasks()[:2]),
     V, "W_PV"),
    ("lsa_recurrent_sensitivity-layers", lambda: nm.lsa_recurrent_sensitivity(np.eye(3), np.eye(3), *tasks()[:2],
                                                                               layers=0), V, "layers"),
    ("fitted_gdpp_parameters-nan", lambda: nm.fitted_gdpp_parameters(np.eye(3), np.eye(3), with_nan(tasks()[0]),
                                                                     tasks()[1]), V, "X"),
    ("compare_recurrent_lsa-layers", lambda: nm.compare_recurrent_lsa(np.eye(3), np.eye(3), layers=0, Nx=2), V,
     "layers"),
    ("compare_recurrent_lsa-shape", lambda: nm.compare_recurrent_lsa(np.eye(2), np.eye(2), Nx=2), V, "W_PV"),
    ("train_lsa_adam-seed", lambda: nm.train_lsa_adam(seed=-1), V, "seed"),
    ("train_lsa_adam-log_every", lambda: nm.train_lsa_adam(log_every=0), V, "log_every"),
    ("train_lsa_adam-eval_every", lambda: nm.train_lsa_adam(eval_every=0), V, "eval_every"),
    ("train_lsa_adam-layers", lambda: nm.train_lsa_adam(layers=0), V, "layers"),
    ("train_lsa_adam-progress", lambda: nm.train_lsa_adam(progress=3), T, "progress"),
    ("zheng_gd-x_train-nan", lambda: nm.zheng_gd(with_nan(zx()), None), V, "x_train"),
    ("zheng_gd-x_test-nan", lambda: nm.zheng_gd(zx(), with_nan(zx())), V, "x_test"),
    ("zheng_gd-x_train-ndim", lambda: nm.zheng_gd(np.zeros((4, 4)), None), V, "x_train"),
    ("zheng_gd-x_test-shape", lambda: nm.zheng_gd(zx(), zx(d=2)), V, "x_test"),
    ("zheng_gd-lr", lambda: nm.zheng_gd(zx(), None, lr=0), V, "lr"),
    ("zheng_gd-epochs", lambda: nm.zheng_gd(zx(), None, epochs=0), V, "epochs"),
    ("zheng_gd-a0", lambda: nm.zheng_gd(zx(), None, a0=NAN), V, "a0"),
    ("zheng_gd-chunk", lambda: nm.zheng_gd(zx(), None, chunk=0), V, "chunk"),
    ("zheng_gd-mask", lambda: nm.zheng_gd(zx(), None, mask="x"), T, "mask"),
    ("zheng_gd-precision", lambda: nm.zheng_gd(zx(), None, precision="half"), V, "precision"),
    ("zheng_gd-threads", lambda: nm.zheng_gd(zx(), None, threads=0), V, "threads"),
    ("zheng_gd-memory_budget", lambda: nm.zheng_gd(zx(), None, memory_budget=0), V, "memory_budget"),
    ("zheng_gd-T-short", lambda: nm.zheng_gd(np.ones((4, 2, 1), complex), None), V, "T must be"),
    ("zheng_loss_and_grad-nan", lambda: nm.zheng_loss_and_grad(with_nan(zx()), *pd_W()), V, "x"),
    ("zheng_loss_and_grad-P-shape", lambda: nm.zheng_loss_and_grad(zx(), np.zeros((1, 3)), pd_W()[1]), V, "P"),
    ("zheng_loss_and_grad-chunk", lambda: nm.zheng_loss_and_grad(zx(), *pd_W(), chunk=0), V, "chunk"),
    ("zheng_loss_and_grad-threads", lambda: nm.zheng_loss_and_grad(zx(), *pd_W(), threads=0), V, "threads"),
    ("zheng_gd-kernel", lambda: nm.zheng_gd(zx(), None, kernel="fused-view"), V, "kernel must be one of"),
    ("FusedData-lanes", lambda: __import__("numerics.fused").fused.FusedData(zx(), lanes=0), V, "lanes"),
    ("FusedData-copy", lambda: __import__("numerics.fused").fused.FusedData(zx(), copy="no"), T, "copy"),
    ("FusedData-dtype", lambda: __import__("numerics.fused").fused.FusedData(zx(), dtype=np.float16), V, "dtype"),
    ("fused-backend", lambda: __import__("numerics.fused").fused.loss_and_grad(zx(), *pd_W(), backend="gpu"), V,
     "backend must be one of"),
    ("backend_for-backend", lambda: __import__("numerics.fused").fused.backend_for(2, "cuda"), V, "backend must be one of"),
    # --- proofs_check
    ("verify-unknown", lambda: pc.verify("nope"), KeyError, "unknown claim 'nope'"),
    ("verify-type", lambda: pc.verify(3), T, "claim_id"),
    ("verify-include_slow", lambda: pc.verify("oswald2022.O4", include_slow="yes"), T, "include_slow"),
    ("verify_all-type", lambda: pc.verify_all(3), T, "patterns"),
    ("verify_all-unknown", lambda: pc.verify_all(["nope"]), KeyError, "unknown claim 'nope'"),
    ("verify_all-include_slow", lambda: pc.verify_all(["oswald2022.O4"], include_slow=1), T, "include_slow"),
    ("get-type", lambda: pc.get(3), T, "claim_id"),
    ("get-unknown", lambda: pc.get("x"), KeyError, "unknown claim 'x'"),
    ("all_claims-args", lambda: pc.all_claims(1), T, "positional argument"),
    ("select-type", lambda: pc.select(3), T, "patterns"),
    ("select-item-type", lambda: pc.select([3]), T, "patterns"),
    ("select-unknown", lambda: pc.select(["nope"]), KeyError, "unknown claim 'nope'"),
    ("register-type", lambda: pc.register("x"), T, "claim"),
    ("register-twice", lambda: pc.register(pc.get("oswald2022.O4")), V, "registered twice"),
    ("stated-type", lambda: pc.stated(3), T, "claim_id"),
    ("stated-unknown", lambda: pc.stated("nope"), KeyError, "unknown claim 'nope'"),
    ("stated-no-closed-form", lambda: pc.stated("zheng2024.C1"), V, "no stated closed form"),
    ("override_stated-type", lambda: pc.override_stated(3, 1), T, "claim_id"),
    ("override_stated-unknown", lambda: pc.override_stated("nope", 1), KeyError, "unknown claim 'nope'"),
    ("Claim-id-form", lambda: a_claim("nodot"), V, "id"),
    ("Claim-id-type", lambda: a_claim(3), T, "id"),
    ("Claim-checks", lambda: a_claim(checks="x"), T, "checks"),
    ("Claim-statement", lambda: a_claim(statement=3), T, "statement"),
    ("Claim-stated", lambda: a_claim(stated=3), T, "stated"),
    ("Check-method", lambda: pc.Check("c", "symbolic", lambda: None), V, "method must be a Method"),
    ("Check-run", lambda: pc.Check("c", pc.Method.NUMERIC_TOLERANCE, None), T, "run"),
    ("Check-parameters", lambda: pc.Check("c", pc.Method.NUMERIC_TOLERANCE, lambda: None, parameters="d"), T,
     "parameters"),
    ("Claim.verify-at-zero", lambda: pc.get("related.N").verify(at={"d": 0}), V, "size d"),
    ("Claim.verify-at-name", lambda: pc.get("related.N").verify(at={"q": 2}), V, "has no size 'q'"),
    ("Claim.verify-at-type", lambda: pc.get("related.N").verify(at="d=2"), T, "at"),
    ("Claim.verify-include_slow", lambda: pc.get("oswald2022.O4").verify(include_slow="x"), T, "include_slow"),
    ("CheckResult-status", lambda: pc.CheckResult("c", "PROVED", pc.Method.NUMERIC_TOLERANCE), V, "status must be a Status"),
    ("CheckResult-method", lambda: pc.CheckResult("c", pc.Status.VERIFIED, "numeric"), V, "method must be a Method"),
    ("Verdict-checks", lambda: pc.Verdict("a.b", "t", "x"), T, "checks"),
    ("Status-value", lambda: pc.Status("bogus"), V, "Status"),
    ("Method-value", lambda: pc.Method("bogus"), V, "Method"),
    # --- the causal model and the lattice counter
    ("count_lattice_points-equations", lambda: th.count_lattice_points(3, [], {}), T, "equations must be a list"),
    ("count_lattice_points-variables", lambda: th.count_lattice_points([], "x", {}), T, "variables must be a list"),
    ("count_lattice_points-ranges", lambda: th.count_lattice_points([], [sp.Symbol("i")], {}), V,
     "ranges must give (low, high) for every variable (missing i)"),
    ("count_lattice_points-t_min", lambda: th.count_lattice_points([], [], {}, t_min=2.5), T, "t_min must be an integer"),
    # --- sweeps, statements read back, provenance
    ("expand_grid-type", lambda: nm.expand_grid(3), nm.SweepError, "the grid must be a mapping"),
    ("expand_grid-value", lambda: nm.expand_grid({"d": [0]}), nm.SweepError, "d must be an integer >= 1"),
    ("run_sweep-grid", lambda: nm.run_sweep(3, "out"), nm.SweepError, "the grid must be a mapping"),
    ("SweepError-is-ValueError", lambda: (_ for _ in ()).throw(nm.SweepError("point 0: d must be ...")), V,
     "point 0"),
    ("load_statement-type", lambda: pc.load_statement(3), V, "load_statement needs a statement entry"),
    ("load_statement-code", lambda: pc.load_statement("os.system(1)"), V, "not an srepr string"),
    ("provenance-seed", lambda: pc.provenance(seed="x"), T, "seed must be an integer or None"),
    ("provenance-parameters", lambda: pc.provenance(parameters=3), T, "parameters must be a mapping"),
    # --- the public checks (earned verdicts)
    ("check_identity-float", lambda: pc.check_identity(sp.Symbol("x") * 0.5, sp.Symbol("x") / 2), V,
     "lhs contains a floating-point number"),
    ("check_identity-list", lambda: pc.check_identity([1, 2], 0), T, "lhs must be a SymPy expression or matrix"),
    ("check_identity-relation", lambda: pc.check_identity(sp.Eq(sp.Symbol("x"), 1), 0), T, "lhs is a relation"),
    ("check_identity-names", lambda: pc.check_identity(sp.Symbol("a"), sp.Symbol("a", positive=True)), V,
     "both named 'a'"),
    ("check_nonzero-float", lambda: pc.check_nonzero(sp.Float(0.5)), V, "expr contains a floating-point"),
    ("check_inequality-relation", lambda: pc.check_inequality(sp.Integer(1), "<"), V, "relation must be"),
    ("check_close-rtol", lambda: pc.check_close(1.0, 1.0, rtol=-1), V, "rtol must be a finite number >= 0"),
    ("check_close-zero-tolerance", lambda: pc.check_close(1.0, 1.0, rtol=0), V, "rtol and atol are both 0"),
    ("check_close-shape", lambda: pc.check_close([1.0], [1.0, 2.0], rtol=1e-9), V, "one shape"),
    ("check_float_less-margin", lambda: pc.check_float_less(1.0, 2.0, margin=-1.0), V, "margin must be"),
    ("check_induction-type", lambda: pc.check_induction("k", 1, 2), T, "base must be a CheckResult"),
    ("counting_evidence-type", lambda: pc.counting_evidence("c", 3, []), T, "patterns must be a sequence"),
    ("combine-type", lambda: pc.combine("c", 3), T, "results must be a list of CheckResult"),
    ("combine-item", lambda: pc.combine("c", [3]), T, "results must be a list of CheckResult (got a int)"),
    ("Evidence-forged", lambda: pc.Evidence(pc.Method.SYMBOLIC_ALL_DIMENSIONS, "every d"), T,
     "Evidence is produced by the engine's checks only"),
    # --- theory.validation itself
    ("require_int-bool", lambda: v.require_int("n", True, 1), T, "n must be an integer >= 1"),
    ("require_int-float", lambda: v.require_int("n", 3.0, 1), T, "n must be an integer"),
    ("require_int-below", lambda: v.require_int("n", 0, 1, "why"), V, "n must be an integer >= 1 (got 0): why"),
    ("require_int-above", lambda: v.require_int("n", 5, 1, maximum=4), V, "n must be an integer in [1, 4]"),
    ("require_positive-zero", lambda: v.require_positive("lr", 0), V, "lr must be a positive number"),
    ("require_positive-nan", lambda: v.require_positive("lr", NAN), V, "lr must be a positive number"),
    ("require_positive-symbol", lambda: v.require_positive("eta", sp.Symbol("e", negative=True)), V, "eta"),
    ("require_positive-str", lambda: v.require_positive("lr", "1"), T, "lr"),
    ("require_finite_array-nan", lambda: v.require_finite_array("X", [1.0, NAN]), V, "X must be finite"),
    ("require_finite_array-ndim", lambda: v.require_finite_array("X", [1.0], ndim=2), V, "X must be an array with 2"),
    ("require_finite_array-dtype", lambda: v.require_finite_array("X", ["a"]), T, "X must be an array of"),
    ("require_psd-indefinite", lambda: v.require_psd("Sigma", np.diag([1.0, -1.0])), V, "Sigma must be symmetric"),
    ("require_psd-asymmetric", lambda: v.require_psd("Sigma", np.array([[1.0, 1.0], [0.0, 1.0]])), V, "symmetric"),
    ("require_psd-sympy", lambda: v.require_psd("Sigma", sp.Matrix([[1, 2], [2, 1]])), V, "negative eigenvalue"),
    ("require_choice", lambda: v.require_choice("law", "x", ["gaussian"]), V, "law must be one of 'gaussian'"),
    ("require_bool", lambda: v.require_bool("mask", 1), T, "mask must be True or False"),
    # --- theory.derive_layers (stacked layers)
    ("stacked_forward-readout-model", lambda: th.stacked_forward(th.LinearAttention(D=1), [{}], [], [], sp.Matrix([1])),
     V, "model must be a LinearAttention with value='full'"),
    ("StackedForward-layers-dict", lambda: th.stacked_forward(th.LinearAttention(D=1, value="full"), {}, [], [],
                                                              sp.Matrix([1])), T, "layers must be a non-empty list"),
]


@pytest.mark.parametrize("call,exc,fragment", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_bad_input_is_named(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value.args[0]) if isinstance(info.value, KeyError) else str(info.value)
    assert fragment in message, message
    assert "\n" not in message


def test_table_size_and_coverage():
    assert len(ROWS) >= 150
    assert len({r[0] for r in ROWS}) == len(ROWS), "row ids must be unique"
    names = " ".join(r[0] for r in ROWS)
    missing = [n for mod in (th, nm, pc) for n in mod.__all__
               if callable(getattr(mod, n)) and not isinstance(getattr(mod, n), type(math))
               and n not in names and n not in _NOT_CALLED]
    assert not missing, f"public functions without a bad-input row: {missing}"


#: Public callables that are result containers or errors (built by the library, not the user).
_NOT_CALLED = {"Features", "FeatureMoments", "FixedPoints", "PopulationLoss", "Algorithm", "CausalModel", "LatticeCount", "LSAWeights", "Tokens", "RegressionPrompt", "PopulationDerivatives", "BlockDerivatives", "ReducedFlow", "RestrictedFlow",
               "FullPopulationGradient", "FlowResult", "PopulationCoefficients", "SimulationResult", "AdamResult",
               "GDResult", "UnknownClaimError", "SIMULATIONS", "CONVENTIONS", "ZHENG_LAWS"}


def test_good_input_still_passes():
    """The checks let valid (including symbolic) arguments through."""
    assert v.require_int("T", sp.Integer(4), 3) == 4
    assert v.require_int("T", np.int64(4), 3) == 4
    eta = sp.Symbol("eta", positive=True)
    assert v.require_positive("eta", eta) is eta
    assert v.require_positive("eta", sp.Symbol("x")) is not None
    assert v.require_psd("S", np.eye(2)).shape == (2, 2)
    assert v.require_psd("S", sp.Matrix([[2, 1], [1, 2]])) is not None
    assert th.MomentTableLaw(2, extra={(1, 1): 2}).kappas() == th.MomentTableLaw(2).kappa_values
    assert len(pc.verify_all("oswald2022.O4")) == 1  # a single id string is one pattern
