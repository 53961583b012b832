"""What an admin sees during an import: a bar per conversation at work and one overall, on stderr.

Only the conversations being worked on have a bar (a bar disappears when its conversation is done),
so an import of five hundred channels stays readable. Notes (recoveries, a stopped conversation)
print above the bars. Without a terminal (CI, a pipe) nothing is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..migrate import ImportView, QuietView


class RichView:
    """An ImportView drawn with rich progress bars."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._overall = progress.add_task("[bold]all conversations", total=0)
        self._bars: dict[str, TaskID] = {}

    def phase(self, text: str) -> None:
        self._progress.console.log(f"[bold]{text}")

    def start(self, key: str, label: str, total: int, done: int) -> None:
        bar = self._progress.add_task(label[:48], total=total, completed=done)
        self._bars[key] = bar
        overall = self._progress.tasks[self._overall]
        self._progress.update(self._overall, total=(overall.total or 0) + total, advance=done)

    def advance(self, key: str, n: int = 1) -> None:
        if key in self._bars:
            self._progress.advance(self._bars[key], n)
        self._progress.advance(self._overall, n)

    def finish(self, key: str) -> None:
        bar = self._bars.pop(key, None)
        if bar is not None:
            self._progress.remove_task(bar)

    def note(self, text: str) -> None:
        self._progress.console.log(text)


@contextmanager
def import_view(enabled: bool = True) -> Iterator[ImportView]:
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield QuietView()
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        yield RichView(progress)
