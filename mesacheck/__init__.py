"""mesacheck: the card's three packages under one installed name.

The repository keeps the card's top-level folders ``theory/``, ``numerics/`` and ``proofs_check/``,
whose modules import one another with absolute legacy names (``from theory.printing import
latex``). Installed, they are the subpackages ``mesacheck.theory``, ``mesacheck.numerics`` and
``mesacheck.proofs_check`` (``setup.py`` maps them with ``package_dir``), so a user's own
``theory/`` or ``numerics/`` is never shadowed and never shadows mesacheck::

    import mesacheck.theory
    from mesacheck.proofs_check import verify_all     # or: python -m mesacheck verify

This module installs one finder, first on :data:`sys.meta_path`, for the names
``mesacheck.<package>[.<module> ...]`` only (it never answers for a legacy top-level name).
It runs in one of two modes, chosen once, when mesacheck is first imported (:data:`MODE`):

``"rewrite"``
    (an installed copy, or a source tree whose legacy names are taken by someone else, e.g. a
    user's ``theory/``). Each module is loaded under its ``mesacheck.`` name from its source file,
    with the legacy absolute imports of *mesacheck's own source* rewritten to ``mesacheck.``
    names as it is compiled (:func:`rewrite_imports`; the rule: an ``import`` or ``from``
    statement whose module's first component is ``theory``, ``numerics`` or ``proofs_check``
    gets the prefix ``mesacheck.``; ``import theory.x`` still binds ``theory``, now to
    ``mesacheck.theory``). The rewritten bytecode is cached beside the source under its own tag
    (``*.opt-mesacheck.pyc``), so it never meets the plain bytecode of the source tree.
    String module names (``importlib.import_module``, mutation targets, the cache's code
    hash) go through :func:`proofs_check._names.qualify`.

``"alias"``
    (the source tree, e.g. the repository's tests run from its root, where ``import theory``
    finds this tree's ``theory/``, or where no one else has the legacy names). ``mesacheck.X`` *is*
    the legacy module ``X``: the same module object, so there is one copy of every class and
    registry whichever name imports it. Legacy names that nothing on ``sys.path`` provides are
    served from the source tree by a fallback finder *last* on :data:`sys.meta_path` (what an
    editable install of the old layout did), so anything on ``sys.path`` still wins.

Nothing here runs at import time beyond choosing the mode and installing the finder(s); the
packages themselves load on first use (``mesacheck.theory`` etc. are also lazy attributes).
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

__all__ = ["MODE", "PACKAGES", "SOURCE_ROOT", "rewrite_imports"]

#: The card's packages, installed as ``mesacheck.<name>``.
PACKAGES = ("theory", "numerics", "proofs_check")

_HERE = Path(__file__).resolve().parent
_INSTALLED = all((_HERE / name / "__init__.py").is_file() for name in PACKAGES)

#: The directory that holds ``theory/``, ``numerics/`` and ``proofs_check/``.
SOURCE_ROOT = _HERE if _INSTALLED else _HERE.parent

#: Bumped whenever :func:`rewrite_imports` changes, so stale rewritten bytecode is recompiled.
_REWRITE_VERSION = b"mesacheck-rewrite-1"
_PYC_TAG = "mesacheck"


# ----------------------------------------------------------------------------- the rewrite rule
def _legacy(name: str | None) -> bool:
    return bool(name) and name.split(".", 1)[0] in PACKAGES


def rewrite_imports(tree, prefix: str = __name__):
    """Rewrite, in place, the absolute imports of the card's packages to ``<prefix>.`` names.

    ``from theory.x import y`` becomes ``from mesacheck.theory.x import y``; ``import theory.x as
    t`` becomes ``import mesacheck.theory.x as t``; ``import theory.x`` (which binds ``theory``)
    becomes ``__import__("mesacheck.theory.x")`` followed by ``from mesacheck import theory``.
    Relative imports and every other module are left alone; line numbers are kept.

    Parameters
    ----------
    tree : ast.Module
        A parsed module.
    prefix : str
        The package the card's packages live in.

    Returns
    -------
    ast.Module
        ``tree`` itself, rewritten.
    """
    import ast                                   # here, not at module level: ``mesacheck list`` stays fast

    class _Rewriter(ast.NodeTransformer):
        def visit_ImportFrom(self, node):
            if node.level == 0 and _legacy(node.module):
                node.module = f"{prefix}.{node.module}"
            return node

        def visit_Import(self, node):
            if not any(_legacy(alias.name) for alias in node.names):
                return node
            out = []
            for alias in node.names:
                if not _legacy(alias.name):
                    stmt = ast.Import(names=[alias])
                elif alias.asname is not None:
                    stmt = ast.Import(names=[ast.alias(name=f"{prefix}.{alias.name}", asname=alias.asname)])
                else:
                    head = alias.name.split(".", 1)[0]
                    if "." in alias.name:
                        out.append(ast.copy_location(ast.Expr(ast.Call(
                            func=ast.Name(id="__import__", ctx=ast.Load()),
                            args=[ast.Constant(f"{prefix}.{alias.name}")], keywords=[])), node))
                    stmt = ast.ImportFrom(module=prefix, names=[ast.alias(name=head, asname=None)], level=0)
                out.append(ast.copy_location(stmt, node))
            return out

    tree = _Rewriter().visit(tree)
    return ast.fix_missing_locations(tree)


class _RewritingLoader(importlib.machinery.SourceFileLoader):
    """Loads one of mesacheck's source files under its ``mesacheck.`` name, imports rewritten."""

    def source_to_code(self, data, path, *, _optimize=-1):
        import ast

        tree = ast.parse(data, filename=path)
        return compile(rewrite_imports(tree), path, "exec", dont_inherit=True, optimize=_optimize)

    def get_code(self, fullname):
        import hashlib
        import marshal

        path = self.get_filename(fullname)
        source = self.get_data(path)
        header = (importlib.util.MAGIC_NUMBER + _REWRITE_VERSION
                  + hashlib.blake2b(source, digest_size=16).digest())
        try:
            pyc = importlib.util.cache_from_source(path, optimization=_PYC_TAG)
        except (NotImplementedError, ValueError):
            pyc = None
        if pyc is not None:
            try:
                data = Path(pyc).read_bytes()
                if data.startswith(header):
                    return marshal.loads(data[len(header):])
            except (OSError, ValueError, EOFError, TypeError):
                pass
        code = self.source_to_code(source, path)
        if pyc is not None and not sys.dont_write_bytecode:
            tmp = f"{pyc}.{os.getpid()}.tmp"
            try:                                         # written aside, then renamed: never torn
                os.makedirs(os.path.dirname(pyc), exist_ok=True)
                with open(tmp, "wb") as fh:
                    fh.write(header + marshal.dumps(code))
                os.replace(tmp, pyc)
            except OSError:                              # read-only site-packages: compile each time
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        return code


