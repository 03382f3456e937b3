"""The numerical-agreement claims register cheaply and decide."""
import subprocess
import sys

import pytest


def test_claim_module_does_not_import_numerics_at_module_level():
    code = ("import sys, proofs_check.claims.simulations as m; "
            "print(any(k.split('.')[0] in ('numpy', 'scipy', 'numerics') for k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("claim_id", ["zheng2024.sim.full-one", "zheng2024.sim.population-vs-reduced"])
def test_fast_simulation_claims_are_verified(claim_id):
    from proofs_check.registry import get

    verdict = get(claim_id).verify()
    assert verdict.status.value == "VERIFIED", verdict.to_dict()
