"""Neighbourhoods from HATS catalogues through LSDB (``pip install 'xrbvo[scale]'``).

Each survey is a HATS catalogue (a local directory or a URL, e.g. the public
catalogues at https://data.lsdb.io) with a margin cache at least as wide as
the search radius, so that a source near a partition edge loses no neighbour.
The X-ray sources become an LSDB catalogue (:func:`lsdb.from_dataframe`) and
are paired with each survey by :class:`ConeCrossmatch`, LSDB's pluggable
crossmatch with every neighbour within the radius (:func:`cone_pairs`, the
same pairs as the ``local`` provider).  The rows are standardised through the
survey registry (:func:`standardise_catalogue`), so :meth:`LsdbProvider.neighbourhoods`
returns the documented neighbourhood tables, row for row those of
:class:`~xrbvo.stages.neighbourhoods.LocalProvider` on the same catalogue.

For catalogues too large for one machine, :meth:`LsdbProvider.nested` returns
the lazy catalogue of X-ray sources with one nested column of neighbours per
survey; :func:`partition_neighbourhoods` turns one of its partitions into
neighbourhood tables (``xrbvo.workflows.scale`` runs the pipeline per
partition on Dask).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Mapping, Sequence

import lsdb
import numpy as np
import pandas as pd
import pyarrow as pa
from astropy.table import Table
from lsdb.core.crossmatch.abstract_crossmatch_algorithm import AbstractCrossmatchAlgorithm

from xrbvo.core.errors import InputError
from xrbvo.core.surveys import ALL_SECONDARY, Survey, get_survey
from xrbvo.stages.neighbourhoods.base import (Progress, Provider, cone_pairs, neighbourhood_table,
                                              standardise_catalogue)

__all__ = ["ConeCrossmatch", "LsdbProvider", "native_columns", "partition_neighbourhoods", "xray_frame",
           "XRAY_COLUMNS"]

#: Columns of the X-ray catalogue handed to LSDB (prefixed so they never collide with a survey's).
XRAY_COLUMNS = {"xid": "_xrbvo_xid", "ra": "_xrbvo_ra", "dec": "_xrbvo_dec", "row": "_xrbvo_row"}
_SEP = "_sep_arcsec"


class ConeCrossmatch(AbstractCrossmatchAlgorithm):
    """Every right-catalogue row within ``radius_arcsec`` of each left row (an LSDB crossmatch algorithm).

    The pairs and separations are :func:`~xrbvo.stages.neighbourhoods.base.cone_pairs`'s
    (those of the ``local`` provider), ordered by left row, separation, right
    row.  The extra column ``_sep_arcsec`` is the separation.

    Parameters
    ----------
    radius_arcsec : float
        The search radius.  The right catalogue's margin cache must be at
        least this wide (checked by :meth:`validate`).
    require_margin : bool, optional
        Refuse a right catalogue of several partitions without a margin cache
        (default True): sources near a partition edge would lose neighbours.
    """

    extra_columns = pd.DataFrame({_SEP: pd.Series(dtype=pd.ArrowDtype(pa.float64()))})

    def __init__(self, radius_arcsec: float, *, require_margin: bool = True):
        super().__init__()
        self.radius_arcsec = radius_arcsec
        self.require_margin = require_margin

    def validate(self, left, right) -> None:
        """Check the radius and the right catalogue's margin (once, before any partition is read)."""
        super().validate(left, right)
        if not self.radius_arcsec > 0:
            raise InputError(f"search radius must be positive, not {self.radius_arcsec} arcsec")
        name = right.hc_structure.catalog_info.catalog_name
        if right.margin is None:
            if self.require_margin and len(right.get_healpix_pixels()) > 1:
                raise InputError(f"HATS catalogue {name!r} has no margin cache: sources near its partition edges "
                                 f"would lose neighbours; build one at least {self.radius_arcsec:g} arcsec wide "
                                 "(hats_import MarginCacheArguments) and pass it")
        else:
            threshold = right.margin.hc_structure.catalog_info.margin_threshold
            if threshold is not None and threshold < self.radius_arcsec:
                raise InputError(f"the margin cache of {name!r} is {threshold:g} arcsec wide, less than the search "
                                 f"radius {self.radius_arcsec:g} arcsec; rebuild it at least that wide or use a "
                                 "smaller radius")

    def perform_crossmatch(self, crossmatch_args) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Pairs of one aligned pixel: left indices, right indices (partition plus margin), separations."""
        a = crossmatch_args
        li, ri = a.left_catalog_info, a.right_catalog_info
        ix, ic, sep = cone_pairs(_floats(a.left_df[li.ra_column]), _floats(a.left_df[li.dec_column]),
                                 _floats(a.right_df[ri.ra_column]), _floats(a.right_df[ri.dec_column]),
                                 self.radius_arcsec)
        return ix, ic, pd.DataFrame({_SEP: pd.Series(sep, dtype=pd.ArrowDtype(pa.float64()))})


def _floats(col) -> np.ndarray:
    return np.asarray(pd.Series(col).to_numpy(dtype=float, na_value=np.nan), dtype=float)


def native_columns(survey: Survey, available: Sequence[str]) -> list[str]:
    """The survey's registry columns (native names) that a catalogue has: what the provider reads.

    Parameters
    ----------
    survey : Survey
        A survey of the registry (:mod:`xrbvo.core.surveys`) or its name.
    available : Sequence[str]
        The catalogue's column names.

    Returns
    -------
    list[str]
        The survey's registry columns (native names) that a catalogue has: what the provider reads.
    """
    want = [survey.id_column, survey.ra_column, survey.dec_column, survey.error.column, survey.error.column2,
            *survey.columns.values(), *survey.columns]
    if survey.tap_join is not None:
        want += list(survey.tap_join.columns)
    want += ["phot_g_mean_flux_over_error", "phot_g_n_obs", "var_G", "rgeo", "pos_err"]
    have = set(available)
    out: list[str] = []
    for c in want:
        if c and c in have and c not in out:
            out.append(c)
    return out


def xray_frame(xray: Table) -> pd.DataFrame:
    """The X-ray sources as the frame handed to :func:`lsdb.from_dataframe` (xid, ra, dec, input row).

    Parameters
    ----------
    xray : astropy.table.Table
        The X-ray sources in the XRAY schema (:func:`xrbvo.io.standardise_xray`).

    Returns
    -------
    pd.DataFrame
        The X-ray sources as the frame handed to :func:`lsdb.from_dataframe` (xid, ra, dec, input row).
    """
    return pd.DataFrame({XRAY_COLUMNS["xid"]: np.asarray(xray["xid"]).astype(str),
                         XRAY_COLUMNS["ra"]: np.asarray(xray["ra"], float),
                         XRAY_COLUMNS["dec"]: np.asarray(xray["dec"], float),
                         XRAY_COLUMNS["row"]: np.arange(len(xray), dtype=np.int64)})


def _table(df: pd.DataFrame, columns: Sequence[str]) -> Table:
    """Columns of a (pyarrow-typed) frame as an astropy Table with numpy columns (NaN for missing numbers)."""
    t = Table()
    for c in columns:
        s = df[c]
        kind = _kind(s.dtype)
        if kind in "iu" and not s.isna().any():
            t[c] = s.to_numpy(dtype=np.int64)
        elif kind in "iufb":
            t[c] = s.to_numpy(dtype=float, na_value=np.nan)
        else:
            t[c] = np.array([_text(v) for v in s.to_numpy(dtype=object)], dtype=str)
    return t


def _text(value) -> str:
    """One value of a text or binary column as text: bytes (HATS binary columns, e.g. 2MASS designations) are
    decoded as UTF-8, never shown as ``"b'...'"``; a missing value is ``""``."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (bytes, bytearray, memoryview, np.bytes_)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _kind(dtype) -> str:
    """numpy kind of a pandas dtype (``O`` for strings and anything else)."""
    if isinstance(dtype, pd.ArrowDtype):
        dtype = dtype.numpy_dtype
    try:
        return np.dtype(dtype).kind
    except TypeError:
        return "O"


