"""Finding a SAMP hub through its lockfile, and running one in this process.

:func:`find_hub` reads the lockfile named by ``SAMP_HUB`` (or ``~/.samp``) and
checks that its hub answers; :class:`SampHub` and :func:`run_hub` start
pyvo's hub (with its synchronous-call race closed) on 127.0.0.1.

The lockfile decides where xrbvo sends its messages and the URLs of its
tables, so :func:`find_hub` warns when other users may write it and refuses a
hub off the loopback unless asked (``allow_remote_hub=True``).
"""

from __future__ import annotations

import ipaddress
import os
import stat
import threading
import time
import warnings
import xmlrpc.client as xmlrpc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse
from urllib.request import url2pathname

from xrbvo.core.errors import InputError, XrbvoWarning
from xrbvo.vo.samp.errors import HubRunningError, NoHubError, RemoteHubError, _reason

__all__ = ["HubInfo", "SampHub", "hub_lockfile", "find_hub", "run_hub", "is_loopback_url"]

#: Seconds a hub gets to answer a ping before it is called dead.
_HUB_PING_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class HubInfo:
    """A running SAMP hub, as its lockfile describes it.

    Parameters
    ----------
    lockfile : Path
        The lockfile that names the hub.
    url : str
        XML-RPC address of the hub.
    label : str
        Human-readable name (``hub.label``), empty when the hub gives none.
    params : dict, optional
        Every key of the lockfile, the secret included (never print it).
    """

    lockfile: Path
    """The lockfile that names the hub."""
    url: str
    """XML-RPC address of the hub."""
    label: str
    """Human-readable name (``hub.label``), empty when the hub gives none."""
    params: dict = field(repr=False, compare=False)
    """Every key of the lockfile, the secret included (never print it)."""




class _TimeoutTransport(xmlrpc.Transport):
    def __init__(self, timeout_s: float):
        super().__init__()
        self._timeout_s = timeout_s

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self._timeout_s
        return conn


def hub_lockfile(lockfile: str | os.PathLike | None = None) -> Path:
    """The lockfile that names the hub to use.

    ``lockfile`` if given, else the one in ``SAMP_HUB`` (``std-lockurl:file://...``),
    else the standard ``~/.samp``.

    Parameters
    ----------
    lockfile : str | os.PathLike, optional
        The hub's lockfile; default ``SAMP_HUB``, else ``~/.samp``.

    Returns
    -------
    Path
        The lockfile that names the hub to use.

    Raises
    ------
    NoHubError
        If ``SAMP_HUB`` is set but is not a local ``std-lockurl``.
    """
    if lockfile is not None:
        return Path(lockfile).expanduser()
    env = os.environ.get("SAMP_HUB", "").strip()
    if env:
        if not env.startswith("std-lockurl:"):
            raise NoHubError(f"SAMP_HUB={env!r} is not a 'std-lockurl:' value; unset SAMP_HUB to use ~/.samp")
        url = env[len("std-lockurl:"):]
        parsed = urlparse(url)
        if parsed.scheme not in ("", "file"):
            raise NoHubError(f"SAMP_HUB={env!r} names a remote lockfile; only local (file:) lockfiles are supported")
        return Path(url2pathname(parsed.path) if parsed.scheme else url).expanduser()
    return Path.home() / ".samp"


def _read_lockfile(path: Path) -> tuple[dict[str, str], int]:
    """The lockfile's keys, and the mode of the very file read (no race with a swap)."""
    params: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        mode = os.fstat(f.fileno()).st_mode
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            params[key.strip()] = value.strip()
    return params, mode


def _warn_if_others_can_write(path: Path, mode: int) -> None:
    """Warn when users other than the owner may rewrite the lockfile (and so redirect xrbvo)."""
    if os.name == "posix" and mode & (stat.S_IWGRP | stat.S_IWOTH):
        warnings.warn(f"the SAMP lockfile {path} can be written by other users (mode {stat.S_IMODE(mode):03o}), "
                      f"who could point xrbvo at a hub of their own; make it private: chmod 600 {path}",
                      XrbvoWarning, stacklevel=3)


