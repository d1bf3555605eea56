"""Column names, units and UCDs of the tables the stages exchange.

Every stage reads and writes astropy Tables whose columns are declared here,
so that the simulated sky, the providers, the association engine, the
classifier and the output catalogue agree on one vocabulary.  Raw floats carry
their unit in the column's ``unit`` attribute; positional errors are always
1-sigma per coordinate (circular) in arcsec.

Tables
------
X-ray sources (``XRAY``)
    One row per X-ray source, as the pipeline's input after the survey's error
    model was applied.
Neighbourhoods (``NEIGHBOUR``)
    One row per (X-ray source, neighbour) pair of one survey, with the
    separation; survey-specific photometry follows the common columns.
Catalogue (``CATALOGUE``)
    One row per X-ray source: association results, features, nine class
    probabilities and the candidate flag.

Output tables
-------------
The three tables a run writes -- the catalogue, the counterparts (the
association's combinations, ``COUNTERPARTS``) and the neighbours
(``NEIGHBOURS``) -- describe every column: a unit or an explicit declaration
that the column is dimensionless (``ColumnSpec.unit == ""``), a UCD and a
description.  Columns named per survey or per class (``nid_gaia``,
``P_HMXB_CTPT``, ...) are families: :func:`column_spec` knows them.
:func:`describe_table` sets the metadata of every column of an output table
and refuses a column the schema does not know; :func:`undescribed_columns`
lists the columns of a table (e.g. one read back from a file) that lack some
of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from astropy.table import Column, Table

from xrbvo.core.errors import InputError
from xrbvo.core.surveys import SURVEYS

__all__ = ["release_spec", "ERASS1_RELEASE",
    "SourceClass",
    "CLASS_RECORDS",
    "CLASS_COLOURS",
    "CLASSES",
    "CLASS_DESCRIPTIONS",
    "XRB_CLASSES",
    "ColumnSpec",
    "XRAY",
    "NEIGHBOUR",
    "PHOTOMETRY",
    "CATALOGUE",
    "TRUTH",
    "FEATURE_COLUMNS",
    "COUNTERPARTS",
    "NEIGHBOURS",
    "prob_column",
    "apply_schema",
    "column_spec",
    "describe_table",
    "undescribed_columns",
    "with_article",
    "INPUT_PREFIX",
    "INPUT_DESCRIPTION",
    "is_input_column",
    "mark_input_column",
    "is_reserved",
]

@dataclass(frozen=True)
class SourceClass:
    """Everything xrbvo knows about a source class, in one record.

    Parameters
    ----------
    name : str
        The class's short name, as in column names (``P_HMXB``).
    display : str
        Its name in prose, legends and headings.
    description : str
        What the class holds, in one line.
    colour : str
        Matplotlib colour of the class in every plot.
    article : str
        Indefinite article of the short name read aloud (``an HMXB``, ``a CV``).
    target : bool
        Whether the search is after this class (candidates are chosen among the targets).
    """

    name: str
    """The class's short name, as in column names (``P_HMXB``)."""
    display: str
    """Its name in prose, legends and headings."""
    description: str
    """What the class holds, in one line."""
    colour: str
    """Matplotlib colour of the class in every plot."""
    article: str
    """Indefinite article of the short name read aloud (``an HMXB``, ``a CV``)."""
    target: bool = False
    """Whether the search is after this class (candidates are chosen among the targets)."""


#: The nine source classes' records, in the fixed order of every probability vector.  "an" goes with
#: initialisms spoken with a leading vowel sound (H as "aitch", L "ell", N "en", A) and EARLY.
CLASS_RECORDS: dict[str, SourceClass] = {c.name: c for c in (
    SourceClass("HMXB", "high-mass X-ray binary", "high-mass X-ray binary (O/B/Be or supergiant donor)",
                "#1f5fbf", "an", target=True),
    SourceClass("LMXB", "low-mass X-ray binary", "low-mass X-ray binary", "#d62728", "an", target=True),
    SourceClass("NS", "isolated neutron star", "isolated neutron star (magnetar, pulsar, CCO)", "#9467bd", "an"),
    SourceClass("CV", "cataclysmic variable", "cataclysmic variable", "#e377c2", "a"),
    SourceClass("WR", "Wolf-Rayet star", "Wolf-Rayet star", "#8c564b", "a"),
    SourceClass("AGN", "active galactic nucleus", "active galactic nucleus", "#7f7f7f", "an"),
    SourceClass("EARLY", "early-type star", "early-type star (O/B/Be, gamma Cas)", "#17becf", "an"),
    SourceClass("STAR", "late-type star", "evolved or active late-type star", "#bcbd22", "a"),
    SourceClass("YSO", "young stellar object", "young stellar object", "#2ca02c", "a"),
)}

