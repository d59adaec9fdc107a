"""Part line rules."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from collisionos.models.enums import PartStatus

# On order and not yet in the shop: these can be late.
AWAITING_DELIVERY = frozenset({PartStatus.ORDERED, PartStatus.BACKORDERED, PartStatus.SHIPPED})
# Still needed before the car can be finished (DOMAIN.md §5.3 all_parts_received).
OUTSTANDING = frozenset(
    {
        PartStatus.NEEDED,
        PartStatus.SOURCING,
        PartStatus.QUOTED,
        PartStatus.ORDERED,
        PartStatus.BACKORDERED,
        PartStatus.SHIPPED,
    }
)

ORDERED_OR_LATER = frozenset(
    {
        PartStatus.ORDERED,
        PartStatus.BACKORDERED,
        PartStatus.SHIPPED,
        PartStatus.RECEIVED,
        PartStatus.INSPECTED,
        PartStatus.INSTALLED,
        PartStatus.RETURNED,
    }
)
IN_HAND = frozenset({PartStatus.RECEIVED, PartStatus.INSPECTED, PartStatus.INSTALLED})


@dataclass(frozen=True)
class PartsRollup:
    """The RO's parts counters (DOMAIN.md §5.3 "RO roll-up after any part change")."""

    parts_ordered_count: int
    parts_received_count: int
    parts_pending_count: int
    parts_backordered_count: int
    all_parts_received: bool
    next_part_expected_date: datetime | None


def parts_rollup(lines: Iterable[tuple[str, datetime | None]]) -> PartsRollup:
    """Roll up ``(part_status, estimated_delivery_date)`` pairs of one RO's part lines."""
    ordered = received = pending = backordered = 0
    expected: list[datetime] = []
    for status, eta in lines:
        ordered += status in ORDERED_OR_LATER
        received += status in IN_HAND
        pending += status in OUTSTANDING
        backordered += status == PartStatus.BACKORDERED
        if status in AWAITING_DELIVERY and eta is not None:
            expected.append(eta)
    return PartsRollup(
        parts_ordered_count=ordered,
        parts_received_count=received,
        parts_pending_count=pending,
        parts_backordered_count=backordered,
        all_parts_received=pending == 0,
        next_part_expected_date=min(expected) if expected else None,
    )
