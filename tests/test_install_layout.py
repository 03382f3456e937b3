"""mesacheck installs under one name and survives a user's project with its own theory/, numerics/.

Installed, the card's packages are ``mesacheck.theory``, ``mesacheck.numerics`` and
``mesacheck.proofs_check`` (``setup.py``; the loader in ``mesacheck/__init__.py``); in the
repository they stay the top-level folders, and ``mesacheck.X`` is the same module object as ``X``.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CARD = ("theory", "numerics", "proofs_check")

#: A user's project: its own theory/ and numerics/, each with a marker.
USER_PACKAGES = {"theory": "user theory", "numerics": "user numerics"}


def _user_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    for name, marker in USER_PACKAGES.items():
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(f"MARKER = {marker!r}\n")
    return project


def _installed_copy(tmp_path: Path) -> Path:
    """A site directory laid out as ``pip install .`` lays it out (mesacheck/<package>/...)."""
    site = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "mesacheck", site / "mesacheck", ignore=ignore)
    for name in CARD:
        shutil.copytree(ROOT / name, site / "mesacheck" / name, ignore=ignore)
    return site


# ----------------------------------------------------------------------------- the rewrite rule
REWRITES = [
    ("from theory.printing import latex", "from mesacheck.theory.printing import latex"),
    ("from proofs_check import verify", "from mesacheck.proofs_check import verify"),
    ("import numerics.sweep as sw", "import mesacheck.numerics.sweep as sw"),
    ("import theory", "from mesacheck import theory"),
    ("import theory.dynamics", "__import__('mesacheck.theory.dynamics')\nfrom mesacheck import theory"),
    ("import os, theory", "import os\nfrom mesacheck import theory"),
    ("from .registry import get", "from .registry import get"),                 # relative: untouched
    ("from ..x import y", "from ..x import y"),
    ("import theoryx\nfrom numerics_extra import z", "import theoryx\nfrom numerics_extra import z"),
    ("def f():\n    from theory.x import y\n    return y",
     "def f():\n    from mesacheck.theory.x import y\n    return y"),
]


@pytest.mark.parametrize("source, expected", REWRITES)
def test_rewrite_rule_maps_only_the_card_packages(source, expected):
    import mesacheck

    tree = mesacheck.rewrite_imports(ast.parse(source))
    assert ast.unparse(tree) == ast.unparse(ast.parse(expected))


def test_rewrite_keeps_line_numbers():
    import mesacheck

    tree = mesacheck.rewrite_imports(ast.parse("x = 1\n\nimport theory.dynamics\ny = 2\n"))
    assert [node.lineno for node in tree.body] == [1, 3, 3, 4]


# ----------------------------------------------------------------------------- in the repository
def test_in_the_repository_the_two_names_are_one_module():
    """Run from the repository root: mesacheck.X *is* X (no second copy of a class or registry)."""
    import importlib.util

    import mesacheck
    import mesacheck.proofs_check.registry as registry_via_mesacheck
    import mesacheck.theory.attention as attention_via_mesacheck
    import proofs_check.registry
    import theory.attention
    from mesacheck.proofs_check import verify

    assert mesacheck.MODE == "alias"
    assert attention_via_mesacheck is theory.attention
    assert registry_via_mesacheck is proofs_check.registry
    assert verify is proofs_check.verify and mesacheck.numerics is sys.modules["numerics"]
    # the alias leaves the legacy module's own spec (the cache locates the sources through it)
    assert theory.attention.__spec__.name == "theory.attention"
    assert Path(importlib.util.find_spec("theory").origin) == ROOT / "theory" / "__init__.py"


def test_string_module_names_go_through_qualify():
    """Package code that names one of the card's modules in a string (import_module, find_spec,
    __import__, ``python -m``) must pass it through ``proofs_check._names.qualify``: installed,
    the legacy name is someone else's module (the import *statements* are rewritten, strings not)."""
    calls = {"import_module", "find_spec", "__import__"}
    bad = []
    for package in CARD:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text()
            if not any(word in text for word in (*calls, '"-m"', "'-m'")):
                continue
            tree = ast.parse(text, filename=str(path))
            for node in ast.walk(tree):
                args = []
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                    if name in calls and node.args:
                        args = [node.args[0]]
                elif isinstance(node, (ast.List, ast.Tuple)):
                    elts = node.elts
                    args = [b for a, b in zip(elts, elts[1:]) if isinstance(a, ast.Constant) and a.value == "-m"]
                for arg in args:
                    text = arg.value if isinstance(arg, ast.Constant) else (
                        arg.values[0].value if isinstance(arg, ast.JoinedStr) and arg.values
                        and isinstance(arg.values[0], ast.Constant) else None)
                    if isinstance(text, str) and text.split(".", 1)[0] in CARD:
                        bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}")
    assert not bad, ("module names in strings must be wrapped in proofs_check._names.qualify(...) "
                     "(see mesacheck/__init__.py): " + "; ".join(bad))


