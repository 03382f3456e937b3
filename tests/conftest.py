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

# The on-disk cache of derivations (proofs_check/cache.py) goes to a temporary directory for the
# whole run, never to the user's home, and is off by default (no test sees another's results:
# tests that monkeypatch the code must not meet entries of the unpatched code); tests/test_cache.py
# turns it on. Subprocesses (CLI tests) inherit both variables.
import atexit as _atexit
import os as _os
import shutil as _shutil
import tempfile as _tempfile

_os.environ["MESACHECK_CACHE_DIR"] = _tempfile.mkdtemp(prefix="mesacheck-test-cache-")
_atexit.register(_shutil.rmtree, _os.environ["MESACHECK_CACHE_DIR"], True)
_os.environ.setdefault("MESACHECK_NO_CACHE", "1")
