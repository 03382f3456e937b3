"""Atomic file output: nothing the tool writes is ever left half-written.

Every file the command line or :mod:`numerics.simulations` writes goes through
:func:`atomic_write`: the data is written to a temporary file in the same directory and then
renamed over the target (``os.replace`` is atomic on POSIX and Windows within one file system),
so an interrupted run leaves either the old file or the new one, never a truncated one.
:func:`output_directory` creates an output directory and removes it again, if it is still
empty, when the run is interrupted or fails.

Standard library only, so that :mod:`numerics` can use it without importing SymPy.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Callable, Iterator, Union

__all__ = ["atomic_write", "output_directory"]

Data = Union[str, bytes, Callable[[str], None]]


def atomic_write(path: str | os.PathLike, data: Data) -> str:
    """Write ``data`` to ``path`` atomically and return ``path`` as a string.

    Parameters
    ----------
    path : str or path-like
        The target file. Its directory must exist.
    data : str, bytes or callable (str) -> None
        Text (written as UTF-8), bytes, or a function that writes the file whose name it is
        given (e.g. ``lambda tmp: fig.savefig(tmp, format="png")``; pass the format
        explicitly, the temporary name does not end in the target's suffix).

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If ``data`` is none of the three.
    OSError
        If the directory is not writable; no temporary file is left behind.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = atomic_write(os.path.join(d, "a.txt"), "hello")
    >>> open(p).read()
    'hello'
    """
    if not isinstance(data, (str, bytes)) and not callable(data):
        raise TypeError(f"data must be str, bytes or a callable writing a file name (got {type(data).__name__})")
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".tmp", dir=directory)
    try:
        if callable(data):
            os.close(fd)
            fd = -1
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as handle:
                fd = -1
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def output_directory(path: str | os.PathLike) -> Iterator[str]:
    """Create ``path`` (and missing parents) for the duration of a run.

    If the body raises (including ``KeyboardInterrupt``), the directories this call created
    are removed again when they are empty; directories that existed before are never touched.

    Parameters
    ----------
    path : str or path-like

    Yields
    ------
    str
        ``path`` as a string.

    Raises
    ------
    OSError
        If the directory cannot be created.
    """
    target = os.path.abspath(os.fspath(path))
    created = []
    probe = target
    while not os.path.isdir(probe):
        created.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    os.makedirs(target, exist_ok=True)
    try:
        yield os.fspath(path)
    except BaseException:
        for directory in created:  # deepest first
            with contextlib.suppress(OSError):
                os.rmdir(directory)  # only succeeds when empty
        raise
