r"""One way to show text that came from a user or from data.

Names of known objects, source ids, file names and messages quoting them end
up on a terminal (rich), in the terminal UI (Textual), in the HTML report, in
matplotlib figures and in output files.  Each of those gives some characters a
meaning of its own: rich and Textual read ``[bold]`` and ``[@click=...]`` as
markup, a terminal obeys escape sequences (ESC, OSC, CSI), matplotlib reads
text between two ``$`` as mathtext, HTML reads ``<`` and ``&``, XML (VOTable)
forbids most control characters outright, and FITS headers hold printable
ASCII only.  Every such text goes through one function of this module before
it is shown or written, so it is shown as it is, never obeyed:

========================  =====================================================
:func:`for_console`       a rich console or renderable built without markup
:func:`for_markup`        a value put inside rich console markup
:func:`for_mathtext`      a matplotlib text (title, label, annotation)
:func:`for_html`          HTML text or an attribute value
:func:`for_xml`           a VOTable cell or INFO value (only what XML forbids)
:func:`for_fits_header`   a FITS header value (printable ASCII)
:func:`for_ascii`         the last resort of an error line (printable ASCII)
========================  =====================================================

Control characters are never dropped in silence: each one is shown as a
visible escape (``\x1b``, ``\x01``, ``\u202e``), so what was in a name can
still be read.  :func:`strip_control` removes them instead, for the rare place
where an escape would mislead.

Examples
--------
>>> for_console("J1\x1b]8;;http://x\x07oops")
'J1\\x1b]8;;http://x\\x07oops'
>>> for_markup("[/]oops")
'\\[/]oops'
>>> for_mathtext(r"J1$\foo$")
'J1\\$\\foo\\$'
>>> for_html("<b>&")
'&lt;b&gt;&amp;'
>>> for_fits_header("Hard_é.fits")
'Hard_\\xe9.fits'
"""

from __future__ import annotations

import html
import re

__all__ = ["escape_control", "strip_control", "one_line", "for_console", "for_markup", "for_mathtext",
           "for_html", "for_xml", "for_ascii", "for_fits_header"]

#: Characters a terminal or a UI may obey instead of showing: C0 controls (tab and newline are
#: handled by ``keep``), DEL, C1 controls (CSI, OSC, ... as single bytes), and the Unicode
#: direction overrides and isolates that reorder what is shown ("Trojan source").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

#: Characters XML 1.0 forbids (a VOTable holding one is not well-formed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


#: What rich reads as a tag (any backslashes before it escape it, two by two), and backslashes at the end.
_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
_TRAILING_BACKSLASHES = re.compile(r"\\+$")
_LONE_BRACKET = re.compile(r"(\\+)\[(?![a-z#/@][^[]*?])")


def _visible(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def escape_control(text, *, keep: str = "\t\n") -> str:
    """``text`` with every control character (except those in ``keep``) shown as a visible escape.

    Parameters
    ----------
    text : object
        Converted with ``str``.
    keep : str
        Control characters left as they are (tab and newline by default; ``""``
        for a value that must stay on one line).

    Returns
    -------
    str
        The text with visible escapes (``\\x1b``, ``\\n``, ``\\u202e``) in place of the control characters.
    """
    s = str(text)
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in keep else _visible(m.group(0)), s)


def strip_control(text, *, keep: str = "\t\n") -> str:
    """``text`` without its control characters (except those in ``keep``).

    Parameters
    ----------
    text : object
        Converted with ``str``.
    keep : str
        Control characters left as they are (tab and newline by default).

    Returns
    -------
    str
        The text without the control characters.
    """
    s = str(text)
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in keep else "", s)


def one_line(text) -> str:
    """``text`` for one line of output: every control character, newline and tab included, escaped.

    For a name or an id placed among other words, where a newline in it could
    start a line that looks like xrbvo's own (``error: ...``).

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The text on one line, every control character a visible escape.
    """
    return escape_control(text, keep="")


def for_console(text) -> str:
    """``text`` for a console that does not read markup: control characters escaped (newlines kept).

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The text to print on a console built with ``markup=False``.
    """
    return escape_control(text)


def for_markup(text) -> str:
    """``text`` to put inside rich console markup (between tags): shown as it is, never read as a tag.

    Control characters are escaped first.  Then every ``[`` that rich could
    read as a tag gets a backslash, with the backslashes before it doubled, and
    a run of backslashes at the end is doubled, so that a tag after the value
    still works.  Markup has no escape for ``:name:`` emoji codes: render it
    with ``emoji=False`` (xrbvo's consoles never read them).  Better still,
    build a styled line from :class:`rich.text.Text` parts and pass the value
    through :func:`for_console`, as xrbvo does.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The text to place between tags of rich markup; rich shows it as written.
    """
    # a "[" that starts no tag keeps its backslashes, but rich turns its last "\\[" into "[": give it one more
    s = _LONE_BRACKET.sub(lambda m: m.group(1) + "\\[", escape_control(text))
    s = _TAG.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), s)
    return _TRAILING_BACKSLASHES.sub(lambda m: m.group(0) * 2, s)


def for_mathtext(text) -> str:
    """``text`` for a matplotlib text: every ``$`` is a literal dollar, control characters escaped.

    matplotlib reads the text between two unescaped dollar signs as mathtext,
    and an unknown command in it (``$\\foo$``) fails the whole figure.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The text with every ``$`` escaped (``\\$``); matplotlib shows it as written.
    """
    return escape_control(text).replace("$", r"\$")


def for_html(text) -> str:
    """``text`` for HTML (element text or a quoted attribute value); control characters escaped.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The text with ``&``, ``<``, ``>`` and quotes as HTML entities.
    """
    return html.escape(escape_control(text), quote=True)


def for_xml(text) -> str:
    """``text`` with the characters XML 1.0 forbids shown as visible escapes (tab, newline and CR kept).

    Only what would make the document ill-formed is changed: a VOTable cell
    keeps every other character, including the ones a terminal would obey.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The text, with visible escapes in place of the characters XML forbids.
    """
    s = str(text)
    return _NOT_XML.sub(lambda m: _visible(m.group(0)), s)


def for_ascii(text) -> str:
    """``text`` on one line of printable ASCII: control and non-ASCII characters as visible escapes.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The text as printable ASCII on one line.
    """
    return one_line(text).encode("ascii", "backslashreplace").decode("ascii")


def for_fits_header(text) -> str:
    """``text`` as printable ASCII for a FITS header value: control and non-ASCII characters escaped.

    FITS header cards hold printable ASCII only; astropy skips a value with
    anything else.  ``é`` becomes ``\\xe9``, ``–`` becomes ``\\u2013``, ESC
    becomes ``\\x1b``: the value is kept, readable, and can be decoded back.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        The value as printable ASCII on one line.
    """
    return for_ascii(text)
