"""The TAP client: chunked upload joins, overflow splitting, retries, the chunk cache in use.

The neighbourhoods of many X-ray sources are pulled with one ADQL query per
chunk of sources: the chunk's positions are uploaded (``TAP_UPLOAD``) and joined
with the survey table by ``CONTAINS(POINT, CIRCLE)``.  Around that:

* **Chunk size adapts to the density.**  A first, small chunk measures the rows
  per source; the other chunks are sized to return about ``target_rows``.  The
  sizes depend only on the data (the first chunk is cached too), so a rerun cuts
  the same chunks and finds them in the cache.
* **Overflow is never a result.**  A table whose ``QUERY_STATUS`` is
  ``OVERFLOW`` (pyvo's :class:`~pyvo.dal.DALOverflowWarning`) is split in two and
  both halves are queried again; a single source that still overflows is an
  error naming MAXREC.
* **Faults.**  Timeouts, connection errors, truncated answers and HTTP 5xx are
  retried with exponential backoff and full jitter; at most ``max_in_flight``
  requests run at a time; a service that stays down raises
  :class:`~xrbvo.core.errors.ServiceError` naming it.
* **Sync or async.**  Small chunks run synchronously; chunks expected to return
  more than ``async_rows`` rows run as UWS jobs, deleted afterwards.
* **Cache.**  Every finished chunk's VOTable is written atomically (temporary
  file, then :func:`os.replace`) under a key of the service URL, the ADQL and the
  uploaded positions; nothing is pickled.  A rerun sends no request, an
  interrupted pull resumes, ``refresh=True`` refetches.
* **No uploads?**  Services that refuse uploads are served cone by cone.

ADQL is built by the pure functions of :mod:`xrbvo.vo.tap.adql`; the cache is
:mod:`xrbvo.vo.tap.cache`.  Nothing touches the network at import.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import io
import random
import re
import socket
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit
from typing import Callable, Mapping, Sequence

import numpy as np
import requests
from astropy.io.votable import parse as votable_parse
from astropy.table import Table, unique, vstack

from xrbvo.core.errors import Cancelled, InputError, ServiceError, XrbvoError
from xrbvo.vo.tap.adql import UPLOAD_NAME, JoinSpec, cone_adql, upload_join_adql
from xrbvo.vo.tap.cache import CacheWriteError, ChunkCache

__all__ = [
    "SERVICES",
    "PullCancelled",
    "TapStats",
    "TapClient",
    "resolve_service",
    "redact_url",
    "query",
    "cone",
]

Progress = Callable[[str, float], None]

#: Named TAP services accepted wherever a URL is.
SERVICES: dict[str, str] = {
    "gaia": "https://gea.esac.esa.int/tap-server/tap",
    "vizier": "https://tapvizier.cds.unistra.fr/TAPVizieR/tap",
    "heasarc": "https://heasarc.gsfc.nasa.gov/xamin/vo/tap",
    "simbad": "https://simbad.cds.unistra.fr/simbad/sim-tap",
}


class PullCancelled(Cancelled):
    """A pull stopped because its ``cancel`` event was set; finished chunks are cached.

    Parameters
    ----------
    message : str, optional
        What was stopped.
    """


# --------------------------------------------------------------------------------------
# services


def resolve_service(name_or_url: str) -> str:
    """A TAP base URL from a URL or a name (:data:`SERVICES` or a survey name).

    Parameters
    ----------
    name_or_url : str
        A TAP URL, a name of :data:`SERVICES`, or a survey name.

    Returns
    -------
    str
        A TAP base URL from a URL or a name (:data:`SERVICES` or a survey name).

    Raises
    ------
    InputError
        If the name is neither a URL nor a known service or survey.
    """
    s = str(name_or_url).strip()
    if re.match(r"^https?://", s, re.I):
        return s.rstrip("/")
    key = s.lower()
    if key in SERVICES:
        return SERVICES[key]
    from xrbvo.core.surveys import SURVEYS, get_survey

    try:
        return get_survey(key).tap_url
    except XrbvoError:
        known = ", ".join(sorted(SERVICES) + sorted(SURVEYS))
        raise InputError(f"unknown TAP service {name_or_url!r}: give an http(s) URL or one of "
                         f"{known}") from None


#: Query parameters whose values are credentials (lower case), redacted wherever a URL is shown or recorded.
_SECRET_PARAMS = ("token", "access_token", "auth", "authorization", "key", "apikey", "api_key", "password",
                  "passwd", "pass", "pwd", "secret", "sig", "signature", "session", "sessionid", "credential")


def redact_url(url: str) -> str:
    """``url`` without its credentials: ``user:password@`` and the values of token-like query parameters
    become ``***``, so that a URL can be shown or written into an output.

    Parameters
    ----------
    url : str
        A URL (or any text holding one).

    Returns
    -------
    str
        The URL with its credentials replaced by ``***``.

    Examples
    --------
    >>> redact_url("https://me:s3cret@example.org/tap?token=abc&lang=ADQL:ivoa.obscore")
    'https://***@example.org/tap?token=***&lang=ADQL:ivoa.obscore'
    """
    from urllib.parse import urlsplit, urlunsplit

    s = str(url)
    try:
        parts = urlsplit(s)
    except ValueError:
        return re.sub(r"//[^/@\s]*@", "//***@", s)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = "&".join(
        (f"{k}=***" if k.strip().lower() in _SECRET_PARAMS or any(w in k.lower() for w in ("token", "passw", "secret"))
         else f"{k}={v}") if sep else k
        for k, sep, v in (item.partition("=") for item in parts.query.split("&"))) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# --------------------------------------------------------------------------------------
# the client's plumbing


@dataclasses.dataclass
class TapStats:
    """What a :class:`TapClient` did (counts are cumulative and thread-safe).

    Parameters
    ----------
    requests : int, optional
        HTTP requests sent (every one, including retries and job polling).
    queries : int, optional
        ADQL queries completed by the service.
    retries : int, optional
        Requests repeated after a transient fault.
    splits : int, optional
        Chunks split after an overflow.
    cached : int, optional
        Chunks and queries served from the cache.
    async_jobs : int, optional
        Queries run as UWS jobs.
    fetched_keys : list, optional
        Cache keys of chunks and queries fetched from the service (and cached).
    cached_keys : list, optional
        Cache keys of chunks and queries served from the cache.
    deleted_jobs : list, optional
        URLs of the async jobs run and deleted.
    """

    requests: int = 0
    """HTTP requests sent (every one, including retries and job polling)."""
    queries: int = 0
    """ADQL queries completed by the service."""
    retries: int = 0
    """Requests repeated after a transient fault."""
    splits: int = 0
    """Chunks split after an overflow."""
    cached: int = 0
    """Chunks and queries served from the cache."""
    async_jobs: int = 0
    """Queries run as UWS jobs."""
    fetched_keys: list = dataclasses.field(default_factory=list)
    """Cache keys of chunks and queries fetched from the service (and cached)."""
    cached_keys: list = dataclasses.field(default_factory=list)
    """Cache keys of chunks and queries served from the cache."""
    deleted_jobs: list = dataclasses.field(default_factory=list)
    """URLs of the async jobs run and deleted."""


class _Overflow(Exception):
    """Internal: the result of a request was truncated at MAXREC."""


class _DeadlineExceeded(Exception):
    """Internal: the pull's deadline passed (turned into a ServiceError naming it)."""