def _pairs_table(df: pd.DataFrame, survey: Survey, natives: Sequence[str], radius_arcsec: float,
                 source: str) -> tuple[Table, np.ndarray]:
    """Standardised neighbourhood rows of crossmatch pairs, in ``cone_join``'s order; and each row's input row."""
    # one row per (X-ray source, neighbour) pair: a neighbour of two sources appears twice, on purpose
    cat = standardise_catalogue(_table(df, natives), survey, source=source, unique_ids=False)
    xrow = df[XRAY_COLUMNS["row"]].to_numpy(dtype=np.int64)
    xid = df[XRAY_COLUMNS["xid"]].to_numpy(dtype=object).astype(str)
    sep = df[_SEP].to_numpy(dtype=float)
    good = np.isfinite(_floats(df[survey.ra_column])) & np.isfinite(_floats(df[survey.dec_column]))
    xrow, xid, sep = xrow[good], xid[good], sep[good]
    # X-ray source (input order), then separation, then identifier: cone_join's order on one catalogue
    order = np.lexsort((np.asarray(cat["nid"]).astype(str), sep, xrow))
    return neighbourhood_table(xid[order], cat[order], sep[order], radius_arcsec), xrow[order]


def partition_neighbourhoods(frame: pd.DataFrame, surveys: Sequence[str], radius_arcsec: float,
                             natives: Mapping[str, Sequence[str]]) -> tuple[Table, dict[str, Table]]:
    """One partition of :meth:`LsdbProvider.nested`: its X-ray rows and neighbourhood tables.

    Parameters
    ----------
    frame : pandas.DataFrame
        The partition: X-ray rows with the survey sources nested in them.
    surveys : Sequence[str]
        The surveys nested in the partition.
    radius_arcsec : float
        Search radius, arcsec.
    natives : Mapping[str, Sequence[str]]
        Survey -> native columns read from its catalogue.

    Returns
    -------
    rows : Table
        ``xid`` and ``row`` (position in the X-ray table given to ``nested``), sorted by ``row``.
    neighbourhoods : dict
        Survey -> neighbourhood table of these sources (the ``local`` provider's schema and order).
    """
    order = np.argsort(frame[XRAY_COLUMNS["row"]].to_numpy(dtype=np.int64), kind="stable")
    rows = Table({"xid": frame[XRAY_COLUMNS["xid"]].to_numpy(dtype=object).astype(str)[order],
                  "row": frame[XRAY_COLUMNS["row"]].to_numpy(dtype=np.int64)[order]})
    out = {}
    for s in surveys:
        sv = get_survey(s)
        flat = _flatten(frame, sv.name)
        out[sv.name] = _pairs_table(flat, sv, natives[sv.name], radius_arcsec, f"HATS {sv.name}")[0]
    return rows, out


