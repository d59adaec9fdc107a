"""Timing and query counting for benchmarks: figures are printed, never asserted."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass
class Figures:
    name: str
    samples_ms: list[float]
    queries: int | None = None

    def line(self) -> str:
        ordered = sorted(self.samples_ms)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        queries = f"  queries/request {self.queries}" if self.queries is not None else ""
        return (
            f"{self.name:<44} n={len(ordered):<4} p50 {statistics.median(ordered):7.2f} ms  p95 {p95:7.2f} ms{queries}"
        )


class QueryCounter:
    """Count the SQL statements an engine executes while active."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _count(self, *_args: object) -> None:
        self.count += 1

    @contextmanager
    def active(self):  # type: ignore[no-untyped-def]
        self.count = 0
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        try:
            yield self
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self._count)


def measure(
    name: str, action: Callable[[], object], *, repeat: int = 50, warmup: int = 3, counter: QueryCounter | None = None
) -> Figures:
    """Run ``action`` ``repeat`` times after a warm-up and return the timings (and queries of one run)."""
    for _ in range(warmup):
        action()
    queries = None
    if counter is not None:
        with counter.active():
            action()
        queries = counter.count
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return Figures(name, samples, queries)
