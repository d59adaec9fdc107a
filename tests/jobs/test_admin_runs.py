"""System > Scheduler Runs: every run, newest first, filtered by job and outcome, read-only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collisionos.extensions import db
from collisionos.models import SchedulerRun
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def runs(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = [
            SchedulerRun(
                job_id="sla_monitor", started_at=START, finished_at=START, outcome="success", counts={"at_risk": 4}
            ),
            SchedulerRun(
                job_id="dispatch_messages",
                started_at=START + timedelta(minutes=1),
                finished_at=START + timedelta(minutes=1, seconds=3),
                outcome="failed",
                counts={"sent": 1},
                error="SMTPServerDisconnected: Connection unexpectedly closed\n\nTraceback (most recent call last):",
                runner="web1:4242",
            ),
            SchedulerRun(job_id="dispatch_messages", started_at=START + timedelta(minutes=2), outcome="running"),
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def _client(app, role: str):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = factories.ShopFactory(timezone="UTC")
        email = factories.UserFactory(shop=shop, role=role, password_plain=DEMO_PASSWORD).email
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _filter_arg(app, column: str, operation: str = "equals") -> str:  # type: ignore[no-untyped-def]
    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "scheduler_runs")
    for index, flt in enumerate(view._filters):
        if flt.column.key == column and flt.operation() == operation:
            return f"flt0_{index}"
    raise AssertionError(f"no {operation} filter on {column}")


def _row_order(html: str, ids: list[int]) -> list[int]:
    found = {row_id: html.find(f'?id={row_id}"') for row_id in ids}
    return [row_id for row_id, at in sorted(found.items(), key=lambda item: item[1]) if at != -1]


def test_a_manager_sees_every_run_newest_first_with_outcome_counts_and_first_error_line(app, runs) -> None:
    client = _client(app, "manager")

    page = client.get("/admin/scheduler_runs/")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _row_order(html, runs) == list(reversed(runs))
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in html and "Traceback" not in html
    assert "at_risk=4" in html and "2026-03-02 15:01:03" in html
    assert 'badge-danger">failed' in html and 'badge-info">running' in html


def test_runs_filter_by_job_and_by_outcome(app, runs) -> None:
    client = _client(app, "owner")
    by_job = _filter_arg(app, "job_id")
    by_outcome = _filter_arg(app, "outcome")

    dispatch = client.get(f"/admin/scheduler_runs/?{by_job}=dispatch_messages").get_data(as_text=True)
    failed = client.get(f"/admin/scheduler_runs/?{by_outcome}=failed").get_data(as_text=True)

    assert _row_order(dispatch, runs) == [runs[2], runs[1]]
    assert _row_order(failed, runs) == [runs[1]]


def test_the_details_page_shows_the_whole_error(app, runs) -> None:
    client = _client(app, "owner")

    html = client.get(f"/admin/scheduler_runs/details/?id={runs[1]}").get_data(as_text=True)

    assert "Traceback (most recent call last)" in html and "web1:4242" in html


def test_runs_are_read_only_even_for_an_owner_and_hidden_from_other_roles(app, runs) -> None:
    owner = _client(app, "owner")
    token = extract_csrf(owner.get("/admin/").get_data(as_text=True))

    assert owner.get("/admin/scheduler_runs/new/").status_code != 200
    assert owner.get(f"/admin/scheduler_runs/edit/?id={runs[0]}").status_code != 200
    owner.post("/admin/scheduler_runs/delete/", data={"id": runs[0], "csrf_token": token})
    with app.app_context():
        assert db.session.get(SchedulerRun, runs[0]) is not None
    assert _client(app, "technician").get("/admin/scheduler_runs/").status_code == 403
    assert _client(app, "service_advisor").get("/admin/scheduler_runs/").status_code == 403
