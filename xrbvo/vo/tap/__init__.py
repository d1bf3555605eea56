"""TAP access with pyvo: chunked upload joins, overflow splitting, retries and a chunk cache.

* :mod:`xrbvo.vo.tap.adql` — ADQL strings, built by pure functions.
* :mod:`xrbvo.vo.tap.cache` — finished chunks on disk (:class:`ChunkCache`).
* :mod:`xrbvo.vo.tap.client` — :class:`TapClient` (sessions, retries, the
  deadline, chunking), and :func:`query` / :func:`cone` for scripted use.

This package only re-exports their public names.
"""

from xrbvo.vo.tap.adql import JoinSpec, cone_adql, quote_identifier, quote_table, upload_join_adql
from xrbvo.vo.tap.cache import ChunkCache, default_cache_dir
from xrbvo.vo.tap.client import SERVICES, PullCancelled, TapClient, TapStats, cone, query, resolve_service

__all__ = [
    "SERVICES",
    "PullCancelled",
    "TapStats",
    "ChunkCache",
    "TapClient",
    "JoinSpec",
    "resolve_service",
    "default_cache_dir",
    "quote_identifier",
    "quote_table",
    "upload_join_adql",
    "cone_adql",
    "query",
    "cone",
]
