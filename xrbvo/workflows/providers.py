"""Where neighbourhoods come from, for the interfaces: the providers ``run``, ``query`` and ``explore`` build.

The interfaces (:mod:`xrbvo.cli`, :mod:`xrbvo.tui`) reach the stages only through the
workflows (the import-linter contract "interfaces call workflows only" in pyproject.toml);
this module hands them the providers of :mod:`xrbvo.stages.neighbourhoods` as they are,
and the ADQL a TAP provider sends for one survey.

:class:`LsdbProvider` needs the optional ``scale`` extra (lsdb): it is imported when it is
asked for, and raises :class:`ImportError` (naming the missing module) without it.
"""

from __future__ import annotations

from xrbvo.core.surveys import get_survey
from xrbvo.stages.neighbourhoods import LocalProvider, Provider, TapProvider
from xrbvo.stages.neighbourhoods.tap import survey_columns
from xrbvo.vo.tap import upload_join_adql

__all__ = ["Provider", "LocalProvider", "TapProvider", "LsdbProvider", "neighbours_adql"]


def neighbours_adql(survey: str, radius_arcsec: float) -> str:
    """The ADQL :class:`TapProvider` sends for one survey's neighbourhoods (``xrbvo query neighbours --show-adql``).

    Parameters
    ----------
    survey : str
        A survey of the registry (:func:`xrbvo.core.surveys.get_survey`).
    radius_arcsec : float
        The search radius, arcsec.

    Returns
    -------
    str
        The upload join of the uploaded sources (``TAP_UPLOAD.xrbvo_src``: ra, dec) with the survey's table.
    """
    s = get_survey(survey)
    cols, join = survey_columns(s)
    return upload_join_adql(s.table, cols, s.ra_column, s.dec_column, radius_arcsec, join=join)


def __getattr__(name):
    # LsdbProvider needs the optional `scale` extra (lsdb): imported only when asked for
    if name == "LsdbProvider":
        from xrbvo.stages.neighbourhoods.lsdb import LsdbProvider

        return LsdbProvider
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
