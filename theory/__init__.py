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
# Exports load on first use (PEP 562): ``import numerics.training`` for a run does not pull in
# SymPy, SciPy or matplotlib through the other modules. Same names as eager imports would give.
_EXPORTS = {
    "attention": ("LSAWeights", "Tokens", "lsa_forward", "lsa_layer", "prediction"),
    "constructions": ("RegressionPrompt", "gd_construction", "gdpp_construction", "regression_prompt"),
    "least_squares": ("gd_iterates", "gd_step", "least_squares_gradient", "least_squares_loss"),
    "matrix_algebra": ("matrix_terms", "reduced_terms"),
    "polymatrix": ("PolyMatrix",),
    "printing": ("latex",),
    "moments": ("KAPPA_SYMBOLS", "AnisotropicGaussian", "ComplexGaussian", "DiscreteLaw", "FullOneLaw", "Kappas",
                "MomentTableLaw", "RademacherLaw", "RealGaussian", "SparseLaw", "StudentTLaw", "TokenLaw",
                "UniformLaw", "phase_average", "phase_expectation"),
    "causal_attention": ("causal_prediction", "check_sizes", "conjugate", "embedding", "manifold_AB", "manifold_ab",
                         "sequence", "token_symbols"),
    "zheng_population": ("BlockDerivatives", "PopulationDerivatives", "autoregressive_derivatives",
                         "population_derivatives"),
    "dynamics": ("CONVENTIONS", "LOSS_SCALE", "RHO", "ReducedFlow", "attention_prediction_on_ab",
                 "balanced_solution", "conserved_rate", "entrywise_flow_all_T", "gradient_on_AB",
                 "gradient_on_ab", "invariance_residuals_AB", "invariance_residuals_ab", "limit_of_product",
                 "limits_of_a_b", "one_step_gd_prediction", "product_flow", "reduced_flow", "reduced_flow_function"),
    "zheng_patterns": ("coefficients_all_T", "count_solutions", "diagonal_loss_all_T", "per_step_coefficients"),
    "zheng_invariance": ("off_block_invariance", "off_diagonal_moment_types"),
    "zheng_full": ("FullPopulationGradient", "full_population_gradient"),
    "causal_model": ("CausalModel",),
    "lattice_count": ("LatticeCount", "count_lattice_points"),
    # the model-description pipeline (bring your own model)
    "models": ("SYMBOLS", "Embedding", "Features", "LinearAttention", "oswald_model", "pair_embedding",
               "regression_embedding", "zheng_model"),
    "tasks": ("AutoregressiveTask", "FeatureMoments", "InContextRegression", "isserlis"),
    "derive": ("Algorithm", "FixedPoints", "Flow", "Manifold", "PopulationLoss", "RestrictedFlow", "conserved_quantities",
               "fixed_points", "gradient_flow", "is_zero", "k_step_gd", "one_step_gd", "population_loss",
               "prediction_difference", "preconditioned_gd", "zero_algorithm"),
    "derive_statements": ("instantiate",),
    "derive_layers": ("StackedForward", "stacked_forward"),          # stacked layers (Ahn et al. Lemma 1)
    # related work (spec related.md)
    "related": ("N_sym", "eta_sym", "n_sym", "one_step_risk", "optimal_step", "s_sym", "zfb_second_moment"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

#: The public names: exactly those of ``_EXPORTS`` (one list, so a new export cannot be half-added).
__all__ = [name for names in _EXPORTS.values() for name in names]


def __getattr__(name):
    import importlib
    import os

    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    elif os.path.exists(os.path.join(os.path.dirname(__file__), f"{name}.py")):
        value = importlib.import_module(f".{name}", __name__)         # a submodule, as ``pkg.module``
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