def _flatten(frame, column: str) -> pd.DataFrame:
    """The nested column ``column`` as flat rows, each with its X-ray source's xid and row.

    Parents are matched by position (the flat rows come in the parents' order), never by the
    frame's index: that is the HEALPix index of the X-ray position, shared by sources at the same
    position, and a join on it would give each of them the other's neighbours as well.
    """
    nest = frame[column].nest
    flat = nest.to_flat()
    counts = np.asarray(nest.len(), dtype=np.int64)
    if len(counts) != len(frame) or int(counts.sum()) != len(flat):
        raise RuntimeError(f"nested column {column!r}: {int(counts.sum())} nested rows for {len(flat)} flat rows")
    return flat.assign(**{c: np.repeat(frame[c].to_numpy(), counts)
                          for c in (XRAY_COLUMNS["xid"], XRAY_COLUMNS["row"])})


class LsdbProvider(Provider):
    """Serve neighbourhoods from HATS catalogues with LSDB.

    Parameters
    ----------
    catalogs : mapping
        Survey name -> a HATS catalogue: a local path, a URL, or an opened
        :class:`lsdb.Catalog`.  A path's margin cache is taken from
        ``margins``, else from a sibling directory ``<path>_margin`` when one
        exists (hats-import's habit), else LSDB's default for a collection.
    margins : mapping, optional
        Survey name -> path or URL of its margin cache.
    xray_partition_rows : int, optional
        X-ray sources per partition of the X-ray catalogue (:func:`lsdb.from_dataframe`).
    xray_highest_order : int, optional
        Highest HEALPix order of the X-ray catalogue's partitions.
    require_margin : bool, optional
        Refuse a survey catalogue without a margin cache (default True).
    """

    name = "lsdb"

    def __init__(self, catalogs: Mapping[str, str | Path], *, margins: Mapping[str, str | Path] | None = None,
                 xray_partition_rows: int = 5000, xray_highest_order: int = 7, require_margin: bool = True):
        self.catalogs = {get_survey(k).name: v for k, v in catalogs.items()}
        self.margins = {get_survey(k).name: v for k, v in (margins or {}).items()}
        self.xray_partition_rows = xray_partition_rows
        self.xray_highest_order = xray_highest_order
        self.require_margin = require_margin
        self._open: dict[str, object] = {}

    def validate(self, surveys: Sequence[str]) -> None:
        for s in surveys:
            sv = get_survey(s)
            if sv.kind != "secondary":
                raise InputError(f"{sv.name} is not a counterpart survey; neighbourhoods come from "
                                 f"{', '.join(ALL_SECONDARY)}")
            if sv.name not in self.catalogs:
                raise InputError(f"no HATS catalogue given for survey {sv.name}; pass --catalog {sv.name}=PATH_OR_URL")
            self.catalog(sv.name)

    def catalog(self, survey: str):
        """The opened :class:`lsdb.Catalog` of a survey (its registry columns only, with its margin)."""
        name = get_survey(survey).name
        if name not in self._open:
            src = self.catalogs[name]
            if isinstance(src, (str, Path)):
                margin = self.margins.get(name)
                if margin is None and not str(src).startswith(("http://", "https://", "s3://", "gs://")):
                    sib = Path(str(src).rstrip("/") + "_margin")
                    margin = sib if sib.exists() else None
                try:
                    probe = lsdb.open_catalog(src, margin_cache=margin) if margin else lsdb.open_catalog(src)
                except TypeError:  # LSDB's answer for a margin cache, an index or another auxiliary dataset
                    err = _auxiliary_error(src, name)
                    if err is None:
                        raise
                    raise err from None
                except (OSError, ValueError, FileNotFoundError) as exc:
                    raise InputError(f"{src}: cannot open the HATS catalogue of {name} ({exc}); give the "
                                     "catalogue's directory or URL") from exc
                if getattr(probe.hc_structure.catalog_info, "catalog_type", "object") not in ("object", "source"):
                    err = _auxiliary_error(src, name)
                    if err is not None:
                        raise err
                cols = native_columns(get_survey(name), probe.all_columns)
                if len(cols) < 3:
                    raise InputError(f"{src}: the HATS catalogue has none of {name}'s registry columns "
                                     f"({get_survey(name).id_column}, {get_survey(name).ra_column}, ...)")
                cat = probe[cols] if set(cols) != set(probe.columns) else probe
            else:
                cat = src
            self._open[name] = cat
        return self._open[name]

    def xray_catalog(self, xray: Table):
        """The X-ray sources as an LSDB catalogue (no margin needed: they are the left side)."""
        df = xray_frame(xray)
        return lsdb.from_dataframe(df, ra_column=XRAY_COLUMNS["ra"], dec_column=XRAY_COLUMNS["dec"],
                                   catalog_name="xray", highest_order=self.xray_highest_order,
                                   partition_rows=self.xray_partition_rows, margin_threshold=None)

    def natives(self, surveys: Sequence[str]) -> dict[str, list[str]]:
        """Survey -> the native columns read from its catalogue (id, ra, dec first)."""
        out = {}
        for s in surveys:
            sv = get_survey(s)
            out[sv.name] = _front(sv, list(self.catalog(sv.name).columns))
        return out

    def nested(self, xray: Table, radius_arcsec: float, surveys: Sequence[str]):
        """The lazy catalogue of X-ray sources with one nested column of neighbours per survey.

        Every X-ray source appears once (left crossmatches), in the partition
        of its own position; its neighbours come from the survey's partitions
        and their margins.
        """
        self.validate(surveys)
        cat = self.xray_catalog(xray)
        for s in surveys:
            name = get_survey(s).name
            cat = cat.crossmatch_nested(self.catalog(name), algorithm=ConeCrossmatch(
                radius_arcsec, require_margin=self.require_margin), nested_column_name=name, how="left")
        return cat

    def neighbourhoods(self, xray: Table, radius_arcsec: float, surveys: Sequence[str], *,
                       progress: Progress | None = None, cancel: threading.Event | None = None
                       ) -> dict[str, Table]:
        if not radius_arcsec > 0:
            raise InputError("search radius must be positive (arcsec)")
        self.validate(surveys)
        xcat = self.xray_catalog(xray)
        out = {}
        for i, s in enumerate(surveys):
            sv = get_survey(s)
            if cancel is not None and cancel.is_set():
                break
            right = self.catalog(sv.name)
            pairs = xcat.crossmatch(right, algorithm=ConeCrossmatch(radius_arcsec, require_margin=self.require_margin),
                                    suffixes=("", ""), suffix_method="overlapping_columns", log_changes=False)
            df = pairs.compute(progress_bar=False)
            out[sv.name] = _pairs_table(df, sv, _front(sv, list(right.columns)), radius_arcsec,
                                        f"HATS {self.catalogs[sv.name]}")[0]
            if progress:
                progress(f"neighbourhoods: {sv.name}", (i + 1) / len(surveys))
        return out


