"""The one parser of sky positions written as text: every table reader and every TAP answer uses it.

The rules, the same for X-ray tables, survey catalogues, known-object catalogues and TAP answers:

* a decimal number is in **degrees**, in RA as in Dec (``185.24086``, ``-62.2417``, ``1.2e2``);
* sexagesimal **RA is in hours** (``12 34 56.7``, ``12:34:56.7``, ``12h34m56.7s``, ``12h34.5m``), sexagesimal
  **Dec in degrees** (``-61 23 45``, ``-61:23:45``, ``-61d23m45s``, ``-61°23′45″``); an explicit ``d`` or ``°``
  makes an RA degrees (``187d30m``), and a Dec in hours (``12h``) is refused;
* minutes and seconds are below 60 (the last field may read exactly 60: a rounding carry, as in
  ``-71:46:60.0``, which published catalogues hold); only the last field may have decimals;
* RA lies in [0, 24) h, i.e. [0, 360) deg, and has no minus sign; Dec lies in [-90, 90] deg;
* a decimal comma (``12,5``) is refused, not read as 12 (a comma-separated list of sexagesimal
  alternatives, as some catalogues of known objects give, is read only where the caller asks for it);
* an empty value, ``nan``, ``null``, ``none`` or ``--`` is a missing position (NaN): what a missing
  position means (a refusal, a dropped row) is the caller's rule.

Anything else is a :class:`~xrbvo.core.errors.InputError` naming the table, the row, the column, the
value and what is wrong with it.

>>> float(parse_angle("12:30:00", "ra")), float(parse_angle("185.24086", "ra")), float(parse_angle("-5d30m", "dec"))
(187.5, 185.24086, -5.5)
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Literal

import numpy as np

from xrbvo.core.errors import InputError

__all__ = ["parse_angle", "parse_angles", "AngleKind", "POSITION_HINT"]

AngleKind = Literal["ra", "dec"]

#: What a reader should write, appended to every refusal.
POSITION_HINT = ("give decimal degrees, or sexagesimal text: RA in hours (12:34:56.7, 12 34 56.7, 12h34m56.7s), "
                 "Dec in degrees (-61:23:45, -61 23 45, -61d23m45s)")

_MISSING = frozenset({"", "nan", "null", "none", "--", "n/a", "na"})
_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DECIMAL = re.compile(rf"[+-]?{_NUM}(?:[eE][+-]?\d+)?")
# 12:34:56.7, 12 34 56.7, 12:34.5, 12 34 (separators: colons or blanks)
_FIELDS = re.compile(rf"({_NUM})(?:\s*:\s*|\s+)({_NUM})(?:(?:\s*:\s*|\s+)({_NUM}))?")
# 12h34m56.7s, 12h34m, 12h, 12.5h, -61d23m45s, -61°23′45″, 61d23'45", 12h34m56 (the last letter may be left out)
_LETTERS = re.compile(rf"({_NUM})\s*([hd°])\s*(?:({_NUM})\s*([m′']\s*)?)?(?:({_NUM})\s*(?:[s″\"]|'')?)?")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-"})  # minus signs typeset as dashes


class _Unreadable(ValueError):
    """Why one value is not a position (the reason; the caller adds table, row and column)."""


def _integral(text: str | None) -> bool:
    return text is None or "." not in text


def _fields(body: str, kind: AngleKind) -> tuple[float, str]:
    """Value and unit ("h" or "deg") of an unsigned sexagesimal body; raises _Unreadable."""
    m = _FIELDS.fullmatch(body)
    if m:
        a, b, c = m.group(1), m.group(2), m.group(3)
        unit = "h" if kind == "ra" else "deg"
    else:
        m = _LETTERS.fullmatch(body)
        if not m:
            raise _Unreadable("not a number nor a sexagesimal angle")
        a, letter, b, m_mark, c = m.groups()
        if b is not None and c is not None and not m_mark:
            raise _Unreadable("the minutes lack their 'm'")
        unit = "h" if letter == "h" else "deg"
        if kind == "dec" and unit == "h":
            raise _Unreadable("a declination is in degrees, not hours")
    if not _integral(a) and b is not None:
        raise _Unreadable("only the last field may have decimals")
    if not _integral(b) and c is not None:
        raise _Unreadable("only the last field may have decimals")
    minutes = float(b) if b is not None else 0.0
    seconds = float(c) if c is not None else 0.0
    # the last field may read exactly 60, a rounding carry (59.996 printed as 60.0, in published catalogues)
    if minutes > 60 or (minutes == 60 and c is not None):
        raise _Unreadable(f"{b} minutes: minutes must be below 60")
    if seconds > 60:
        raise _Unreadable(f"{c} seconds: seconds must be below 60")
    return float(a) + minutes / 60.0 + seconds / 3600.0, unit


def _checked(deg: float, kind: AngleKind, sexagesimal_hours: bool) -> float:
    if kind == "ra":
        if not (0.0 <= deg < 360.0):
            if sexagesimal_hours:
                raise _Unreadable("out of range: RA in hours must lie in [0, 24)")
            raise _Unreadable("out of range: RA must lie in [0, 360) degrees")
    elif not (-90.0 <= deg <= 90.0):
        raise _Unreadable("out of range: Dec must lie in [-90, 90] degrees")
    return deg


def _angle(text: str, kind: AngleKind, alternatives: bool) -> float:
    """Degrees of one stripped, non-missing text value; raises _Unreadable."""
    s = text.translate(_MINUS)
    if "," in s:
        parts = [p.strip() for p in s.split(",")]
        if alternatives and len(parts) > 1 and not _DECIMAL.fullmatch(parts[0]) and parts[0]:
            return _angle(parts[0], kind, False)  # alternatives listed by the catalogue: its first is its own
        raise _Unreadable("a comma: write decimals with a point (12.5, not 12,5), one value per cell")
    if _DECIMAL.fullmatch(s):
        deg = float(s)
        if not math.isfinite(deg):
            raise _Unreadable("not a finite number")
        return _checked(deg, kind, False)
    sign = 1.0
    body = s
    if body[:1] in "+-":
        sign = -1.0 if body[0] == "-" else 1.0
        body = body[1:].lstrip()
    body = body.lower()
    value, unit = _fields(body, kind)
    if kind == "ra" and sign < 0:
        raise _Unreadable("a negative right ascension: RA lies in [0, 24) h, i.e. [0, 360) deg")
    if unit == "h":
        if value >= 24:
            raise _Unreadable("out of range: RA in hours must lie in [0, 24)")
        return _checked(15.0 * value, kind, True)
    return _checked(sign * value, kind, False)


def _shown(text: str) -> str:
    """A value as messages show it: quoted, escaped, at most 40 characters."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def parse_angle(text: str, kind: AngleKind, *, alternatives: bool = False) -> float:
    """Degrees of one RA (``kind="ra"``) or Dec (``"dec"``) written as text; NaN for a missing value.

    Parameters
    ----------
    text : str
        The value: decimal degrees, or sexagesimal (RA in hours, Dec in degrees).
    kind : {"ra", "dec"}
        Which coordinate.
    alternatives : bool, optional
        Read a comma-separated list of sexagesimal alternatives as its first item.

    Returns
    -------
    float
        Degrees (RA in [0, 360), Dec in [-90, 90]), or NaN for an empty, ``nan``, ``null`` or ``--`` value.

    Raises
    ------
    InputError
        Naming the value and what is wrong with it.
    """
    s = str(text).strip()
    if s.lower() in _MISSING:
        return math.nan
    try:
        return _angle(s, kind, alternatives)
    except _Unreadable as exc:
        label = "RA" if kind == "ra" else "Dec"
        raise InputError(f"cannot read {label} {_shown(s)} ({exc}); {POSITION_HINT}") from None


