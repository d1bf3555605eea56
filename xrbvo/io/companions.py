"""Where the companion files of a catalogue are: ``NAME_counterparts.*``, ``NAME_neighbours.*``, the marks file.

``xrbvo run`` writes a catalogue with two companions next to it; the terminal UI
(:mod:`xrbvo.tui.data`) and the explore session (:mod:`xrbvo.workflows.live`)
find them with :func:`companion_paths`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xrbvo.io.tables import FORMATS

__all__ = ["CompanionPaths", "companion_paths"]

_SUFFIXES = tuple(sorted(FORMATS, key=len, reverse=True))


def _stem(path: Path) -> tuple[str, str]:
    name = path.name
    for s in _SUFFIXES:
        if name.lower().endswith(s):
            return name[: -len(s)], name[-len(s):]
    return path.stem, path.suffix


@dataclass(frozen=True)
class CompanionPaths:
    """Where the companions of a catalogue file are (or would be).

    Parameters
    ----------
    catalogue : Path
        The catalogue file.
    counterparts : Path | None
        The counterparts table (one row per candidate combination), if found.
    neighbours : Path | None
        The neighbourhood table (one row per neighbour, with a ``survey`` column), if found.
    marks : Path
        The side file that keeps marks and notes.
    """

    catalogue: Path
    """The catalogue file."""
    counterparts: Path | None
    """The counterparts table (one row per candidate combination), if found."""
    neighbours: Path | None
    """The neighbourhood table (one row per neighbour, with a ``survey`` column), if found."""
    marks: Path
    """The side file that keeps marks and notes."""


def companion_paths(catalogue: str | Path) -> CompanionPaths:
    """Find the companion files of ``catalogue`` next to it.

    ``NAME.fits`` and ``NAME_catalogue.fits`` both look for
    ``NAME_counterparts.*`` and ``NAME_neighbours.*``; the marks side file is
    ``<catalogue stem>.marks.json`` (shared by the FITS, VOTable and CSV copies
    of one catalogue).

    Parameters
    ----------
    catalogue : str or Path
        The catalogue file.

    Returns
    -------
    CompanionPaths
        The companion files found (None for each one that is absent).
    """
    p = Path(catalogue)
    stem, _ = _stem(p)
    bases = [stem]
    if stem.endswith("_catalogue"):
        bases.append(stem[: -len("_catalogue")])

    def find(kind: str) -> Path | None:
        for base in bases:
            for suffix in (".fits", ".vot", ".ecsv", ".parquet", ".csv"):
                cand = p.with_name(f"{base}_{kind}{suffix}")
                if cand.exists():
                    return cand
        return None

    return CompanionPaths(p, find("counterparts"), find("neighbours"), p.with_name(f"{stem}.marks.json"))
