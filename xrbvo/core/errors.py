"""The one error hierarchy of xrbvo.

Every error a user can cause or meet derives from :class:`XrbvoError`; the
command line turns it into one red line and exit code 2, the terminal UI into a
notification.  Messages name the input, the problem and the fix.  Errors that
are also a builtin kind subclass that builtin too (``InputError`` is a
``ValueError``), as astropy does with ``UnitsError``.
"""

from __future__ import annotations

__all__ = [
    "XrbvoError",
    "InputError",
    "MissingColumnError",
    "UnknownSurveyError",
    "ServiceError",
    "ModelError",
    "XrbvoWarning",
    "Cancelled",
    "check_cancel",
]


class XrbvoError(Exception):
    """Base class of every error raised by xrbvo on purpose."""


class InputError(XrbvoError, ValueError):
    """A user-supplied table, file or value is unusable (names what and why)."""


class MissingColumnError(InputError, KeyError):
    """A table lacks a column that the stage needs."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class UnknownSurveyError(InputError, KeyError):
    """A survey name is not in the registry."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ServiceError(XrbvoError, OSError):
    """A remote service (TAP, SAMP hub) is unreachable or refused a request."""


class ModelError(XrbvoError, ValueError):
    """A model directory is missing, foreign, tampered with or incompatible."""


class XrbvoWarning(UserWarning):
    """Warnings issued by xrbvo (subclass of ``UserWarning``)."""


class Cancelled(XrbvoError):
    """Work stopped because the caller's cancel event was set (the one cancellation exception).

    Only the interfaces create cancel events (Ctrl-C, SIGTERM, a stale TUI worker); the stages
    check them between chunks and raise this, keeping what was already finished.

    Parameters
    ----------
    message : str, optional
        What was stopped.
    """

    def __init__(self, message: str = "cancelled; results finished so far are kept") -> None:
        super().__init__(message)


def check_cancel(cancel) -> None:
    """Raise :class:`Cancelled` when the event ``cancel`` (or None) is set.

    Parameters
    ----------
    cancel : threading.Event or None
        The caller's cancel event; None never cancels.
    """
    if cancel is not None and cancel.is_set():
        raise Cancelled()
