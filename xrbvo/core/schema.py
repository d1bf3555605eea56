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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.table import Table

__all__ = [
    "CLASSES",
    "CLASS_DESCRIPTIONS",
    "XRB_CLASSES",
    "ColumnSpec",
    "XRAY",
    "NEIGHBOUR",
    "PHOTOMETRY",
    "CATALOGUE",
    "TRUTH",
    "prob_column",
    "apply_schema",
]

#: The nine source classes, in the fixed order of every probability vector.
CLASSES: tuple[str, ...] = (
    "HMXB",
    "LMXB",
    "NS",
    "CV",
    "WR",
    "AGN",
    "EARLY",
    "STAR",
    "YSO",
)

CLASS_DESCRIPTIONS: dict[str, str] = {
    "HMXB": "high-mass X-ray binary (O/B/Be or supergiant donor)",
    "LMXB": "low-mass X-ray binary",
    "NS": "isolated neutron star (magnetar, pulsar, CCO)",
    "CV": "cataclysmic variable",
    "WR": "Wolf-Rayet star",
    "AGN": "active galactic nucleus",
    "EARLY": "early-type star (O/B/Be, gamma Cas)",
    "STAR": "evolved or active late-type star",
    "YSO": "young stellar object",
}

#: The classes the search is after.
XRB_CLASSES: tuple[str, ...] = ("HMXB", "LMXB")


def prob_column(cls: str) -> str:
    """Name of the catalogue column holding the probability of class ``cls``."""
    return f"P_{cls}"


@dataclass(frozen=True)
class ColumnSpec:
    """Declaration of one column of a stage table."""

    name: str
    """Column name."""
    unit: str | None
    """Unit string understood by astropy (None for dimensionless or text)."""
    ucd: str | None
    """IVOA Unified Content Descriptor, so that TOPCAT and Aladin recognise it."""
    description: str
    """One line saying what the column holds."""


def _specs(*rows: tuple[str, str | None, str | None, str]) -> dict[str, ColumnSpec]:
    return {r[0]: ColumnSpec(*r) for r in rows}


XRAY = _specs(
    ("xid", None, "meta.id;meta.main", "X-ray source identifier"),
    ("ra", "deg", "pos.eq.ra;meta.main", "Right ascension (ICRS)"),
    ("dec", "deg", "pos.eq.dec;meta.main", "Declination (ICRS)"),
    ("pos_err", "arcsec", "stat.error;pos.eq", "1-sigma positional error per coordinate, systematics included"),
    ("flux_soft", "erg / (s cm2)", "phot.flux;em.X-ray", "Flux in the soft band (eRASS1: 0.2-2.3 keV)"),
    ("flux_soft_err", "erg / (s cm2)", "stat.error;phot.flux;em.X-ray", "1-sigma error of flux_soft"),
    ("flux_hard", "erg / (s cm2)", "phot.flux;em.X-ray", "Flux in the hard band (eRASS1: 2.3-5 keV)"),
    ("flux_hard_err", "erg / (s cm2)", "stat.error;phot.flux;em.X-ray", "1-sigma error of flux_hard"),
    ("epoch", "yr", "time.epoch", "Epoch of the X-ray position (Julian year)"),
)

NEIGHBOUR = _specs(
    ("xid", None, "meta.id", "X-ray source this neighbour belongs to"),
    ("nid", None, "meta.id;meta.main", "Neighbour identifier in its survey"),
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
    ("sepsi", None, "stat.value", "Significance of the astrometric excess noise"),
    ("ruwe", None, "stat.value", "Renormalised unit weight error"),
    ("var_G", "mag", "src.var.amplitude", "Variability amplitude in G (excess scatter)"),
    ("rgeo", "pc", "pos.distance", "Geometric distance (Bailer-Jones et al. 2021)"),
    ("J", "mag", "phot.mag;em.IR.J", "J magnitude (2MASS or VVV, Vega)"),
    ("H", "mag", "phot.mag;em.IR.H", "H magnitude (2MASS or VVV, Vega)"),
    ("K", "mag", "phot.mag;em.IR.K", "Ks magnitude (2MASS or VVV, Vega)"),
    ("W1", "mag", "phot.mag;em.IR.3-4um", "W1 magnitude (CatWISE2020, Vega)"),
    ("W2", "mag", "phot.mag;em.IR.4-8um", "W2 magnitude (CatWISE2020, Vega)"),
)

CATALOGUE = _specs(
    ("xid", None, "meta.id;meta.main", "X-ray source identifier"),
    ("ra", "deg", "pos.eq.ra;meta.main", "Right ascension of the X-ray source (ICRS)"),
    ("dec", "deg", "pos.eq.dec;meta.main", "Declination of the X-ray source (ICRS)"),
    ("l", "deg", "pos.galactic.lon", "Galactic longitude"),
    ("b", "deg", "pos.galactic.lat", "Galactic latitude"),
    ("pos_err", "arcsec", "stat.error;pos.eq", "1-sigma positional error per coordinate"),
    ("p_any", None, "stat.probability", "Probability that the source has a counterpart in any survey"),
    ("p_i", None, "stat.probability", "Probability of the chosen counterpart combination, given one exists"),
    ("match_flag", None, "meta.code", "1 for the most probable combination, 2 for a close second (p_i > 0.5 p_i best), else 0"),
    ("n_candidates", None, "meta.number", "Number of neighbours within the search radius, all surveys"),
    ("nh", "cm-2", "phys.columnDensity", "Total Galactic N_H on the sight line (HI4PI)"),
    ("predicted_class", None, "src.class", "Most probable of the nine classes"),
    ("candidate", None, "meta.code", "True when the source passes an X-ray-binary probability cut"),
    ("candidate_class", None, "src.class", "HMXB or LMXB for candidates, empty otherwise"),
)

#: Columns of the simulated sky's truth table (one row per X-ray source).
TRUTH = _specs(
    ("xid", None, "meta.id;meta.main", "X-ray source identifier"),
    ("true_class", None, "src.class", "True class"),
    ("distance", "pc", "pos.distance", "True distance (NaN for AGN)"),
    ("lum_soft", "erg / s", "phys.luminosity;em.X-ray", "Intrinsic soft-band luminosity (NaN for AGN)"),
    ("nh_los", "cm-2", "phys.columnDensity", "Absorbing column in front of the source"),
    ("av_los", "mag", "phys.absorption;em.opt.V", "V-band extinction in front of the source"),
)


def apply_schema(table: Table, *spec_groups: dict[str, ColumnSpec]) -> Table:
    """Set unit, UCD and description of every column declared in ``spec_groups``.

    Columns that the specs do not mention are left alone; the table is modified
    in place and returned.
    """
    for group in spec_groups:
        for name, spec in group.items():
            if name not in table.colnames:
                continue
            col = table[name]
            if spec.unit is not None and np.issubdtype(col.dtype, np.number) and col.dtype.kind != "b":
                col.unit = spec.unit
            col.description = spec.description
            if spec.ucd:
                col.meta["ucd"] = spec.ucd
    return table
