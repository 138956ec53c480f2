"""Progress bars for the long commands (export, migrate, load): rich, on standard error,
and only when standard error is a terminal, so logs and pipes never get bar frames."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def wanted(quiet: bool = False) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def bar(description: str, total: int | None = None, enabled: bool = True
        ) -> Iterator[Callable[..., None]]:
    """``advance(n=1, description=None)`` for a bar on standard error; a no-op when
    ``enabled`` is false."""
    if not enabled:
        yield lambda n=1, description=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(),
                        console=Console(stderr=True), transient=False)
    with progress:
        task = progress.add_task(description, total=total)

        def advance(n: int = 1, description: str | None = None) -> None:
            if description:
                progress.update(task, advance=n, description=description)
            else:
                progress.update(task, advance=n)

        yield advance


class CountingStore:
    """A store whose streamed reads and record writes advance a progress bar; every
    other attribute is the store's own."""

    def __init__(self, store: Any, advance: Callable[..., None]):
        self._store, self._advance = store, advance

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def iter_reports(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for report in self._store.iter_reports(*args, **kwargs):
            self._advance()
            yield report

    def iter_records(self, *args: Any, **kwargs: Any) -> Iterator[dict]:
        for record in self._store.iter_records(*args, **kwargs):
            self._advance()
            yield record

    def corrected_records(self) -> Iterator[dict]:
        for record in self._store.corrected_records():
            self._advance()
            yield record

    def save_records(self, records: Any, *args: Any, **kwargs: Any) -> int:
        n = self._store.save_records(records, *args, **kwargs)
        self._advance(n or 0)
        return n