#: The nine source classes, in the fixed order of every probability vector.
CLASSES: tuple[str, ...] = tuple(CLASS_RECORDS)

#: Class -> one-line description (:attr:`SourceClass.description`).
CLASS_DESCRIPTIONS: dict[str, str] = {c.name: c.description for c in CLASS_RECORDS.values()}

#: Class -> plot colour (:attr:`SourceClass.colour`).
CLASS_COLOURS: dict[str, str] = {c.name: c.colour for c in CLASS_RECORDS.values()}

#: The classes the search is after (:attr:`SourceClass.target`).
XRB_CLASSES: tuple[str, ...] = tuple(c.name for c in CLASS_RECORDS.values() if c.target)


def prob_column(cls: str) -> str:
    """Name of the catalogue column holding the probability of class ``cls``.

    Returns
    -------
    str
        The column name, ``P_<cls>``.
    """
    return f"P_{cls}"


@dataclass(frozen=True)
class ColumnSpec:
    """Declaration of one column of a stage table.

    Parameters
    ----------
    name : str
        Column name.
    unit : str | None
        Unit string understood by astropy; ``""`` declares the column dimensionless (text, flags,
        probabilities, counts, logarithms: the description then names the unit of the argument); None
        means unknown, which no output column may be.
    ucd : str | None
        IVOA Unified Content Descriptor, so that TOPCAT and Aladin recognise it.
    description : str
        One line saying what the column holds.
    """

    name: str
    """Column name."""
    unit: str | None
    """Unit string understood by astropy; ``""`` declares the column dimensionless (text, flags,
    probabilities, counts, logarithms: the description then names the unit of the argument);
    None means unknown, which no output column may be."""
    ucd: str | None
    """IVOA Unified Content Descriptor, so that TOPCAT and Aladin recognise it."""
    description: str
    """One line saying what the column holds."""

    @property
    def dimensionless(self) -> bool:
        """True when the column is declared to have no unit."""
        return self.unit == ""


def _specs(*rows: tuple[str, str | None, str | None, str]) -> dict[str, ColumnSpec]:
    return {r[0]: ColumnSpec(*r) for r in rows}


XRAY = _specs(
    ("xid", "", "meta.id;meta.main", "X-ray source identifier"),
    ("ra", "deg", "pos.eq.ra;meta.main", "Right ascension (ICRS)"),
    ("dec", "deg", "pos.eq.dec;meta.main", "Declination (ICRS)"),
    ("pos_err", "arcsec", "stat.error;pos.eq", "1-sigma positional error per coordinate, systematics included"),
    ("flux_soft", "erg / (s cm2)", "phot.flux;em.X-ray", "Flux in the soft band (eRASS1: 0.2-2.3 keV)"),
    ("flux_soft_err", "erg / (s cm2)", "stat.error;phot.flux;em.X-ray", "1-sigma error of flux_soft"),
    ("flux_hard", "erg / (s cm2)", "phot.flux;em.X-ray", "Flux in the hard band (eRASS1: 2.3-5 keV)"),
    ("flux_hard_err", "erg / (s cm2)", "stat.error;phot.flux;em.X-ray", "1-sigma error of flux_hard"),
    ("epoch", "yr", "time.epoch", "Epoch of the X-ray position (Julian year)"),
    ("hard_assoc", "", "meta.code.qual;em.X-ray",
     "eRASS1 Hard catalogue (2.3-5 keV) association through UID_Hard: strong (flux_hard taken), weak or none"),
    ("in_row", "", "meta.record", "Row of the source in the input X-ray table as read (0-based, before any selection)"),
)

NEIGHBOUR = _specs(
    ("xid", "", "meta.id", "X-ray source this neighbour belongs to"),
    ("nid", "", "meta.id;meta.main", "Neighbour identifier in its survey"),
    ("ra", "deg", "pos.eq.ra", "Right ascension of the neighbour (ICRS, survey epoch)"),
    ("dec", "deg", "pos.eq.dec", "Declination of the neighbour (ICRS, survey epoch)"),
    ("pos_err", "arcsec", "stat.error;pos.eq", "1-sigma positional error per coordinate"),
    ("sep", "arcsec", "pos.angDistance", "Separation from the X-ray position"),
)