class _AliasLoader:
    """``mesacheck.X...`` is the already imported legacy module ``X...`` (one module object)."""

    def __init__(self, legacy: str):
        self.legacy = legacy
        self._spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.legacy)
        self._spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._spec         # the import system set it to the alias's spec: undo


def _source_file(directories, leaf: str):
    """(file, is_package) of module ``leaf`` in the first of ``directories`` that has it."""
    for directory in directories:
        package = Path(directory) / leaf / "__init__.py"
        if package.is_file():
            return package, True
        module = Path(directory) / f"{leaf}.py"
        if module.is_file():
            return module, False
    return None, False


class _MesacheckFinder:
    """Finds ``mesacheck.<package>[...]`` (see the module docstring); nothing else."""

    def __init__(self, mode: str):
        self.mode = mode

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if len(parts) < 2 or parts[0] != __name__ or parts[1] not in PACKAGES:
            return None
        legacy = ".".join(parts[1:])
        if self.mode == "alias":
            return importlib.machinery.ModuleSpec(fullname, _AliasLoader(legacy))
        directories = [SOURCE_ROOT] if len(parts) == 2 else list(path or [])
        file, is_package = _source_file(directories, parts[-1])
        if file is None:
            return None
        return importlib.util.spec_from_file_location(
            fullname, str(file), loader=_RewritingLoader(fullname, str(file)),
            submodule_search_locations=[str(file.parent)] if is_package else None)


class _LegacyFallbackFinder:
    """Alias mode only: a legacy name nothing on ``sys.path`` provides comes from the source tree."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in PACKAGES:
            return None                      # submodules follow the package's __path__
        file = SOURCE_ROOT / fullname / "__init__.py"
        return importlib.util.spec_from_file_location(
            fullname, str(file), submodule_search_locations=[str(file.parent)])


def _ours_or_free(name: str) -> bool:
    """True if the legacy top-level ``name`` is unclaimed or is this source tree's package."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return True
    locations = list(spec.submodule_search_locations or [])
    if spec.origin not in (None, "namespace"):
        locations.append(str(Path(spec.origin).parent))
    want = (SOURCE_ROOT / name).resolve()
    return any(Path(loc).resolve() == want for loc in locations)


def _choose_mode() -> str:
    if _INSTALLED:
        return "rewrite"
    return "alias" if all(_ours_or_free(name) for name in PACKAGES) else "rewrite"


def _install() -> str:
    for finder in sys.meta_path:              # a reload keeps the first choice
        if type(finder).__name__ == "_MesacheckFinder" and getattr(finder, "root", None) == SOURCE_ROOT:
            return finder.mode
    mode = _choose_mode()
    finder = _MesacheckFinder(mode)
    finder.root = SOURCE_ROOT
    sys.meta_path.insert(0, finder)
    if mode == "alias":
        sys.meta_path.append(_LegacyFallbackFinder())
    return mode


#: ``"rewrite"`` or ``"alias"`` (see the module docstring).
MODE = _install()


def __getattr__(name: str):
    if name in PACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(PACKAGES))
