"""Threads for the association: an ordered map whose results do not depend on the thread count."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

from xrbvo.core.errors import Cancelled

__all__ = ["ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Sequence[T], workers: int, *,
                cancel: threading.Event | None = None, on_result: Callable[[T], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on up to ``workers`` threads, a few items in flight at a time.

    Results come back in order whatever the threads do, so they do not depend
    on ``workers``.

    Parameters
    ----------
    fn : callable
        The function, called once per item (from worker threads when
        ``workers > 1``).
    items : sequence
        The items.
    workers : int
        Number of threads; 1 (or a single item) runs in the calling thread.
    cancel : threading.Event, optional
        Checked before each result is taken.
    on_result : callable, optional
        ``on_result(item)`` runs in the calling thread as results arrive.

    Returns
    -------
    list
        ``fn(x)`` for each item, in order.

    Raises
    ------
    Cancelled
        If ``cancel`` is set; items not yet started are not run.
    """
    def check():
        if cancel is not None and cancel.is_set():
            raise Cancelled("association cancelled; nothing of it is kept")

    if workers <= 1 or len(items) <= 1:
        out = []
        for x in items:
            check()
            out.append(fn(x))
            if on_result:
                on_result(x)
        return out
    out = []
    with ThreadPoolExecutor(workers) as ex:
        pending = deque()
        todo = iter(items)
        for x in itertools.islice(todo, 2 * workers):
            pending.append((x, ex.submit(fn, x)))
        try:
            while pending:
                check()
                x, fut = pending.popleft()
                out.append(fut.result())
                if on_result:
                    on_result(x)
                for nxt in itertools.islice(todo, 1):
                    pending.append((nxt, ex.submit(fn, nxt)))
        finally:
            for _, fut in pending:
                fut.cancel()
    return out