def is_loopback_url(url: str) -> bool:
    """Whether ``url``'s host is this machine's loopback: 127.0.0.0/8, ``localhost`` or ``::1``.

    Host names other than ``localhost`` are not resolved (that would ask DNS).

    Parameters
    ----------
    url : str
        The URL to check.

    Returns
    -------
    bool
        Whether ``url``'s host is this machine's loopback: 127.0.0.0/8, ``localhost`` or ``::1``.

    Examples
    --------
    >>> is_loopback_url("http://127.0.0.1:43811/xmlrpc"), is_loopback_url("http://[::1]:80/")
    (True, True)
    >>> is_loopback_url("http://192.168.1.20:43811/xmlrpc"), is_loopback_url("http://myhost:80/")
    (False, False)
    """
    try:
        host = urlparse(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host.rstrip(".").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _how_to_start() -> str:
    return "start TOPCAT or Aladin (each starts a hub) or run 'xrbvo samp hub'"


def find_hub(*, lockfile: str | os.PathLike | None = None, allow_remote_hub: bool = False) -> HubInfo:
    """Locate a running hub and check that it answers.

    Parameters
    ----------
    lockfile : path, optional
        Lockfile to read; default: ``SAMP_HUB``, else ``~/.samp``.
    allow_remote_hub : bool
        Accept a hub whose address is not on the loopback (127.0.0.0/8,
        ``localhost``, ``::1``).  Off by default: whoever can write the
        lockfile could otherwise send xrbvo's messages, and the tables they
        name, to another machine.

    Returns
    -------
    HubInfo
        The hub's address and lockfile.

    Raises
    ------
    NoHubError
        If no lockfile exists, it is malformed, or its hub does not answer.
    RemoteHubError
        If the lockfile names a hub off the loopback and ``allow_remote_hub``
        is False (the hub is not contacted).

    Warns
    -----
    XrbvoWarning
        If users other than its owner may write the lockfile (``chmod 600`` it).
    """
    path = hub_lockfile(lockfile)
    try:
        params, mode = _read_lockfile(path)
    except FileNotFoundError:
        raise NoHubError(f"no SAMP hub is running (no lockfile {path}); {_how_to_start()}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NoHubError(f"cannot read the SAMP lockfile {path} ({exc}); {_how_to_start()}") from None
    url = params.get("samp.hub.xmlrpc.url", "").replace("\\", "")
    if not url or "samp.secret" not in params:
        raise NoHubError(f"the SAMP lockfile {path} lacks samp.hub.xmlrpc.url or samp.secret; "
                         f"delete it and {_how_to_start()}")
    _warn_if_others_can_write(path, mode)
    if not allow_remote_hub and not is_loopback_url(url):
        raise RemoteHubError(f"the SAMP lockfile {path} names a hub at {url}, which is not on this machine's "
                             "loopback (127.0.0.0/8, localhost, ::1); refused: check who wrote that lockfile, "
                             "and if you trust that hub allow it explicitly (--allow-remote-hub, or "
                             "allow_remote_hub=True)", path=path, url=url)
    proxy = xmlrpc.ServerProxy(url, transport=_TimeoutTransport(_HUB_PING_TIMEOUT_S), allow_none=True)
    try:
        proxy.samp.hub.ping()
    except xmlrpc.ProtocolError:
        pass  # an HTTP-level answer: the server is alive
    except (OSError, xmlrpc.Fault) as exc:
        raise NoHubError(f"the SAMP hub named by {path} ({url}) does not answer ({_reason(exc)}); "
                         f"it has stopped: {_how_to_start()}") from None
    finally:
        proxy("close")()
    params["samp.hub.xmlrpc.url"] = url
    return HubInfo(lockfile=path, url=url, label=params.get("hub.label", ""), params=params)


_HUB_CLASS = None


def _hub_server_class():
    """pyvo's ``SAMPHubServer`` with the synchronous-call race closed.

    pyvo 1.9's hub dispatches a ``callAndWait`` message before it records the
    message id it waits for; an application that answers within that gap has
    its answer dropped and the caller waits until its time-out.  Here a reply
    to a synchronous call waits (briefly) until the id is recorded.
    """
    global _HUB_CLASS
    if _HUB_CLASS is None:
        from pyvo.samp import SAMPHubServer

        class _HubServer(SAMPHubServer):
            def _reply_(self, responder_private_key, msg_id, response):
                heap = getattr(self, "_sync_msg_ids_heap", None)
                if heap is not None and isinstance(msg_id, str) and msg_id.endswith(";;samp::sync::call"):
                    deadline = time.monotonic() + 5.0
                    while msg_id not in heap and self.is_running and time.monotonic() < deadline:
                        time.sleep(0.002)
                return super()._reply_(responder_private_key, msg_id, response)

        _HUB_CLASS = _HubServer
    return _HUB_CLASS


class SampHub:
    """A SAMP hub run by this process (pyvo's ``SAMPHubServer``) on 127.0.0.1.

    Parameters
    ----------
    lockfile : path, optional
        Where to write the lockfile; default: ``SAMP_HUB``, else ``~/.samp``
        (where TOPCAT and Aladin look).
    web_profile : bool
        Also serve the SAMP Web Profile (port 21012, for browser clients); each
        web client then asks for consent on the terminal.
    label : str
        ``hub.label`` written to the lockfile.
    """

    def __init__(self, *, lockfile: str | os.PathLike | None = None, web_profile: bool = False,
                 label: str = "xrbvo SAMP hub"):
        self.lockfile = hub_lockfile(lockfile)
        self.web_profile = web_profile
        self.label = label
        self._server = None

    def start(self) -> HubInfo:
        """Start the hub in background threads and write the lockfile.

        Raises
        ------
        HubRunningError
            If a hub already answers at that lockfile.
        InputError
            If ``SAMP_HUB`` names a different lockfile than ``lockfile``
            (pyvo would silently use ``SAMP_HUB``).
        """
        from pyvo.samp import conf

        try:
            running = find_hub(lockfile=self.lockfile)
        except NoHubError:
            running = None
        except RemoteHubError as exc:
            raise RemoteHubError(f"the SAMP lockfile {exc.path} names a hub on another machine ({exc.url}); "
                                 "a hub started here would replace it: delete it if you know it is stale, or "
                                 "give another lockfile", path=exc.path, url=exc.url) from None
        if running is not None:
            raise HubRunningError(f"a SAMP hub already runs at {running.url} (lockfile {running.lockfile}); "
                                  "use it, or stop it first")
        if os.environ.get("SAMP_HUB") and hub_lockfile(None) != self.lockfile:
            raise InputError(f"SAMP_HUB names {hub_lockfile(None)} but the hub was asked to write {self.lockfile}; "
                             "unset SAMP_HUB or give the same lockfile")
        self.lockfile.parent.mkdir(parents=True, exist_ok=True)
        if self.lockfile.exists():  # a dead hub's lockfile: pyvo would refuse to start
            self.lockfile.unlink()
        with conf.set_temp("use_internet", False):
            server = _hub_server_class()(addr="127.0.0.1", lockfile=str(self.lockfile), web_profile=self.web_profile,
                                   label=self.label)
            server.start(wait=False)
        self._server = server
        return find_hub(lockfile=self.lockfile)

    @property
    def is_running(self) -> bool:
        """Whether this object's hub runs."""
        return self._server is not None and self._server.is_running

    def stop(self) -> None:
        """Tell the clients, stop the hub and remove its lockfile (harmless twice)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> "SampHub":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def run_hub(*, lockfile: str | os.PathLike | None = None, web_profile: bool = False,
            stop: threading.Event | None = None, on_start: Callable[[HubInfo], None] | None = None) -> None:
    """Run a hub until ``stop`` is set or the process is interrupted (Ctrl-C).

    Parameters
    ----------
    lockfile, web_profile
        As for :class:`SampHub`.
    stop : threading.Event, optional
        Set it to stop the hub.
    on_start : callable, optional
        Called with the :class:`HubInfo` once the hub answers.
    """
    hub = SampHub(lockfile=lockfile, web_profile=web_profile)
    info = hub.start()
    try:
        if on_start is not None:
            on_start(info)
        stop = stop or threading.Event()
        while not stop.wait(0.5):
            if not hub.is_running:
                break
    finally:
        hub.stop()
