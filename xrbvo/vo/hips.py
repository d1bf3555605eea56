"""Sky images under the finding charts: cutouts of a HiPS (Hierarchical Progressive Survey) on a chart's WCS.

A survey is named in one of two ways (:func:`parse_images`):

- a CDS HiPS identifier (``CDS/P/DSS2/red``, or a short name of :data:`ALIASES`): the cutout is made by the
  CDS hips2fits service through :mod:`astroquery.hips2fits`;
- a HiPS of one's own: a directory, a ``file://`` URL or an ``http(s)://`` URL holding a ``properties`` file and
  FITS (or PNG/JPEG) tiles ``NorderK/DirD/NpixN.fits``; it is read here (:class:`HipsTiles`).  reproject, the
  maintained library that writes a HiPS (``reproject_to_hips``), cannot read one into a cutout (its
  ``reproject_from_hips`` raises ``NotImplementedError`` in 0.21, the newest release), so the reader is a few
  lines on top of astropy-healpix: each output pixel's sky position gives its HEALPix NESTED cell at the tile
  order plus ``log2(tile width)``, whose high bits name the tile and whose low bits, de-interleaved, give the
  pixel in the tile (HiPS 1.0: row ``W - 1 - x``, column ``y`` of the FITS array, rows reversed in PNG/JPEG).

:func:`fetch_cutouts` fetches one cutout per candidate and survey concurrently (a thread pool) under one overall
deadline, keeps each as a FITS file (written atomically) and uses that file instead of the network the next time.
A survey that cannot be reached, answers too slowly or is not a HiPS is given up for the rest of the run and said
once (:attr:`CutoutResult.problems`); the charts then fall back to the catalogues alone.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from xrbvo.core.defaults import IMAGES_DEADLINE_S
from xrbvo.core.errors import InputError, ServiceError
from xrbvo.io.outputs import atomic_write_bytes

__all__ = ["ALIASES", "DEFAULT_DEADLINE_S", "HIPS2FITS", "DEFAULT_TIMEOUT_S", "Cutout", "CutoutJob", "CutoutResult", "HipsTiles",
           "auto_images", "fetch_cutouts", "parse_images", "survey_label", "tile_pixel"]

#: Short names accepted by ``--images`` -> CDS HiPS identifier (FITS tiles, so values, not colours).
ALIASES: dict[str, str] = {"dss2": "CDS/P/DSS2/red", "panstarrs": "CDS/P/PanSTARRS/DR1/r", "2mass": "CDS/P/2MASS/K"}

#: Seconds the whole set of cutouts may take (then the remaining charts are drawn without images).
DEFAULT_DEADLINE_S = IMAGES_DEADLINE_S
#: Seconds one request may take.
DEFAULT_TIMEOUT_S = 15.0

_HIPS_ID = re.compile(r"^[A-Za-z0-9_.-]+/P/[A-Za-z0-9_./+-]+$")


def parse_images(spec: str) -> tuple[str, ...] | None:
    """The surveys ``--images`` names: () for ``none``, None for ``auto`` (chosen per sight line).

    Parameters
    ----------
    spec : str
        ``none``, ``auto`` or a comma-separated list of surveys: a short name (:data:`ALIASES`), a CDS HiPS
        identifier (``CDS/P/2MASS/K``), a HiPS directory, or a ``file://``, ``http://`` or ``https://`` URL of one.

    Returns
    -------
    tuple of str or None
        The surveys (identifiers, absolute directories or URLs), () or None.

    Raises
    ------
    InputError
        For a name that is none of these, or a directory without a HiPS ``properties`` file.
    """
    s = spec.strip()
    if s.lower() in ("none", ""):
        return ()
    if s.lower() == "auto":
        return None
    out = []
    for item in (t.strip() for t in s.split(",")):
        if not item:
            continue
        if item.lower() in ALIASES:
            out.append(ALIASES[item.lower()])
        elif re.match(r"^(https?|file)://", item, re.I):
            out.append(item.rstrip("/"))
        elif Path(item).expanduser().is_dir():
            d = Path(item).expanduser().resolve()
            if not (d / "properties").is_file():
                raise InputError(f"--images {item}: that directory holds no HiPS (no 'properties' file); give a "
                                 "HiPS directory, a HiPS URL, a CDS HiPS id such as CDS/P/DSS2/red, or none")
            out.append(str(d))
        elif _HIPS_ID.match(item):
            out.append(item)
        else:
            raise InputError(f"--images {item}: not a survey: give none, auto, {', '.join(ALIASES)}, a CDS HiPS id "
                             "such as CDS/P/DSS2/red, a HiPS directory or its http:// or file:// URL")
    if not out:
        raise InputError("--images names no survey; give none, auto or e.g. dss2,2mass")
    return tuple(dict.fromkeys(out))


def auto_images(dec_deg: float, b_deg: float) -> tuple[str, ...]:
    """One optical and one infrared survey suited to a sight line, the one drawn under the chart first.

    Pan-STARRS DR1 r north of declination -30 deg (its limit), DSS2 red elsewhere; 2MASS K everywhere (all-sky).
    Within 5 deg of the Galactic plane, where dust hides the optical counterparts, the infrared comes first.

    Parameters
    ----------
    dec_deg : float
        Declination (deg).
    b_deg : float
        Galactic latitude (deg).

    Returns
    -------
    tuple of str
        Two CDS HiPS identifiers.
    """
    optical = ALIASES["panstarrs"] if dec_deg > -29.5 else ALIASES["dss2"]
    infrared = ALIASES["2mass"]
    return (infrared, optical) if math.isfinite(b_deg) and abs(b_deg) < 5.0 else (optical, infrared)


def survey_label(survey: str) -> str:
    """A short name for a survey.

    Parameters
    ----------
    survey : str
        A CDS HiPS id, a HiPS directory or URL.

    Returns
    -------
    str
        The id without ``CDS/P/``, or ``HiPS`` and the last part of the directory or URL.

    >>> survey_label("CDS/P/2MASS/K"), survey_label("http://127.0.0.1:8000/dss/")
    ('2MASS/K', 'HiPS dss')
    """
    if _is_local(survey):
        return "HiPS " + survey.rstrip("/").rsplit("/", 1)[-1]
    return survey[6:] if survey.startswith("CDS/P/") else survey


def _is_local(survey: str) -> bool:
    return survey.startswith("/") or re.match(r"^(https?|file)://", survey, re.I) is not None


def _deinterleave(i: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Split NESTED sub-indices into (x, y): x from the even bits, y from the odd bits."""
    x = np.zeros_like(i)
    y = np.zeros_like(i)
    for b in range(bits):
        x |= ((i >> (2 * b)) & 1) << b
        y |= ((i >> (2 * b + 1)) & 1) << b
    return x, y


