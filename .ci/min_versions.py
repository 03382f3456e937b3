#!/usr/bin/env python3
"""Install the *lowest* versions setup.cfg allows into a fresh virtual environment and run tests.

Every ``name>=X`` of ``install_requires`` and of the ``test`` extra becomes ``name==X``; the
project is installed without dependencies (for its pytest plugin entry point) and its source
tree put first on ``PYTHONPATH``, so the pins are exactly what runs.
Needs the network (pip downloads the wheels) and a few minutes.

Usage::

    python .ci/min_versions.py [pytest arguments]     # default: the default test suite, -x

Run by ``tests/test_min_versions.py`` (marked slow: ``python -m pytest -m slow
tests/test_min_versions.py``). Exit code: pytest's, or 4 when the installation fails.
"""
from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def minimum_pins(setup_cfg: str = os.path.join(ROOT, "setup.cfg")) -> list[str]:
    """``["sympy==1.12", ...]``: the lower bound of every runtime and test requirement."""
    parser = configparser.ConfigParser()
    parser.read(setup_cfg)
    lines = parser["options"]["install_requires"].splitlines()
    lines += parser["options.extras_require"]["test"].splitlines()
    pins: dict[str, str] = {}
    for line in filter(None, (x.strip() for x in lines)):
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9.]*)(\s*,\s*<.*)?", line)
        if not match:
            raise SystemExit(f"setup.cfg: requirement {line!r} has no '>=' lower bound")
        name, low = match.group(1).lower(), match.group(2)
        pins[name] = max(pins.get(name, low), low, key=lambda v: tuple(int(p) for p in v.split(".")))
    return [f"{name}=={low}" for name, low in pins.items()]


def main(argv: list[str]) -> int:
    pins = minimum_pins()
    print("minimum versions:", " ".join(pins), flush=True)
    with tempfile.TemporaryDirectory(prefix="mesacheck-min-") as tmp:
        venv = os.path.join(tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        python = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
        installed = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins])
        if installed.returncode == 0:  # the project itself, for its pytest11 entry point (plugin tests)
            installed = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                        "--no-deps", ROOT])
        if installed.returncode != 0:
            print("installing the minimum versions failed", file=sys.stderr)
            return 4
        env = dict(os.environ, PYTHONPATH=ROOT, MESACHECK_HYPOTHESIS_DIR=os.path.join(tmp, "hypothesis"))
        env.pop("PYTHONHOME", None)
        args = argv or ["-x", "-q", "-p", "no:cacheprovider"]
        return subprocess.run([python, "-m", "pytest", *args], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
