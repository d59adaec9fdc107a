"""Run the job table with APScheduler 3 in exactly one process (each run is recorded by ``runs.py``).

``start_in_background(app)`` (called by ``create_app`` when ``SCHEDULER_ENABLED`` is on) starts a
BackgroundScheduler only in the process that takes the lock (see ``lock.py``); the others retry every
``SCHEDULER_LOCK_RETRY_SECONDS`` from a daemon thread, so one of them takes over if the holder dies.
``flask scheduler run`` does the same in the foreground with a BlockingScheduler.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401  (its exit hook must be registered before ours, see below)
import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask.helpers import get_debug_flag

from collisionos.extensions import db
from collisionos.jobs.lock import RunnerLock, lock_for, runner_label
from collisionos.jobs.runs import close_abandoned_runs, run_job
from collisionos.jobs.table import JobSpec, check_table
from collisionos.models.base import utcnow

log = logging.getLogger(__name__)

DEFAULT_TABLE = "collisionos.jobs.table:JOBS"
WORKER_THREADS = 4
LOCK_WATCH_JOB = "_scheduler_lock_watch"


# --- the table -----------------------------------------------------------------------------------------
def load_table(app: Flask) -> tuple[JobSpec, ...]:
    """The job table named by ``SCHEDULER_JOB_TABLE`` (``module:attribute``; tests point it at their own)."""
    path = app.config.get("SCHEDULER_JOB_TABLE") or DEFAULT_TABLE
    module_name, _, attribute = path.partition(":")
    return check_table(getattr(importlib.import_module(module_name), attribute or "JOBS"))


# --- when to start -------------------------------------------------------------------------------------
def start_refusal(
    app: Flask, environ: Mapping[str, str] | None = None, click_context: click.Context | None = None
) -> str | None:
    """Why this process must not start the in-process scheduler, or None when it should."""
    environ = os.environ if environ is None else environ
    if not app.config.get("SCHEDULER_ENABLED"):
        return "SCHEDULER_ENABLED is off"
    if app.testing:
        return "the app is under test (TESTING); tests start a runner themselves"
    if click_context is not None and click_context.command.name != "run":
        return f"'flask {click_context.info_name}' is a command, not a server (use 'flask scheduler run')"
    if click_context is None and environ.get("FLASK_RUN_FROM_CLI") == "true":
        return "a flask command is loading the app, not serving it"
    if click_context is not None and environ.get("WERKZEUG_RUN_MAIN") != "true":
        reload = click_context.params.get("reload")
        if reload if reload is not None else get_debug_flag():
            return "this is the debug reloader's watcher process; the serving process it starts runs the scheduler"
    return None


def start_in_background(app: Flask) -> SchedulerRunner | None:
    """Start the scheduler in this process if it should run here and takes the lock; else keep trying."""
    refusal = start_refusal(app, click_context=click.get_current_context(silent=True))
    if refusal is not None:
        log.info("Scheduler not started in this process: %s.", refusal)
        return None
    runner = SchedulerRunner(app)
    runner.start_background()
    app.extensions["scheduler"] = runner
    return runner


# --- process exit --------------------------------------------------------------------------------------
def _at_interpreter_exit(callback: Callable[[], None]) -> None:
    """Call ``callback`` when the interpreter starts shutting down, before the job threads are joined.

    A plain ``atexit`` hook runs too late: by then the thread pool refuses new work (APScheduler logs
    each refused job), and the retry thread may still take a lock that another exiting worker just freed
    and fail to start a scheduler in a process that is going away. ``threading``'s own
    exit hooks run first, newest first, so this one (registered after ``concurrent.futures.thread``
    was imported, above) stops the scheduler before the pool is shut down. Plain ``atexit`` otherwise.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is None:
        atexit.register(callback)
        return
    register(callback)


