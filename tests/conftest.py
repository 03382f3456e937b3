"""Shared test configuration.

Hypothesis profiles come from :func:`proofs_check.strategies.load_profile`: under ``CI=true``
the built-in derandomised ``ci`` profile, extended with a bounded example budget and no
deadline; otherwise a small development budget. ``HYPOTHESIS_PROFILE`` overrides both.
Hypothesis's files go to the user cache directory (``MESACHECK_HYPOTHESIS_DIR`` overrides),
never the working directory.
"""
from proofs_check.strategies import load_profile, use_user_storage

use_user_storage()
load_profile()
