"""Pure SymPy definitions and derivations (no I/O, no floats).

von Oswald et al. 2022: the linear self-attention layer (:mod:`theory.attention`), the
in-context least-squares problem (:mod:`theory.least_squares`), the weight constructions
(:mod:`theory.constructions`). Exact tools: :mod:`theory.matrix_algebra` (normal forms of
matrix expressions for all dimensions), :mod:`theory.polymatrix` (expanded polynomial
matrices), :mod:`theory.printing` (the paper-style LaTeX printer).
"""
from .attention import LSAWeights, Tokens, lsa_forward, lsa_layer, prediction
from .constructions import RegressionPrompt, gd_construction, gdpp_construction, regression_prompt
from .least_squares import gd_iterates, gd_step, least_squares_gradient, least_squares_loss
from .matrix_algebra import matrix_terms, reduced_terms
from .polymatrix import PolyMatrix
from .printing import latex

__all__ = ["LSAWeights", "Tokens", "lsa_layer", "lsa_forward", "prediction", "RegressionPrompt",
           "regression_prompt", "gd_construction", "gdpp_construction", "least_squares_loss",
           "least_squares_gradient", "gd_step", "gd_iterates", "matrix_terms", "reduced_terms",
           "PolyMatrix", "latex"]
