"""Neighbourhoods from TAP services by chunked upload joins (:mod:`xrbvo.vo.tap`).

The rows a service returns are renamed to the survey's native column names,
standardised (:func:`~xrbvo.stages.neighbourhoods.base.standardise_catalogue`) and paired
with the X-ray sources by :func:`~xrbvo.stages.neighbourhoods.base.cone_join`, so the
``tap`` provider returns exactly the schema and row order of ``sim`` and
``local``.  The service is asked for a radius a hair larger than requested
(``1e-6`` relative) so that rounding at the circle's edge on the server can
never lose a pair that :func:`cone_join` keeps.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Mapping, Sequence

from astropy.table import Table

from xrbvo.core.errors import InputError
from xrbvo.io import read_table, standardise_xray
from xrbvo.core.surveys import ALL_SECONDARY, Survey, get_survey
from xrbvo.vo.tap import JoinSpec, PullCancelled, TapClient, resolve_service
from xrbvo.stages.neighbourhoods.base import Progress, Provider, cone_join, standardise_catalogue

__all__ = ["TapProvider", "tap_neighbourhoods", "survey_columns"]

_MARGIN = 1e-6


def survey_columns(survey: Survey) -> tuple[list[str], JoinSpec | None]:
    """Native columns to select from the survey table, and the join for the others.

    Parameters
    ----------
    survey : Survey
        A survey of the registry (:mod:`xrbvo.core.surveys`) or its name.

    Returns
    -------
    tuple[list[str], JoinSpec | None]
        The native columns, and the join to another table for the rest (None when one table has them
        all).
    """
    join = None
    joined: set[str] = set()
    if survey.tap_join is not None:
        join = JoinSpec(survey.tap_join.table, survey.tap_join.key, tuple(survey.tap_join.columns))
        joined = set(join.columns)
    cols: list[str] = []
    for c in [survey.id_column, survey.ra_column, survey.dec_column, survey.error.column,
              survey.error.column2, *survey.columns.values()]:
        if c and c not in joined and c not in cols:
            cols.append(c)
    return cols, join


class TapProvider(Provider):
    """Serve neighbourhoods from TAP services.

    Parameters
    ----------
    url : str, optional
        One TAP service (URL or name) that serves every survey, e.g. a mirror
        or xrbvo's local DaCHS; tables are found under the survey's ``table``
        or its ``tap_aliases``.  Default: each survey's own service.
    tables : mapping, optional
        Survey name -> table name, overriding the registry.
    deadline_s : float, optional
        Seconds each pull may take (one survey's neighbourhoods, with all its
        requests and retries); past it a ServiceError names the service.
    cache, refresh, maxrec, max_in_flight, retries, mode, upload, **client_options
        Passed to :class:`~xrbvo.vo.tap.TapClient`.
    """

    name = "tap"

    def __init__(self, url: str | None = None, *, tables: Mapping[str, str] | None = None,
                 cache: str | Path | bool | None = None, refresh: bool = False, maxrec: int | None = None,
                 max_in_flight: int = 4, retries: int = 5, mode: str = "auto", upload: str | bool = "auto",
                 deadline_s: float | None = None, **client_options):
        self.url = resolve_service(url) if url else None
        self.tables = {get_survey(k).name: v for k, v in (tables or {}).items()}
        self.client_options = dict(cache=cache, refresh=refresh, maxrec=maxrec, max_in_flight=max_in_flight,
                                   retries=retries, mode=mode, upload=upload, deadline_s=deadline_s,
                                   **client_options)
        self._clients: dict[str, TapClient] = {}
        self._resolved: dict[str, str] = {}

    def client(self, survey: str | Survey) -> TapClient:
        """The :class:`TapClient` of the service serving ``survey``."""
        s = survey if isinstance(survey, Survey) else get_survey(survey)
        url = self.url or s.tap_url
        if url not in self._clients:
            self._clients[url] = TapClient(url, **self.client_options)
        return self._clients[url]

    def table_for(self, survey: str | Survey) -> str:
        """The table serving ``survey`` at its service (checked against TAP_SCHEMA once)."""
        s = survey if isinstance(survey, Survey) else get_survey(survey)
        if s.name not in self._resolved:
            candidates = [self.tables[s.name]] if s.name in self.tables else [s.table, *s.tap_aliases]
            self._resolved[s.name] = self.client(s).find_table(*candidates)
            if s.tap_join is not None:
                self.client(s).find_table(s.tap_join.table)
        return self._resolved[s.name]

    def validate(self, surveys: Sequence[str]) -> None:
        """Check every survey is known, its service answers and has its table.

        Each service gets one cheap request, not retried (:meth:`TapClient.probe`,
        once per provider), so that an unreachable service or a host name that does
        not resolve is one :class:`~xrbvo.core.errors.ServiceError` at once, before
        any long work; then one metadata query per service (cached).
        """
        try:
            self._validate(surveys)
        finally:
            self.close()

    def _validate(self, surveys: Sequence[str]) -> None:
        found = []
        for name in surveys:
            s = get_survey(name)
            if s.kind != "secondary":
                raise InputError(f"{s.name} is not a counterpart survey; neighbourhoods come from "
                                 f"{', '.join(ALL_SECONDARY)}")
            found.append(s)
        for s in found:
            self.client(s).probe()
        for s in found:
            self.table_for(s)

    @property
    def stats(self):
        """:class:`~xrbvo.vo.tap.TapStats` of every client, keyed by service URL."""
        return {u: c.stats for u, c in self._clients.items()}

    def neighbourhoods(self, xray: Table, radius_arcsec: float, surveys: Sequence[str], *,
                       progress: Progress | None = None, cancel: threading.Event | None = None
                       ) -> dict[str, Table]:
        """The surveys' neighbourhoods, pulled concurrently (one thread per survey; a service's requests
        in flight stay bounded by its client's ``max_in_flight``).

        The first failure stops the other pulls and is raised (in survey order when several fail);
        a cancel returns the surveys finished before it.
        """
        if not radius_arcsec > 0:
            raise InputError("search radius must be positive (arcsec)")
        self.validate(surveys)
        names = [get_survey(name).name for name in surveys]
        n = max(len(names), 1)
        stop = _Either(cancel)
        done: dict[str, float] = {}
        lock = threading.Lock()

        def report(name: str, msg: str, frac: float) -> None:
            if progress:
                with lock:
                    done[name] = frac
                    total = sum(done.values()) / n
                progress(f"{name}: {msg}", total)

        def pull(name: str) -> Table | None:
            s = get_survey(name)
            if stop.is_set():
                return None
            table = self.table_for(s)
            cols, join = survey_columns(s)
            service_cols = [s.tap_columns.get(c, c) for c in cols]
            try:
                rows = self.client(s).neighbourhood_rows(
                    xray, table, service_cols, s.tap_columns.get(s.ra_column, s.ra_column),
                    s.tap_columns.get(s.dec_column, s.dec_column), radius_arcsec * (1 + _MARGIN),
                    join=join, id_column=s.tap_columns.get(s.id_column, s.id_column),
                    progress=lambda msg, frac: report(s.name, msg, frac), cancel=stop)
            except PullCancelled:
                return None
            except BaseException:
                stop.set()  # the first failure stops the other pulls
                raise
            rows = _native_names(rows, s, cols + list(join.columns if join else ()))
            cat = standardise_catalogue(rows, s, source=f"TAP {self.client(s).url} {table}")
            nb = cone_join(xray, cat, radius_arcsec)
            report(s.name, "neighbourhoods", 1.0)
            return nb

        try:
            if len(names) <= 1:
                got = {name: pull(name) for name in names}
            else:
                with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="xrbvo-tap") as pool:
                    futures = {name: pool.submit(pull, name) for name in names}
                    wait(list(futures.values()))
                errors = [f.exception() for f in futures.values() if f.exception() is not None]
                real = [e for e in errors if not isinstance(e, PullCancelled)]
                if real:
                    raise real[0]
                got = {name: f.result() for name, f in futures.items()}
        finally:
            self.close()
        out: dict[str, Table] = {}
        for name in names:  # survey order; a cancel keeps the surveys finished in order before it
            if got[name] is None:
                break
            out[name] = got[name]
        return out

    def close(self) -> None:
        """Close the clients' HTTP connections (they reopen on demand)."""
        for c in self._clients.values():
            c.close()


