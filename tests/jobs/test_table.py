"""The job table: stable ids, valid triggers, and thin job functions that call their service with ``now``."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import types
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collisionos.jobs import tasks
from collisionos.jobs.table import JOBS, DailyAt, Every, Hourly, JobSpec, check_table, find_job
from tests import factories

NOW = datetime(2026, 3, 2, 15, 20, tzinfo=UTC)
TORONTO = ZoneInfo("America/Toronto")

# Recorded in scheduler_runs.job_id and typed in `flask scheduler run-once`: changing one is a breaking change.
STABLE_IDS = [
    "dispatch_messages",
    "sla_monitor",
    "daily_digest",
    "nightly_rollups",
    "hold_todays_pickups",
    "analyze_database",
]

# What each job calls (the contract between the scheduler and the services), and how.
SERVICES = {
    "dispatch_messages": ("collisionos.services.messaging.dispatcher", "dispatch_due"),
    "sla_monitor": ("collisionos.services.monitoring", "sweep"),
    "daily_digest": ("collisionos.services.monitoring", "send_digests"),
    "nightly_rollups": ("collisionos.services.rollups", "run_rollups"),
    "hold_todays_pickups": ("collisionos.services.loaners", "hold_todays_pickups"),
    "analyze_database": ("collisionos.services.maintenance", "analyze_database"),
}


def test_the_job_ids_are_unique_and_stable() -> None:
    assert [job.id for job in JOBS] == STABLE_IDS
    assert check_table(JOBS) == JOBS


def test_the_triggers_are_the_ones_the_issue_asks_for() -> None:
    triggers = {job.id: job.trigger for job in JOBS}
    assert triggers == {
        "dispatch_messages": Every(minutes=1),
        "sla_monitor": Every(minutes=5),
        "daily_digest": Hourly(minute=0),
        "nightly_rollups": DailyAt(hour=2),
        "hold_todays_pickups": Hourly(minute=15),
        "analyze_database": DailyAt(hour=3),
    }


def test_every_trigger_builds_and_a_late_run_is_skipped_before_the_next_one_is_due() -> None:
    for job in JOBS:
        trigger = job.trigger.build(TORONTO)
        first = trigger.get_next_fire_time(None, NOW)
        assert first is not None and first >= NOW, job.id
        second = trigger.get_next_fire_time(first, first)
        # A run may start late by less than the gap to the next one, never so late that two would overlap.
        assert 0 < job.misfire_grace_seconds < (second - first).total_seconds(), job.id
        assert job.trigger.describe(), job.id


def test_cron_style_times_are_in_the_schedulers_zone() -> None:
    nightly = find_job(JOBS, "nightly_rollups")
    upcoming = nightly.trigger.next_after(None, NOW, TORONTO)
    assert upcoming.astimezone(TORONTO).replace(tzinfo=None) == datetime(2026, 3, 3, 2, 0)
    assert Hourly(minute=15).next_after(None, NOW, TORONTO) == datetime(2026, 3, 2, 15, 15, tzinfo=UTC) + timedelta(
        hours=1
    )


def test_an_interval_jobs_next_run_follows_its_last_start() -> None:
    assert Every(minutes=5).next_after(NOW, NOW, TORONTO) == NOW + timedelta(minutes=5)
    assert Every(minutes=5).next_after(None, NOW, TORONTO) is None
    assert Every(hours=1, minutes=30).describe() == "every 1 h 30 min"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ((JobSpec("tick", tasks.analyze_database, Every(minutes=1), "a"),) * 2, "appears twice"),
        ((JobSpec("Tick Tock", tasks.analyze_database, Every(minutes=1), "a"),), "lower_snake_case"),
        (("not a job",), "not a JobSpec"),
    ],
)
def test_a_bad_table_is_refused(table, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        check_table(table)


@pytest.mark.parametrize("job_id", [job_id for job_id in STABLE_IDS if job_id != "hold_todays_pickups"])
def test_each_job_calls_its_service_with_now_and_returns_its_counts(monkeypatch, job_id) -> None:
    """The job function's glue, against a stand-in for the service (hold_todays_pickups: the shop tests below)."""
    module_name, function_name = SERVICES[job_id]
    calls: list[tuple[tuple, dict]] = []

    def service(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((args, kwargs))
        return {"done": 2}

    fake = types.ModuleType(module_name)
    setattr(fake, function_name, service)
    monkeypatch.setitem(sys.modules, module_name, fake)
    job = find_job(JOBS, job_id)

    counts = job.run(now=NOW)

    if job_id == "analyze_database":
        assert calls == [((), {})] and counts == {}
    else:
        assert calls[0][1]["now"] == NOW
        assert counts == {"done": 2}
    if job_id == "dispatch_messages":
        assert calls[0][1]["runner"].endswith(f":{os.getpid()}")


@pytest.mark.parametrize("job_id", STABLE_IDS)
def test_the_real_service_behind_each_job_exists_and_takes_the_arguments_given(job_id) -> None:
    module_name, function_name = SERVICES[job_id]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        pytest.skip(f"{job_id}: {module_name} cannot be imported yet ({error})")
    service = getattr(module, function_name, None)
    if service is None:
        pytest.skip(f"{job_id}: {module_name}.{function_name} does not exist yet")
    signature = inspect.signature(service)
    if job_id == "analyze_database":
        signature.bind()
    elif job_id == "hold_todays_pickups":
        signature.bind(1, now=NOW)
    elif job_id == "dispatch_messages":
        signature.bind(now=NOW, runner="host:1")
    else:
        signature.bind(now=NOW)


def test_hold_todays_pickups_runs_for_every_active_shop(app_ctx) -> None:
    for _ in range(2):
        factories.ShopFactory()
    factories.ShopFactory(is_active=False)

    assert tasks.hold_todays_pickups(NOW) == {"shops": 2, "held": 0}


def test_one_shop_failing_does_not_stop_the_others_and_the_run_fails_with_the_counts(app_ctx, monkeypatch) -> None:
    import collisionos.services.loaners as loaners

    shops = [factories.ShopFactory().id for _ in range(3)]
    done = []

    def hold(shop_id, *, now):  # type: ignore[no-untyped-def]
        if shop_id == shops[1]:
            raise ValueError("no zone")
        done.append(shop_id)
        return 2

    monkeypatch.setattr(loaners, "hold_todays_pickups", hold)

    with pytest.raises(tasks.PartlyFailed, match=f"shop {shops[1]}: ValueError: no zone") as raised:
        tasks.hold_todays_pickups(NOW)

    assert done == [shops[0], shops[2]]
    assert raised.value.counts == {"shops": 2, "held": 4, "failed_shops": 1}


def test_analyze_database_runs_on_the_database(app_ctx) -> None:
    assert tasks.analyze_database(NOW) == {}
