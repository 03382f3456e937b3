"""Packaging: the card's top-level folders installed under the one name ``mesacheck``.

``theory/``, ``numerics/`` and ``proofs_check/`` (and every subpackage, found here rather than
listed) become ``mesacheck.theory``, ``mesacheck.numerics`` and ``mesacheck.proofs_check``
through ``package_dir``; ``mesacheck/__init__.py`` loads them (see its docstring). Everything
else is in setup.cfg.
"""
from setuptools import find_packages, setup

CARD = ("theory", "numerics", "proofs_check")
SUBPACKAGES = find_packages(include=[pattern for name in CARD for pattern in (name, f"{name}.*")])

setup(
    packages=["mesacheck"] + [f"mesacheck.{name}" for name in SUBPACKAGES],
    package_dir={"mesacheck": "mesacheck", **{f"mesacheck.{name}": name for name in CARD}},
)
