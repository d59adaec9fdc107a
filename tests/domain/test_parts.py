"""The RO's parts roll-up (DOMAIN.md §5.3 "RO roll-up after any part change")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collisionos.domain.parts import parts_rollup
from collisionos.models.enums import PartStatus as P

DAY = datetime(2026, 11, 25, 12, tzinfo=UTC)

# (ordered, received, pending, backordered) contributed by one line in each status.
COUNTS_BY_STATUS = {
    P.NEEDED: (0, 0, 1, 0),
    P.SOURCING: (0, 0, 1, 0),
    P.QUOTED: (0, 0, 1, 0),
    P.ORDERED: (1, 0, 1, 0),
    P.BACKORDERED: (1, 0, 1, 1),
    P.SHIPPED: (1, 0, 1, 0),
    P.RECEIVED: (1, 1, 0, 0),
    P.INSPECTED: (1, 1, 0, 0),
    P.INSTALLED: (1, 1, 0, 0),
    P.RETURNED: (1, 0, 0, 0),
    P.CANCELLED: (0, 0, 0, 0),
}
OUTSTANDING = {P.NEEDED, P.SOURCING, P.QUOTED, P.ORDERED, P.BACKORDERED, P.SHIPPED}


def _counters(rollup):  # type: ignore[no-untyped-def]
    return (
        rollup.parts_ordered_count,
        rollup.parts_received_count,
        rollup.parts_pending_count,
        rollup.parts_backordered_count,
    )


def test_every_part_status_is_classified():
    assert set(COUNTS_BY_STATUS) == set(P)


@pytest.mark.parametrize("status", list(P))
def test_one_line_counts_where_its_status_belongs(status):
    rollup = parts_rollup([(status, None)])

    assert _counters(rollup) == COUNTS_BY_STATUS[status]
    assert rollup.all_parts_received is (status not in OUTSTANDING)


def test_counters_add_up_over_several_lines():
    lines = [(status, None) for status in P] + [(P.BACKORDERED, None), (P.INSTALLED, None)]

    rollup = parts_rollup(lines)

    expected = tuple(sum(COUNTS_BY_STATUS[s][i] for s, _ in lines) for i in range(4))
    assert _counters(rollup) == expected
    assert rollup.all_parts_received is False


def test_no_lines_means_nothing_outstanding():
    rollup = parts_rollup([])

    assert _counters(rollup) == (0, 0, 0, 0)
    assert rollup.all_parts_received is True
    assert rollup.next_part_expected_date is None


def test_all_parts_received_once_only_closed_lines_remain():
    rollup = parts_rollup([(P.INSTALLED, None), (P.RECEIVED, None), (P.RETURNED, None), (P.CANCELLED, None)])

    assert rollup.all_parts_received is True


def test_next_part_expected_date_is_the_earliest_eta_of_parts_on_their_way():
    lines = [
        (P.ORDERED, DAY + timedelta(days=3)),
        (P.BACKORDERED, DAY + timedelta(days=9)),
        (P.SHIPPED, DAY + timedelta(days=1)),
        (P.ORDERED, None),
    ]

    assert parts_rollup(lines).next_part_expected_date == DAY + timedelta(days=1)


@pytest.mark.parametrize("closed", [P.RECEIVED, P.INSPECTED, P.INSTALLED, P.RETURNED, P.CANCELLED])
def test_next_part_expected_date_ignores_lines_already_closed(closed):
    lines = [(closed, DAY - timedelta(days=5)), (P.ORDERED, DAY + timedelta(days=2))]

    assert parts_rollup(lines).next_part_expected_date == DAY + timedelta(days=2)


def test_next_part_expected_date_is_none_when_nothing_is_on_order():
    assert parts_rollup([(P.RECEIVED, DAY), (P.NEEDED, None)]).next_part_expected_date is None
