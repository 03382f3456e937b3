"""Pure NumPy/SciPy numerics: integrate the derived flows and reproduce the papers' simulations.

Consumes callables lambdified from :mod:`theory`, never the reverse.

- :mod:`numerics.flows`: ``solve_ivp`` (LSODA/Radau with Jacobians) with convergence and blow-up
  events, capped spans and a :class:`FlowResult` with status, nfev/njev and conserved-quantity drift.
- :mod:`numerics.population`: the exact population gradient flow of the blocks (A, B) of
  Zheng et al. (phase lemma and exact moments, no sampling).
- :mod:`numerics.sampling`, :mod:`numerics.training`: seeded data; full-batch GD of the causal
  model vectorised over sequences and time; Adam-trained linear self-attention of von Oswald et al.
- :mod:`numerics.simulations`: ``simulate(name, ...)`` behind ``mesacheck simulate``.
- :mod:`numerics.fused`: the fused one-pass epoch kernel (optional numba); :mod:`numerics.sweep`:
  ``run_sweep(grid, executor=...)`` behind ``mesacheck sweep``.
"""
# Exports load on first use (PEP 562): ``import numerics.training`` for a run does not pull in
# SymPy, SciPy or matplotlib through the other modules. Same names as eager imports would give.
_EXPORTS = {
    "flows": ("FlowResult", "geometric_grid", "integrate_flow", "integrate_on_times", "integrate_reduced",
              "reduced_jac", "reduced_rhs"),
    "metrics": ("diagonal_statistics", "empirical_limit_with_error"),
    "population": ("PopulationCoefficients", "integrate_full_population", "integrate_population", "kappas",
                   "limit_ab_from_kappas", "moment_tensor", "pack_full", "unpack_full", "population_coefficients",
                   "population_gradient", "population_loss"),
    "sampling": ("ZHENG_LAWS", "oswald_tasks", "sample_initial_tokens", "sample_phases", "zheng_sequences"),
    "simulations": ("SIMULATIONS", "SimulationResult", "simulate", "simulation_names"),
    "sweep": ("SweepError", "expand_grid", "run_sweep"),
    "training": ("AdamResult", "GDResult", "compare_lsa_to_gd", "line_search_gd", "lsa_loss_and_grad", "lsa_predict",
                 "train_lsa_adam", "zheng_gd", "zheng_loss_and_grad", "compare_recurrent_lsa", "fitted_gdpp_parameters",
                 "lsa_recurrent_sensitivity"),
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