class _Either:
    """Set when the caller's cancel event is, or when one survey's pull failed (``set``)."""

    def __init__(self, outer: threading.Event | None):
        self.outer = outer
        self.own = threading.Event()

    def is_set(self) -> bool:
        return self.own.is_set() or (self.outer is not None and self.outer.is_set())

    def set(self) -> None:
        self.own.set()


def _native_names(rows: Table, survey: Survey, natives: Sequence[str]) -> Table:
    """Rename service columns (any case, service names) to the survey's native names."""
    back = {survey.tap_columns.get(c, c).lower(): c for c in natives}
    rename = {}
    for c in rows.colnames:
        native = back.get(c.lower())
        if native is not None and native != c:
            rename[c] = native
    if rename:
        rows = rows.copy(copy_data=False)
        rows.rename_columns(list(rename), list(rename.values()))
    return rows


def tap_neighbourhoods(xray: Table | str | Path, radius_arcsec: float, surveys: Sequence[str], *,
                       url: str | None = None, progress: Progress | None = None,
                       cancel: threading.Event | None = None, **provider_options) -> dict[str, Table]:
    """Neighbourhoods of every source in a table or file from TAP (scripted use).

    Parameters
    ----------
    xray : astropy.table.Table, str or Path
        The X-ray sources (standardised), or their file.
    radius_arcsec : float
        Search radius, arcsec.
    surveys : Sequence[str]
        The surveys to pull.
    url : str, optional
        The TAP service's URL or name.
    progress : Progress, optional
        Progress callback ``(message, fraction)``.
    cancel : threading.Event, optional
        Set it to stop the work (:class:`xrbvo.core.errors.Cancelled` is raised).
    **provider_options
        Options of :class:`TapProvider` (cache, timeouts, ...).

    Returns
    -------
    dict[str, Table]
        Survey -> neighbourhood table.

    Examples
    --------
    >>> nb = tap_neighbourhoods("erass1.fits", 15.0, ["gaia", "2mass"])  # doctest: +SKIP
    """
    if not isinstance(xray, Table):
        xray = read_table(xray)
    if "xid" not in xray.colnames:
        xray = standardise_xray(xray)
    return TapProvider(url, **provider_options).neighbourhoods(xray, radius_arcsec, surveys,
                                                               progress=progress, cancel=cancel)