def test_every_source_folder_is_a_package():
    """setup.py installs the subpackages it finds (``find_packages``: folders with ``__init__.py``)
    and the installed loader only follows packages: a folder of modules without one would be
    missing from ``pip install .`` although the repository's tests pass."""
    missing = sorted(str(d.relative_to(ROOT)) for name in CARD for d in [ROOT / name, *(ROOT / name).rglob("*")]
                     if d.is_dir() and d.name != "__pycache__" and any(d.glob("*.py"))
                     and not (d / "__init__.py").is_file())
    assert not missing, f"add an __init__.py to {missing} (setup.py installs packages only)"


# ----------------------------------------------------------------------------- installed
_INSTALLED_SCRIPT = textwrap.dedent("""
    import sys
    import theory, numerics                                  # the user's own packages
    assert (theory.MARKER, numerics.MARKER) == ("user theory", "user numerics")

    import mesacheck
    assert mesacheck.MODE == "rewrite", mesacheck.MODE
    from mesacheck import proofs_check
    from mesacheck.proofs_check import cache, cli
    from mesacheck.theory import LSAWeights
    from mesacheck.theory.attention import LSAWeights as same

    assert same is LSAWeights
    assert len(proofs_check.all_claims()) == int(sys.argv[1])
    assert cli.main(["verify", "oswald2022.O4"]) == 0             # cold: computed and stored
    assert cli.main(["verify", "oswald2022.O4"]) == 0             # warm: replayed from the disk cache
    assert cache.stats["hit"] > 0, cache.stats
    assert proofs_check.verify("oswald2022.O4").status.value == "VERIFIED"

    # the user's modules are still the user's; no legacy name of mesacheck was imported
    assert sys.modules["theory"] is theory and sys.modules["numerics"] is numerics
    legacy = sorted(k for k in sys.modules if k.split(".")[0] in ("theory", "numerics", "proofs_check"))
    assert legacy == ["numerics", "theory"], legacy
    assert all(m.__name__.startswith("mesacheck") for k, m in sys.modules.items() if k.startswith("mesacheck"))
    print("ok")
""")


def _clean_env(first=None, **extra) -> dict:
    """This environment with the disk cache on and ``first`` (a site directory) first on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != "MESACHECK_NO_CACHE"}
    path = [str(first)] if first else []
    path += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(path)
    env.update(extra)
    return env


def test_installed_layout_works_from_a_project_with_its_own_theory(tmp_path):
    """The installed layout (mesacheck/theory, ...) on the path of a project that has its own
    theory/ and numerics/: verify, the Python API and the cache work; ``import theory`` is the
    project's. (The slow test below does the same after a real ``pip install``.)"""
    from proofs_check import all_claims

    site, project = _installed_copy(tmp_path), _user_project(tmp_path)
    env = _clean_env(site, MESACHECK_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-c", _INSTALLED_SCRIPT, str(len(all_claims()))], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stdout[-2000:] + proc.stderr[-3000:]


@pytest.mark.slow
def test_pip_install_into_a_fresh_venv_survives_a_users_project(tmp_path):
    """``pip install`` of a real wheel (built from a clean copy) into a fresh virtual environment, then, from a project
    with its own theory/ and numerics/: the console script, ``python -m mesacheck``, the Python API,
    the disk cache and ``mesacheck mutate`` work, and the project's ``import theory`` is its own.
    The venv sees this interpreter's site-packages for the dependencies (no download)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    build = tmp_path / "src"                      # a clean copy: no build/ or egg-info in the repository
    shutil.copytree(ROOT, build, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.pyc", "build",
                                                                "*.egg-info", ".hypothesis", "docs"))
    dist = tmp_path / "dist"                      # the wheel is built by this interpreter's setuptools
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--no-build-isolation", "-w", str(dist), str(build)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheel, = dist.glob("mesacheck-*.whl")
    proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", str(wheel)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    project = _user_project(tmp_path)
    env = _clean_env(MESACHECK_CACHE_DIR=str(tmp_path / "cache"))

    def run(*args, timeout=600):
        return subprocess.run([str(a) for a in args], cwd=project, env=env, capture_output=True, text=True,
                              timeout=timeout)

    from proofs_check import all_claims

    checks = [
        run(python, "-c", _INSTALLED_SCRIPT, len(all_claims())),
        run(bindir / "mesacheck", "verify", "oswald2022.O4"),
        run(python, "-m", "mesacheck", "verify", "oswald2022.O4", "--json"),
        run(bindir / "mesacheck", "mutate", "oswald2022", "-j", "2", "--no-progress"),
        run(python, "-c", "import theory, numerics; print(theory.MARKER, '/', numerics.MARKER)"),
    ]
    for proc in checks:
        assert proc.returncode == 0, proc.args[:4] + [proc.stdout[-2000:], proc.stderr[-3000:]]
    assert '"VERIFIED"' in checks[2].stdout
    assert "killed" in checks[3].stdout
    assert checks[4].stdout.strip() == "user theory / user numerics"
    site = run(python, "-c", "import mesacheck, sys; print(mesacheck.__file__, mesacheck.MODE)").stdout
    assert str(venv) in site and site.split()[-1] == "rewrite", site
    # nothing installed under a generic name
    top = run(python, "-c", "import importlib.metadata as m; print(m.distribution('mesacheck').read_text("
                            "'top_level.txt'))").stdout.split()
    assert top == ["mesacheck"], top
