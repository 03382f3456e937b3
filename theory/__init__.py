"""Pure SymPy definitions and derivations (no I/O, no floats).

von Oswald et al. 2022: the linear self-attention layer (:mod:`theory.attention`), the
in-context least-squares problem (:mod:`theory.least_squares`), the weight constructions
(:mod:`theory.constructions`).

Zheng et al. 2024: laws of the initial token as exact moment functionals and the phase lemma
(:mod:`theory.moments`), the causal linear attention model (:mod:`theory.causal_attention`),
the exact population loss and gradient (:mod:`theory.zheng_population`), index-pattern counting
for symbolic T (:mod:`theory.zheng_patterns`), invariance for all d and T
(:mod:`theory.zheng_invariance`), and the gradient flow reduced to the invariant manifold
(:mod:`theory.dynamics`, which also states the conventions in one place). Exact tools: :mod:`theory.matrix_algebra` (normal forms of
matrix expressions for all dimensions), :mod:`theory.polymatrix` (expanded polynomial
matrices), :mod:`theory.printing` (the paper-style LaTeX printer).
"""
from .attention import LSAWeights, Tokens, lsa_forward, lsa_layer, prediction
from .constructions import RegressionPrompt, gd_construction, gdpp_construction, regression_prompt
from .least_squares import gd_iterates, gd_step, least_squares_gradient, least_squares_loss
from .matrix_algebra import matrix_terms, reduced_terms
from .polymatrix import PolyMatrix
from .printing import latex
from .moments import (KAPPA_SYMBOLS, AnisotropicGaussian, ComplexGaussian, DiscreteLaw, FullOneLaw, Kappas,
                      MomentTableLaw, RademacherLaw, RealGaussian, SparseLaw, StudentTLaw, TokenLaw, UniformLaw,
                      phase_average, phase_expectation)
from .causal_attention import (causal_prediction, check_sizes, conjugate, embedding, manifold_AB, manifold_ab,
                               sequence, token_symbols)
from .zheng_population import PopulationDerivatives, population_derivatives
from .dynamics import (CONVENTIONS, LOSS_SCALE, RHO, ReducedFlow, attention_prediction_on_ab, balanced_solution,
                       conserved_rate, entrywise_flow_all_T, fixed_points, gradient_on_AB, gradient_on_ab,
                       invariance_residuals_AB, invariance_residuals_ab, limit_of_product, limits_of_a_b,
                       one_step_gd_prediction, product_flow, reduced_flow, reduced_flow_function)
from .zheng_patterns import coefficients_all_T, count_solutions, diagonal_loss_all_T, per_step_coefficients
from .zheng_invariance import off_block_invariance, off_diagonal_moment_types
from .zheng_full import FullPopulationGradient, full_population_gradient
from .causal_model import CausalModel
from .lattice_count import LatticeCount, count_lattice_points
from .models import (SYMBOLS, Embedding, Features, LinearAttention, oswald_model, pair_embedding, regression_embedding,
                     zheng_model)
from .tasks import AutoregressiveTask, FeatureMoments, InContextRegression, isserlis
from .derive import (Algorithm, FixedPoints, Flow, Manifold, PopulationLoss, RestrictedFlow, conserved_quantities,
                     fixed_points, gradient_flow, is_zero, k_step_gd, one_step_gd, population_loss, prediction_difference,
                     preconditioned_gd, zero_algorithm)
from .related import N_sym, eta_sym, n_sym, one_step_risk, optimal_step, s_sym, zfb_second_moment

__all__ = ["LSAWeights", "Tokens", "lsa_layer", "lsa_forward", "prediction", "RegressionPrompt",
           "regression_prompt", "gd_construction", "gdpp_construction", "least_squares_loss",
           "least_squares_gradient", "gd_step", "gd_iterates", "matrix_terms", "reduced_terms",
           "PolyMatrix", "latex",
           "TokenLaw", "RealGaussian", "ComplexGaussian", "AnisotropicGaussian", "SparseLaw", "FullOneLaw",
           "RademacherLaw", "UniformLaw", "StudentTLaw", "DiscreteLaw", "MomentTableLaw", "Kappas", "KAPPA_SYMBOLS",
           "phase_average", "phase_expectation", "token_symbols", "sequence", "conjugate", "embedding",
           "causal_prediction", "manifold_AB", "manifold_ab", "check_sizes", "population_derivatives",
           "PopulationDerivatives", "LOSS_SCALE", "RHO", "CONVENTIONS", "gradient_on_ab", "gradient_on_AB",
           "invariance_residuals_AB", "invariance_residuals_ab", "ReducedFlow", "reduced_flow", "product_flow",
           "conserved_rate", "fixed_points", "limit_of_product", "limits_of_a_b", "balanced_solution",
           "attention_prediction_on_ab", "one_step_gd_prediction", "reduced_flow_function", "entrywise_flow_all_T",
           "coefficients_all_T", "per_step_coefficients", "diagonal_loss_all_T", "count_solutions",
           "off_block_invariance", "off_diagonal_moment_types", "FullPopulationGradient", "full_population_gradient",
           "CausalModel", "LatticeCount", "count_lattice_points",
           # the model-description pipeline (bring your own model)
           "SYMBOLS", "Embedding", "Features", "LinearAttention", "oswald_model", "pair_embedding",
           "regression_embedding", "zheng_model", "AutoregressiveTask", "FeatureMoments", "InContextRegression",
           "isserlis", "Algorithm", "FixedPoints", "Flow", "Manifold", "PopulationLoss", "RestrictedFlow",
           "conserved_quantities", "gradient_flow", "is_zero", "k_step_gd", "one_step_gd",
           "population_loss", "prediction_difference", "preconditioned_gd", "zero_algorithm",
           # related work (spec related.md)
           "N_sym", "eta_sym", "n_sym", "s_sym", "one_step_risk", "optimal_step", "zfb_second_moment"]
from .derive_statements import instantiate  # noqa: E402 - a stated closed form at explicit matrices (issue 10)

__all__ += ["instantiate"]
