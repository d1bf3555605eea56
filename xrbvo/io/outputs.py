"""Outputs that are never half-written and never lost.

Every file xrbvo writes goes through :func:`atomic_write`: it is written under
a temporary name in its own directory (``.xrbvo-tmp-<random>-<name>``, so
writers that look at the suffix still see it), flushed to disk, then renamed
over the destination with :func:`os.replace`.  An error, Ctrl-C or a
termination signal the interface turns into an exception (the command line
does) leaves the old file or no file, never a truncated one, and the
temporary is removed.  Only a hard kill or a power loss can leave a hidden
temporary behind, and even then the destination is intact.

When the destination cannot take an output at all (full disk, lost mount, a
directory in the way), :func:`save_output` raises one
:class:`~xrbvo.core.errors.InputError`, or, inside :func:`rescue_outputs`,
writes it to a rescue directory and reports at the end.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator, Mapping

from xrbvo.core.errors import InputError, XrbvoError

__all__ = ["atomic_write", "atomic_write_bytes", "save_output", "save_files", "rescue_outputs", "check_writable",
           "TEMP_PREFIX"]

#: Name prefix of the temporary files written next to an output before it is renamed into place.
TEMP_PREFIX = ".xrbvo-tmp-"


def _temporary_next_to(path: Path) -> Path:
    """Create an empty file next to ``path`` under a fresh name (permissions as for any new file)."""
    while True:
        tmp = path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(4)}-{path.name}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp


def _fsync_path(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable where the platform allows it (some file systems refuse fsync on a directory)."""
    with contextlib.suppress(OSError):
        _fsync_path(directory)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Create the file ``path`` with ``write(temporary)``, then rename it into place.

    ``write`` receives a path in the same directory whose name ends with
    ``path``'s name (an empty file exists there already; writers must
    overwrite it).  After it returns, the temporary is flushed to disk and
    renamed over ``path`` with :func:`os.replace`, an atomic step on POSIX
    and Windows.  Whatever ``write`` raises propagates, and the temporary is
    removed in every case, so ``path`` is either the old file (or absent) or
    the complete new one.

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    tmp = _temporary_next_to(p)
    try:
        write(tmp)
        _fsync_path(tmp)
        os.replace(tmp, p)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()  # absent after a successful replace
    _fsync_directory(p.parent)
    return p


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    def write(target: Path) -> None:
        with open(target, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    return atomic_write(path, write)


# -- outputs that must not be lost ---------------------------------------------------------

class _Rescue:
    """Where the outputs of one command go when their own place cannot take them."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.failures: list[tuple[Path, str]] = []   # (intended path, reason)
        self.saved: list[Path] = []
        self.targets: dict[Path, Path] = {}
        self.lost: list[tuple[Path, str]] = []

    def save(self, path: Path, write: Callable[[Path], None], reason: str) -> Path:
        self.failures.append((path, reason))
        target, fresh = None, False
        try:
            if self.directory is None:
                self.directory = Path(tempfile.mkdtemp(prefix="xrbvo-rescue-"))
            target = self.targets.get(path)  # the same place again (a model directory): the same rescue
            if target is None:
                target = self.directory / path.name
                n = 1
                while target.exists():  # two outputs of one name from different directories: keep both
                    target = self.directory / f"{path.stem}-{n}{path.suffix}"
                    n += 1
                self.targets[path] = target
            fresh = not target.exists()
            write(target)
        except OSError as exc:
            self.lost.append((path, _reason(exc)))
            if target is not None and fresh:  # a directory begun here must not pass for a result either
                with contextlib.suppress(OSError):
                    if target.is_dir():
                        shutil.rmtree(target)
                    else:
                        target.unlink()
            return path
        if target not in self.saved:
            self.saved.append(target)
        return target

    def error(self) -> InputError:
        first, reason = self.failures[0]
        more = f" and {len(self.failures) - 1} more output(s)" if len(self.failures) > 1 else ""
        text = f"{first}: cannot write ({reason}){more}"
        if self.saved:
            text += (f"; {len(self.saved)} result file(s) were saved to {self.directory} instead: move them, "
                     "then free disk space or choose another output path")
        if self.lost:
            text += (f"; {len(self.lost)} could not be saved anywhere ({self.lost[0][1]}): free disk space and "
                     "run again")
        return InputError(text)


_RESCUE: contextvars.ContextVar[_Rescue | None] = contextvars.ContextVar("xrbvo_rescue", default=None)


def _reason(exc: OSError) -> str:
    text = str(exc)
    if exc.errno is None and ("written" in text or "space on disk" in text):
        # numpy's short write and astropy's space check carry no errno, only byte counts
        return "the disk is full or a file-size limit was reached"
    return exc.strerror or text or type(exc).__name__


def _save(p: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(p)``; on an ``OSError`` raise one InputError, or rescue the output."""
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        write(p)
        return p
    except OSError as exc:
        reason = _reason(exc)
    rescue = _RESCUE.get()
    if rescue is None:
        raise InputError(f"{p}: cannot write ({reason}); free disk space or choose another path")
    return rescue.save(p, write, reason)


def save_output(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Create the file ``path`` with ``write(target)``, atomically; returns where it went.

    ``write`` writes a complete file at the path it is given (a temporary
    next to ``path``, see :func:`atomic_write`), e.g. ``fig.savefig``.  A
    failure (``OSError``: full disk, no permission, lost mount) raises
    :class:`~xrbvo.core.errors.InputError` naming the path; the old file, if
    any, is untouched and no partial file is left.  Under
    :func:`rescue_outputs` it does not raise: the output is written to a
    rescue directory instead, and the error comes at the end.
    """
    return _save(Path(path), lambda target: atomic_write(target, write))


def save_files(directory: str | Path, files: Mapping[str, bytes | str]) -> Path:
    """Write ``files`` (name -> content) into ``directory`` as one output (see :func:`save_output`).

    Each file is written atomically; files already in the directory under
    other names are kept.
    """
    def write(target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            atomic_write_bytes(target / name, data.encode() if isinstance(data, str) else data)

    return _save(Path(directory), write)


@contextlib.contextmanager
def rescue_outputs() -> Iterator[None]:
    """Keep every output of the enclosed work, even when its own place cannot take it.

    Writes through :func:`save_output` (and :func:`~xrbvo.io.tables.write_table`)
    that fail go to one ``xrbvo-rescue-*`` directory under the system's
    temporary directory and the work goes on; at the end one
    :class:`~xrbvo.core.errors.InputError` says what failed and where the
    results are.
    """
    rescue = _Rescue()
    token = _RESCUE.set(rescue)
    try:
        yield
    except XrbvoError as exc:
        if rescue.failures:  # say where the saved outputs are, as well as what went wrong after
            raise InputError(f"{exc}; before that: {rescue.error()}") from None
        raise
    finally:
        _RESCUE.reset(token)
    if rescue.failures:
        raise rescue.error()


def check_writable(directory: str | Path, what: str = "output directory") -> Path:
    """Create ``directory`` and check that a file can be written in it, before long work starts."""
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".xrbvo-probe-", dir=d)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{d}: cannot write to this {what} ({_reason(exc)}); choose another one") from None
    return d
