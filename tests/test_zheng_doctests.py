"""The doctest examples of the Zheng theory modules are exact and current."""
import doctest

import pytest

import theory.causal_attention
import theory.dynamics
import theory.lattice_count
import theory.moments
import theory.zheng_patterns
import theory.zheng_population


@pytest.mark.parametrize("module", [theory.moments, theory.causal_attention, theory.zheng_population,
                                    theory.dynamics, theory.zheng_patterns, theory.lattice_count],
                         ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_theory_modules_are_pure_sympy():
    """Importing the Zheng theory modules pulls in neither NumPy nor SciPy."""
    import subprocess
    import sys

    code = ("import sys, theory.moments, theory.causal_attention, theory.zheng_population, theory.dynamics, "
            "theory.zheng_patterns, theory.zheng_invariance, theory.causal_model, theory.lattice_count; print(any(m in sys.modules for m in ('numpy', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
