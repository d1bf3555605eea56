"""Rich renderables laid out once, so that showing them again costs no Rich layout.

Textual shows a Rich renderable in a :class:`~textual.widgets.Static` by
rendering it twice per update (once to measure its height for the layout, once
to draw it), and Rich tables measure every cell each time: in the explore
detail pane that was most of the time from a key press to the pane shown.
:class:`Prerendered` holds the renderable's lines rendered at one width (in a
worker thread, when the source is scored, or on first show), so the layout and
the drawing only count and style those lines.  At any other width (the pane
resized) it renders afresh, as Textual would.
"""

from __future__ import annotations

from itertools import islice

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

__all__ = ["Prerendered", "pane_console"]


def pane_console() -> Console:
    """A Rich console configured as Textual's (for rendering outside the app's thread).

    Returns
    -------
    Console
        A Rich console configured as Textual's (for rendering outside the app's thread).
    """
    return Console(markup=False, highlight=False, emoji=False, legacy_windows=False, force_terminal=True,
                   safe_box=False, soft_wrap=False, color_system="truecolor")


class Prerendered(Visual):
    """A Rich renderable rendered at ``width`` cells with ``options`` (the app's console options).

    Parameters
    ----------
    renderable : RenderableType
        What to show (kept to render again at another width).
    width : int
        Content width (cells) to lay it out at: the width of the widget that will show it.
    options : ConsoleOptions
        The app's :attr:`~textual.app.App.console_options`, taken in the app's thread.
    console : Console, optional
        Console to render with (default: a new :func:`pane_console`); safe in a worker thread.
    """

    def __init__(self, renderable: RenderableType, width: int, options: ConsoleOptions, *,
                 console: Console | None = None) -> None:
        self.renderable = renderable
        self._options = options
        self._console = console or pane_console()
        self.width = -1
        self.lines: list[list[Segment]] = []
        self._layout(width)

    def _layout(self, width: int) -> None:
        width = max(1, int(width))
        opts = self._options.update(highlight=False, width=width, height=None)
        segments = self._console.render(self.renderable, opts)
        self.lines = list(Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False))
        self.width = width

    # -- the Visual protocol ------------------------------------------------------------------
    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return max((Segment.get_line_length(line) for line in self.lines), default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        if width != self.width:
            self._layout(width)
        return len(self.lines)

    def render_strips(self, width: int, height: int | None, style: Style,
                      options: RenderOptions) -> list[Strip]:
        if width != self.width:
            self._layout(width)
        base: RichStyle = style.rich_style
        return [Strip(Segment.apply_style(line, base) if base else line) for line in islice(self.lines, None, height)]