def _left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (a :func:`time.monotonic` time; None: no deadline)."""
    return None if deadline is None else deadline - time.monotonic()


@dataclasses.dataclass(frozen=True)
class _Pull:
    """What bounds one pull: the caller's cancel event and the deadline."""

    cancel: threading.Event | None = None
    """Set by the caller to stop the pull (:class:`PullCancelled`)."""
    deadline: float | None = None
    """:func:`time.monotonic` time by which the pull must end (None: no deadline)."""


class _Session(requests.Session):
    """A requests session with a default timeout, the pull's deadline and a request counter.

    ``deadline_of()`` gives the calling thread's deadline (or None): a request
    after it raises :class:`_DeadlineExceeded`, and no request waits past it.
    """

    def __init__(self, timeout_s: float, on_request: Callable[[], None],
                 deadline_of: Callable[[], float | None]):
        super().__init__()
        self._timeout_s = timeout_s
        self._on_request = on_request
        self._deadline_of = deadline_of
        self.headers["User-Agent"] = "xrbvo (pyvo)"

    def request(self, method, url, *args, **kwargs):
        timeout = kwargs.get("timeout")
        if timeout is None:
            timeout = self._timeout_s
        left = _left(self._deadline_of())
        if left is not None:
            if left <= 0:
                raise _DeadlineExceeded()
            if isinstance(timeout, (int, float)):
                timeout = min(timeout, left)
        kwargs["timeout"] = timeout
        self._on_request()
        return super().request(method, url, *args, **kwargs)


