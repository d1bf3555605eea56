"""The TAP chunk cache: finished results on disk, keyed by service, ADQL and uploaded positions.

The cache only ever speeds a pull up; it never stops one nor changes its rows.

* **Atomic entries.**  An entry is written under a temporary name in its own
  directory, flushed and ``fsync``-ed, then renamed over the final name with
  :func:`os.replace`; an interrupted write leaves at most a ``.tmp-*`` file
  that no read looks at, never a half entry under a real name; such debris
  (a writer killed outright) older than :data:`STALE_TEMP_S` is removed the
  first time a process opens the cache.
* **Damage is a miss.**  An entry that does not decompress or decode (a
  truncated gzip stream fails its CRC and length check) is ignored with an
  :class:`~xrbvo.core.errors.XrbvoWarning` naming the file, and refetched.
* **Writes can fail.**  A full disk or a read-only directory raises
  :class:`CacheWriteError`; :class:`~xrbvo.vo.tap.client.TapClient` catches it,
  warns once and keeps the rows in memory.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import os
import tempfile
import time
import warnings
import zlib
from pathlib import Path

import numpy as np

from xrbvo.core.errors import XrbvoError, XrbvoWarning

__all__ = ["ChunkCache", "CacheWriteError", "STALE_TEMP_S", "default_cache_dir"]

#: A temporary file of the cache older than this (s) is a killed writer's debris: an entry is written in
#: well under a second, and processes share the cache, so a younger one may be another process's write.
STALE_TEMP_S = 3600.0
_SWEPT: set[Path] = set()


class CacheWriteError(XrbvoError, OSError):
    """An entry could not be written to the TAP cache (full disk, read-only or missing directory)."""


def default_cache_dir() -> Path:
    """The user's cache directory for TAP chunks (``platformdirs``), e.g. ``~/.cache/xrbvo/tap``.

    Returns
    -------
    Path
        The cache directory.
    """
    import platformdirs

    return Path(platformdirs.user_cache_dir("xrbvo")) / "tap"


def sweep_stale_temporaries(directory: Path, older_than_s: float = STALE_TEMP_S) -> int:
    """Remove the cache's ``.tmp-*`` files older than ``older_than_s`` (left by a killed writer); how many."""
    cutoff = time.time() - older_than_s
    n = 0
    try:
        subdirs = [d for d in directory.iterdir() if d.is_dir()]
    except OSError:  # no cache yet, or not readable: nothing to sweep
        return 0
    for d in subdirs:
        try:
            for tmp in d.glob(".tmp-*"):
                try:
                    if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                        tmp.unlink()
                        n += 1
                except OSError:
                    continue
        except OSError:
            continue
    return n


def _reason(exc: OSError) -> str:
    """Why a write failed, in words (a full disk and a read-only file system are named)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"the disk is full or a file-size limit was reached ({exc.strerror})"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc) or type(exc).__name__


class ChunkCache:
    """Finished chunks on disk: gzip-compressed VOTables named by a SHA-256 key.

    A key covers the service URL, the ADQL and the uploaded positions (their
    float64 bytes), so nothing else can collide with it.  Writes are atomic
    (a temporary file in the same directory, flushed and fsync-ed, then
    :func:`os.replace`) and raise :class:`CacheWriteError` when they fail;
    reads treat a damaged entry as missing, with a warning (:meth:`reject`).
    A chunk that overflowed is remembered by a small JSON marker so that a
    rerun splits it at once.

    Parameters
    ----------
    directory : str | Path, optional
        The directory.
    """

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        if self.directory not in _SWEPT:
            _SWEPT.add(self.directory)
            sweep_stale_temporaries(self.directory)

    @staticmethod
    def key(service_url: str, adql: str, positions: np.ndarray | None = None) -> str:
        """The cache key of one request."""
        h = hashlib.sha256()
        h.update(service_url.rstrip("/").encode())
        h.update(b"\0")
        h.update(adql.encode())
        h.update(b"\0")
        if positions is not None:
            h.update(np.ascontiguousarray(positions, dtype="<f8").tobytes())
        return h.hexdigest()

    def _path(self, key: str, suffix: str) -> Path:
        return self.directory / key[:2] / f"{key}{suffix}"

    def get(self, key: str) -> bytes | None:
        """The cached VOTable bytes of ``key``, or None (missing, or damaged: see :meth:`reject`)."""
        p = self._path(key, ".vot.gz")
        try:
            raw = p.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # no entry (or no cache directory) there
            return None
        except OSError as exc:
            self.reject(key, f"it cannot be read: {_reason(exc)}")
            return None
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:  # bad header, bad CRC or length, cut short
            self.reject(key, f"it is not a complete gzip file ({exc or type(exc).__name__})")
            return None
        if not data.strip():
            self.reject(key, "it is empty")
            return None
        return data

    def reject(self, key: str, reason: str) -> None:
        """Warn that the entry of ``key`` is damaged (``reason``) and will be refetched."""
        warnings.warn(f"TAP cache entry {self._path(key, '.vot.gz')} is damaged ({reason}); it is ignored "
                      "and fetched again", XrbvoWarning, stacklevel=3)

    def put(self, key: str, votable: bytes) -> None:
        """Store a finished chunk atomically."""
        self._write(self._path(key, ".vot.gz"), gzip.compress(votable, compresslevel=1))

    def get_json(self, key: str) -> dict | None:
        """A small cached JSON document (service metadata), or None (missing or damaged)."""
        p = self._path(key, ".json")
        try:
            doc = json.loads(p.read_text())
        except (FileNotFoundError, NotADirectoryError):  # no entry (or no cache directory) there
            return None
        except (OSError, ValueError) as exc:  # ValueError: bad JSON or bad UTF-8
            reason = _reason(exc) if isinstance(exc, OSError) else f"not JSON: {exc}"
        else:
            if isinstance(doc, dict):
                return doc
            reason = "not a JSON object"
        warnings.warn(f"TAP cache entry {p} is damaged ({reason}); it is ignored and fetched again",
                      XrbvoWarning, stacklevel=2)
        return None

    def put_json(self, key: str, doc: dict) -> None:
        """Store a small JSON document atomically."""
        self._write(self._path(key, ".json"), json.dumps(doc).encode())

    def mark_split(self, key: str) -> None:
        """Remember that ``key`` overflowed and was split."""
        self._write(self._path(key, ".split.json"), json.dumps({"overflow": True}).encode())

    def is_split(self, key: str) -> bool:
        return self._path(key, ".split.json").exists()

    def _write(self, path: Path, data: bytes) -> None:
        """Write ``data`` to ``path`` atomically; raises :class:`CacheWriteError`."""
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            raise CacheWriteError(f"cannot write the TAP cache in {self.directory}: {_reason(exc)}") from exc
        finally:
            if tmp is not None:  # failed or interrupted: no temporary file is left behind
                Path(tmp).unlink(missing_ok=True)