#: Standardised photometric and astrometric columns a neighbourhood may carry.
PHOTOMETRY = _specs(
    ("G", "mag", "phot.mag;em.opt", "Gaia G magnitude (Vega)"),
    ("BP", "mag", "phot.mag;em.opt.B", "Gaia BP magnitude (Vega)"),
    ("RP", "mag", "phot.mag;em.opt.R", "Gaia RP magnitude (Vega)"),
    ("plx", "mas", "pos.parallax", "Parallax"),
    ("plx_err", "mas", "stat.error;pos.parallax", "Parallax error"),
    ("pmra", "mas / yr", "pos.pm;pos.eq.ra", "Proper motion in RA (times cos dec)"),
    ("pmdec", "mas / yr", "pos.pm;pos.eq.dec", "Proper motion in Dec"),
    ("epsi", "mas", "stat.fit.residual", "Astrometric excess noise"),
    ("sepsi", "", "stat.value", "Significance of the astrometric excess noise"),
    ("ruwe", "", "stat.value", "Renormalised unit weight error"),
    ("var_G", "mag", "src.var.amplitude", "Variability amplitude in G (excess scatter)"),
    ("rgeo", "pc", "pos.distance", "Geometric distance (Bailer-Jones et al. 2021)"),
    ("J", "mag", "phot.mag;em.IR.J", "J magnitude (2MASS or VVV, Vega)"),
    ("H", "mag", "phot.mag;em.IR.H", "H magnitude (2MASS or VVV, Vega)"),
    ("K", "mag", "phot.mag;em.IR.K", "Ks magnitude (2MASS or VVV, Vega)"),
    ("W1", "mag", "phot.mag;em.IR.3-4um", "W1 magnitude (CatWISE2020, Vega)"),
    ("W2", "mag", "phot.mag;em.IR.4-8um", "W2 magnitude (CatWISE2020, Vega)"),
    # the bands a survey's record declares itself (xrbvo.core.surveys.Survey.band_specs)
    *((band, "mag", ucd, text) for sv in SURVEYS.values() for band, ucd, text in sv.band_specs),
)

CATALOGUE = _specs(
    ("xid", "", "meta.id;meta.main", "X-ray source identifier"),
    ("ra", "deg", "pos.eq.ra;meta.main", "Right ascension of the X-ray source (ICRS)"),
    ("dec", "deg", "pos.eq.dec;meta.main", "Declination of the X-ray source (ICRS)"),
    ("l", "deg", "pos.galactic.lon", "Galactic longitude"),
    ("b", "deg", "pos.galactic.lat", "Galactic latitude"),
    ("pos_err", "arcsec", "stat.error;pos.eq", "1-sigma positional error per coordinate"),
    ("in_row", "", "meta.record", "Row of the source in the input X-ray table as read (0-based, before any selection)"),
    ("p_any", "", "stat.probability", "Probability that the source has a counterpart in any survey"),
    ("p_i", "", "stat.probability", "Probability of the chosen counterpart combination, given one exists"),
    ("match_flag", "", "meta.code", "1 for the most probable combination, 2 for a close second (p_i > 0.5 p_i best), else 0"),
    ("n_candidates", "", "meta.number", "Number of neighbours within the search radius, all surveys"),
    ("ctp_state", "", "meta.code.qual",
     "Counterpart: none (p_any < header CTPNONE: no counterpart in any survey), secure (a counterpart chosen, "
     "p_any and p_i >= header CTPSECUR) or ambiguous (the rest, also below the calibrated p_any cut)"),
    ("associated", "", "meta.code",
     "True when p_any reaches the run's calibrated cut (header PANYCUT, false-association rate FARATE); "
     "a source below it is classified as one without a counterpart"),
    ("nh", "cm-2", "phys.columnDensity", "Total Galactic N_H on the sight line (HI4PI)"),
    ("predicted_class", "", "src.class", "Most probable of the nine classes"),
    ("candidate", "", "meta.code", "True when the source passes an X-ray-binary probability cut"),
    ("candidate_class", "", "src.class", "HMXB or LMXB for candidates, empty otherwise"),
    ("P_max", "", "stat.probability;stat.max", "Probability of the most probable class"),
    ("top_features", "", "meta.note",
     "Features that pushed the most probable class most, with their contribution to its log-odds (XGBoost SHAP)"),
    ("ctp_ra", "deg", "pos.eq.ra", "Right ascension of the chosen counterpart (ICRS, its survey's epoch)"),
    ("ctp_dec", "deg", "pos.eq.dec", "Declination of the chosen counterpart (ICRS, its survey's epoch)"),
    ("ctp_sep", "arcsec", "pos.angDistance", "Separation of the chosen counterpart from the X-ray position"),
    ("ctp_survey", "", "meta.dataset", "Survey whose counterpart position ctp_ra, ctp_dec is given (empty: none)"),
    ("coverage", "", "meta.code",
     "1 when the source has at least one neighbour in some survey within the search radius, "
     "0 when it lies outside the given surveys' coverage"),
    ("expected_purity", "", "stat.probability",
     "Expected purity of the candidate's class selection at the field's class priors (with --min-purity, "
     "header MINPUR: the candidate's own P_<class>_field)"),
    ("known_name", "", "meta.id.cross", "Name(s) of the known object the source matches uniquely or "
                                          "ambiguously (known_match; empty: none)"),
    ("known_class", "", "src.class", "Class of the known object in known_name (empty: none)"),
    ("known_sep", "arcsec", "pos.angDistance", "Separation of the known object from the X-ray position"),
    ("known_prob", "", "stat.probability", "Positional probability that the source is the known object (both "
                                           "errors, the local X-ray source density; NaN: none)"),
    ("known_match", "", "meta.code.class", "unique: the source is the known object's only consistent source or "
                                           "holds >= 0.9 of its probability; ambiguous: several sources share "
                                           "it; empty: none"),
    ("new", "", "meta.code", "True unless the source is a known object's unique match (known_match)"),
    ("name", "", "meta.id;meta.main", "Source name in the input table"),
)