def _decimal_rows(vals: list, masked: list[bool], kind: AngleKind, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` where a text value is a plain decimal number in range, vectorised (the common case of a
    CSV column of degrees); True there.  Every other row is left to the per-value parser."""
    done = np.zeros(len(vals), bool)
    if not vals or not all(type(v) is str for v in vals):
        return done
    arr = np.char.strip(np.array(vals, dtype=str))
    try:
        f = arr.astype(float)
    except ValueError:
        return done
    low, high = (0.0, 360.0) if kind == "ra" else (-90.0, 90.0)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(f) & (f >= low) & ((f < high) if kind == "ra" else (f <= high))
    ok &= (np.char.find(arr, "_") < 0) & ~np.asarray(masked, bool)  # Python's float takes 1_000: the parser does not
    out[ok] = f[ok]
    return ok


def parse_angles(values: Iterable, kind: AngleKind, *, source: str = "table", column: str | None = None,
                 mask: Iterable[bool] | None = None, first_row: int = 0, alternatives: bool = False) -> np.ndarray:
    """Degrees of a column of RA or Dec values: numbers (degrees, as they are), text, or missing (NaN).

    Parameters
    ----------
    values : iterable
        One value per row: a number (taken as degrees; range checks are the caller's), text or bytes
        (parsed by the rules of this module), or None (missing).
    kind : {"ra", "dec"}
        Which coordinate: sexagesimal RA is in hours, Dec in degrees.
    source : str
        How messages name the table.
    column : str, optional
        How messages name the column (default ``RA`` or ``Dec``).
    mask : iterable of bool, optional
        True where a value is missing.
    first_row : int
        The number messages give the first row (0, or 1 for readers that count from 1).
    alternatives : bool
        Read a comma-separated list of sexagesimal alternatives as its first item (catalogues of known
        objects list alternative positions so); a decimal comma is refused either way.

    Returns
    -------
    numpy.ndarray
        Degrees per row (float64), NaN where a value is missing.

    Raises
    ------
    InputError
        ``"{source}: row {n}: cannot read {column} {value!r} ({why}); give ..."`` for the first value
        that is not a position.
    """
    vals = list(values)
    masked = [False] * len(vals) if mask is None else [bool(m) for m in mask]
    out = np.full(len(vals), np.nan)
    label = column or ("RA" if kind == "ra" else "Dec")
    done = _decimal_rows(vals, masked, kind, out)
    for i, (v, m) in enumerate(zip(vals, masked)):
        if m or v is None or done[i]:
            continue
        if isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, (bool, np.bool_)):
            out[i] = float(v)
            continue
        if isinstance(v, (bytes, np.bytes_)):
            v = bytes(v).decode("utf-8", "replace")
        s = str(v).strip()
        if s.lower() in _MISSING:
            continue
        try:
            out[i] = _angle(s, kind, alternatives)
        except _Unreadable as exc:
            raise InputError(f"{source}: row {i + first_row}: cannot read {label} {_shown(s)} ({exc}); "
                             f"{POSITION_HINT}") from None
    return out
