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

While a command writes a directory it holds :func:`output_lock` on it (a
``.xrbvo.lock`` file naming the process), so a second command aimed at the
same directory stops at once instead of interleaving its files with the first.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import json
import os
import re
import secrets
import shutil
import socket
import stat
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable, Iterator, Mapping

from xrbvo.core.errors import InputError, XrbvoError, XrbvoWarning

__all__ = ["atomic_write", "atomic_write_bytes", "save_output", "save_files", "replace_files", "rescue_outputs",
           "check_writable", "output_lock", "TEMP_PREFIX", "LOCK_NAME"]

#: Name prefix of the temporary files written next to an output before it is renamed into place.
TEMP_PREFIX = ".xrbvo-tmp-"


def _temporary_name(path: Path) -> Path:
    """A fresh temporary name next to ``path`` (no file is created)."""
    return path.with_name(f"{TEMP_PREFIX}{secrets.token_hex(8)}-{path.name}")


def _create_empty(tmp: Path) -> None:
    """Create the empty file ``tmp`` (it must not exist; permissions as for any new file)."""
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


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

    Parameters
    ----------
    path : str | Path
        The file.
    write : Callable[[Path], None]
        Writes the content to the temporary path it is given.

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    tmp = _temporary_name(p)  # named first, created inside the try: a signal at any moment leaves no temporary
    try:
        _create_empty(tmp)
        write(tmp)
        _fsync_path(tmp)
        os.replace(tmp, p)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()  # absent after a successful replace
    _fsync_directory(p.parent)
    return p


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`).

    Parameters
    ----------
    path : str | Path
        The file.
    data : bytes
        The file's content.

    Returns
    -------
    Path
        The file written.
    """
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

    Parameters
    ----------
    path : str | Path
        The file.
    write : Callable[[Path], None]
        Writes the content to the path it is given.

    Returns
    -------
    Path
        The file written.
    """
    return _save(Path(path), lambda target: atomic_write(target, write))


def save_files(directory: str | Path, files: Mapping[str, bytes | str]) -> Path:
    """Write ``files`` (name -> content) into ``directory`` as one output (see :func:`save_output`).

    Each file is written atomically; files already in the directory under
    other names are kept.

    Parameters
    ----------
    directory : str | Path
        The directory.
    files : Mapping[str, bytes | str]
        File name -> content (bytes or str).

    Returns
    -------
    Path
        The directory.
    """
    return _save(Path(directory), lambda target: _write_each(target, files))


def _write_each(target: Path, files: Mapping[str, bytes | str]) -> None:
    """Create ``target`` and write each of ``files`` into it atomically, one after the other."""
    target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        atomic_write_bytes(target / name, data.encode() if isinstance(data, str) else data)


def replace_files(directory: str | Path, files: Mapping[str, bytes | str]) -> Path:
    """Write ``files`` (name -> content) into ``directory`` as one set: a reader sees all old or all new files.

    For files that only make sense together (a model and the manifest that hashes it), where
    :func:`save_files`' file-by-file writes could leave a new file beside an old one when a
    process is killed half-way.  The new set is written into a temporary sibling directory
    (with the directory's permissions and group), the files already in ``directory`` under
    other names (its lock, for one) are linked in beside them, and the two directories are
    exchanged in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); the old set is then
    removed.  A process killed at any moment leaves ``directory`` old or new, and at most a
    temporary sibling that a later write of ``directory`` removes.  A symbolic link is
    followed (the directory it names is replaced, the link stays).  Where the exchange
    cannot be made (another system or file system, a mount point, a parent directory without
    write permission, subdirectories inside, the working directory: exchanging it would leave
    a shell that started the command in the old, deleted directory), it falls back to
    :func:`save_files`' file-by-file writes.  Failures are reported (or rescued) as by :func:`save_output`.

    Parameters
    ----------
    directory : str | Path
        The directory.
    files : Mapping[str, bytes | str]
        File name -> content (bytes or str).

    Returns
    -------
    Path
        The directory.
    """
    def write(target: Path) -> None:
        target = target.resolve()  # a link: replace what it names; "." gets a name
        if target.exists() and not target.is_dir():
            raise FileExistsError(errno.EEXIST, "exists and is not a directory", str(target))
        if not target.name or (target.exists() and (os.path.ismount(target) or _has_subdirectory(target)
                                                    or _is_cwd(target))):
            return _write_each(target, files)  # the working directory: exchanged, a shell in it would be left behind
        _sweep_set_debris(target)
        new = target.with_name(f"{TEMP_PREFIX}{target.name}-{secrets.token_hex(6)}")
        try:
            new.mkdir()
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):  # the parent is not ours to write
                return _write_each(target, files)
            raise
        try:
            for name, data in files.items():
                with open(new / name, "xb") as fh:
                    fh.write(data.encode() if isinstance(data, str) else data)
                    fh.flush()
                    os.fsync(fh.fileno())
            if not target.exists():
                _fsync_directory(new)
                os.rename(new, target)  # a fresh directory: one atomic rename
                _fsync_directory(target.parent)
                return
            st = target.stat()
            os.chmod(new, stat.S_IMODE(st.st_mode))
            with contextlib.suppress(OSError):
                os.chown(new, -1, st.st_gid)
            with os.scandir(target) as entries:  # carry over what else the directory holds (files only: see above)
                for entry in entries:
                    if entry.name in files or entry.name.startswith(TEMP_PREFIX):
                        continue
                    try:
                        os.link(entry.path, new / entry.name, follow_symlinks=False)
                    except OSError:
                        shutil.copy2(entry.path, new / entry.name, follow_symlinks=False)
            _fsync_directory(new)
            if not _exchange(new, target):
                shutil.rmtree(new, ignore_errors=True)
                return _write_each(target, files)
            _fsync_directory(target.parent)
        finally:
            shutil.rmtree(new, ignore_errors=True)  # after an exchange: the old set

    return _save(Path(directory), write)


#: A temporary sibling of :func:`replace_files` older than this (s) is a killed writer's debris.
SET_DEBRIS_AGE_S = 600.0


def _sweep_set_debris(target: Path) -> None:
    """Remove the temporary siblings of ``target`` that a killed :func:`replace_files` left (its exact names,
    old enough that no writer can still be at work on them)."""
    pattern = re.compile(rf"^{re.escape(TEMP_PREFIX + target.name)}-[0-9a-f]{{12}}$")
    cutoff = time.time() - SET_DEBRIS_AGE_S
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if pattern.match(entry.name) and entry.is_dir(follow_symlinks=False) \
                        and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    shutil.rmtree(entry.path, ignore_errors=True)


def _is_cwd(directory: Path) -> bool:
    """Whether ``directory`` is this process's working directory (a shell's too, when it started us there)."""
    try:
        return os.path.samefile(directory, os.getcwd())
    except OSError:
        return False


def _has_subdirectory(directory: Path) -> bool:
    with os.scandir(directory) as entries:
        return any(e.is_dir(follow_symlinks=False) and not e.name.startswith(TEMP_PREFIX) for e in entries)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the paths ``a`` and ``b`` atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without renameat2 (glibc < 2.28, some others)
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP,  # kernel or file system without it
               errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES):  # a mount point, an overlay, a sticky parent
        return False
    raise OSError(err, os.strerror(err), str(b))


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
    """Create ``directory`` and check that a file can be written in it, before long work starts.

    Parameters
    ----------
    directory : str | Path
        The directory.
    what : str, optional
        What the directory is, named in the error message.

    Returns
    -------
    Path
        The directory.
    """
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".xrbvo-probe-", dir=d)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{d}: cannot write to this {what} ({_reason(exc)}); choose another one") from None
    return d


# -- one writer per directory --------------------------------------------------------------

#: Name of the lock file a command holds in the directory it writes (hidden; never an output).
LOCK_NAME = ".xrbvo.lock"


#: The largest process id a system gives (Linux's ``pid_max`` ceiling, 2**22); a lock naming a larger one is stale.
MAX_PID = 1 << 22


def _process_start(pid: int) -> str | None:
    """Start time of process ``pid`` in clock ticks since boot (Linux ``/proc``), or None where unknown.

    With the pid it tells a live lock holder from a later process that was given the same pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name in parentheses may hold spaces
    if len(fields) < 20:
        return None
    if fields[0] in ("Z", "X"):  # a zombie: dead, only not yet reaped by its parent
        return "dead"
    return fields[19]


def _holder_alive(holder: dict) -> bool:
    """Whether the process named by a lock file (on this host) still runs."""
    pid = holder.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid <= MAX_PID:
        return False  # no process can have it: a damaged or forged lock, stale
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return True  # cannot tell: assume it runs
    start = _process_start(pid)
    if start == "dead":
        return False
    return not (start is not None and holder.get("start") not in (None, start))  # the pid was reused


def _read_lock(path: Path) -> dict | None:
    """The lock file's record, ``{}`` when it is unreadable or foreign, None when it is gone."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _create_lock(path: Path, record: dict) -> bool:
    """Create ``path`` holding ``record``, all at once; False when it exists already.

    The record is written to a temporary first and hard-linked into place, so
    another process never sees an empty lock file; where the file system has no
    hard links the file is created with ``O_EXCL`` and then written.
    """
    data = json.dumps(record).encode()
    tmp = _temporary_name(path)
    try:
        _create_empty(tmp)
        with open(tmp, "wb") as fh:
            fh.write(data)
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network and FUSE file systems)
            pass
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return True
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


#: The name a run's finished tiles get while they are removed (:meth:`xrbvo.workflows.tiles.TiledRun.cleanup`).
_REMOVED_TILES = re.compile(rf"^{re.escape(TEMP_PREFIX)}\.tiles-\d+$")


#: Subdirectories of an output directory that its own command writes (a tiled run's tiles, the report):
#: their debris is swept with the directory's.  Any other subdirectory may be another command's output.
OWN_SUBDIRECTORIES = (".tiles", "report")


def _remove_stale_temporaries(directory: Path) -> None:
    """Remove the temporaries a killed writer left in ``directory`` (only while this process holds its lock).

    :func:`atomic_write` removes its temporary however a write ends, except when the
    process is killed outright (SIGKILL, a power cut); under the lock no other writer
    is at work here, so any temporary found is such debris.  Only the directory's
    own top level and its :data:`OWN_SUBDIRECTORIES` are swept: another command
    may be writing to a directory inside it (``OUT/inner``) under its own lock.
    """
    places = [directory] + [directory / n for n in OWN_SUBDIRECTORIES
                            if (directory / n).is_dir() and not (directory / n).is_symlink()]
    for place in places:
        if place != directory and (place / LOCK_NAME).exists():
            continue  # another command's output directory, under its own lock
        for tmp in sorted(place.glob(f"{TEMP_PREFIX}*")):
            with contextlib.suppress(OSError):
                if tmp.is_file() or tmp.is_symlink():
                    tmp.unlink()
                elif tmp.parent == directory and _REMOVED_TILES.match(tmp.name) and tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)  # a run's finished tiles, renamed away for removal


def _describe(holder: dict) -> str:
    what = holder.get("command") or "a command"
    return (f"`xrbvo {what}` (pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
            f"since {holder.get('since', '?')})")


@contextlib.contextmanager
def output_lock(directory: str | Path, command: str = "") -> Iterator[Path]:
    """Hold the directory ``directory`` for one writer while the enclosed work runs.

    Creates ``directory`` (and its parents), then the file ``.xrbvo.lock`` in it,
    exclusively, holding this process's id, host, start time and ``command``.
    The file is removed on the way out, whatever happens inside.  A lock left by
    a process that died without removing it (killed with SIGKILL, a power cut)
    is taken over with one :class:`~xrbvo.core.errors.XrbvoWarning` when that
    process ran on this host and no longer runs.

    Parameters
    ----------
    directory : str | Path
        The directory.
    command : str, optional
        The command holding the lock, recorded in the lock file for the message another writer gets.

    Raises
    ------
    InputError
        When another live process holds the directory, when the holder ran on
        another host (whether it still runs cannot be told from here), or when
        the directory cannot be written.  Nothing has been written then.
    """
    d = Path(directory)
    path = d / LOCK_NAME
    host = socket.gethostname()
    token = secrets.token_hex(8)
    record = {"format": "xrbvo-lock", "pid": os.getpid(), "host": host, "start": _process_start(os.getpid()),
              "command": command, "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "token": token}
    try:
        d.mkdir(parents=True, exist_ok=True)
        for _ in range(3):  # a stale lock removed here may be taken by another process first: look again
            if _create_lock(path, record):
                break
            holder = _read_lock(path)
            if holder is None:
                continue  # released meanwhile
            if not holder.get("pid") or not holder.get("host"):
                raise InputError(f"{d}: holds a lock file {LOCK_NAME} that xrbvo cannot read; if no xrbvo command "
                                 f"writes to this directory, remove {path} and run again")
            if holder["host"] != host:
                raise InputError(f"{d}: {_describe(holder)} is writing to this directory; if it no longer runs, "
                                 f"remove {path}; or choose another output directory")
            if _holder_alive(holder):
                raise InputError(f"{d}: {_describe(holder)} is writing to this directory; wait for it to finish "
                                 "or choose another output directory")
            with contextlib.suppress(FileNotFoundError):
                if _read_lock(path) == holder:
                    path.unlink()
            warnings.warn(f"{d}: taking over the lock of {_describe(holder)}, which no longer runs; files it was "
                          "writing are either complete or absent", XrbvoWarning, stacklevel=3)
        else:
            raise InputError(f"{d}: other xrbvo commands keep taking this directory; choose another one")
    except OSError as exc:
        raise InputError(f"{d}: cannot write to this output directory ({_reason(exc)}); choose another one") from None
    _remove_stale_temporaries(d)
    try:
        yield path
    finally:
        held = _read_lock(path)
        if held is not None and held.get("token") == token:
            with contextlib.suppress(OSError):
                path.unlink()