#: The classifier's features (:data:`xrbvo.stages.features.FEATURES`) that are not standard photometric
#: columns (those are in :data:`PHOTOMETRY`); the catalogue carries them for the chosen counterpart.
FEATURE_COLUMNS = _specs(
    ("BP_RP", "mag", "phot.color;em.opt.B;em.opt.R", "Gaia colour BP - RP"),
    ("G_RP", "mag", "phot.color;em.opt;em.opt.R", "Gaia colour G - RP"),
    ("J_H", "mag", "phot.color;em.IR.J;em.IR.H", "Near-IR colour J - H"),
    ("H_K", "mag", "phot.color;em.IR.H;em.IR.K", "Near-IR colour H - Ks"),
    ("J_K", "mag", "phot.color;em.IR.J;em.IR.K", "Near-IR colour J - Ks"),
    ("W1_W2", "mag", "phot.color;em.IR.3-4um;em.IR.4-8um", "Mid-IR colour W1 - W2"),
    ("G_J", "mag", "phot.color;em.opt;em.IR.J", "Optical-IR colour G - J"),
    ("G_K", "mag", "phot.color;em.opt;em.IR.K", "Optical-IR colour G - Ks"),
    ("G_W1", "mag", "phot.color;em.opt;em.IR.3-4um", "Optical-IR colour G - W1"),
    ("K_W1", "mag", "phot.color;em.IR.K;em.IR.3-4um", "IR colour Ks - W1"),
    ("plx_sig", "", "stat.snr;pos.parallax", "Parallax over its error"),
    ("log_dist", "", "pos.distance", "log10 of the geometric distance in pc (Bailer-Jones et al. 2021)"),
    ("log_epsi", "", "stat.fit.residual", "log10 of (astrometric excess noise in mas + 1e-3)"),
    ("log_sepsi", "", "stat.value", "log10 of (1 + significance of the astrometric excess noise)"),
    ("log_var_G", "", "src.var.amplitude", "log10 of the fractional G-flux scatter (variability proxy)"),
    ("pm_tot", "mas / yr", "pos.pm", "Total proper motion"),
    ("log_fx", "", "phot.flux;em.X-ray", "log10 of the soft-band X-ray flux in erg/s/cm2"),
    ("hr", "", "phot.flux;arith.ratio;em.X-ray",
     "Hardness ratio (F_hard - F_soft) / (F_hard + F_soft), in [-1, 1]"),
    ("log_fx_fg", "", "phot.flux;arith.ratio", "log10 of F_X / F_opt with G: log_fx + G / 2.5 + 5.37"),
    ("log_fx_fk", "", "phot.flux;arith.ratio", "log10 of F_X / F_K: log_fx + K / 2.5"),
    ("log_fx_fw1", "", "phot.flux;arith.ratio", "log10 of F_X / F_W1: log_fx + W1 / 2.5"),
    ("log_lx", "", "phys.luminosity;em.X-ray",
     "log10 of the soft X-ray luminosity in erg/s at the Gaia geometric distance"),
    ("log_nh", "", "phys.columnDensity", "log10 of the total Galactic N_H in cm-2 (HI4PI)"),
    ("xvar_prob", "", "stat.probability;src.var", "X-ray variability probability (missing for single-epoch surveys)"),
    # the colours a survey's record adds to the features (xrbvo.core.surveys.Survey.extra_features)
    *((f, "mag", "phot.color", f"Colour {f.replace('_', ' - ')} ({sv.label})")
      for sv in SURVEYS.values() for f in sv.extra_features if "_" in f),
)