def _chain(exc: BaseException):
    """``exc`` and its causes (pyvo's ``cause``, ``__cause__``, ``__context__``), each once."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = getattr(e, "cause", None) or e.__cause__ or e.__context__


def _unresolved_host(exc: BaseException) -> BaseException | None:
    """The name-resolution failure behind ``exc`` (urllib3's or the socket's), or None."""
    from urllib3.exceptions import NameResolutionError

    for e in _chain(exc):
        if isinstance(e, (NameResolutionError, socket.gaierror)):
            return e
    return None


def _is_transient(exc: BaseException) -> bool:
    """Timeouts, connection errors, truncated bodies and HTTP 5xx; never a host name that does not resolve.

    A DNS failure is not a passing fault: retrying it only delays the error
    (urllib3 files it under connection timeouts, so it is checked first).
    """
    import http.client

    from pyvo.dal.exceptions import DALFormatError, DALServiceError
    from urllib3.exceptions import ProtocolError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    if _unresolved_host(exc) is not None:
        return False
    for e in _chain(exc):
        if isinstance(e, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                          http.client.HTTPException, ConnectionError, TimeoutError, Urllib3Timeout,
                          ProtocolError)):
            return True
        code = getattr(e, "code", None)
        if isinstance(code, int) and code >= 500:
            return True
        resp = getattr(e, "response", None)
        if resp is not None and getattr(resp, "status_code", 0) >= 500:
            return True
        if isinstance(e, DALFormatError):  # a body cut short does not parse
            return True
        if isinstance(e, DALServiceError) and code is None and (
                "Connection" in str(e) or "timed out" in str(e) or re.search(r"HTTP Code: 5\d\d", str(e))):
            return True  # pyvo's VOSI endpoints (capabilities, tables) report failures in the message only
    return False


def _status_code(exc: BaseException) -> int | None:
    for e in _chain(exc):
        code = getattr(e, "code", None)
        if isinstance(code, int):
            return code
        resp = getattr(e, "response", None)
        if resp is not None and isinstance(getattr(resp, "status_code", None), int):
            return resp.status_code
    return None


# --------------------------------------------------------------------------------------
# the client


class TapClient:
    """One TAP service, with retries, a bounded number of requests in flight and a chunk cache.

    Parameters
    ----------
    url : str
        TAP base URL or a name known to :func:`resolve_service`.
    cache : path, True, False or None
        Directory of the chunk cache; ``None``/``True``: the user's cache
        directory (:func:`default_cache_dir`); ``False``: no cache.
    refresh : bool
        Refetch every chunk (and overwrite the cache).
    retries : int
        Retries of a request after a transient fault (then ServiceError).
    backoff_s : float
        First backoff; doubles per retry (with full jitter), capped at ``backoff_max_s``.
    max_in_flight : int
        Requests running at the same time.
    timeout_s : float
        Timeout of one HTTP request; async jobs wait up to ``job_timeout_s``.
    deadline_s : float or None
        Seconds a whole pull may take: one :meth:`query` or one
        :meth:`neighbourhood_rows` call, with every request, retry, backoff
        and async wait in it (None: no deadline).  When it passes, a
        :class:`~xrbvo.core.errors.ServiceError` names the service and the
        deadline; chunks finished before it stay in the cache.
    maxrec : int or None
        MAXREC sent with every query (None: the service's default).  A result
        truncated at it is split, never returned.
    target_rows : int
        Rows a chunk aims at; sets the chunk size from the measured density.
    async_rows : int
        Chunks expected to return more rows than this run as async jobs.
    mode : {"auto", "sync", "async"}
        Force sync or async queries.
    upload : {"auto", True, False}
        Use TAP_UPLOAD joins (``auto``: if the service declares upload support);
        ``False`` queries cone by cone.
    probe_timeout_s : float
        Timeout of :meth:`probe`, the one request that checks the service answers.
    backoff_max_s : float, optional
        Longest wait between retries, seconds.
    job_timeout_s : float, optional
        Seconds an asynchronous job may run before it is abandoned.
    first_chunk : int, optional
        Rows uploaded in the first query (the size then adapts to the service's answers).
    max_chunk : int, optional
        Most rows uploaded in one query.
    """

    def __init__(self, url: str, *, cache: str | Path | bool | None = None, refresh: bool = False,
                 retries: int = 5, backoff_s: float = 0.5, backoff_max_s: float = 20.0,
                 max_in_flight: int = 4, timeout_s: float = 120.0, job_timeout_s: float = 3600.0,
                 deadline_s: float | None = None, maxrec: int | None = None, target_rows: int = 20000, first_chunk: int = 64,
                 max_chunk: int = 5000, async_rows: int = 100000, mode: str = "auto",
                 upload: str | bool = "auto", probe_timeout_s: float = 15.0):
        self.url = resolve_service(url)
        self.shown_url = redact_url(self.url)
        """The URL as messages show it (credentials redacted, :func:`redact_url`)."""
        if cache is False:
            self.cache = None
        elif cache is None or cache is True:
            self.cache = ChunkCache()
        else:
            self.cache = ChunkCache(cache)
        if mode not in ("auto", "sync", "async"):
            raise InputError(f"TAP mode must be auto, sync or async, not {mode!r}")
        if upload not in ("auto", True, False):
            raise InputError(f"upload must be 'auto', True or False, not {upload!r}")
        if max_in_flight < 1 or retries < 0 or first_chunk < 1 or max_chunk < 1 or target_rows < 1:
            raise InputError("max_in_flight, first_chunk, max_chunk and target_rows must be >= 1, "
                             "retries >= 0")
        if deadline_s is not None and not (isinstance(deadline_s, (int, float)) and 0 < deadline_s < np.inf):
            raise InputError(f"the deadline of a TAP pull must be a positive number of seconds, not {deadline_s!r}")
        self.refresh = refresh
        self.retries = int(retries)
        self.backoff_s = float(backoff_s)
        self.backoff_max_s = float(backoff_max_s)
        self.max_in_flight = int(max_in_flight)
        self.timeout_s = float(timeout_s)
        self.job_timeout_s = float(job_timeout_s)
        self.deadline_s = None if deadline_s is None else float(deadline_s)
        self.maxrec = maxrec
        self.target_rows = int(target_rows)
        self.first_chunk = int(first_chunk)
        self.max_chunk = int(max_chunk)
        self.async_rows = int(async_rows)
        self.mode = mode
        self.upload = upload
        self.probe_timeout_s = float(probe_timeout_s)
        self._reachable = False
        self.stats = TapStats()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self.max_in_flight)
        self._local = threading.local()
        self._sessions: dict[int, tuple] = {}
        self._tables: dict[str, str] | None = None
        self._uploads_ok: bool | None = None
        self._caps_lock = threading.Lock()
        self._cache_error: CacheWriteError | None = None

    # -- plumbing ------------------------------------------------------------------------

    def _count(self, field: str, n: int = 1) -> None:
        with self._lock:
            setattr(self.stats, field, getattr(self.stats, field) + n)

    def _service(self):
        """A pyvo TAPService with this thread's own session (requests sessions are not thread-safe)."""
        tid = threading.get_ident()
        with self._lock:
            pair = self._sessions.get(tid)
        if pair is None:
            from pyvo.dal import TAPService

            session = _Session(self.timeout_s, lambda: self._count("requests"),
                               lambda: getattr(self._local, "deadline", None))
            pair = (TAPService(self.url, session=session), session)
            with self._lock:
                self._sessions[tid] = pair
        self._local.session = pair[1]
        return pair[0]

    def close(self) -> None:
        """Close the HTTP connections (the client stays usable; new ones open on demand)."""
        with self._lock:
            pairs, self._sessions = list(self._sessions.values()), {}
        for _, session in pairs:
            session.close()

    def __enter__(self) -> "TapClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _pull(self, cancel: threading.Event | None = None) -> _Pull:
        """A new pull: its deadline starts now."""
        deadline = None if self.deadline_s is None else time.monotonic() + self.deadline_s
        return _Pull(cancel, deadline)

    def _check(self, pull: _Pull, what: str) -> None:
        """Raise if ``pull`` was cancelled or its deadline has passed."""
        if pull.cancel is not None and pull.cancel.is_set():
            raise PullCancelled(f"pull from {self.shown_url} cancelled")
        left = _left(pull.deadline)
        if left is not None and left <= 0:
            raise self._deadline_error(what)

    def _deadline_error(self, what: str) -> ServiceError:
        kept = ("chunks finished before it are cached, so a rerun resumes; " if self.cache is not None
                and self._cache_error is None else "")
        return ServiceError(f"TAP service {self.shown_url}: {what} did not finish within the pull's deadline of "
                            f"{self.deadline_s:g} s; {kept}allow more time with --timeout SECONDS "
                            "(deadline_s in Python), or pull fewer sources at once")

    def _with_retries(self, what: str, fn: Callable[[], object], pull: _Pull):
        """Run ``fn`` until it succeeds, retrying transient faults with backoff and jitter, within ``pull``."""
        from pyvo.dal.exceptions import DALOverflowWarning, DALQueryError

        outer = getattr(self._local, "deadline", None)
        self._local.deadline = pull.deadline  # this thread's session keeps every request within it
        try:
            last: BaseException | None = None
            for attempt in range(self.retries + 1):
                self._check(pull, what)
                if attempt:
                    self._count("retries")
                    delay = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
                    left = _left(pull.deadline)
                    time.sleep(delay if left is None else max(0.0, min(delay, left)))
                    self._check(pull, what)
                try:
                    if not self._slots.acquire(timeout=None if pull.deadline is None else
                                               max(0.0, _left(pull.deadline))):
                        raise self._deadline_error(what)
                    try:
                        return fn()
                    finally:
                        self._slots.release()
                except (_Overflow, PullCancelled, XrbvoError):
                    raise
                except _DeadlineExceeded as exc:
                    raise self._deadline_error(what) from exc
                except DALOverflowWarning as exc:  # pyvo's warning raised as an error
                    raise _Overflow(str(exc)) from exc
                except DALQueryError as exc:
                    if _is_transient(exc):
                        last = exc
                        continue
                    raise InputError(f"{self.shown_url} refused the query: {_clean(exc)}") from exc
                except Exception as exc:  # classified below; nothing is swallowed
                    left = _left(pull.deadline)
                    if left is not None and left <= 0:  # a request cut short by the deadline
                        raise self._deadline_error(what) from exc
                    host = _unresolved_host(exc)
                    if host is not None:
                        raise self._unresolved_error(host) from exc
                    if not _is_transient(exc):
                        code = _status_code(exc)
                        if code is not None and 400 <= code < 500:
                            raise InputError(f"{self.shown_url} is not a TAP service answering {what} "
                                             f"(HTTP {code}); check the URL") from exc
                        raise ServiceError(f"TAP service {self.shown_url} failed on {what}: {_clean(exc)}") from exc
                    last = exc
            raise ServiceError(f"TAP service {self.shown_url} is unreachable or failing: {what} failed "
                               f"{self.retries + 1} times, last with {_clean(last)}; try again later "
                               "(finished chunks are cached)") from last
        finally:
            self._local.deadline = outer

    def _unresolved_error(self, host: BaseException) -> ServiceError:
        return ServiceError(f"TAP service {self.shown_url}: its host name {urlsplit(self.url).hostname!r} does not "
                            f"resolve ({_clean(host)}); check the URL and the network (not retried: a name that "
                            "does not resolve is no passing fault)")

    def probe(self) -> None:
        """Check, with one cheap request and no retry, that the service answers at all.

        One GET of the service's VOSI capabilities, bounded by ``probe_timeout_s``
        (and ``timeout_s``).  Any HTTP answer counts as reachable: the queries
        that follow say what is wrong with a server that is not a TAP service.
        So does a connection that was made and then failed (a reset, a slow
        answer, HTTP 5xx): those are passing faults, retried by the queries.
        Done once per client; later calls return at once.

        Raises
        ------
        ServiceError
            At once, if the host name does not resolve, or no connection can be
            made (refused, no route, no answer to connect within the timeout).
        """
        if self._reachable:
            return
        timeout = min(self.timeout_s, self.probe_timeout_s)
        session = _Session(timeout, lambda: self._count("requests"), lambda: None)
        try:
            session.get(self.url + "/capabilities", stream=True).close()
        except requests.RequestException as exc:
            host = _unresolved_host(exc)
            if host is not None:
                raise self._unresolved_error(host) from exc
            if _no_connection(exc):
                why = (f"no connection within {timeout:g} s" if isinstance(exc, requests.ConnectTimeout)
                       else _os_reason(exc))
                raise ServiceError(f"TAP service {self.shown_url} is unreachable ({why}); check the URL and that the "
                                   "service is up") from exc
        finally:
            session.close()
        self._reachable = True

    def _parse(self, data: bytes, url: str):
        """VOTable bytes -> (Table, status); an ERROR status raises DALQueryError."""
        from xml.parsers.expat import ExpatError

        from pyvo.dal.exceptions import DALQueryError
        from pyvo.dal.tap import TAPResults

        try:
            with warnings.catch_warnings():
                # astropy's VOTable parser warns about harmless spec deviations of services
                warnings.simplefilter("ignore", category=_votable_warning())
                vot = votable_parse(io.BytesIO(data), verify="ignore")
                res = TAPResults(vot, url=url, session=None)
                status = (res.query_status or "OK").upper()
                table = res.to_table()
        except (ExpatError, ValueError, IndexError, KeyError, _votable_warning()) as exc:
            # verify="ignore" still raises some spec violations (e.g. W12, a FIELD without a name) as VOWarning
            raise InputError(f"{self.shown_url} did not answer with a VOTable ({_clean(exc)}); "
                             "is it a TAP service URL?") from exc
        except DALQueryError:
            raise  # the service's own ERROR status: the caller reports its message
        except Exception as exc:  # noqa: BLE001 - the parser raises many kinds on bytes a service sent: all mean "unreadable"
            raise InputError(f"{self.shown_url} answered with a VOTable xrbvo cannot read ({_clean(exc)}); "
                             "is it a TAP service URL?") from exc
        return table, status

    def _execute(self, adql: str, uploads: Mapping[str, Table] | None, *, mode: str, pull: _Pull,
                 maxrec: int | None) -> bytes:
        """One query; returns the VOTable bytes (status not yet checked)."""
        svc = self._service()
        session = self._local.session
        if mode == "sync":
            q = svc.create_query(adql, mode="sync", uploads=dict(uploads or {}), maxrec=maxrec)
            resp = q.submit(post=True)
            return self._body(resp, pull)
        self._count("async_jobs")
        job = svc.submit_job(adql, uploads=dict(uploads or {}), maxrec=maxrec)
        try:
            job.run()
            job_deadline = time.monotonic() + self.job_timeout_s
            while True:
                if pull.cancel is not None and pull.cancel.is_set():
                    job.abort()
                    raise PullCancelled(f"pull from {self.shown_url} cancelled")
                left = _left(pull.deadline)
                wait_s = min(10.0, self.job_timeout_s, 10.0 if left is None else max(left, 0.001))
                job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=wait_s)
                if job.phase in ("COMPLETED", "ERROR", "ABORTED"):
                    break
                if time.monotonic() > job_deadline:
                    raise ServiceError(f"TAP service {self.shown_url}: async job {job.url} still "
                                       f"{job.phase} after {self.job_timeout_s:.0f} s")
            job.raise_if_error()
            return self._body(session.get(job.result_uri, stream=True), pull)
        finally:
            self._delete(job)

    def _body(self, resp, pull: _Pull) -> bytes:
        """The body of a TAP answer, read within the pull's deadline (a trickling server cannot hold it).

        5xx raises (transient); a 4xx without a VOTable raises.
        """
        read1 = getattr(resp.raw, "read1", None)
        try:
            if read1 is None or pull.deadline is None:
                data = resp.content  # read it all, so that the connection is released even on errors
            else:
                parts = []
                while True:
                    left = _left(pull.deadline)
                    if left <= 0:
                        raise _DeadlineExceeded()
                    sock = getattr(getattr(resp.raw, "connection", None), "sock", None)
                    if sock is not None:  # no single read may wait past the deadline
                        sock.settimeout(min(self.timeout_s, left))
                    part = read1(1 << 16, decode_content=True)
                    if not part:
                        break
                    parts.append(part)
                data = b"".join(parts)
        finally:
            resp.close()
        if resp.status_code >= 500:
            resp.raise_for_status()
        if resp.status_code >= 400 and b"<VOTABLE" not in data[:2000].upper():
            resp.raise_for_status()
        return data

    def _delete(self, job) -> None:
        """Delete an async job; even after the pull's deadline, it gets a few seconds for that."""
        from pyvo.dal.exceptions import DALServiceError

        url = job.url
        outer = getattr(self._local, "deadline", None)
        self._local.deadline = time.monotonic() + min(self.timeout_s, 10.0)
        try:
            job.delete()
            with self._lock:
                self.stats.deleted_jobs.append(url)
        except (DALServiceError, requests.RequestException, _DeadlineExceeded) as exc:
            warnings.warn(f"could not delete async job {job.url} at {self.shown_url}: {_clean(exc)}",
                          _xrbvo_warning(), stacklevel=2)
        finally:
            self._local.deadline = outer

    def _fetch(self, adql: str, uploads: Mapping[str, Table] | None, *, mode: str, pull: _Pull, what: str,
               maxrec: int | None | str = "client") -> tuple[bytes, Table]:
        """One complete result (bytes and table), retried; raises _Overflow if truncated."""
        mr = self.maxrec if maxrec == "client" else maxrec

        def attempt():
            data = self._execute(adql, uploads, mode=mode, pull=pull, maxrec=mr)
            table, status = self._parse(data, self.url)
            if status == "OVERFLOW":
                raise _Overflow(f"{len(table)} rows")
            return data, table

        out = self._with_retries(what, attempt, pull)
        self._count("queries")
        return out

    # -- metadata ------------------------------------------------------------------------

    def tables(self) -> dict[str, str]:
        """Tables of the service: lower-cased unquoted name -> name as the service spells it."""
        if self._tables is None:
            t = self.query("SELECT table_name FROM TAP_SCHEMA.tables", mode="sync", maxrec=None)
            names = [str(v) for v in t[t.colnames[0]]]
            self._tables = {_norm_table(n): n for n in names}
        return self._tables

    def find_table(self, *candidates: str) -> str:
        """The first of ``candidates`` the service has, as ADQL (quoted where needed).

        Raises
        ------
        InputError
            If the service has none of them.
        """
        have = self.tables()
        for c in candidates:
            if c and _norm_table(c) in have:
                return c
        raise InputError(f"TAP service {self.shown_url} has no table {' or '.join(candidates)}; "
                         "check the service URL or name the table with the survey's tap_aliases")

    def uploads_supported(self) -> bool:
        """Whether the service declares TAP_UPLOAD support (capabilities)."""
        return self._uploads_supported(self._pull())

    def _uploads_supported(self, pull: _Pull) -> bool:
        if self.upload is not True and self.upload is not False:
            with self._caps_lock:  # concurrent pulls (one per survey) ask the service once
                return self._uploads_checked(pull)
        return bool(self.upload)

    def _uploads_checked(self, pull: _Pull) -> bool:
        if self._uploads_ok is None:
            key = self.cache.key(self.url, "capabilities:upload") if self.cache is not None else None
            known = self.cache.get_json(key) if key is not None and not self.refresh else None
            if known is not None:
                self._uploads_ok = bool(known.get("upload"))
            else:
                def caps():
                    return bool(self._service().upload_methods)
                self._uploads_ok = bool(self._with_retries("reading its capabilities", caps, pull))
                if key is not None:
                    self._cache_write(self.cache.put_json, key, {"upload": self._uploads_ok})
        return self._uploads_ok

    # -- public queries ------------------------------------------------------------------

    def query(self, adql: str, *, uploads: Mapping[str, Table] | None = None, mode: str | None = None,
              use_cache: bool = True, maxrec: int | None | str = "client") -> Table:
        """Run one ADQL query and return the complete result.

        Raises
        ------
        ServiceError
            If the result is truncated at MAXREC (add TOP, narrow the query or
            raise ``maxrec``), the service stays down, its host name does not
            resolve, or the query outlasts ``deadline_s``.
        InputError
            If the service refuses the query (syntax, unknown table).
        """
        mode = mode or ("sync" if self.mode == "auto" else self.mode)
        key = None
        if self.cache is not None and use_cache and not uploads:
            key = self.cache.key(self.url, adql + f"\0maxrec={self.maxrec if maxrec == 'client' else maxrec}")
            if not self.refresh:
                table = self._from_cache(key)
                if table is not None:
                    return table
        try:
            data, table = self._fetch(adql, uploads, mode=mode, pull=self._pull(), what="the query",
                                      maxrec=maxrec)
        except _Overflow:
            raise ServiceError(f"the result from {self.shown_url} was truncated at MAXREC "
                               f"({self.maxrec or 'the service default'}); add TOP n, narrow the "
                               "query or raise maxrec") from None
        self._to_cache(key, data)
        return table

    def cone(self, table: str, ra_deg: float, dec_deg: float, radius_arcsec: float, *,
             ra_column: str = "ra", dec_column: str = "dec", columns: Sequence[str] | None = None) -> Table:
        """Every row of ``table`` within ``radius_arcsec`` of one position."""
        return self.query(cone_adql(table, columns, ra_column, dec_column, ra_deg, dec_deg, radius_arcsec))

    def neighbourhood_rows(self, positions: Table, table: str, columns: Sequence[str], ra_column: str,
                           dec_column: str, radius_arcsec: float, *, join: JoinSpec | None = None,
                           id_column: str | None = None, progress: Progress | None = None,
                           cancel: threading.Event | None = None) -> Table:
        """Every row of ``table`` within ``radius_arcsec`` of any of ``positions``.

        ``positions`` needs ``ra`` and ``dec`` (deg).  Rows are returned once
        (deduplicated on ``id_column``), in no particular order.

        Raises
        ------
        PullCancelled
            If ``cancel`` was set; finished chunks are in the cache.
        ServiceError
            If the service stays down, one position alone overflows MAXREC, or
            the pull outlasts ``deadline_s`` (finished chunks are in the cache).
        """
        pos = _positions(positions)
        if len(pos) == 0:
            return Table(names=list(columns) + list(join.columns if join else ()))
        # a compact, input-order-independent chunking: sort by declination zone then RA
        order = np.lexsort((pos[:, 0], np.floor(pos[:, 1])))
        pos = pos[order]
        pull = self._pull(cancel)
        use_upload = self._uploads_supported(pull)
        adql = (upload_join_adql(table, columns, ra_column, dec_column, radius_arcsec, join=join)
                if use_upload else None)
        n = len(pos)
        done = 0
        pieces: list[Table] = []
        report_lock = threading.Lock()

        def report(k: int):
            nonlocal done
            with report_lock:
                done += k
                if progress:
                    progress(f"{table}: {done}/{n} sources", done / n)

        def run_chunk(p: np.ndarray, expected_rows: float) -> list[Table]:
            if use_upload:
                out = self._chunk(adql, p, expected_rows, pull)
            else:
                out = [self._cone_chunk(table, columns, ra_column, dec_column, radius_arcsec, join, row, pull)
                       for row in p]
            report(len(p))
            return out

        try:
            first = pos[: self.first_chunk]
            pieces += run_chunk(first, self.target_rows / 10)
            rows_first = sum(len(t) for t in pieces)
            rate = rows_first / max(len(first), 1)
            size = int(np.clip(self.target_rows / max(rate, 1e-3), 1, self.max_chunk))
            size = 1 << int(np.floor(np.log2(size)))  # powers of two: stable under small rate changes
            rest = pos[len(first):]
            chunks = [rest[i:i + size] for i in range(0, len(rest), size)]
            if chunks:
                with cf.ThreadPoolExecutor(max_workers=self.max_in_flight, thread_name_prefix="xrbvo-tap") as ex:
                    futs = [ex.submit(run_chunk, c, rate * len(c)) for c in chunks]
                    try:
                        for f in cf.as_completed(futs):
                            pieces += f.result()
                    except BaseException:
                        for f in futs:
                            f.cancel()
                        raise
        finally:
            self.close()
        tables = [t for t in pieces if len(t)]
        if not tables:
            return pieces[0][:0] if pieces else Table()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=_merge_warning())
            out = vstack(tables, join_type="exact", metadata_conflicts="silent")
        if id_column is not None:
            idc = _find_col(out, id_column)
            if idc is not None:
                out = unique(out, keys=idc, keep="first")
        return out

    # -- chunks --------------------------------------------------------------------------

    def _chunk(self, adql: str, pos: np.ndarray, expected_rows: float, pull: _Pull) -> list[Table]:
        """The rows of one chunk of uploaded positions: cache, fetch, or split on overflow."""
        what = f"an upload join of {len(pos)} positions"
        self._check(pull, what)
        key = self.cache.key(self.url, adql, pos) if self.cache is not None else None
        if key is not None and not self.refresh:
            if self.cache.is_split(key) and len(pos) > 1:
                return self._split(adql, pos, expected_rows, pull)
            table = self._from_cache(key)
            if table is not None:
                return [table]
        upload = Table({"ra": pos[:, 0], "dec": pos[:, 1]})
        mode = self.mode if self.mode != "auto" else ("async" if expected_rows > self.async_rows else "sync")
        try:
            data, table = self._fetch(adql, {UPLOAD_NAME: upload}, mode=mode, pull=pull, what=what)
        except _Overflow:
            if len(pos) == 1:
                raise ServiceError(f"TAP service {self.shown_url}: the neighbourhood of position "
                                   f"({pos[0, 0]:.6f}, {pos[0, 1]:.6f}) alone exceeds MAXREC="
                                   f"{self.maxrec or 'the service default'}; lower the radius or raise "
                                   "maxrec") from None
            if key is not None:
                self._cache_write(self.cache.mark_split, key)
            return self._split(adql, pos, expected_rows, pull)
        self._to_cache(key, data)
        return [table]

    def _split(self, adql, pos, expected_rows, pull: _Pull) -> list[Table]:
        self._count("splits")
        h = len(pos) // 2
        return (self._chunk(adql, pos[:h], expected_rows / 2, pull)
                + self._chunk(adql, pos[h:], expected_rows / 2, pull))

    def _cone_chunk(self, table, columns, ra_column, dec_column, radius_arcsec, join, p, pull: _Pull) -> Table:
        """The cone-by-cone fallback for services without uploads."""
        self._check(pull, "a cone query")
        adql = cone_adql(table, columns, ra_column, dec_column, float(p[0]), float(p[1]), radius_arcsec, join=join)
        key = self.cache.key(self.url, adql) if self.cache is not None else None
        if key is not None and not self.refresh:
            t = self._from_cache(key)
            if t is not None:
                return t
        try:
            data, t = self._fetch(adql, None, mode="sync", pull=pull, what="a cone query")
        except _Overflow:
            raise ServiceError(f"TAP service {self.shown_url}: the cone at ({p[0]:.6f}, {p[1]:.6f}) exceeds "
                               f"MAXREC={self.maxrec or 'the service default'}; lower the radius or raise "
                               "maxrec") from None
        self._to_cache(key, data)
        return t

    def _from_cache(self, key: str) -> Table | None:
        """The cached result under ``key`` (counted in :attr:`stats`), or None (missing or damaged)."""
        from pyvo.dal.exceptions import DALQueryError

        data = self.cache.get(key)
        if data is None:
            return None
        try:
            table, status = self._parse(data, self.url)
        except (InputError, DALQueryError) as exc:  # cut short, or not what was stored
            self.cache.reject(key, f"not a readable VOTable: {_clean(exc)}")
            return None
        if status != "OK":
            self.cache.reject(key, f"its query status is {status}")
            return None
        with self._lock:
            self.stats.cached += 1
            self.stats.cached_keys.append(key)
        return table

    def _to_cache(self, key: str | None, data: bytes) -> None:
        """Keep a complete result under ``key`` (no-op without a cache, or once the cache failed)."""
        if key is not None and self._cache_write(self.cache.put, key, data):
            with self._lock:
                self.stats.fetched_keys.append(key)

    def _cache_write(self, write: Callable, *args) -> bool:
        """``write(*args)`` to the cache; a failure warns once, and the pull goes on without the cache."""
        if self._cache_error is not None:
            return False
        try:
            write(*args)
            return True
        except CacheWriteError as exc:
            with self._lock:
                first, self._cache_error = self._cache_error is None, exc
            if first:
                warnings.warn(f"{exc}; the pull goes on and keeps its rows in memory, but a rerun fetches "
                              "them again: free disk space, or pass another --cache DIR or --no-cache",
                              _xrbvo_warning(), stacklevel=2)
            return False


