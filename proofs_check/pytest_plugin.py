"""pytest plugin for mesacheck (registered through the ``pytest11`` entry point)."""
from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("mesacheck")
    group.addoption("--mesacheck", action="store_true", default=False,
                    help="collect every registered mesacheck claim as a test item")