#: Columns of the counterparts table (the association's combinations: one row per X-ray source and
#: candidate combination); ``nid_``, ``sep_`` and ``row_<survey>`` are families (:func:`column_spec`).
COUNTERPARTS = _specs(
    ("xid", "", "meta.id", "X-ray source this combination belongs to"),
    ("ncat", "", "meta.number", "Number of catalogues in the combination, the X-ray one included"),
    ("dist_bayesfactor", "", "stat.likelihood;arith.ratio", "log10 positional Bayes factor (Budavari & Szalay 2008)"),
    ("dist_bayesfactor_corrected", "", "stat.likelihood;arith.ratio",
     "log10 Bayes factor with NWAY's multi-catalogue correction"),
    ("prior", "", "stat.probability", "Prior probability of this combination"),
    ("dist_post", "", "stat.probability", "Posterior from positions alone against 'unrelated'"),
    ("p_single", "", "stat.probability", "Posterior with magnitude priors against 'unrelated'"),
    ("p_i", "", "stat.probability", "Probability of this combination given the source has a counterpart"),
    ("match_flag", "", "meta.code",
     "1 for the source's most probable combination, 2 for a close second (p_i > 0.5 p_i best), else 0"),
)

#: Columns of the neighbours table (all surveys' neighbourhoods in one table, with a ``survey`` column);
#: its magnitudes are :data:`PHOTOMETRY` columns.
NEIGHBOURS = {
    "survey": ColumnSpec("survey", "", "meta.dataset", "Survey the neighbour comes from"),
    **NEIGHBOUR,
}

#: Columns of the simulated sky's truth table (one row per X-ray source).
TRUTH = _specs(
    ("xid", "", "meta.id;meta.main", "X-ray source identifier"),
    ("true_class", "", "src.class", "True class"),
    ("distance", "pc", "pos.distance", "True distance (NaN for AGN)"),
    ("lum_soft", "erg / s", "phys.luminosity;em.X-ray", "Intrinsic soft-band luminosity (NaN for AGN)"),
    ("nh_los", "cm-2", "phys.columnDensity", "Absorbing column in front of the source"),
    ("av_los", "mag", "phys.absorption;em.opt.V", "V-band extinction in front of the source"),
)


def apply_schema(table: Table, *spec_groups: dict[str, ColumnSpec]) -> Table:
    """Set unit, UCD and description of every column declared in ``spec_groups``.

    Columns that the specs do not mention are left alone; the table is modified
    in place and returned.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    *spec_groups : dict[str, ColumnSpec]
        Groups of column declarations (name -> ColumnSpec), e.g. :data:`XRAY`.

    Returns
    -------
    astropy.table.Table
        ``table``, described in place.
    """
    for group in spec_groups:
        for name, spec in group.items():
            if name not in table.colnames:
                continue
            col = table[name]
            if spec.unit and np.issubdtype(col.dtype, np.number) and col.dtype.kind != "b":
                col.unit = spec.unit
            col.description = spec.description
            if spec.ucd:
                col.meta["ucd"] = spec.ucd
    return table


# -- every column of the output tables --------------------------------------------------------

#: Where :func:`column_spec` looks a plain name up, in order (the catalogue's meaning first).
_DEFAULT_GROUPS: tuple[dict[str, ColumnSpec], ...] = (CATALOGUE, XRAY, FEATURE_COLUMNS, PHOTOMETRY, COUNTERPARTS,
                                                      NEIGHBOURS)

_CLASS = "|".join(CLASSES)
_CLASS_FAMILIES: tuple[tuple[re.Pattern, str, str], ...] = (
    (re.compile(rf"P_({_CLASS})"), "stat.probability",
     "Probability that the source is {a_cls} at the model's selection priors (where the candidate cuts apply)"),
    (re.compile(rf"P_({_CLASS})_field"), "stat.probability",
     "Probability that the source is {a_cls} at the field's class priors"),
    (re.compile(rf"prior_({_CLASS})"), "stat.probability",
     "Prior probability that the source is {a_cls}: its field prior, where P_{cls}_field and expected_purity "
     "stand (for a blind survey the population model's class mix at its flux on its sight line, over the "
     "model's training flux likelihood of each class when the header's FLUXONCE is yes: the flux counted once)"),
    (re.compile(rf"P_({_CLASS})_CTPT"), "stat.probability",
     "Probability that ctp_{cls} is the source's true counterpart combination if the source is {a_cls}"),
    (re.compile(rf"ctp_({_CLASS})"), "meta.id.cross",
     "Most probable counterparts if the source is {a_cls} (survey:id;..., 'none' for no counterpart)"),
)