def tile_pixel(lon_deg, lat_deg, order: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The HiPS tile and the pixel (row, column of its FITS array) that hold each sky position.

    Parameters
    ----------
    lon_deg, lat_deg : array_like
        Positions in the HiPS's frame (deg).
    order : int
        Tile order.
    width : int
        Tile width in pixels (a power of two).

    Returns
    -------
    tuple of numpy.ndarray
        Tile index (NESTED, at ``order``), row and column.
    """
    from astropy import units as u
    from astropy_healpix import lonlat_to_healpix

    bits = int(round(math.log2(width)))
    p = lonlat_to_healpix(np.asarray(lon_deg, float) * u.deg, np.asarray(lat_deg, float) * u.deg,
                          2 ** (order + bits), order="nested").astype(np.int64)
    tile = p >> (2 * bits)
    x, y = _deinterleave(p & (width * width - 1), bits)
    return tile, width - 1 - x, y


def _parse_properties(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


class HipsTiles:
    """A HiPS of one's own (directory, ``file://`` or ``http(s)://``) read tile by tile into cutouts.

    Parameters
    ----------
    base : str
        The HiPS directory or URL (holding ``properties``).
    timeout_s : float
        Seconds one request may take.
    deadline : float, optional
        :func:`time.monotonic` time by which its ``properties`` must have come (default: ``timeout_s`` from now).

    Raises
    ------
    ServiceError
        When the HiPS cannot be reached, answers too slowly, or is not a HiPS.
    """

    def __init__(self, base: str, timeout_s: float = DEFAULT_TIMEOUT_S, deadline: float | None = None) -> None:
        self.base = base.rstrip("/")
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._tiles: dict[tuple[int, int], np.ndarray | None] = {}
        raw = self._get("properties", time.monotonic() + timeout_s if deadline is None else deadline)
        if raw is None:
            raise ServiceError(f"{base}: not a HiPS (no properties file)")
        props = _parse_properties(raw.decode("utf-8", "replace"))
        try:
            self.order = int(props["hips_order"])
            self.order_min = int(props.get("hips_order_min", 0))
            self.width = int(props.get("hips_tile_width", 512))
        except (KeyError, ValueError):
            raise ServiceError(f"{base}: not a HiPS (its properties give no hips_order)") from None
        fmt = props.get("hips_tile_format", "fits").lower().split()
        self.ext = "fits" if "fits" in fmt else "png" if "png" in fmt else "jpg"
        self.galactic = props.get("hips_frame", "equatorial").lower().startswith("gal")
        self.title = props.get("obs_title", "")

    def _get(self, rel: str, deadline: float) -> bytes | None:
        """The bytes of ``rel`` under the HiPS; None when it does not exist (a tile outside the coverage)."""
        left = min(self.timeout_s, deadline - time.monotonic())
        if left <= 0:
            raise ServiceError(f"{self.base}: too slow (no answer before the deadline)")
        if re.match(r"^https?://", self.base, re.I):
            try:
                with urllib.request.urlopen(f"{self.base}/{rel}", timeout=left) as r:
                    return r.read()
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                raise ServiceError(f"{self.base}: HTTP {exc.code} ({exc.reason})") from None
            except TimeoutError:
                raise ServiceError(f"{self.base}: too slow (no answer within {left:.3g} s)") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                    raise ServiceError(f"{self.base}: too slow (no answer within {left:.3g} s)") from None
                raise ServiceError(f"{self.base}: unreachable ({reason})") from None
        root = (Path(urllib.request.url2pathname(urllib.parse.urlparse(self.base).path))
                if self.base.lower().startswith("file://") else Path(self.base))
        try:
            return (root / rel).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ServiceError(f"{self.base}: unreadable ({exc.strerror or exc})") from None

    def tile(self, order: int, npix: int, deadline: float) -> np.ndarray | None:
        """Tile ``npix`` of ``order`` as a float array (FITS orientation); None outside the survey."""
        key = (order, npix)
        with self._lock:
            if key in self._tiles:
                return self._tiles[key]
        raw = self._get(f"Norder{order}/Dir{(npix // 10000) * 10000}/Npix{npix}.{self.ext}", deadline)
        data = None
        if raw is not None:
            try:
                if self.ext == "fits":
                    from astropy.io import fits

                    with fits.open(io.BytesIO(raw)) as h:
                        data = np.asarray(h[0].data, float)
                else:
                    from PIL import Image

                    data = np.flipud(np.asarray(Image.open(io.BytesIO(raw)).convert("L"), float))
            except (OSError, ValueError, TypeError):
                raise ServiceError(f"{self.base}: tile Norder{order}/Npix{npix} is not a readable image") from None
            if data.ndim != 2 or data.shape != (self.width, self.width):
                raise ServiceError(f"{self.base}: tile Norder{order}/Npix{npix} is not {self.width} pixels square")
        with self._lock:
            self._tiles[key] = data
        return data

    def order_for(self, scale_deg: float) -> int:
        """The tile order whose pixels are no coarser than ``scale_deg`` (within the HiPS's orders)."""
        bits = math.log2(self.width)
        need = math.ceil(math.log2(math.degrees(math.sqrt(math.pi / 3.0)) / scale_deg) - bits)
        return int(min(max(need, self.order_min), self.order))

    def cutout(self, wcs, deadline: float) -> np.ndarray:
        """The HiPS on ``wcs``'s pixel grid (nearest HiPS pixel; NaN where the survey has no data).

        Parameters
        ----------
        wcs : astropy.wcs.WCS
            A celestial WCS with ``pixel_shape`` (ICRS).
        deadline : float
            :func:`time.monotonic` time by which every tile must have come.

        Returns
        -------
        numpy.ndarray
            The image, ``(ny, nx)``.
        """
        nx, ny = wcs.pixel_shape
        yy, xx = np.mgrid[0:ny, 0:nx]
        lon, lat = wcs.pixel_to_world_values(xx.ravel(), yy.ravel())
        if self.galactic:
            from astropy import units as u
            from astropy.coordinates import SkyCoord

            g = SkyCoord(lon * u.deg, lat * u.deg, frame="icrs").galactic
            lon, lat = g.l.deg, g.b.deg
        from astropy.wcs.utils import proj_plane_pixel_scales

        order = self.order_for(float(np.min(np.abs(proj_plane_pixel_scales(wcs)))))  # deg (CUNIT deg)
        tile, row, col = tile_pixel(lon, lat, order, self.width)
        out = np.full(tile.shape, np.nan)
        for t in np.unique(tile):
            data = self.tile(order, int(t), deadline)
            if data is not None:
                m = tile == t
                out[m] = data[row[m], col[m]]
        return out.reshape(ny, nx)


@dataclass(frozen=True)
class CutoutJob:
    """One cutout to make.

    Parameters
    ----------
    key : str
        The candidate (its ``xid``).
    survey : str
        The survey (:func:`parse_images`).
    wcs : astropy.wcs.WCS
        The chart's WCS, with ``pixel_shape``.
    path : Path
        The FITS file that keeps the cutout.
    """

    key: str
    survey: str
    wcs: object
    path: Path


@dataclass(frozen=True)
class Cutout:
    """A cutout made (or read back from its file).

    Parameters
    ----------
    key : str
        The candidate.
    survey : str
        The survey.
    data : numpy.ndarray
        The image on the chart's pixel grid (NaN where the survey has no data).
    path : Path
        Its FITS file.
    cached : bool
        True when read back from that file (no request made).
    """

    key: str
    survey: str
    data: np.ndarray
    path: Path
    cached: bool

    @property
    def blank(self) -> bool:
        """True when the survey has no data anywhere in the cutout."""
        return not bool(np.isfinite(self.data).any())


@dataclass
class CutoutResult:
    """What :func:`fetch_cutouts` made.

    Parameters
    ----------
    cutouts : dict
        Key -> survey -> :class:`Cutout`.
    problems : dict
        Survey (or :data:`HIPS2FITS` for every CDS survey) -> why it gave no images (one sentence each).
    """

    cutouts: dict[str, dict[str, Cutout]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def _job_key(job: CutoutJob) -> str:
    w = job.wcs
    text = (f"{job.survey}|{w.wcs.crval[0]:.9f}|{w.wcs.crval[1]:.9f}|{w.wcs.cdelt[0]:.6e}|{w.wcs.cdelt[1]:.6e}|"
            f"{tuple(w.pixel_shape)}")
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _read_cached(job: CutoutJob) -> np.ndarray | None:
    from astropy.io import fits

    try:
        with fits.open(job.path) as h:
            if h[0].header.get("XRBCUTK") != _job_key(job):
                return None
            return np.asarray(h[0].data, float)
    except (OSError, ValueError, IndexError, TypeError):
        return None


def _write_cached(job: CutoutJob, data: np.ndarray) -> None:
    from astropy.io import fits

    header = job.wcs.to_header()
    header["HIPS"] = job.survey  # the HiPS the cutout was cut from (no comment: a long URL continues)
    header["XRBCUTK"] = (_job_key(job), "xrbvo cutout key (survey, centre, scale, size)")
    header["ORIGIN"] = "xrbvo finding chart"
    buf = io.BytesIO()
    fits.PrimaryHDU(np.asarray(data, np.float32), header=header).writeto(buf)
    job.path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(job.path, buf.getvalue())


#: The name under which the CDS hips2fits service's problems are said (one for every CDS survey).
HIPS2FITS = "the CDS hips2fits service"


class _NoCutout(ServiceError):
    """The service answered but made no cutout of this survey (other surveys of the same service may still work)."""


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception under ``exc`` (requests -> urllib3 -> socket)."""
    seen = [exc]
    while len(seen) < 12:
        x = seen[-1]
        reason = getattr(x, "reason", None)
        nxt = reason if isinstance(reason, BaseException) else (
            x.args[0] if x.args and isinstance(x.args[0], BaseException) else x.__cause__ or x.__context__)
        if nxt is None or nxt in seen:
            break
        seen.append(nxt)
    return seen[-1]


def _hips2fits(survey: str, wcs, deadline: float, timeout_s: float) -> np.ndarray:
    """A cutout of a CDS HiPS made by the CDS hips2fits service (astroquery)."""
    left = min(timeout_s, deadline - time.monotonic())
    if left <= 0:
        raise ServiceError(f"{HIPS2FITS}: too slow (no answer before the deadline)")
    import requests
    from astroquery.hips2fits import hips2fitsClass

    q = hips2fitsClass()
    q.timeout = left
    host = urllib.parse.urlparse(str(q.server)).hostname or str(q.server)
    try:
        hdul = q.query_with_wcs(hips=survey, wcs=wcs, format="fits")
        data = np.asarray(hdul[0].data, float)
    except requests.exceptions.Timeout:
        raise ServiceError(f"{HIPS2FITS}: too slow (no answer within {left:.3g} s)") from None
    except requests.exceptions.ConnectionError as exc:
        raise ServiceError(f"{HIPS2FITS} is unreachable ({host}: {_root_cause(exc)})") from None
    except Exception as exc:  # HTTP errors, a refused survey id, a reply that is not FITS: the chart goes without
        text = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        raise _NoCutout(f"{HIPS2FITS} gave no cutout of {survey} ({text})") from None
    if data.ndim == 3:  # a colour survey: its planes averaged
        data = data.mean(axis=0)
    if data.shape != tuple(wcs.pixel_shape)[::-1]:
        raise _NoCutout(f"{HIPS2FITS} gave a {data.shape} image of {survey}, not the chart's "
                        f"{tuple(wcs.pixel_shape)[::-1]}")
    return data


def fetch_cutouts(jobs: Sequence[CutoutJob], *, deadline_s: float = DEFAULT_DEADLINE_S,
                  timeout_s: float = DEFAULT_TIMEOUT_S, workers: int = 4,
                  cancel: threading.Event | None = None) -> CutoutResult:
    """Make every cutout of ``jobs`` (or read it back from its file), concurrently, within ``deadline_s``.

    A cutout's FITS file is used when it was made for the same survey, centre, scale and size; a new one is
    written atomically.  A survey that fails once (unreachable, too slow, not a HiPS) is given up for the
    remaining jobs; jobs not done by the deadline are dropped.

    Parameters
    ----------
    jobs : sequence of CutoutJob
        The cutouts.
    deadline_s : float, optional
        Seconds all of them may take.
    timeout_s : float, optional
        Seconds one request may take.
    workers : int, optional
        Threads.
    cancel : threading.Event, optional
        Set to stop starting new cutouts.

    Returns
    -------
    CutoutResult
        The cutouts made and, per survey that gave none, why.
    """
    result = CutoutResult()
    deadline = time.monotonic() + deadline_s
    lock = threading.Lock()
    readers: dict[str, HipsTiles] = {}

    def reader(survey: str) -> HipsTiles:
        with lock:
            if survey in readers:
                return readers[survey]
        r = HipsTiles(survey, timeout_s, deadline)
        with lock:
            return readers.setdefault(survey, r)

    def one(job: CutoutJob) -> None:
        where = job.survey if _is_local(job.survey) else HIPS2FITS  # one remote service serves every CDS survey
        with lock:
            if where in result.problems:
                return
        if cancel is not None and cancel.is_set():
            return
        data = _read_cached(job) if job.path.is_file() else None
        cached = data is not None
        if data is None:
            try:
                if _is_local(job.survey):
                    data = reader(job.survey).cutout(job.wcs, deadline)
                else:
                    data = _hips2fits(job.survey, job.wcs, deadline, timeout_s)
            except ServiceError as exc:
                with lock:
                    result.problems.setdefault(job.survey if isinstance(exc, _NoCutout) else where, str(exc))
                return
            try:
                _write_cached(job, data)
            except OSError:
                pass  # the chart still gets its image; only the cache is lost
        with lock:
            result.cutouts.setdefault(job.key, {})[job.survey] = Cutout(job.key, job.survey, data, job.path, cached)

    if not jobs:
        return result
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="xrbvo-hips")
    try:
        futures = [pool.submit(one, j) for j in jobs]
        pending = set(futures)
        while pending and time.monotonic() < deadline and not (cancel is not None and cancel.is_set()):
            _, pending = wait(pending, timeout=min(0.25, max(deadline - time.monotonic(), 0.0)))
        done = [f for f in futures if f not in pending]
        for f in done:
            f.result()  # a bug in `one` is raised, not hidden
        if pending and not (cancel is not None and cancel.is_set()):
            late = {j.survey if _is_local(j.survey) else HIPS2FITS for j, f in zip(jobs, futures) if f in pending}
            with lock:
                for s in late:
                    result.problems.setdefault(s, f"{s}: too slow (not all cutouts within "
                                                  f"{deadline_s:g} s)")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    with lock:
        return CutoutResult({k: dict(v) for k, v in result.cutouts.items()}, dict(result.problems))
