"""CDS Sesame: an object name resolved to a position (one attempt, a short time limit, no retries).

Used by ``xrbvo explore`` when a typed position is a name
(:func:`xrbvo.workflows.live.resolve_name`).  The service answers in plain text;
the line starting with ``%J`` holds the ICRS position in degrees.
"""

from __future__ import annotations

__all__ = ["SESAME_URL", "SESAME_TIMEOUT_S", "resolve", "parse_answer"]

#: The CDS Sesame service (plain-text answer, every database, the first that knows the name).
SESAME_URL = "https://cds.unistra.fr/cgi-bin/nph-sesame/-oI/A?"
#: Seconds a CDS Sesame look-up may take (one attempt, no retries).
SESAME_TIMEOUT_S = 3.0


def parse_answer(body: str) -> tuple[float, float] | None:
    """The position in a Sesame plain-text answer, or None when the answer holds none.

    Parameters
    ----------
    body : str
        The service's answer.

    Returns
    -------
    tuple[float, float] or None
        (RA, Dec) in degrees, ICRS, from the first ``%J`` line; None when there is no such line or it does not
        start with two numbers.

    Examples
    --------
    >>> parse_answer("# Cyg X-1\\n%J 299.5903165 +35.2016042 = 19:58:21.67 +35:12:05.7\\n")
    (299.5903165, 35.2016042)
    >>> parse_answer("#! *** Nothing found *** ") is None
    True
    """
    for line in body.splitlines():
        if line.startswith("%J "):
            parts = line[3:].split()
            try:
                return float(parts[0]), float(parts[1])
            except (IndexError, ValueError):
                return None
    return None


def resolve(name: str, *, timeout_s: float = SESAME_TIMEOUT_S, url: str = SESAME_URL) -> tuple[float, float]:
    """An object name resolved by CDS Sesame (one attempt, ``timeout_s``, no retries).

    Parameters
    ----------
    name : str
        The object's name.
    timeout_s : float, optional
        Time limit, seconds.
    url : str, optional
        The Sesame service's URL (the name, quoted, is appended to it).

    Returns
    -------
    tuple[float, float]
        (RA, Dec) in degrees, ICRS.

    Raises
    ------
    ServiceError
        Offline, Sesame unreachable or slow (one line saying so), or the name unknown.
    """
    import socket
    import urllib.error
    import urllib.parse
    import urllib.request

    from xrbvo.core.errors import ServiceError

    try:
        with urllib.request.urlopen(url + urllib.parse.quote(name), timeout=timeout_s) as r:
            body = r.read(1 << 16).decode("utf-8", "replace")
    except (urllib.error.URLError, socket.timeout, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ServiceError(f"cannot resolve {name!r}: CDS Sesame is not reachable ({reason}); offline? "
                           "type RA Dec or gal l b instead") from None
    pos = parse_answer(body)
    if pos is None:
        raise ServiceError(f"CDS Sesame does not know {name!r}; check the name or type RA Dec")
    return pos