def with_article(name: str) -> str:
    """A class name with its indefinite article, as read aloud: ``an HMXB``, ``an AGN``, ``a CV``.

    Parameters
    ----------
    name : str
        The class name.

    Returns
    -------
    str
        The name after ``a`` or ``an``.
    """
    rec = CLASS_RECORDS.get(name)
    return f"{rec.article if rec else 'a'} {name}"


def _survey_family(name: str) -> ColumnSpec | None:
    m = re.fullmatch(r"(nid|row|sep)_(.+)", name)
    if m is None or m.group(2) not in SURVEYS or SURVEYS[m.group(2)].kind != "secondary":
        return None
    kind, survey = m.groups()
    title = SURVEYS[survey].title.split(" (")[0]
    if kind == "nid":
        return ColumnSpec(name, "", "meta.id.cross", f"{title} identifier of the counterpart (empty: none)")
    if kind == "sep":
        return ColumnSpec(name, "arcsec", "pos.angDistance",
                          f"Separation of the {title} counterpart from the X-ray position")
    return ColumnSpec(name, "", "meta.record",
                      f"Row of the {title} counterpart in that survey's neighbourhood table (-1: none)")


def column_spec(name: str, *groups: dict[str, ColumnSpec] | None) -> ColumnSpec | None:
    """The declaration of the output column ``name``, or None when the schema does not know it.

    ``groups`` are looked at first, in order (a table's own meaning of a shared name such as
    ``xid`` or ``p_i``), then the catalogue's, the X-ray, feature, photometry, counterparts and
    neighbours columns, then the families: ``P_<CLASS>``, ``P_<CLASS>_field``, ``P_<CLASS>_CTPT``,
    ``ctp_<CLASS>`` for the nine :data:`CLASSES`, and ``nid_``, ``sep_``, ``row_<survey>`` for the
    registered counterpart surveys.

    Parameters
    ----------
    name : str
        The column's name.
    *groups : dict[str, ColumnSpec] | None
        Groups of declarations to look in; default every group of the schema.

    Returns
    -------
    ColumnSpec | None
        The declaration of the output column ``name``, or None when the schema does not know it.
    """
    for group in (*groups, *_DEFAULT_GROUPS):
        if group is not None and name in group:
            return group[name]
    for pattern, ucd, text in _CLASS_FAMILIES:
        m = pattern.fullmatch(name)
        if m:
            return ColumnSpec(name, "", ucd, text.format(cls=m.group(1), a_cls=with_article(m.group(1))))
    fam = _survey_family(name)
    return fam if fam is not None else release_spec(name)


