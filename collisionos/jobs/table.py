"""The job table: every scheduled job, its stable id and when it runs, in one place.

An id is recorded on every run (``scheduler_runs.job_id``) and typed in ``flask scheduler run-once``:
never rename one. Cron-style times are in the scheduler's zone (``SCHEDULER_TIMEZONE``, by default
``SHOP_TIMEZONE``); jobs that depend on each shop's own local day (the digest) run hourly and let the
service decide per shop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from collisionos.jobs import tasks

JOB_ID = re.compile(r"^[a-z][a-z0-9_]{2,99}$")


@dataclass(frozen=True)
class Every:
    """Run at a fixed interval, counted from when the scheduler starts."""

    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @property
    def period(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    def build(self, zone: tzinfo) -> BaseTrigger:
        return IntervalTrigger(hours=self.hours, minutes=self.minutes, seconds=self.seconds, timezone=zone)

    def describe(self) -> str:
        parts = [(self.hours, "h"), (self.minutes, "min"), (self.seconds, "s")]
        return "every " + " ".join(f"{n} {unit}" for n, unit in parts if n)

    def next_after(self, last_start: datetime | None, now: datetime, zone: tzinfo) -> datetime | None:
        """One period after the last start (None before the first run: it depends on when the scheduler starts)."""
        return None if last_start is None else last_start + self.period


@dataclass(frozen=True)
class Hourly:
    """Run every hour at ``minute`` past."""

    minute: int = 0

    def build(self, zone: tzinfo) -> BaseTrigger:
        return CronTrigger(minute=self.minute, timezone=zone)

    def describe(self) -> str:
        return f"hourly at :{self.minute:02d}"

    def next_after(self, last_start: datetime | None, now: datetime, zone: tzinfo) -> datetime | None:
        return self.build(zone).get_next_fire_time(None, now)


@dataclass(frozen=True)
class DailyAt:
    """Run once a day at ``hour:minute`` in the scheduler's zone."""

    hour: int
    minute: int = 0

    def build(self, zone: tzinfo) -> BaseTrigger:
        return CronTrigger(hour=self.hour, minute=self.minute, timezone=zone)

    def describe(self) -> str:
        return f"daily at {self.hour:02d}:{self.minute:02d}"

    def next_after(self, last_start: datetime | None, now: datetime, zone: tzinfo) -> datetime | None:
        return self.build(zone).get_next_fire_time(None, now)


Trigger = Every | Hourly | DailyAt


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: ``run(now)`` returns counts (``{"sent": 3}``) recorded with the run."""

    id: str
    run: Callable[[datetime], dict[str, int] | None]
    trigger: Trigger
    description: str
    # How late a run may still start (the process was busy or paused); a later one is skipped, not doubled.
    misfire_grace_seconds: int = 60


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "dispatch_messages",
        tasks.dispatch_messages,
        Every(minutes=1),
        "Send due follow-ups and status messages (quiet hours, consent, caps, retries).",
        misfire_grace_seconds=30,
    ),
    JobSpec(
        "sla_monitor",
        tasks.sla_monitor,
        Every(minutes=5),
        "Recompute SLA risk on open repair orders and flag overdue parts, POs, loaners and supplements.",
        misfire_grace_seconds=120,
    ),
    JobSpec(
        "daily_digest",
        tasks.daily_digest,
        Hourly(minute=0),
        "Email each shop's managers the digest at 07:00 shop time (checked hourly, sent once a day).",
        misfire_grace_seconds=600,
    ),
    JobSpec(
        "nightly_rollups",
        tasks.nightly_rollups,
        DailyAt(hour=2),
        "Roll up technician performance and scheduling capacity.",
        misfire_grace_seconds=3600,
    ),
    JobSpec(
        "hold_todays_pickups",
        tasks.hold_todays_pickups,
        Hourly(minute=15),
        "Reserve the loaners picked up today in every shop.",
        misfire_grace_seconds=600,
    ),
    JobSpec(
        "analyze_database",
        tasks.analyze_database,
        DailyAt(hour=3),
        "Refresh the database's query-planner statistics.",
        misfire_grace_seconds=3600,
    ),
)


def check_table(table: Iterable[Any]) -> tuple[JobSpec, ...]:
    """Return the table as a tuple, refusing duplicate or malformed ids."""
    jobs = tuple(table)
    seen: set[str] = set()
    for job in jobs:
        if not isinstance(job, JobSpec):
            raise TypeError(f"The job table holds {job!r}, not a JobSpec.")
        if not JOB_ID.match(job.id):
            raise ValueError(f"Job id {job.id!r} must be lower_snake_case, 3 to 100 characters.")
        if job.id in seen:
            raise ValueError(f"Job id {job.id!r} appears twice in the job table.")
        seen.add(job.id)
    return jobs


def find_job(table: Iterable[JobSpec], job_id: str) -> JobSpec | None:
    return next((job for job in table if job.id == job_id), None)
