"""Sphinx configuration: Markdown pages (MyST), an API reference (autodoc + napoleon, numpydoc
docstrings) and MathJax served from the build itself (the ``sphinx-mathjax-offline`` package bundles
MathJax 3), so every formula renders without the network.

Build (from the repository root)::

    python -m pip install '.[docs]'
    python -m proofs_check.docs_pages docs/claims --verify
    python -m sphinx -W -b html docs docs/_build/html
"""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

project = "mesacheck"
author = "mesacheck developers"
copyright = "2026, mesacheck developers"
extensions = ["myst_parser", "sphinx.ext.mathjax", "sphinx-mathjax-offline", "sphinx.ext.autodoc",
              "sphinx.ext.napoleon"]
myst_enable_extensions = ["dollarmath", "amsmath"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
suppress_warnings = ["myst.header"]
