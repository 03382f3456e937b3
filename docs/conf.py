"""Sphinx configuration: Markdown pages (MyST) with MathJax for the derived LaTeX.

Build: ``python -m pip install '.[docs]' && python -m proofs_check.docs_pages docs/claims &&
sphinx-build -b html docs docs/_build/html``.
"""
project = "mesacheck"
author = "mesacheck developers"
extensions = ["myst_parser", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath", "amsmath"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "alabaster"