#: The eRASS1 DR1 catalogues' own columns (Merloni et al. 2024 data model), carried into xrbvo's catalogue
#: with these units and UCDs when the input gives none: name -> (unit, UCD, description).
ERASS1_RELEASE = {
    "IAUNAME": ("", "meta.id;meta.main", "eRASS1 source name (IAU designation)"),
    "DETUID": ("", "meta.id", "eRASS1 detection identifier"),
    "UID": ("", "meta.id", "eRASS1 unique source identifier"),
    "UID_Hard": ("", "meta.id.cross", "UID of the Hard-catalogue source linked to this one (negative: weak link, 0: none)"),
    "RA": ("deg", "pos.eq.ra", "Right ascension of the eRASS1 source (ICRS)"),
    "DEC": ("deg", "pos.eq.dec", "Declination of the eRASS1 source (ICRS)"),
    "RA_LOWERR": ("arcsec", "stat.error;pos.eq.ra", "Lower 1-sigma error of RA"),
    "RA_UPERR": ("arcsec", "stat.error;pos.eq.ra", "Upper 1-sigma error of RA"),
    "DEC_LOWERR": ("arcsec", "stat.error;pos.eq.dec", "Lower 1-sigma error of DEC"),
    "DEC_UPERR": ("arcsec", "stat.error;pos.eq.dec", "Upper 1-sigma error of DEC"),
    "RADEC_ERR": ("arcsec", "stat.error;pos.eq", "Combined positional error of the eRASS1 source"),
    "POS_ERR": ("arcsec", "stat.error;pos.eq", "1-sigma positional error of the eRASS1 source, systematics included"),
    "LII": ("deg", "pos.galactic.lon", "Galactic longitude of the eRASS1 source"),
    "BII": ("deg", "pos.galactic.lat", "Galactic latitude of the eRASS1 source"),
    "ELON": ("deg", "pos.ecliptic.lon", "Ecliptic longitude of the eRASS1 source"),
    "ELAT": ("deg", "pos.ecliptic.lat", "Ecliptic latitude of the eRASS1 source"),
    "MJD": ("d", "time.epoch", "Modified Julian Date of the eRASS1 observation"),
    "MJD_MIN": ("d", "time.start", "First Modified Julian Date of the source's observations"),
    "MJD_MAX": ("d", "time.end", "Last Modified Julian Date of the source's observations"),
    "EXT": ("arcsec", "phys.angSize", "Source extent (beta-model core radius)"),
    "EXT_ERR": ("arcsec", "stat.error;phys.angSize", "1-sigma error of EXT"),
    "EXT_LIKE": ("", "stat.likelihood", "Extent likelihood (dimensionless)"),
    "DET_LIKE_0": ("", "stat.likelihood", "Detection likelihood in the 0.2-5 keV band (dimensionless)"),
    "DET_LIKE": ("", "stat.likelihood", "Detection likelihood (dimensionless)"),
}
#: The eRASS1 DR1 per-band columns (``_<band>`` suffix): pattern -> (unit, UCD, description).
_ERASS1_BANDS = (
    (r"ML_CTS(_\d)?", "ct", "phot.count", "Source counts from the PSF fit"),
    (r"ML_CTS_ERR(_\d)?", "ct", "stat.error;phot.count", "1-sigma error of the source counts"),
    (r"ML_RATE(_\d)?", "ct / s", "phot.count;arith.rate", "Count rate from the PSF fit"),
    (r"ML_RATE_ERR(_\d)?", "ct / s", "stat.error;phot.count;arith.rate", "1-sigma error of the count rate"),
    (r"ML_FLUX(_\d)?", "erg / (s cm2)", "phot.flux;em.X-ray", "Flux from the PSF fit"),
    (r"ML_FLUX_(LOW|UP)?ERR(_\d)?", "erg / (s cm2)", "stat.error;phot.flux;em.X-ray", "1-sigma error of the flux"),
    (r"ML_BKG(_\d)?", "ct / arcmin2", "phot.count;instr.background", "Background at the source position"),
    (r"ML_EXP(_\d)?", "s", "time.duration;obs.exposure", "Vignetted exposure time at the source position"),
    (r"DET_LIKE_\d", "", "stat.likelihood", "Detection likelihood in the band (dimensionless)"),
    (r"FLAG_\w+", "", "meta.code", "eRASS1 quality flag (1: set)"),
)


def release_spec(name: str) -> ColumnSpec | None:
    """The declaration of an eRASS1 DR1 column carried from the input (``in_`` prefix allowed), or None.

    Parameters
    ----------
    name : str
        The column's name in xrbvo's catalogue.

    Returns
    -------
    ColumnSpec | None
        Unit, UCD and description from the release's data model, or None for another column.
    """
    base = name
    while base.startswith(INPUT_PREFIX) and base[len(INPUT_PREFIX):]:
        base = base[len(INPUT_PREFIX):]
    if base in ERASS1_RELEASE:
        unit, ucd, text = ERASS1_RELEASE[base]
        return ColumnSpec(name, unit, ucd, f"{text} ({base} of the input X-ray table)")
    for pattern, unit, ucd, text in _ERASS1_BANDS:
        if re.fullmatch(pattern, base):
            return ColumnSpec(name, unit, ucd, f"{text} ({base} of the input X-ray table)")
    return None


#: Prefix of an input X-ray table's column whose name is one of xrbvo's own (``RA`` -> ``in_RA``).
INPUT_PREFIX = "in_"
#: Start of the description given to an input column that has none of its own.
INPUT_DESCRIPTION = "from the input X-ray table: "
#: Key of a column's ``info.meta`` marking it as carried from the input X-ray table (value: its input name).
_INPUT_KEY = "xrbvo_input"


def is_reserved(name: str) -> bool:
    """True when ``name`` is, or differs only in case from, a column xrbvo writes itself (FITS names ignore case).

    Parameters
    ----------
    name : str
        A column name.

    Returns
    -------
    bool
        Whether an input column of that name would clash with one of xrbvo's.

    Examples
    --------
    >>> is_reserved("RA"), is_reserved("p_hmxb"), is_reserved("DET_LIKE_0")
    (True, True, False)
    """
    low = name.lower()
    for group in _DEFAULT_GROUPS:
        if any(k.lower() == low for k in group):
            return True
    for pattern, _, _ in _CLASS_FAMILIES:
        if re.fullmatch(pattern.pattern, name, re.IGNORECASE):
            return True
    m = re.fullmatch(r"(nid|row|sep)_(.+)", low)
    if m is not None and m.group(2) in SURVEYS:
        return True
    return False


