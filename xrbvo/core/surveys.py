"""The registry of surveys: where each catalogue lives and how to read it.

Each :class:`Survey` is plain data: the TAP service and table it lives in, the
native names of the columns xrbvo uses (mapped onto the standard names of
:mod:`xrbvo.core.schema`), their units, the epoch of the positions, the bands and
their depths, and the positional-error model.  Later stages never spell a
native column name themselves; they ask the registry.

Sources of the facts are given per survey.  Depths are the limits the
simulated sky uses; they are typical values, not per-field completeness.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from xrbvo.core.errors import UnknownSurveyError

__all__ = [
    "CONFUSION_LOSS_MAG",
    "limiting_magnitudes",
    "ErrorModel",
    "TapJoin",
    "Survey",
    "SURVEYS",
    "SECONDARY_SURVEYS",
    "get_survey",
    "guess_survey",
    "BAND_FEATURES",
    "ALL_SECONDARY",
    "DEFAULT_XRAY_SURVEY",
    "PHOT_FROM",
    "SURVEY_FEATURES",
    "SIZE_BAND",
    "SURVEY_STYLE",
    "SURVEY_SYMBOLS",
    "SURVEY_BANDS",
    "LINK_RADIUS_ARCSEC",
    "BY_ASTROMETRY",
    "COMPLETENESS",
    "MAG_PRIOR_BANDS",
]

GAIA_TAP = "https://gea.esac.esa.int/tap-server/tap"
VIZIER_TAP = "https://tapvizier.cds.unistra.fr/TAPVizieR/tap"


@dataclass(frozen=True)
class ErrorModel:
    """How a survey's native positional error becomes xrbvo's 1-sigma error.

    The result is ``sqrt((scale * err)**2 + floor_arcsec**2)`` in arcsec per
    coordinate, where ``err`` is the native error converted to arcsec.

    Parameters
    ----------
    column : str | None
        Native error column (None: ``default_arcsec`` for every source).
    unit : str, optional
        Unit of the native error column (``arcsec`` or ``mas``).
    combine : str, optional
        ``single``: one per-coordinate error; ``mean2``: the RMS of two columns ``column`` and
        ``column2``; ``semi_major``: an error ellipse's semi-major axis used as a circular error
        (conservative).
    column2 : str, optional
        Second native column for ``combine='mean2'``.
    scale : float, optional
        Multiplicative correction of the native error.
    floor_arcsec : float, optional
        Systematic error added in quadrature, arcsec.
    default_arcsec : float, optional
        Error used when the column is absent or a value is missing.
    """

    column: str | None
    """Native error column (None: ``default_arcsec`` for every source)."""
    unit: str = "arcsec"
    """Unit of the native error column (``arcsec`` or ``mas``)."""
    combine: str = "single"
    """``single``: one per-coordinate error; ``mean2``: the RMS of two columns
    ``column`` and ``column2``; ``semi_major``: an error ellipse's semi-major
    axis used as a circular error (conservative)."""
    column2: str | None = None
    """Second native column for ``combine='mean2'``."""
    scale: float = 1.0
    """Multiplicative correction of the native error."""
    floor_arcsec: float = 0.0
    """Systematic error added in quadrature, arcsec."""
    default_arcsec: float = 0.1
    """Error used when the column is absent or a value is missing."""

    def apply(self, native: np.ndarray | None, native2: np.ndarray | None = None) -> np.ndarray:
        """Return the 1-sigma per-coordinate error in arcsec."""
        if native is None:
            err = np.array(self.default_arcsec, dtype=float)
        else:
            err = np.asarray(native, dtype=float)
            if self.combine == "mean2" and native2 is not None:
                err = np.sqrt(0.5 * (err**2 + np.asarray(native2, dtype=float) ** 2))
            if self.unit == "mas":
                err = err / 1000.0
            err = np.where(np.isfinite(err) & (err > 0), err, self.default_arcsec)
        return np.sqrt((self.scale * err) ** 2 + self.floor_arcsec**2)


@dataclass(frozen=True)
class TapJoin:
    """A table joined by key at the TAP service for columns the survey table lacks.

    Parameters
    ----------
    table : str
        Qualified table name at the service (e.g. ``external.gaiaedr3_distance``).
    key : str
        Column both tables share (e.g. ``source_id``).
    columns : tuple[str, ...]
        Native columns taken from the joined table.
    """

    table: str
    """Qualified table name at the service (e.g. ``external.gaiaedr3_distance``)."""
    key: str
    """Column both tables share (e.g. ``source_id``)."""
    columns: tuple[str, ...]
    """Native columns taken from the joined table."""


@dataclass(frozen=True)
class Survey:
    """A catalogue xrbvo can read: its service, table, columns and error model.

    Parameters
    ----------
    name : str
        Short registry name used on the command line (``gaia``, ``2mass``...).
    title : str
        Human-readable name with its reference.
    kind : str
        ``xray`` for the primary catalogue, ``secondary`` for counterpart surveys.
    tap_url : str
        TAP service that serves the table.
    table : str
        Fully qualified table name at that service (ADQL-quoted where needed).
    id_column : str
        Native name of the source identifier.
    ra_column : str
        Name of the right-ascension column (degrees) in the service's table.
    dec_column : str
        Name of the declination column (degrees) in the service's table.
    error : ErrorModel
        Positional error model.
    epoch : float
        Epoch of the positions (Julian year); per-source epochs are ignored.
    columns : dict[str, str], optional
        Standard name (see :data:`xrbvo.core.schema.PHOTOMETRY` / ``XRAY``) -> native name.
    column_units : dict[str, str], optional
        Standard name -> unit of the native column when it is not the standard unit.
    tap_columns : dict[str, str], optional
        Native name -> name at ``tap_url`` where the TAP service renames columns.
    depth : dict[str, float], optional
        Standard band -> limiting magnitude (Vega) used by the simulated sky.
    reference : str, optional
        Publication describing the catalogue.
    tap_aliases : tuple[str, ...], optional
        Other names of ``table`` at other TAP services, tried in order when the service lacks ``table``
        (e.g. xrbvo's local DaCHS test server, whose table names must be SQL identifiers:
        ``twomass.psc`` for VizieR's ``"II/246/out"``).
    tap_join : TapJoin, optional
        A table joined on a key for native columns ``table`` does not hold.
    label : str, optional
        Short name in messages (``Gaia``, ``2MASS``...).
    id_aliases : tuple[str, ...], optional
        Other names of the identifier in the tables users bring (VizieR, the archives), tried in order.
    position_aliases : tuple[tuple[str, str], ...], optional
        Other (RA, Dec) column pairs, tried in order after ``ra_column``/``dec_column``.
    error_aliases : tuple[tuple[str, str | None], ...], optional
        Other (column, column2) names of the positional error, in the error model's unit.
    column_aliases : dict[str, tuple[str, ...]], optional
        Standard name -> other native names of that column, tried after :attr:`columns`' name.
    signature : tuple[str, ...], optional
        Columns that say a table is this survey's (:func:`guess_survey`).
    bands : tuple[str, ...], optional
        Standard names of the magnitude columns this survey provides (Vega magnitudes).
    feeds : tuple[str, ...], optional
        Standard columns the classifier's features take from this survey's chosen counterpart.
    extra_features : tuple[str, ...], optional
        Features this survey adds to the classifier's list: a band, or ``"a_b"``, the colour a - b.
    band_specs : tuple[tuple[str, str, str], ...], optional
        (band, UCD, description) of bands not already declared by :data:`xrbvo.core.schema.PHOTOMETRY`.
    link_radius_arcsec : float, optional
        Radius within which a source of this survey is the same object as one of an earlier survey.
    position_rank : int, optional
        Rank of the astrometry (0 best).
    completeness : float, optional
        Prior fraction of X-ray sources with a counterpart in this survey.
    mag_prior_band : str, optional
        Band whose magnitude prior the association learns by default.
    confusion_loss_mag : dict[str, float], optional
        Band -> limiting magnitude lost to confusion at b = 0.
    footprint_gal : tuple[tuple[float, float, float, float], ...], optional
        Galactic boxes (l_min, l_max, b_min, b_max) the survey covers; empty: the whole sky.
    aliases : tuple[str, ...], optional
        Other names :func:`get_survey` accepts.
    opt_in : bool, optional
        A survey a run uses only when asked.
    symbol : str, optional
        One-letter symbol on the terminal UI's sky plot.
    marker : str, optional
        Matplotlib marker on a finding chart.
    colour : str, optional
        Matplotlib colour on a finding chart.
    filled : bool, optional
        Whether the finding chart's markers are filled.
    size_band : str, optional
        Band whose magnitude sizes the markers on a finding chart.
    """

    name: str
    """Short registry name used on the command line (``gaia``, ``2mass``...)."""
    title: str
    """Human-readable name with its reference."""
    kind: str
    """``xray`` for the primary catalogue, ``secondary`` for counterpart surveys."""
    tap_url: str
    """TAP service that serves the table."""
    table: str
    """Fully qualified table name at that service (ADQL-quoted where needed)."""
    id_column: str
    """Native name of the source identifier."""
    ra_column: str
    dec_column: str
    error: ErrorModel
    """Positional error model."""
    epoch: float
    """Epoch of the positions (Julian year); per-source epochs are ignored."""
    columns: dict[str, str] = field(default_factory=dict)
    """Standard name (see :data:`xrbvo.core.schema.PHOTOMETRY` / ``XRAY``) -> native name."""
    column_units: dict[str, str] = field(default_factory=dict)
    """Standard name -> unit of the native column when it is not the standard unit."""
    tap_columns: dict[str, str] = field(default_factory=dict)
    """Native name -> name at ``tap_url`` where the TAP service renames columns."""
    depth: dict[str, float] = field(default_factory=dict)
    """Standard band -> limiting magnitude (Vega) used by the simulated sky."""
    reference: str = ""
    """Publication describing the catalogue."""
    tap_aliases: tuple[str, ...] = ()
    """Other names of ``table`` at other TAP services, tried in order when the
    service lacks ``table`` (e.g. xrbvo's local DaCHS test server, whose table
    names must be SQL identifiers: ``twomass.psc`` for VizieR's ``"II/246/out"``)."""
    tap_join: TapJoin | None = None
    """A table joined on a key for native columns ``table`` does not hold."""
    label: str = ""
    """Short name in messages (``Gaia``, ``2MASS``...)."""
    id_aliases: tuple[str, ...] = ()
    """Other names of the identifier in the tables users bring (VizieR, the archives), tried in order."""
    position_aliases: tuple[tuple[str, str], ...] = ()
    """Other (RA, Dec) column pairs, tried in order after ``ra_column``/``dec_column``."""
    error_aliases: tuple[tuple[str, str | None], ...] = ()
    """Other (column, column2) names of the positional error, in the error model's unit."""
    column_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Standard name -> other native names of that column, tried after :attr:`columns`' name."""
    signature: tuple[str, ...] = ()
    """Columns that say a table is this survey's (:func:`guess_survey`)."""
    bands: tuple[str, ...] = ()
    """Standard names of the magnitude columns this survey provides (Vega magnitudes)."""
    feeds: tuple[str, ...] = ()
    """Standard columns the classifier's features take from this survey's chosen counterpart
    (:func:`xrbvo.stages.features.build_features`; the first survey in the run that has a value wins)."""
    extra_features: tuple[str, ...] = ()
    """Features this survey adds to the classifier's list (:data:`xrbvo.stages.features.FEATURES`):
    a band of :attr:`bands`, or ``"a_b"``, the colour a - b of two of them.  They are missing where the
    survey is not in the run, and for every source of an input the survey does not cover."""
    band_specs: tuple[tuple[str, str, str], ...] = ()
    """(band, UCD, description) of bands not already declared by :data:`xrbvo.core.schema.PHOTOMETRY`."""
    link_radius_arcsec: float | None = None
    """Radius within which a source of this survey is taken as the same object as a source of an
    earlier survey of the run (the joint counterparts' objects); None: never merged (the first survey)."""
    position_rank: int = 99
    """Rank of the astrometry (0 best): the chosen counterpart's position is the best-ranked survey's."""
    completeness: float = 0.8
    """Prior fraction of X-ray sources with a counterpart in this survey (the association's default)."""
    mag_prior_band: str | None = None
    """Band whose magnitude prior the association learns by default (None: positions only)."""
    confusion_loss_mag: dict[str, float] = field(default_factory=dict)
    """Band -> limiting magnitude lost to confusion at b = 0 (falls as ``exp(-|b| / 2 deg)``)."""
    footprint_gal: tuple[tuple[float, float, float, float], ...] = ()
    """Galactic boxes (l_min, l_max, b_min, b_max; degrees, l_min > l_max wraps through 0) the survey
    covers; empty: the whole sky."""
    aliases: tuple[str, ...] = ()
    """Other names :func:`get_survey` accepts (lower case)."""
    opt_in: bool = False
    """A survey a run uses only when asked (``--surveys``); legends name it only where it is used."""
    symbol: str = "?"
    """One-letter symbol of the survey's neighbours on the terminal UI's sky plot."""
    marker: str = "x"
    """Matplotlib marker of the survey's neighbours on a finding chart."""
    colour: str = "0.3"
    """Matplotlib colour of the survey's neighbours on a finding chart."""
    filled: bool = True
    """Whether the finding chart's markers are filled."""
    size_band: str = ""
    """Band whose magnitude sizes the survey's neighbours on a finding chart."""

    def covers(self, l_deg, b_deg) -> np.ndarray:
        """True where Galactic positions lie in :attr:`footprint_gal` (everywhere when it is empty).

        >>> get_survey("gaia").covers([10.0], [50.0]).tolist()
        [True]

        Parameters
        ----------
        l_deg, b_deg : float or array
            Galactic longitude and latitude, degrees.

        Returns
        -------
        numpy.ndarray
            Booleans, one per position.
        """
        lon = np.mod(np.atleast_1d(np.asarray(l_deg, dtype=float)), 360.0)
        lat = np.atleast_1d(np.asarray(b_deg, dtype=float))
        if not self.footprint_gal:
            return np.ones(lon.shape, bool)
        out = np.zeros(lon.shape, bool)
        for l0, l1, b0, b1 in self.footprint_gal:
            in_l = (lon >= l0) & (lon <= l1) if l0 <= l1 else (lon >= l0) | (lon <= l1)
            out |= in_l & (lat >= b0) & (lat <= b1)
        return out

    def native(self, std: str) -> str:
        """Native column name for a standard name (the name itself if unmapped)."""
        return self.columns.get(std, std)

    def names_of(self, std: str) -> tuple[str, ...]:
        """Every name a column may carry, in order: the standard name, the registry's native name, the aliases."""
        names = (std, self.columns.get(std, std), *self.column_aliases.get(std, ()))
        return tuple(dict.fromkeys(names))


SURVEYS: dict[str, Survey] = {}


def _register(s: Survey) -> Survey:
    SURVEYS[s.name] = s
    return s


GAIA_DR3 = _register(
    Survey(
        name="gaia",
        title="Gaia DR3 (Gaia Collaboration, Vallenari et al. 2023)",
        kind="secondary",
        tap_url=GAIA_TAP,
        table="gaiadr3.gaia_source",
        id_column="source_id",
        ra_column="ra",
        dec_column="dec",
        # ra_error (already times cos dec) and dec_error are 1-sigma, in mas.
        error=ErrorModel(column="ra_error", column2="dec_error", unit="mas", combine="mean2",
                         floor_arcsec=0.0, default_arcsec=0.002),
        epoch=2016.0,
        columns={
            "G": "phot_g_mean_mag",
            "BP": "phot_bp_mean_mag",
            "RP": "phot_rp_mean_mag",
            "plx": "parallax",
            "plx_err": "parallax_error",
            "pmra": "pmra",
            "pmdec": "pmdec",
            "epsi": "astrometric_excess_noise",
            "sepsi": "astrometric_excess_noise_sig",
            "ruwe": "ruwe",
            # gaia_source has no variability amplitude: xrbvo derives var_G =
            # sqrt(phot_g_n_obs) / phot_g_mean_flux_over_error, the fractional
            # scatter of the G flux (see xrbvo.stages.neighbourhoods.base.standardise).
            "g_flux_snr": "phot_g_mean_flux_over_error",
            "g_n_obs": "phot_g_n_obs",
            # Bailer-Jones et al. (2021) geometric distance, joined from
            # external.gaiaedr3_distance on source_id.
            "rgeo": "r_med_geo",
        },
        # G limit ~21 (Gaia DR3 documentation), BP/RP photometry to ~20.5.
        depth={"G": 20.9, "BP": 20.5, "RP": 20.0},
        reference="Gaia Collaboration 2023, A&A 674, A1",
        # Bailer-Jones et al. (2021) distances live in their own table at the archive.
        tap_join=TapJoin(table="external.gaiaedr3_distance", key="source_id", columns=("r_med_geo",)),
        label="Gaia",
        # VizieR I/355/gaiadr3 names the columns Source, RA_ICRS, Gmag, ...; its RAJ2000/DEJ2000 are the
        # positions propagated to epoch J2000, so they come last.
        id_aliases=("SOURCE_ID", "Source"),
        position_aliases=(("RA_ICRS", "DE_ICRS"), ("RAdeg", "DEdeg"), ("RAJ2000", "DEJ2000")),
        error_aliases=(("e_RA_ICRS", "e_DE_ICRS"),),  # mas in I/355, as in the archive
        column_aliases={"G": ("Gmag",), "BP": ("BPmag",), "RP": ("RPmag",), "plx": ("Plx",),
                        "plx_err": ("e_Plx",), "pmra": ("pmRA",), "pmdec": ("pmDE",), "ruwe": ("RUWE",),
                        "g_flux_snr": ("RFG",), "g_n_obs": ("o_Gmag",), "rgeo": ("rgeo",)},
        signature=("source_id", "Source", "phot_g_mean_mag", "phot_bp_mean_mag", "phot_rp_mean_mag", "Gmag",
                   "BPmag", "RPmag", "parallax", "Plx", "ruwe", "astrometric_excess_noise", "DR3Name"),
        bands=("G", "BP", "RP"),
        feeds=("G", "BP", "RP", "plx", "plx_err", "pmra", "pmdec", "epsi", "sepsi", "ruwe", "var_G", "rgeo"),
        aliases=("gaiadr3", "gaia_dr3"),
        position_rank=0,
        completeness=0.8,
        mag_prior_band="G",
        symbol="G", marker="o", colour="#1f77b4", filled=True, size_band="G",
    )
)

TWOMASS = _register(
    Survey(
        name="2mass",
        title="2MASS Point Source Catalogue (Skrutskie et al. 2006)",
        kind="secondary",
        tap_url=VIZIER_TAP,
        table='"II/246/out"',
        id_column="2MASS",
        ra_column="RAJ2000",
        dec_column="DEJ2000",
        # errMaj/errMin: 1-sigma error ellipse in arcsec; use the semi-major axis.
        error=ErrorModel(column="errMaj", unit="arcsec", combine="semi_major", default_arcsec=0.1),
        epoch=1999.0,
        columns={"J": "Jmag", "H": "Hmag", "K": "Kmag"},
        # 10-sigma point-source limits of the PSC (Skrutskie et al. 2006); the
        # simulated sky makes them ~1 mag brighter where the plane is confused.
        depth={"J": 15.8, "H": 15.1, "K": 14.3},
        reference="Skrutskie et al. 2006, AJ 131, 1163",
        tap_aliases=("twomass.psc",),
        label="2MASS",
        # VizieR II/246 spells the designation 2MASS (astroquery and older VizieR outputs: _2MASS);
        # the IRSA archive spells it designation, with ra, dec, err_maj, j_m, h_m, k_m.
        id_aliases=("_2MASS", "designation"),
        position_aliases=(("RAdeg", "DEdeg"), ("ra", "dec")),
        error_aliases=(("err_maj", None),),
        column_aliases={"J": ("j_m",), "H": ("h_m",), "K": ("k_m",)},
        signature=("2MASS", "_2MASS", "Jmag", "Hmag", "Kmag", "errMaj", "j_m", "h_m", "k_m", "Qflg"),
        bands=("J", "H", "K"),
        feeds=("J", "H", "K"),
        link_radius_arcsec=1.0,
        aliases=("twomass",),
        position_rank=2,
        completeness=0.6,
        # near-IR point-source catalogues are confusion-limited in the plane, Gaia is not
        confusion_loss_mag={"J": 1.5, "H": 1.5, "K": 1.5},
        symbol="2", marker="s", colour="#ff7f0e", filled=False, size_band="K",
    )
)

VVV = _register(
    Survey(
        name="vvv",
        title="VISTA Variables in the Via Lactea DR2 (Minniti et al. 2017)",
        kind="secondary",
        tap_url=VIZIER_TAP,
        table='"II/348/vvv2"',
        id_column="iauname",
        ra_column="RAJ2000",
        dec_column="DEJ2000",
        error=ErrorModel(column=None, default_arcsec=0.1),
        epoch=2012.0,
        columns={"J": "Jmag3", "H": "Hmag3", "K": "Ksmag3"},
        depth={"J": 20.0, "H": 19.0, "K": 18.0},
        reference="Minniti et al. 2017, AJ 153, 179",
        label="VVV",
        id_aliases=("srcid",),
        position_aliases=(("RAdeg", "DEdeg"), ("ra", "dec")),
        signature=("iauname", "srcid", "Jmag3", "Hmag3", "Ksmag3", "Zmag3", "Ymag3"),
        bands=("J", "H", "K"),
        feeds=("J", "H", "K"),
        link_radius_arcsec=1.0,
        position_rank=1,
        completeness=0.8,
        confusion_loss_mag={"J": 1.5, "H": 1.5, "K": 1.5},
        # the bulge (|b| < 10 at |l| < 10) and the inner southern disk (295 < l < 350, |b| < 2): Minniti et al. 2010
        footprint_gal=((350.0, 10.0, -10.0, 5.0), (295.0, 350.0, -2.25, 2.25)),
        symbol="V", marker="D", colour="#9467bd", filled=False, size_band="K",
    )
)

CATWISE = _register(
    Survey(
        name="catwise",
        title="CatWISE2020 (Marocco et al. 2021)",
        kind="secondary",
        tap_url=VIZIER_TAP,
        table='"II/365/catwise"',
        id_column="Name",
        ra_column="RA_ICRS",
        dec_column="DE_ICRS",
        error=ErrorModel(column="e_RA_ICRS", column2="e_DE_ICRS", unit="arcsec", combine="mean2",
                         default_arcsec=0.3),
        epoch=2015.4,
        columns={"W1": "W1mproPM", "W2": "W2mproPM", "pmra": "pmRA", "pmdec": "pmDE"},
        # 90% completeness W1 = 17.7, W2 = 17.5 (Vega), Marocco et al. 2021.
        depth={"W1": 17.4, "W2": 17.2},
        reference="Marocco et al. 2021, ApJS 253, 8",
        tap_aliases=("catwise2020.main",),
        label="CatWISE2020",
        # VizieR II/365: Name, RA_ICRS, e_RA_ICRS, W1mproPM, ...; IRSA: source_name, ra, sigra, w1mpro_pm, ...
        id_aliases=("source_name",),
        position_aliases=(("RAdeg", "DEdeg"), ("ra", "dec"), ("RAJ2000", "DEJ2000")),
        error_aliases=(("sigra", "sigdec"),),
        column_aliases={"W1": ("w1mpro_pm",), "W2": ("w2mpro_pm",)},
        signature=("W1mproPM", "W2mproPM", "e_W1mproPM", "w1mpro_pm", "w2mpro_pm", "W1mpro", "W2mpro"),
        bands=("W1", "W2"),
        feeds=("W1", "W2"),
        link_radius_arcsec=1.5,
        aliases=("catwise2020",),
        position_rank=4,
        completeness=0.8,
        mag_prior_band="W1",
        confusion_loss_mag={"W1": 1.8, "W2": 1.8},
        symbol="W", marker="^", colour="#2ca02c", filled=False, size_band="W1",
    )
)

VPHAS = _register(
    Survey(
        name="vphas",
        # the VST Photometric H-alpha Survey of the Southern Galactic Plane and Bulge
        title="VPHAS+ DR2 (Drew et al. 2014, 2016)",
        kind="secondary",
        tap_url=VIZIER_TAP,
        table='"II/341/vphasp"',
        id_column="VPHASDR2",
        ra_column="RAJ2000",
        dec_column="DEJ2000",
        # no per-source positional error: the astrometry is tied to 2MASS with ~0.1 arcsec rms per
        # coordinate (Drew et al. 2014, section 5)
        error=ErrorModel(column=None, default_arcsec=0.1),
        epoch=2014.0,
        # r, H-alpha and i come from the same ("red") concatenation, so r - H-alpha is free of
        # variability between epochs; the blue concatenation's r is r2mag
        columns={"r": "rmag", "Ha": "Hamag", "i": "imag"},
        # about 0.5 mag brighter than the median 5-sigma depths (r 21.6, H-alpha 20.9, i 20.9; Drew et al. 2014)
        depth={"r": 21.1, "Ha": 20.4, "i": 20.4},
        reference="Drew et al. 2014, MNRAS 440, 2036",
        tap_aliases=("vphas.dr2",),
        label="VPHAS+",
        id_aliases=("sourceID", "name"),
        position_aliases=(("RAdeg", "DEdeg"), ("ra", "dec")),
        column_aliases={"r": ("r_r",), "Ha": ("ha", "Ha_mag"), "i": ("i_i",)},
        signature=("VPHASDR2", "Hamag", "e_Hamag", "r2mag", "e_r2mag"),
        bands=("r", "Ha", "i"),
        feeds=("r", "Ha", "i"),
        # r - H-alpha against r - i: the emission-line stars (Be-star HMXBs, CVs, YSOs, WR) stand out
        # above the main-sequence locus (Drew et al. 2005)
        extra_features=("r_Ha", "r_i"),
        band_specs=(
            ("r", "phot.mag;em.opt.R", "VPHAS+ r magnitude, red concatenation (Vega)"),
            ("Ha", "phot.mag;em.opt.R;spect.line", "VPHAS+ H-alpha (656.8 nm) magnitude (Vega)"),
            ("i", "phot.mag;em.opt.I", "VPHAS+ i magnitude (Vega)"),
        ),
        link_radius_arcsec=1.0,
        aliases=("vphas+", "vphasdr2", "vphas_dr2"),
        opt_in=True,
        # tied to 2MASS, ~0.1 arcsec: after 2MASS, before CatWISE2020
        position_rank=3,
        completeness=0.5,
        # seeing-limited optical photometry, crowded in the bulge and the inner plane
        confusion_loss_mag={"r": 0.5, "Ha": 0.5, "i": 0.5},
        # |b| < 5 deg from l = 210 through the Galactic centre to l = 40, |b| < 10 deg in the bulge
        footprint_gal=((210.0, 40.0, -5.0, 5.0), (350.0, 10.0, -10.0, 10.0)),
        symbol="H", marker="v", colour="#d62728", filled=False, size_band="r",
    )
)

ERASS1 = _register(
    Survey(
        name="erass1",
        title="eRASS1 main catalogue (Merloni et al. 2024)",
        kind="xray",
        tap_url=VIZIER_TAP,
        table='"J/A+A/682/A34/erass1-m"',
        id_column="IAUNAME",
        ra_column="RA",
        dec_column="DEC",
        # POS_ERR is the 1-sigma positional uncertainty per coordinate (arcsec)
        # and already holds the calibrated systematic term (Merloni et al. 2024,
        # table D.1), unlike RADEC_ERR, the raw PSF-fit error.  No further floor
        # is added by default; ``ErrorModel.floor_arcsec`` (CLI
        # ``--xray-sys-floor``) adds one in quadrature for stricter work.
        error=ErrorModel(column="POS_ERR", unit="arcsec", floor_arcsec=0.0, default_arcsec=4.0),
        epoch=2020.0,
        columns={
            "flux_soft": "ML_FLUX_1",
            "flux_soft_err": "ML_FLUX_ERR_1",
            # The 2.3-5 keV flux is not in the main catalogue: it is band 3 of the
            # hard-band catalogue (eRASS1_Hard, ML_FLUX_3).  A user table that
            # carries it under the standard name ``flux_hard`` is taken as is.
        },
        tap_columns={"IAUNAME": "IAUName", "RA": "RA_ICRS", "DEC": "DE_ICRS", "POS_ERR": "posErr",
                     "ML_FLUX_1": "MLFlux1", "DET_LIKE_0": "DetLike0"},
        # 50% completeness in 0.2-2.3 keV (Merloni et al. 2024).
        depth={"flux_soft": 5e-14},
        reference="Merloni et al. 2024, A&A 682, A34",
        tap_aliases=("erass1.main",),
        label="eRASS1",
        aliases=("erass", "erosita"),
    )
)

#: Secondary surveys in the order combinations enumerate them (others follow in the order given); also the
#: default surveys of a run.  VPHAS+ is opt-in (``--surveys gaia,2mass,catwise,vphas``): it covers only the
#: southern plane, and a model uses its features only when trained with them.
SECONDARY_SURVEYS: tuple[str, ...] = ("gaia", "2mass", "catwise")

#: The X-ray survey whose column names and error model an input has unless told otherwise.
DEFAULT_XRAY_SURVEY: str = "erass1"

#: Every secondary survey in the order of the registry (the order the joint counterparts link them in).
ALL_SECONDARY: tuple[str, ...] = tuple(s.name for s in SURVEYS.values() if s.kind == "secondary")

#: Survey -> the standard columns the features take from it (:attr:`Survey.feeds`).
PHOT_FROM: dict[str, tuple[str, ...]] = {s.name: s.feeds for s in SURVEYS.values() if s.feeds}

#: Features the surveys add to the classifier's base list (:attr:`Survey.extra_features`), in registry order.
SURVEY_FEATURES: tuple[str, ...] = tuple(f for s in SURVEYS.values() for f in s.extra_features)

#: Survey -> the band whose magnitude sizes its neighbours on a finding chart.
SIZE_BAND: dict[str, str] = {s.name: s.size_band for s in SURVEYS.values() if s.size_band}

#: Survey -> (marker, colour, filled) of its neighbours on a finding chart.
SURVEY_STYLE: dict[str, tuple[str, str, bool]] = {s.name: (s.marker, s.colour, s.filled)
                                                  for s in SURVEYS.values() if s.kind == "secondary"}

#: Survey -> one-letter symbol of its neighbours on the terminal UI's sky plot.
SURVEY_SYMBOLS: dict[str, str] = {s.name: s.symbol for s in SURVEYS.values() if s.kind == "secondary"}

#: Survey -> the magnitudes it provides (:attr:`Survey.bands`).
SURVEY_BANDS: dict[str, tuple[str, ...]] = {s.name: s.bands for s in SURVEYS.values() if s.bands}

#: Survey -> linking radius (arcsec) for merging its source into an object of an earlier survey.
LINK_RADIUS_ARCSEC: dict[str, float] = {s.name: s.link_radius_arcsec for s in SURVEYS.values()
                                        if s.link_radius_arcsec is not None}

#: Secondary surveys, best astrometry first (:attr:`Survey.position_rank`).
BY_ASTROMETRY: tuple[str, ...] = tuple(sorted(ALL_SECONDARY, key=lambda n: SURVEYS[n].position_rank))

#: Survey -> prior completeness of the association (:attr:`Survey.completeness`).
COMPLETENESS: dict[str, float] = {s.name: s.completeness for s in SURVEYS.values() if s.kind == "secondary"}

#: (survey, band) of the magnitude priors the association learns by default (:attr:`Survey.mag_prior_band`).
MAG_PRIOR_BANDS: tuple[tuple[str, str], ...] = tuple((s.name, s.mag_prior_band) for s in SURVEYS.values()
                                                     if s.mag_prior_band)


def get_survey(name: str) -> Survey:
    """Return the registered survey ``name`` (case-insensitive).

    Parameters
    ----------
    name : str
        The survey's name, e.g. ``gaia``.

    Returns
    -------
    Survey
        The registered survey ``name`` (case-insensitive).

    Raises
    ------
    UnknownSurveyError
        If no survey of that name is registered; the message lists the known ones.
    """
    key = str(name).strip().lower()
    key = next((s.name for s in SURVEYS.values() if key in s.aliases), key)
    try:
        return SURVEYS[key]
    except KeyError:
        known = ", ".join(sorted(SURVEYS))
        raise UnknownSurveyError(f"unknown survey {name!r}: choose one of {known}") from None


#: The features each band feeds (xrbvo.stages.features), for messages about a band a table lacks.
BAND_FEATURES: dict[str, tuple[str, ...]] = {
    "G": ("G", "BP_RP", "G_RP", "G_J", "G_K", "G_W1"),
    "BP": ("BP", "BP_RP"),
    "RP": ("RP", "BP_RP", "G_RP"),
    "J": ("J", "J_H", "J_K", "G_J"),
    "H": ("H", "J_H", "H_K"),
    "K": ("K", "H_K", "J_K", "G_K", "K_W1"),
    "W1": ("W1", "W1_W2", "G_W1", "K_W1", "log_fx_fw1"),
    "W2": ("W2", "W1_W2"),
}
for _f in SURVEY_FEATURES:
    for _band in {_f, *_f.split("_")}:
        if any(_band in _s.bands for _s in SURVEYS.values()):
            BAND_FEATURES[_band] = (*BAND_FEATURES.get(_band, ()), _f)
del _f, _band


def guess_survey(colnames) -> tuple[str | None, tuple[str, ...]]:
    """The secondary survey whose columns a table has, and the columns that say so.

    ``colnames`` is a table or its column names; names are compared without
    regard to case.  The survey with the most of its :attr:`Survey.signature`
    columns wins; ``(None, ())`` when no survey's signature column is present
    or two surveys tie.

    >>> guess_survey(["_2MASS", "RAJ2000", "DEJ2000", "Jmag", "Hmag", "Kmag"])
    ('2mass', ('_2MASS', 'Jmag', 'Hmag', 'Kmag'))
    >>> guess_survey(["ra", "dec"])
    (None, ())

    Parameters
    ----------
    colnames : astropy.table.Table or sequence of str
        A table or its column names.

    Returns
    -------
    tuple[str | None, tuple[str, ...]]
        The secondary survey whose columns a table has, and the columns that say so.
    """
    names = list(getattr(colnames, "colnames", colnames))
    lower = {}
    for c in names:
        lower.setdefault(c.lower(), c)
    scores = []
    for s in SURVEYS.values():
        if s.kind != "secondary":
            continue
        found = tuple(dict.fromkeys(lower[c.lower()] for c in s.signature if c.lower() in lower))
        # evidence in the table's own column order
        found = tuple(c for c in names if c in found)
        if found:
            scores.append((len(found), s.name, found))
    if not scores:
        return None, ()
    scores.sort(key=lambda t: -t[0])
    if len(scores) > 1 and scores[0][0] == scores[1][0]:
        return None, ()
    return scores[0][1], scores[0][2]


#: Limiting magnitudes lost to confusion in the Galactic plane (at b = 0; the loss falls as exp(-``|b|`` / 2 deg)),
#: per band, from the surveys' records (:attr:`Survey.confusion_loss_mag`; the first survey naming a band wins).
CONFUSION_LOSS_MAG: dict[str, float] = {}
for _s in SURVEYS.values():
    for _band, _loss in _s.confusion_loss_mag.items():
        CONFUSION_LOSS_MAG.setdefault(_band, _loss)
del _s, _band, _loss


def limiting_magnitudes(b_deg, surveys: tuple[str, ...] = SECONDARY_SURVEYS) -> dict[str, np.ndarray]:
    """Per-position limiting magnitude (Vega) of each band of ``surveys``, with the plane's confusion loss.

    The depths are the registry's (:attr:`Survey.depth`); at Galactic latitude
    ``b`` each survey's confusion-limited bands (:attr:`Survey.confusion_loss_mag`) lose
    ``loss * exp(-|b| / 2 deg)``.

    Parameters
    ----------
    b_deg : float or array
        Galactic latitude, degrees.
    surveys : sequence of str, optional
        Names of the surveys in the registry.

    Returns
    -------
    dict[str, numpy.ndarray]
        Per-position limiting magnitude (Vega) of each band of ``surveys``, with the plane's confusion
        loss.
    """
    b = np.atleast_1d(np.asarray(b_deg, dtype=float))
    conf = np.exp(-np.abs(b) / 2.0)
    out: dict[str, np.ndarray] = {}
    for name in surveys:
        for band, depth in get_survey(name).depth.items():
            if band in out or band.startswith("flux"):
                continue
            out[band] = depth - get_survey(name).confusion_loss_mag.get(band, 0.0) * conf
    return out
