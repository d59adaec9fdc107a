"""Every run of a job is recorded in ``scheduler_runs``: a "running" row committed at the start, then the
outcome, counts and error (with the exception's message and traceback) at the end."""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from collisionos.extensions import db
from collisionos.jobs.lock import runner_label
from collisionos.jobs.table import JobSpec
from collisionos.models import SchedulerRun
from collisionos.models.base import utcnow
from collisionos.services.audit import acting_as

log = logging.getLogger(__name__)

# Runs started by hand (``flask scheduler run-once``) take no lock; their runner says so.
RUN_ONCE_SUFFIX = " (run-once)"
MAX_ERROR_CHARS = 20_000


@dataclass(frozen=True)
class RunResult:
    run_id: int | None
    job_id: str
    outcome: str
    counts: dict[str, Any]
    error: str | None
    started_at: datetime
    finished_at: datetime | None


def run_job(app: Flask, job: JobSpec, *, runner: str | None = None) -> RunResult:
    """Run ``job`` once in its own app context and record it; never raises (a failure is recorded and logged)."""
    runner = runner or runner_label()
    with app.app_context():
        try:
            return _run_recorded(job, runner)
        finally:
            db.session.remove()


def _run_recorded(job: JobSpec, runner: str) -> RunResult:
    started = utcnow()
    try:
        run = SchedulerRun(job_id=job.id, started_at=started, outcome="running", runner=runner[:100])
        db.session.add(run)
        db.session.commit()  # visible as "running" while the job works
        run_id = run.id
    except Exception as error:
        db.session.rollback()
        log.exception("Could not record the start of job %s, so it did not run; the next tick tries again", job.id)
        return RunResult(None, job.id, "failed", {}, _error_text(error), started, None)

    outcome, counts, error_text = "success", {}, None
    try:
        with acting_as(label=f"scheduler:{job.id}"):
            counts = _counts(job.run(now=started))
    except Exception as error:
        log.exception("Job %s failed (run %s); the next tick runs it again", job.id, run_id)
        outcome, counts, error_text = "failed", _counts(getattr(error, "counts", None)), _error_text(error)
    # Services commit their own work; whatever a job left uncommitted is not recorded along with the run.
    db.session.rollback()
    finished = utcnow()
    try:
        db.session.execute(
            sa.update(SchedulerRun)
            .where(SchedulerRun.id == run_id)
            .values(finished_at=finished, outcome=outcome, counts=counts, error=error_text)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("Could not record the end of job %s (run %s, %s)", job.id, run_id, outcome)
    return RunResult(run_id, job.id, outcome, counts, error_text, started, finished)


def _counts(result: Any) -> dict[str, Any]:
    """Counts as JSON: a job returns ``{"sent": 3}``; a bare number or nothing is accepted too."""
    if result is None:
        return {}
    if isinstance(result, bool | int):
        return {"count": int(result)}
    if isinstance(result, Mapping):
        return {str(name): _number_or_text(value) for name, value in result.items()}
    return {"result": str(result)}


def _number_or_text(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value if isinstance(value, int | float) else str(value)


def _error_text(error: BaseException) -> str:
    """The exception's type and message first (the admin list shows that line), then the traceback."""
    summary = f"{type(error).__name__}: {error}"
    trace = "".join(traceback.format_exception(error))
    return f"{summary}\n\n{trace}"[:MAX_ERROR_CHARS]


def close_abandoned_runs(*, now: datetime, runner: str) -> int:
    """Mark as failed the runs left "running" by a scheduler that stopped (only the lock holder runs jobs, so
    every other scheduler's open run is dead) and by a ``run-once`` whose process is gone from this host."""
    host = runner.rpartition(":")[0]
    closed = 0
    for run in db.session.scalars(sa.select(SchedulerRun).where(SchedulerRun.outcome == "running")):
        label = run.runner or ""
        if label == runner:
            continue
        if label.endswith(RUN_ONCE_SUFFIX):
            run_host, _, pid = label.removesuffix(RUN_ONCE_SUFFIX).rpartition(":")
            if run_host != host or not pid.isdigit() or _process_alive(int(pid)):
                continue
        run.outcome = "failed"
        run.finished_at = now
        run.error = f"Abandoned: {label or 'its runner'} stopped before the run finished."
        closed += 1
    db.session.commit()
    return closed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def last_runs(job_ids: Iterable[str]) -> dict[str, SchedulerRun]:
    """The newest run of each job (for ``flask scheduler status``)."""
    runs = {}
    for job_id in job_ids:
        run = db.session.scalars(
            sa.select(SchedulerRun)
            .where(SchedulerRun.job_id == job_id)
            .order_by(SchedulerRun.started_at.desc(), SchedulerRun.id.desc())
            .limit(1)
        ).first()
        if run is not None:
            runs[job_id] = run
    return runs
