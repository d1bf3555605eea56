"""Array helpers for values grouped by source (consecutive segments of one array).

The association keeps candidates and combinations sorted by X-ray source, so
per-source quantities are reductions over consecutive segments; these
helpers compute them without a per-source loop.
"""

from __future__ import annotations

import numpy as np

__all__ = ["zeros", "group_starts", "seg_max", "seg_sum"]


def zeros(n: int) -> np.ndarray:
    """``n`` zeros without memory, for columns that are all zero.

    Parameters
    ----------
    n : int
        Length of the array.

    Returns
    -------
    numpy.ndarray
        A read-only broadcast of ``0.0`` (its stride is 0, which callers use
        to recognise an all-zero column).
    """
    return np.broadcast_to(np.float64(0.0), (n,))


def group_starts(counts: np.ndarray) -> np.ndarray:
    """Start index of each group in an array holding ``counts[i]`` items of group ``i`` in turn.

    Parameters
    ----------
    counts : numpy.ndarray
        Number of items per group.

    Returns
    -------
    numpy.ndarray
        ``int64`` start offsets, ``[0, counts[0], counts[0] + counts[1], ...]``.
    """
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _seg_reduce(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray, n: int, empty: float) -> np.ndarray:
    """``ufunc`` reduced over each of ``n`` consecutive segments; ``empty`` for empty segments."""
    out = np.full(n, empty)
    lens = np.diff(np.append(starts, len(values)))
    nz = lens > 0
    if nz.any():
        out[nz] = ufunc.reduceat(values, starts[nz])
    return out


def seg_max(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Maximum of consecutive segments.

    Parameters
    ----------
    values : numpy.ndarray
        The values, segment after segment.
    starts : numpy.ndarray
        Start index of each of the ``n`` segments (non-decreasing).
    n : int
        Number of segments.

    Returns
    -------
    numpy.ndarray
        The maximum of each segment; empty segments get ``-inf``.
    """
    return _seg_reduce(np.maximum, values, starts, n, -np.inf)


def seg_sum(values: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Sum of consecutive segments (parameters as :func:`seg_max`).

    Parameters
    ----------
    values : numpy.ndarray
        The values to sum.
    starts : numpy.ndarray
        Start index of each segment.
    n : int
        Number of segments.

    Returns
    -------
    numpy.ndarray
        The sum of each segment; empty segments get 0.
    """
    return _seg_reduce(np.add, values, starts, n, 0.0)
