"""Part line rules: status groups, the RO roll-up, pricing and margin guardrails, quantities, returns."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from collisionos.domain.calculations import margin_percent, margin_variance
from collisionos.domain.money import CENT, HUNDRED, ZERO, percent_of, to_money
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


# --- pricing, margins, quantities, returns (DOMAIN.md §5.3-§5.5) ---------------------------------

# A line may be put on a purchase order only while it is still being sourced.
ORDERABLE = frozenset({PartStatus.NEEDED, PartStatus.SOURCING, PartStatus.QUOTED})
# A line may be received (on a PO or not) only while it is on order.
RECEIVABLE = AWAITING_DELIVERY
# A line may go back to its vendor once it is in the shop (or on the car).
RETURNABLE = frozenset({PartStatus.RECEIVED, PartStatus.INSPECTED, PartStatus.INSTALLED})
# The return reasons that are the vendor's fault: no restocking fee is charged for them.
VENDOR_FAULT_REASONS = frozenset({"defective", "wrong_part", "quality_issue", "damaged_in_shipping"})

QUANTITY = Decimal("0.001")


def quantity(value: Decimal | int | str | None) -> Decimal:
    """A part quantity as stored (Numeric(10, 3)); ``None`` is zero."""
    return Decimal(value or 0).quantize(QUANTITY)


def marked_up_sell_price(net_price: Decimal, markup_percent: Decimal | None) -> Decimal | None:
    """sell = net × (1 + markup/100), for a line whose estimate did not fix a sell price (§5.4)."""
    if markup_percent is None:
        return None
    return to_money(Decimal(net_price) * (1 + Decimal(markup_percent) / HUNDRED))


@dataclass(frozen=True)
class MarginCheck:
    """Where one line's margin stands against the shop's guardrails (§5.4)."""

    target: Decimal | None
    actual: Decimal | None
    variance: Decimal | None
    warn_below: Decimal | None
    below_target: bool
    below_cost: bool


def check_margin(
    *,
    net_price: Decimal | None,
    sell_price: Decimal | None,
    brand_type: str | None,
    settings: Mapping[str, Any],
    guardrails: Mapping[str, Any] | None = None,
) -> MarginCheck:
    """Compare a line's margin with its target: the line's guardrails first, else the shop's per brand type.

    A line warns when its margin is below the target less ``marginWarningPoints`` (or below the line's own
    ``min_margin``); it sells below cost when the sell price is under the net price.
    """
    guardrails = guardrails or {}
    targets = settings.get("marginTargets") or {}
    raw_target = guardrails.get("target_margin", targets.get(brand_type or "oem"))
    target = Decimal(str(raw_target)).quantize(CENT) if raw_target is not None else None
    if guardrails.get("min_margin") is not None:
        warn_below: Decimal | None = Decimal(str(guardrails["min_margin"]))
    elif target is not None:
        warn_below = target - Decimal(str(settings.get("marginWarningPoints", 5)))
    else:
        warn_below = None
    actual = margin_percent(sell_price, net_price)
    below_cost = sell_price is not None and net_price is not None and Decimal(sell_price) < Decimal(net_price)
    return MarginCheck(
        target=target,
        actual=actual,
        variance=margin_variance(actual, target),
        warn_below=warn_below,
        below_target=actual is not None and warn_below is not None and actual < warn_below,
        below_cost=below_cost,
    )


def margin_warning(label: str, check: MarginCheck) -> str | None:
    """The sentence staff see when a line's margin is too thin (None when it is fine or unknown)."""
    if check.below_cost:
        return (
            f"{label} sells below cost (margin {check.actual if check.actual is not None else '—'} %): putting it on "
            "a purchase order needs a manager's override with a reason."
        )
    if check.below_target:
        return (
            f"{label} has a margin of {check.actual} %, below the minimum of {check.warn_below} % "
            f"(target {check.target} %)."
        )
    return None


def outstanding_quantity(ordered: Decimal | None, received: Decimal | None) -> Decimal:
    """What the vendor still owes on a line: ordered − received (never below zero)."""
    return max(Decimal(0), quantity(ordered) - quantity(received))


def return_deadline(received: datetime, days: int) -> datetime:
    """A received part may go back to its vendor until ``partReturnDays`` after it came in (§5.5)."""
    return received + timedelta(days=int(days))


def core_return_due(installed: datetime | None, days: int) -> datetime | None:
    """The old core is owed back to the vendor ``coreReturnDays`` after the new part was installed (§5.5 (p))."""
    return installed + timedelta(days=int(days)) if installed is not None else None


def restocking_fee(
    reason: str, amount: Decimal, *, fee_amount: Decimal | None = None, fee_percent: Decimal | None = None
) -> Decimal:
    """The restocking fee on a return of ``amount`` (net × quantity).

    An amount typed in wins; else the PO's percentage applies, except when the return is the
    vendor's fault (defective, wrong or damaged parts), which costs the shop nothing.
    """
    if fee_amount is not None:
        return to_money(fee_amount)
    if reason in VENDOR_FAULT_REASONS or not fee_percent:
        return ZERO
    return percent_of(amount, fee_percent)


def return_credit(net_price: Decimal | None, returned: Decimal, fee: Decimal) -> Decimal:
    """credit = net × quantity − restocking fee, never below zero (§5.5)."""
    return max(ZERO, to_money(Decimal(net_price or 0) * Decimal(returned)) - to_money(fee))


def quantity_text(value: Decimal | int | str | None) -> str:
    """A quantity as staff write it: ``2``, ``1.5``."""
    text = f"{quantity(value).normalize():f}"
    return text if text != "-0" else "0"