def _auxiliary_error(src, survey: str) -> InputError | None:
    """The one-line error for ``src`` when it is a HATS margin cache (or another dataset that is not a catalogue of
    sources), naming what it is and what to give instead; None when it is not one."""
    import hats

    try:
        info = hats.read_hats(src).catalog_info
    except Exception:  # noqa: BLE001 - unreadable properties: the caller reports the original failure
        return None
    kind = str(getattr(info, "catalog_type", "") or "")
    if kind in ("object", "source", ""):
        return None
    primary = getattr(info, "primary_catalog", None)
    if primary and not str(src).startswith(("http://", "https://", "s3://", "gs://")):
        here = Path(str(src).rstrip("/"))
        primary = str(here.parent / primary) if not Path(primary).is_absolute() else primary
        if (here.parent / "collection.properties").exists():
            primary = str(here.parent)  # the collection: LSDB opens its catalogue with its default margin
    give = f"--catalog {survey}={primary or 'PATH_OF_THE_CATALOGUE'}"
    if kind == "margin":
        return InputError(f"{src}: is a HATS margin catalogue (a {info.margin_threshold:g}-arcsec margin cache), not "
                          f"a catalogue of sources; give the catalogue itself: {give} (its margin is found beside it)")
    return InputError(f"{src}: is a HATS {kind} dataset, not a catalogue of sources; give the {survey} catalogue "
                      f"itself: {give}")


def _front(survey: Survey, cols: Sequence[str]) -> list[str]:
    """``cols`` with the id, ra and dec columns first."""
    lead = [c for c in (survey.id_column, survey.ra_column, survey.dec_column) if c in cols]
    return lead + [c for c in cols if c not in lead]
