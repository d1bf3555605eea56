"""What the command line shows: one rich Progress, red error lines, result tables."""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

__all__ = ["UI"]


class UI:
    """The command line's output: progress bars on stderr, results on stdout."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.out = Console()
        self.err = Console(stderr=True)
        self._progress: Progress | None = None

    def error(self, message: str) -> None:
        """One red line on stderr."""
        self.err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)

    def info(self, message: str) -> None:
        if not self.quiet:
            self.err.print(message, highlight=False)

    @contextlib.contextmanager
    def progress(self) -> Iterator["UI"]:
        """Own the one rich Progress for the duration of a command."""
        if self.quiet or self._progress is not None:
            yield self
            return
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description:<34}"), BarColumn(),
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
        task = prog.add_task(description, total=1.0)

        def update(msg: str, frac: float) -> None:
            text = msg if msg.startswith(description) else f"{description}: {msg}" if msg else description
            prog.update(task, completed=max(0.0, min(1.0, float(frac))), description=text[:34])

        return update