# --------------------------------------------------------------------------------------
# helpers


def _positions(t) -> np.ndarray:
    """(n, 2) float64 array of ra, dec from a Table with ra/dec (any case)."""
    if isinstance(t, np.ndarray) and t.ndim == 2:
        return np.asarray(t, dtype=float)
    from xrbvo.io import as_float

    ra = _find_col(t, "ra")
    dec = _find_col(t, "dec")
    if ra is None or dec is None:
        raise InputError("positions need ra and dec columns (deg)")
    p = np.column_stack([as_float(t[ra]), as_float(t[dec])])
    if not np.all(np.isfinite(p)):
        raise InputError("positions hold missing or non-numeric ra/dec values")
    return p


def _no_connection(exc: BaseException) -> bool:
    """Whether no TCP connection could be made at all (refused, no route, connect timeout)."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    return any(isinstance(e, (requests.ConnectTimeout, ConnectTimeoutError, NewConnectionError,
                              ConnectionRefusedError)) for e in _chain(exc))


def _os_reason(exc: BaseException) -> str:
    """The operating system's words for a failed connection (``connection refused``), else the error's first line."""
    for e in _chain(exc):
        if isinstance(e, OSError) and e.strerror:
            return e.strerror.lower()
    m = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return m.group(1).strip().lower() if m else _clean(exc)


def _find_col(t: Table, name: str) -> str | None:
    low = {c.lower(): c for c in t.colnames}
    return name if name in t.colnames else low.get(str(name).strip('"').lower())


def _norm_table(name: str) -> str:
    return ".".join(p.strip('"') for p in re.findall(r'"[^"]*"|[^.]+', str(name).strip())).lower() \
        if not str(name).strip().startswith('"') else str(name).strip().strip('"').lower()


def _clean(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    s = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return s[:300]


def _votable_warning():
    from astropy.io.votable.exceptions import VOWarning

    return VOWarning


def _merge_warning():
    from astropy.utils.metadata import MergeConflictWarning

    return MergeConflictWarning


def _xrbvo_warning():
    from xrbvo.core.errors import XrbvoWarning

    return XrbvoWarning


# --------------------------------------------------------------------------------------
# scripted use


def query(service: str, adql: str, *, cache: str | Path | bool | None = False, maxrec: int | None = None,
          mode: str = "auto", **client_options) -> Table:
    """Run raw ADQL against a named service or URL and return the complete table.

    Parameters
    ----------
    service : str
        A service name of :data:`SERVICES` or a TAP URL.
    adql : str
        The ADQL query.
    cache : str | Path | bool, optional
        Directory of the chunk cache; None or True: the user's cache directory; False: no cache.
    maxrec : int, optional
        MAXREC sent with every query (None: the service's default). A result truncated at it is split,
        never returned.
    mode : str, optional
        Force sync or async queries.
    **client_options
        Options of :class:`TapClient` (cache, timeouts, retries).

    Returns
    -------
    astropy.table.Table
        Every row of the result (a truncated result is an error).

    Examples
    --------
    >>> t = query("http://127.0.0.1:8089/tap",
    ...           "SELECT TOP 5 source_id FROM gaiadr3.gaia_source")  # doctest: +SKIP
    """
    with TapClient(service, cache=cache, maxrec=maxrec, mode=mode, **client_options) as client:
        return client.query(adql)


def cone(service: str, table: str, ra_deg: float, dec_deg: float, radius_arcsec: float, *,
         ra_column: str = "ra", dec_column: str = "dec", columns: Sequence[str] | None = None,
         cache: str | Path | bool | None = False, **client_options) -> Table:
    """Every row of ``table`` at ``service`` within ``radius_arcsec`` of a position.

    Parameters
    ----------
    service : str
        A service name of :data:`SERVICES` or a TAP URL.
    table : str
        The service's table.
    ra_deg : float
        Right ascension (ICRS), degrees.
    dec_deg : float
        Declination (ICRS), degrees.
    radius_arcsec : float
        Search radius, arcsec.
    ra_column : str, optional
        The table's right-ascension column (degrees).
    dec_column : str, optional
        The table's declination column (degrees).
    columns : Sequence[str], optional
        Column names.
    cache : str | Path | bool, optional
        Directory of the chunk cache; None or True: the user's cache directory; False: no cache.
    **client_options
        Options of :class:`TapClient` (cache, timeouts, retries).

    Returns
    -------
    astropy.table.Table
        Every row of ``table`` at ``service`` within ``radius_arcsec`` of a position.
    """
    with TapClient(service, cache=cache, **client_options) as client:
        return client.cone(table, ra_deg, dec_deg, radius_arcsec, ra_column=ra_column, dec_column=dec_column,
                       columns=columns)


