"""Progress display for long work, on stderr so that `--json` output stays clean."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

_UNITS = {"read": "records read", "write": "bytes of messages written"}


@contextmanager
def export_progress(enabled: bool = True) -> Iterator[Callable[[str, int], None]]:
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,}"),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not enabled or not console.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def update(phase: str, done: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(_UNITS.get(phase, phase), total=None)
            bar.update(tasks[phase], completed=done)

        yield update
