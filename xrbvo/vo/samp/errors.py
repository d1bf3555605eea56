"""The errors of :mod:`xrbvo.vo.samp`: every one a :class:`~xrbvo.core.errors.ServiceError`."""

from __future__ import annotations

import xmlrpc.client as xmlrpc
from typing import Any, Sequence

from xrbvo.core.errors import ServiceError

__all__ = [
    "SampError",
    "NoHubError",
    "HubRunningError",
    "RemoteHubError",
    "ClientNotFoundError",
    "ClientGoneError",
    "SampRefusedError",
    "SampTimeoutError",
]


class SampError(ServiceError):
    """A SAMP exchange failed; :attr:`replies` holds every answer collected.

    ``replies`` are :class:`~xrbvo.vo.samp.client.Reply` objects (this module
    does not import the client, which imports it).

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    replies : Sequence[Any], optional
        Every answer collected from the applications before the failure.
    """

    def __init__(self, message: str, replies: Sequence[Any] = ()):
        super().__init__(message)
        self.replies: tuple[Any, ...] = tuple(replies)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NoHubError(SampError):
    """No SAMP hub runs, or the one named by the lockfile stopped answering.

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    replies : Sequence[Any], optional
        Every answer collected from the applications before the failure.
    """


class HubRunningError(SampError):
    """A hub is already running where a new one was to be started.

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    replies : Sequence[Any], optional
        Every answer collected from the applications before the failure.
    """


class RemoteHubError(SampError):
    """The lockfile names a hub off the loopback, and remote hubs were not allowed.

    :attr:`path` is the lockfile, :attr:`url` the hub's address it names.

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    path : str or Path, optional
        The lockfile that names the hub.
    url : str, optional
        The hub's address.
    """

    def __init__(self, message: str, *, path=None, url: str = ""):
        super().__init__(message)
        self.path = path
        self.url = url


class ClientNotFoundError(SampError):
    """No registered application matches the recipient, or none accepts the message.

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    replies : Sequence[Any], optional
        Every answer collected from the applications before the failure.
    """


class ClientGoneError(SampError):
    """The receiving application left the hub or stopped answering.

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    replies : Sequence[Any], optional
        Every answer collected from the applications before the failure.
    """


class SampRefusedError(SampError):
    """The receiving application answered with ``samp.error``.

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    replies : Sequence[Any], optional
        Every answer collected from the applications before the failure.
    """


class SampTimeoutError(SampError, TimeoutError):
    """The receiving application did not answer in time.

    Parameters
    ----------
    message : str
        What failed and what to do, in one line.
    replies : Sequence[Any], optional
        Every answer collected from the applications before the failure.
    """



def _reason(exc: BaseException) -> str:
    if isinstance(exc, xmlrpc.Fault):
        return exc.faultString
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