def mark_input_column(col, input_name: str) -> None:
    """Mark ``col`` as carried unchanged from the input X-ray table, where it was called ``input_name``.

    Its unit, UCD and description stay as the input gave them; one without a description gets
    ``from the input X-ray table: <input_name>``.  :func:`describe_table` leaves such columns as they are.

    Parameters
    ----------
    col : astropy.table.Column
        The column (its ``info.meta`` is changed in place).
    input_name : str
        Its name in the input table.
    """
    if col.info.meta is None:
        col.info.meta = {}
    col.info.meta[_INPUT_KEY] = input_name
    spec = release_spec(input_name)  # an eRASS1 DR1 column: its unit and UCD from the release when not given
    if spec is not None:
        if not col.info.meta.get("ucd"):
            col.info.meta["ucd"] = spec.ucd
        if getattr(col, "unit", None) is None and spec.unit:
            col.unit = spec.unit
    if not col.info.description:
        col.info.description = f"{INPUT_DESCRIPTION}{input_name}"


def is_input_column(col) -> bool:
    """True for a column :func:`mark_input_column` marked (also after a Parquet or ECSV round trip), or one
    whose description says it comes from the input X-ray table (after FITS or VOTable).

    Parameters
    ----------
    col : astropy.table.Column
        The column.

    Returns
    -------
    bool
        Whether it was carried from the input X-ray table.
    """
    meta = col.info.meta or {}
    return _INPUT_KEY in meta or str(col.info.description or "").startswith(INPUT_DESCRIPTION)


def describe_table(table: Table, *groups: dict[str, ColumnSpec] | None) -> Table:
    """Set unit, UCD and description of every column of ``table`` from the schema.

    ``groups`` (e.g. :data:`COUNTERPARTS` for the counterparts table) take precedence over the
    default look-up of :func:`column_spec`.  Numeric columns get the declared unit (none when
    declared dimensionless); text and boolean columns get none.  The table is modified in place
    and returned.  Columns carried from the input X-ray table (:func:`is_input_column`) keep their own
    unit, UCD and description.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    *groups : dict[str, ColumnSpec] | None
        Groups of declarations to use; default every group of the schema.

    Returns
    -------
    astropy.table.Table
        ``table``, described in place.

    Raises
    ------
    InputError
        Naming every column the schema cannot describe (nothing is changed then).
    """
    specs = {name: column_spec(name, *groups) for name in table.colnames if not is_input_column(table[name])}
    unknown = [name for name, spec in specs.items() if spec is None or spec.unit is None or not spec.ucd]
    if unknown:
        raise InputError(f"the schema (xrbvo.core.schema) does not describe column(s) {', '.join(unknown)}; "
                         "declare them there")
    for name, spec in specs.items():
        col = table[name]
        if isinstance(col, Column):
            numeric = np.issubdtype(col.dtype, np.number) and col.dtype.kind != "b"
            col.unit = spec.unit if numeric and spec.unit else None
        col.info.description = spec.description
        if col.info.meta is None:
            col.info.meta = {}
        col.info.meta["ucd"] = spec.ucd
    return table


def undescribed_columns(table: Table, *groups: dict[str, ColumnSpec] | None) -> list[str]:
    """Columns of ``table`` as it stands that lack a description, a UCD, or a unit.

    A column without a unit passes when the schema declares it dimensionless
    (:func:`column_spec`, with ``groups`` first); e.g. a table read back from a
    written FITS or VOTable file.

    Parameters
    ----------
    table : astropy.table.Table
        The table.
    *groups : dict[str, ColumnSpec] | None
        Groups of declarations to look in; default every group of the schema.

    Returns
    -------
    list[str]
        Columns of ``table`` as it stands that lack a description, a UCD, or a unit.
    """
    out = []
    for name in table.colnames:
        if is_input_column(table[name]):  # the input's own metadata, as it came
            continue
        info = table[name].info
        meta = info.meta or {}
        spec = column_spec(name, *groups)
        has_unit = getattr(table[name], "unit", None) not in (None, "") or (spec is not None and spec.dimensionless)
        if not info.description or not meta.get("ucd") or not has_unit:
            out.append(name)
    return out
