"""The lower bounds in setup.cfg are real: the suite passes with exactly those versions.

Slow and networked (pip downloads the pinned wheels into a fresh virtual environment):
``python -m pytest -m slow tests/test_min_versions.py``, or directly ``python .ci/min_versions.py``.
"""
from __future__ import annotations

import importlib.util
import os
import socket
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _script():
    spec = importlib.util.spec_from_file_location("min_versions", os.path.join(ROOT, ".ci", "min_versions.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_requirement_has_a_lower_bound():
    pins = dict(p.split("==") for p in _script().minimum_pins())
    assert set(pins) >= {"sympy", "numpy", "scipy", "matplotlib", "hypothesis", "pytest"}
    assert tuple(int(x) for x in pins["hypothesis"].split(".")) >= (6, 116), "the 'ci' profile needs 6.116"


def _online() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_suite_passes_with_the_minimum_versions():
    if not _online() and not os.environ.get("PIP_INDEX_URL"):
        pytest.skip("needs the network to install the minimum versions")
    # A representative, quick part of the default suite (every package, the CLI and the plugin).
    code = _script().main(["-x", "-q", "-p", "no:cacheprovider", "tests/test_validation.py", "tests/test_cli.py",
                           "tests/test_pytest_plugin.py", "tests/test_numerics_flows.py",
                           "tests/test_oswald_theory.py", "tests/test_zheng_moments.py"])
    assert code == 0, "the suite fails with the minimum versions of setup.cfg: raise the bounds"