# --- the runner ----------------------------------------------------------------------------------------
class SchedulerRunner:
    """Owns the lock and, while holding it, one APScheduler scheduler running the job table."""

    def __init__(
        self,
        app: Flask,
        *,
        table: Iterable[JobSpec] | None = None,
        lock: RunnerLock | None = None,
        retry_seconds: float | None = None,
    ) -> None:
        # The app itself, never the current_app proxy: jobs run in the scheduler's threads.
        self.app = getattr(app, "_get_current_object", lambda: app)()
        self.table = check_table(table) if table is not None else load_table(app)
        self.lock = lock or lock_for(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)
        self.retry_seconds = float(retry_seconds or app.config.get("SCHEDULER_LOCK_RETRY_SECONDS") or 30)
        self.zone = ZoneInfo(app.config.get("SCHEDULER_TIMEZONE") or "UTC")
        self.scheduler: BaseScheduler | None = None
        self._stopping = threading.Event()
        self._guard = threading.RLock()
        self._keeper: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.scheduler is not None

    def build(self, scheduler_class: type[BaseScheduler] = BackgroundScheduler) -> BaseScheduler:
        """A scheduler with every job of the table (one instance at a time, missed runs coalesced)."""
        scheduler = scheduler_class(
            timezone=self.zone,
            executors={"default": ThreadPoolExecutor(WORKER_THREADS)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        for job in self.table:
            scheduler.add_job(
                self._run_if_held,
                job.trigger.build(self.zone),
                args=(job,),
                id=job.id,
                name=job.description,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=job.misfire_grace_seconds,
            )
        # On PostgreSQL the lock lives as long as its connection: notice a drop even when no job is due.
        scheduler.add_job(
            self._watch_lock,
            IntervalTrigger(seconds=self.retry_seconds, timezone=self.zone),
            id=LOCK_WATCH_JOB,
            coalesce=True,
            max_instances=1,
        )
        return scheduler

    def _take_lock(self) -> bool:
        try:
            if not self.lock.acquire():
                return False
        except Exception:
            log.exception("Could not try the scheduler lock (%s)", self.lock.describe())
            return False
        with self.app.app_context():
            try:
                closed = close_abandoned_runs(now=utcnow(), runner=runner_label())
                if closed:
                    log.warning("Marked %d run(s) left running by a stopped runner as failed.", closed)
            except Exception:
                db.session.rollback()
                log.exception("Could not close the runs left running by a stopped runner")
            finally:
                db.session.remove()
        return True

    # --- in the web process -------------------------------------------------------------------------
    def try_start(self) -> bool:
        """Start a BackgroundScheduler if this process takes the lock; True when one runs here."""
        with self._guard:
            if self.scheduler is not None:
                return True
            if self._stopping.is_set() or not self._take_lock():
                return False
            try:
                scheduler = self.build(BackgroundScheduler)
                scheduler.start()
            except Exception:  # the web app still serves; the next attempt may succeed
                log.exception("Could not start the scheduler in %s", runner_label())
                self.lock.release()
                return False
            self.scheduler = scheduler
        log.info("Scheduler started in %s (%s): %d jobs.", runner_label(), self.lock.describe(), len(self.table))
        return True

    def start_background(self) -> bool:
        """Try now, then keep trying from a daemon thread while another process holds the lock."""
        started = self.try_start()
        if not started:
            log.info(
                "Scheduler not started in %s: %s holds the %s; retrying every %g s.",
                runner_label(),
                self._holder(),
                self.lock.describe(),
                self.retry_seconds,
            )
        self._keeper = threading.Thread(target=self._keep_trying, name="scheduler-lock", daemon=True)
        self._keeper.start()
        _at_interpreter_exit(self._stop_at_exit)
        return started

    def _stop_at_exit(self) -> None:
        self.stop(wait=True)  # a running job finishes and records its end before the lock goes

    def _keep_trying(self) -> None:
        while not self._stopping.wait(self.retry_seconds):
            if self.scheduler is None and self.try_start():
                log.info("Scheduler taken over by %s.", runner_label())

    def _run_if_held(self, job: JobSpec) -> None:
        """Run a job only while this process still holds the lock (another may have taken it over)."""
        if self._watch_lock():
            run_job(self.app, job)

    def _watch_lock(self) -> bool:
        if self.lock.still_held():
            return True
        log.error("Scheduler lost its lock (%s); stopping here until it is taken again.", self.lock.describe())
        self._halt(wait=False)
        return False

    def _halt(self, *, wait: bool) -> None:
        with self._guard:
            scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=wait)
        self.lock.release()

    def stop(self, wait: bool = False) -> None:
        """Stop for good: no more retries, the scheduler shut down, the lock released."""
        self._stopping.set()
        self._halt(wait=wait)

    def _holder(self) -> str:
        try:
            return self.lock.holder() or "another process"
        except Exception:  # noqa: BLE001  (only for the message)
            return "another process"

    # --- flask scheduler run ------------------------------------------------------------------------
    def run_forever(self, echo: Callable[[str], Any] = print) -> None:
        """Run a BlockingScheduler while holding the lock; wait (retrying) while another process holds it."""
        waiting_said = False
        while not self._stopping.is_set():
            if not self._take_lock():
                if not waiting_said:
                    echo(
                        f"Waiting: {self._holder()} holds the {self.lock.describe()}; "
                        f"retrying every {self.retry_seconds:g} s (Ctrl+C to stop)."
                    )
                    waiting_said = True
                self._stopping.wait(self.retry_seconds)
                continue
            waiting_said = False
            scheduler = self.build(BlockingScheduler)
            with self._guard:
                if self._stopping.is_set():
                    self.lock.release()
                    break
                self.scheduler = scheduler
            echo(
                f"Scheduler running in {runner_label()} ({self.lock.describe()}): "
                f"{', '.join(job.id for job in self.table)}. Ctrl+C to stop."
            )
            try:
                scheduler.start()  # returns when the lock is lost or stop() is called
            finally:
                self._halt(wait=True)  # let a running job finish and record its end
            if not self._stopping.is_set():
                echo("Lost the scheduler lock; waiting to take it again.")
