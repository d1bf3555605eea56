"""What the command line shows: one rich Progress, red error lines, result tables.

Every text reaches the terminal as it is (:mod:`xrbvo.core.text`): the consoles
read no markup and no emoji codes, and escape control characters, so a name,
a path or a message holding ``[/]``, ``[link=...]`` or an escape sequence is
shown, never obeyed.  Styles come from :class:`rich.text.Text` parts, never
from markup in a string.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from xrbvo.core.text import for_console, one_line

__all__ = ["UI", "PlainConsole"]


class PlainConsole(Console):
    """A rich :class:`~rich.console.Console` that shows every string as it is.

    No console markup and no ``:emoji:`` codes are read, whatever a caller asks,
    and control characters are shown as visible escapes
    (:func:`xrbvo.core.text.for_console`): strings printed, table cells and
    titles all pass through :meth:`render_str`.

    Parameters
    ----------
    **kwargs
        Passed to :class:`~rich.console.Console` (``markup`` and ``emoji`` are
        always False).
    """

    def __init__(self, **kwargs) -> None:
        kwargs.update(markup=False, emoji=False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs) -> Text:
        kwargs.update(markup=False, emoji=False)
        return super().render_str(for_console(text), **kwargs)


class UI:
    """The command line's output: progress bars on stderr, results on stdout."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.out = PlainConsole()
        self.err = PlainConsole(stderr=True)
        self._progress: Progress | None = None

    def error(self, message: str) -> None:
        """One red line on stderr (``message`` shown as it is, on one line)."""
        self.err.print(Text.assemble(("error:", "bold red"), " ", one_line(message)), highlight=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        """One yellow ``warning:`` line on stderr (``message`` shown as it is, on one line)."""
        self.err.print(Text.assemble(("warning:", "yellow"), " ", one_line(message)), highlight=False,
                       soft_wrap=True)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.err.print(message, highlight=False)

    @contextlib.contextmanager
    def progress(self) -> Iterator["UI"]:
        """Own the one rich Progress for the duration of a command."""
        if self.quiet or self._progress is not None:
            yield self
            return
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description:<34}", markup=False), BarColumn(),
                                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                  console=self.err, transient=False)
        with self._progress:
            try:
                yield self
            finally:
                pass
        self._progress = None

    def stage(self, description: str) -> Callable[[str, float], None]:
        """A progress callback ``(message, fraction)`` driving one bar."""
        if self._progress is None:
            return lambda msg, frac: None
        prog = self._progress
        label = one_line(description)  # the bar's column reads no markup; control characters escaped
        task = prog.add_task(label, total=1.0)

        def update(msg: str, frac: float) -> None:
            msg = one_line(msg)
            text = msg if msg.startswith(label) else f"{label}: {msg}" if msg else label
            prog.update(task, completed=max(0.0, min(1.0, float(frac))), description=text[:34])

        return update
