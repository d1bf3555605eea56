"""The TAP chunk cache: finished results on disk, keyed by service, ADQL and uploaded positions."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["ChunkCache", "default_cache_dir"]


def default_cache_dir() -> Path:
    """The user's cache directory for TAP chunks (``platformdirs``), e.g. ``~/.cache/xrbvo/tap``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("xrbvo")) / "tap"


class ChunkCache:
    """Finished chunks on disk: gzip-compressed VOTables named by a SHA-256 key.

    A key covers the service URL, the ADQL and the uploaded positions (their
    float64 bytes), so nothing else can collide with it.  Writes are atomic:
    a temporary file in the same directory, then :func:`os.replace`.
    A chunk that overflowed is remembered by a small JSON marker so that a
    rerun splits it at once.
    """

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else default_cache_dir()

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
        """The cached VOTable bytes of ``key``, or None."""
        p = self._path(key, ".vot.gz")
        try:
            return gzip.decompress(p.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, EOFError):  # a damaged entry is refetched
            return None

    def put(self, key: str, votable: bytes) -> None:
        """Store a finished chunk atomically."""
        self._write(self._path(key, ".vot.gz"), gzip.compress(votable, compresslevel=1))

    def get_json(self, key: str) -> dict | None:
        """A small cached JSON document (service metadata), or None."""
        try:
            return json.loads(self._path(key, ".json").read_text())
        except (OSError, ValueError):
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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise InputError(f"cannot write the TAP cache in {self.directory}: {exc.strerror or exc}; "
                             "pass another --cache DIR") from exc

