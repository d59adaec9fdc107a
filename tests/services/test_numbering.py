"""Per-shop counters for customer, RO, PO ... numbers (services/numbering.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import NumberSequence
from collisionos.services.numbering import reserve_numbers


def test_numbers_are_consecutive_per_shop_and_name(session, shop):
    taken = [reserve_numbers(shop.id, "customer") for _ in range(4)]
    session.commit()

    assert taken == [1, 2, 3, 4]
    stored = session.scalar(
        sa.select(NumberSequence.last_value).where(NumberSequence.shop_id == shop.id, NumberSequence.name == "customer")
    )
    assert stored == 4


def test_each_shop_has_its_own_counter(session, shop, other_shop):
    assert reserve_numbers(shop.id, "repair_order") == 1
    assert reserve_numbers(shop.id, "repair_order") == 2
    assert reserve_numbers(other_shop.id, "repair_order") == 1
    assert reserve_numbers(shop.id, "repair_order") == 3
    session.commit()


def test_each_name_has_its_own_counter(session, shop):
    assert reserve_numbers(shop.id, "customer") == 1
    assert reserve_numbers(shop.id, "vendor") == 1
    assert reserve_numbers(shop.id, "estimate:261125") == 1
    assert reserve_numbers(shop.id, "customer") == 2
    session.commit()


@pytest.mark.parametrize("already_taken", [0, 3])
def test_a_block_returns_its_first_number_and_the_next_call_continues_after_it(session, shop, already_taken):
    for _ in range(already_taken):
        reserve_numbers(shop.id, "customer")

    first = reserve_numbers(shop.id, "customer", count=5)
    following = reserve_numbers(shop.id, "customer")

    assert first == already_taken + 1
    assert following == already_taken + 6


def test_committed_counter_continues_in_a_new_session(session, shop):
    shop_id = shop.id
    reserve_numbers(shop_id, "customer", count=2)
    session.commit()
    db.session.remove()

    assert reserve_numbers(shop_id, "customer") == 3


def test_rolled_back_reservation_is_given_out_again(session, shop):
    shop_id = shop.id
    reserve_numbers(shop_id, "customer")
    session.commit()
    reserve_numbers(shop_id, "customer")
    session.rollback()

    assert reserve_numbers(shop_id, "customer") == 2


@pytest.mark.parametrize("count", [0, -1])
def test_a_block_of_no_numbers_is_refused(session, shop, count):
    with pytest.raises(ValueError, match="at least 1"):
        reserve_numbers(shop.id, "customer", count=count)
