"""Automatic calculations (DOMAIN.md §6) applied by ORM listeners on insert and on update.

Every test reads the stored row back (the session is expired after each commit), so what is asserted is what
the database holds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from collisionos.models import (
    FinancialTransaction,
    Invoice,
    JobStageHistory,
    LaborTimeEntry,
    ProductionWorkflow,
    SchedulingCapacity,
    VehicleHistory,
)
from collisionos.models.calculations import fit
from tests import factories

D = Decimal
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def saved(session, row):  # type: ignore[no-untyped-def]
    """Commit ``row`` and expire it so that the next read comes from the database."""
    session.add(row)
    session.commit()
    session.expire_all()
    return row


def changed(session, row, **values):  # type: ignore[no-untyped-def]
    """Update ``row`` with ``values``, commit, and expire it."""
    for name, value in values.items():
        setattr(row, name, value)
    return saved(session, row)


def ro_in(shop):  # type: ignore[no-untyped-def]
    customer = factories.CustomerFactory(shop=shop)
    vehicle = factories.VehicleFactory(customer=customer)
    return factories.RepairOrderFactory(vehicle_profile=factories.VehicleProfileFactory(vehicle=vehicle))


# --- T4/T5 scheduling_capacity ----------------------------------------------------------------------------------------


def capacity(shop, **fields: Any) -> SchedulingCapacity:  # type: ignore[no-untyped-def]
    return SchedulingCapacity(
        shop=shop, schedule_date=date(2026, 11, 25), schedule_year=2026, day_of_week=3, department="body", **fields
    )


class TestSchedulingCapacity:
    def test_insert_computes_remaining_hours_and_utilization(self, session, shop):
        row = saved(session, capacity(shop, total_capacity_hours=D("32.00"), scheduled_hours=D("24.00")))

        assert (row.remaining_capacity_hours, row.utilization_percentage) == (D("8.00"), D("75.00"))

    def test_update_of_scheduled_hours_recomputes_them(self, session, shop):
        row = saved(session, capacity(shop, total_capacity_hours=D("30.00"), scheduled_hours=D("0")))

        changed(session, row, scheduled_hours=D("10.00"))

        assert (row.remaining_capacity_hours, row.utilization_percentage) == (D("20.00"), D("33.33"))

    def test_overbooking_is_clamped_and_flagged_then_cleared(self, session, shop):
        row = saved(session, capacity(shop, total_capacity_hours=D("32.00"), scheduled_hours=D("24.00")))

        changed(session, row, scheduled_hours=D("40.50"))

        assert (row.remaining_capacity_hours, row.utilization_percentage) == (D("0.00"), D("100.00"))
        assert row.is_valid is False
        assert row.validation_errors == ["Over-booked by 8.50 h: 40.50 h scheduled against 32.00 h of capacity."]

        changed(session, row, scheduled_hours=D("16.00"))

        assert (row.remaining_capacity_hours, row.utilization_percentage) == (D("16.00"), D("50.00"))
        assert row.is_valid is True
        assert row.validation_errors is None

    def test_overbooking_warning_keeps_other_validation_errors(self, session, shop):
        row = saved(
            session,
            capacity(shop, total_capacity_hours=D("8"), scheduled_hours=D("9"), validation_errors=["No painter"]),
        )

        assert row.validation_errors == ["No painter", "Over-booked by 1.00 h: 9 h scheduled against 8 h of capacity."]

        changed(session, row, scheduled_hours=D("4"))

        assert row.validation_errors == ["No painter"]
        assert row.is_valid is False

    def test_no_capacity_gives_zero_utilization(self, session, shop):
        row = saved(session, capacity(shop, total_capacity_hours=D("8"), scheduled_hours=D("4")))
        assert row.utilization_percentage == D("50.00")

        changed(session, row, total_capacity_hours=D("0"), scheduled_hours=D("0"))

        assert (row.remaining_capacity_hours, row.utilization_percentage) == (D("0.00"), D("0.00"))
        assert row.is_valid is True

    def test_insert_computes_available_bays_and_bay_utilization(self, session, shop):
        row = saved(session, capacity(shop, total_bays=4, occupied_bays=3))

        assert (row.available_bays, row.bay_utilization) == (1, D("75.00"))

    def test_update_of_occupied_bays_recomputes_them_and_clamps_overbooking(self, session, shop):
        row = saved(session, capacity(shop, total_bays=3, occupied_bays=1))
        assert (row.available_bays, row.bay_utilization) == (2, D("33.33"))

        changed(session, row, occupied_bays=5)

        assert (row.available_bays, row.bay_utilization) == (0, D("100.00"))
        assert row.validation_errors == ["Over-booked by 2 bay(s): 5 occupied of 3."]

    def test_no_bays_gives_zero_bay_utilization(self, session, shop):
        row = saved(session, capacity(shop, total_bays=2, occupied_bays=1))
        assert (row.available_bays, row.bay_utilization) == (1, D("50.00"))

        changed(session, row, total_bays=0, occupied_bays=0)

        assert (row.available_bays, row.bay_utilization) == (0, D("0.00"))


# --- T8/T9 advanced_parts_management ----------------------------------------------------------------------------------


def part_line(shop, **fields: Any):  # type: ignore[no-untyped-def]
    return factories.PartLineFactory(repair_order=ro_in(shop), **fields)


class TestPartLineQuantity:
    def test_insert_computes_quantity_remaining(self, session, shop):
        line = part_line(
            shop,
            quantity_ordered=D("3"),
            quantity_received=D("3"),
            quantity_installed=D("1"),
            quantity_returned=D("0.5"),
        )
        session.expire_all()

        assert line.quantity_remaining == D("1.500")

    def test_update_of_installed_quantity_recomputes_it(self, session, shop):
        line = part_line(shop, quantity_ordered=D("2"), quantity_received=D("2"))
        session.expire_all()
        assert line.quantity_remaining == D("2.000")

        changed(session, line, quantity_installed=D("2"))

        assert line.quantity_remaining == D("0.000")

    def test_quantity_remaining_never_goes_below_zero(self, session, shop):
        line = part_line(shop, quantity_received=D("2"))
        session.expire_all()
        assert line.quantity_remaining == D("2.000")

        changed(session, line, quantity_installed=D("2"), quantity_returned=D("1"))

        assert line.quantity_remaining == D("0.000")


class TestPartLinePricing:
    def test_insert_derives_net_price_total_cost_and_margins(self, session, shop):
        line = part_line(
            shop,
            list_price=D("412.50"),
            discount_percentage=D("10"),
            discount_amount=D("5.00"),
            quantity_ordered=D("2"),
            sell_price=D("500.00"),
            target_margin=D("25.00"),
        )
        session.expire_all()

        assert (line.net_price, line.total_cost) == (D("366.25"), D("732.50"))
        assert (line.actual_margin, line.margin_variance) == (D("26.75"), D("1.75"))

    def test_update_of_a_discount_reprices_the_line(self, session, shop):
        line = part_line(shop, list_price=D("412.50"), sell_price=D("500.00"), target_margin=D("25.00"))
        session.expire_all()
        assert (line.net_price, line.total_cost, line.actual_margin) == (D("412.50"), D("412.50"), D("17.50"))

        changed(session, line, discount_percentage=D("20"))

        assert (line.net_price, line.total_cost) == (D("330.00"), D("330.00"))
        assert (line.actual_margin, line.margin_variance) == (D("34.00"), D("9.00"))

    def test_update_of_the_quantity_recomputes_the_total_cost(self, session, shop):
        line = part_line(shop, list_price=D("33.33"))

        changed(session, line, quantity_ordered=D("1.5"))

        assert (line.net_price, line.total_cost) == (D("33.33"), D("50.00"))  # 49.995

    def test_a_net_price_given_on_insert_is_kept(self, session, shop):
        # The estimate's cost (or a vendor's quote) is the net price; the list price is only the reference.
        line = part_line(shop, list_price=D("500.00"), net_price=D("350.00"), sell_price=D("500.00"))
        session.expire_all()

        assert (line.net_price, line.total_cost, line.actual_margin) == (D("350.00"), D("350.00"), D("30.00"))

    def test_a_net_price_given_with_a_new_list_price_is_kept(self, session, shop):
        line = part_line(shop, list_price=D("100.00"))

        changed(session, line, list_price=D("120.00"), net_price=D("80.00"))

        assert (line.net_price, line.total_cost) == (D("80.00"), D("80.00"))

    def test_a_net_price_without_a_price_change_survives_other_edits(self, session, shop):
        line = part_line(shop, list_price=D("500.00"), net_price=D("350.00"))

        changed(session, line, quantity_ordered=D("2"), sell_price=D("450.00"))

        assert (line.net_price, line.total_cost, line.actual_margin) == (D("350.00"), D("700.00"), D("22.22"))

    def test_without_prices_nothing_is_derived(self, session, shop):
        line = part_line(shop, list_price=None, target_margin=D("25"))
        session.expire_all()

        assert (line.net_price, line.total_cost, line.actual_margin, line.margin_variance) == (None, None, None, None)

    def test_margin_needs_a_sell_price_above_zero(self, session, shop):
        line = part_line(shop, list_price=D("100.00"), sell_price=D("0.00"), target_margin=D("25"))
        session.expire_all()

        assert (line.actual_margin, line.margin_variance) == (None, None)

    def test_clearing_the_target_clears_the_variance(self, session, shop):
        line = part_line(shop, list_price=D("80.00"), sell_price=D("100.00"), target_margin=D("25"))
        session.expire_all()
        assert line.margin_variance == D("-5.00")

        changed(session, line, target_margin=None)

        assert (line.actual_margin, line.margin_variance) == (D("20.00"), None)

    def test_a_discount_larger_than_the_price_gives_a_zero_net_price(self, session, shop):
        line = part_line(shop, list_price=D("10.00"), discount_amount=D("15.00"))
        session.expire_all()

        assert (line.net_price, line.total_cost) == (D("0.00"), D("0.00"))

    def test_margins_beyond_the_column_are_clamped_not_refused(self, session, shop):
        # (1 − 100) ÷ 1 × 100 = −9900 %: more than Numeric(5,2) holds (PostgreSQL would refuse the row).
        line = part_line(shop, list_price=D("100.00"), sell_price=D("1.00"), target_margin=D("25"))
        session.expire_all()

        assert (line.actual_margin, line.margin_variance) == (D("-999.99"), D("-999.99"))


# --- T10 production_workflow, T11 purchase_order_system ---------------------------------------------------------------


def workflow(shop, **fields: Any) -> ProductionWorkflow:  # type: ignore[no-untyped-def]
    return factories.ProductionWorkflowFactory(repair_order=ro_in(shop), **fields)


class TestProductionWorkflow:
    def test_insert_computes_the_efficiency_ratio(self, session, shop):
        row = workflow(shop, estimated_hours=D("4.00"), actual_hours=D("5.00"))
        session.expire_all()

        assert row.efficiency_ratio == D("1.25")

    def test_update_of_actual_hours_recomputes_it(self, session, shop):
        row = workflow(shop, estimated_hours=D("3.00"), actual_hours=D("0"))
        session.expire_all()
        assert row.efficiency_ratio == D("0.00")

        changed(session, row, actual_hours=D("1.00"))

        assert row.efficiency_ratio == D("0.33")

    def test_without_an_estimate_the_ratio_is_null(self, session, shop):
        row = workflow(shop, estimated_hours=D("4.00"), actual_hours=D("2.00"))
        session.expire_all()
        assert row.efficiency_ratio == D("0.50")

        changed(session, row, estimated_hours=D("0"))

        assert row.efficiency_ratio is None

    def test_a_ratio_beyond_the_column_is_capped(self, session, shop):
        row = workflow(shop, estimated_hours=D("0.01"), actual_hours=D("100.00"))
        session.expire_all()

        assert row.efficiency_ratio == D("999.99")


class TestPurchaseOrder:
    def test_insert_computes_percent_received(self, session, shop):
        po = factories.PurchaseOrderFactory(repair_order=ro_in(shop), total_quantity=D("8"), total_received=D("3"))
        session.expire_all()

        assert po.percent_received == D("37.50")

    def test_update_of_total_received_recomputes_it(self, session, shop):
        po = factories.PurchaseOrderFactory(repair_order=ro_in(shop), total_quantity=D("3"))
        session.expire_all()
        assert po.percent_received == D("0.00")

        changed(session, po, total_received=D("1"))
        assert po.percent_received == D("33.33")

        changed(session, po, total_received=D("3"))
        assert po.percent_received == D("100.00")

    def test_nothing_ordered_is_zero_percent(self, session, shop):
        po = factories.PurchaseOrderFactory(repair_order=ro_in(shop), total_quantity=D("4"), total_received=D("2"))
        session.expire_all()
        assert po.percent_received == D("50.00")

        changed(session, po, total_quantity=D("0"), total_received=D("0"))

        assert po.percent_received == D("0.00")


# --- H1/H2 estimates --------------------------------------------------------------------------------------------------


class TestEstimate:
    def test_insert_sets_the_expiry_30_days_after_the_estimate_date(self, session, shop):
        estimate = factories.EstimateFactory(
            vehicle=factories.VehicleFactory(customer=factories.CustomerFactory(shop=shop)), estimate_date=T0
        )
        session.expire_all()

        assert estimate.expiration_date == T0 + timedelta(days=30)

    def test_insert_without_a_date_dates_it_now_and_expires_it_30_days_later(self, session, shop):
        estimate = factories.EstimateFactory(
            vehicle=factories.VehicleFactory(customer=factories.CustomerFactory(shop=shop))
        )
        session.expire_all()

        assert estimate.estimate_date is not None
        assert estimate.expiration_date == estimate.estimate_date + timedelta(days=30)

    def test_an_expiry_given_is_kept(self, session, shop):
        estimate = factories.EstimateFactory(
            vehicle=factories.VehicleFactory(customer=factories.CustomerFactory(shop=shop)),
            estimate_date=T0,
            expiration_date=T0 + timedelta(days=10),
        )
        session.expire_all()

        assert estimate.expiration_date == T0 + timedelta(days=10)

    def test_update_clearing_the_expiry_restores_the_default(self, session, shop):
        estimate = factories.EstimateFactory(
            vehicle=factories.VehicleFactory(customer=factories.CustomerFactory(shop=shop)),
            estimate_date=T0,
            expiration_date=T0 + timedelta(days=10),
        )

        changed(session, estimate, expiration_date=None)

        assert estimate.expiration_date == T0 + timedelta(days=30)


def estimate_line(shop, **fields: Any):  # type: ignore[no-untyped-def]
    vehicle = factories.VehicleFactory(customer=factories.CustomerFactory(shop=shop))
    return factories.EstimateLineItemFactory(estimate=factories.EstimateFactory(vehicle=vehicle), **fields)


class TestEstimateLine:
    def test_insert_computes_the_line_total_and_its_tax(self, session, shop):
        line = estimate_line(
            shop,
            unit_price=D("412.50"),
            quantity=D("2"),
            discount=D("10"),
            discount_amount=D("5.00"),
            total_price=D("0"),
            tax_rate=D("13"),
        )
        session.expire_all()

        assert (line.total_price, line.tax_amount) == (D("737.50"), D("95.88"))

    def test_update_of_the_quantity_recomputes_them(self, session, shop):
        line = estimate_line(
            shop, unit_price=D("412.50"), discount=D("10"), discount_amount=D("5.00"), tax_rate=D("13")
        )

        changed(session, line, quantity=D("1"))

        assert (line.total_price, line.tax_amount) == (D("366.25"), D("47.61"))

    def test_a_discount_larger_than_the_line_gives_zero(self, session, shop):
        line = estimate_line(shop, unit_price=D("10.00"), discount_amount=D("15.00"))
        session.expire_all()

        assert line.total_price == D("0.00")

    def test_a_labor_line_without_a_rate_gets_75(self, session, shop):
        line = estimate_line(shop, type="labor", labor_hours=D("2.0"))
        session.expire_all()

        assert line.labor_rate == D("75.00")

    def test_a_labor_rate_given_is_kept_and_parts_get_none(self, session, shop):
        labor = estimate_line(shop, type="labor", labor_rate=D("92.00"))
        part = estimate_line(shop, type="part")
        session.expire_all()

        assert (labor.labor_rate, part.labor_rate) == (D("92.00"), None)

    def test_a_tax_line_is_never_taxable(self, session, shop):
        line = estimate_line(shop, type="tax", taxable=True, unit_price=D("76.50"), tax_rate=D("13"))
        session.expire_all()

        assert (line.taxable, line.total_price, line.tax_amount) == (False, D("76.50"), D("0.00"))

    def test_a_line_turned_into_a_tax_line_stops_being_taxable(self, session, shop):
        line = estimate_line(shop, type="other", unit_price=D("76.50"), tax_rate=D("13"))
        session.expire_all()
        assert (line.taxable, line.tax_amount) == (True, D("9.95"))

        changed(session, line, type="tax")

        assert (line.taxable, line.tax_amount) == (False, D("0.00"))

    def test_without_a_tax_rate_the_tax_amount_given_is_kept(self, session, shop):
        line = estimate_line(shop, unit_price=D("100.00"), tax_amount=D("12.34"))

        changed(session, line, quantity=D("2"))

        assert (line.total_price, line.tax_amount) == (D("200.00"), D("12.34"))


# --- H5 labor_time_entries --------------------------------------------------------------------------------------------


def time_entry(shop, **fields: Any) -> LaborTimeEntry:  # type: ignore[no-untyped-def]
    return LaborTimeEntry(
        shop=shop,
        technician=factories.UserFactory(shop=shop),
        repair_order=ro_in(shop),
        clock_in=T0,
        labor_type="body",
        **fields,
    )


class TestLaborTimeEntry:
    def test_clocked_out_entry_on_insert(self, session, shop):
        entry = saved(
            session,
            time_entry(
                shop,
                clock_out=T0 + timedelta(hours=4, minutes=30),
                break_start=T0 + timedelta(hours=2),
                break_end=T0 + timedelta(hours=2, minutes=15),
                estimated_hours=D("4.00"),
                customer_rate=D("95.00"),
                billable_hours=D("4.00"),
            ),
        )

        assert (entry.break_time, entry.hours_worked) == (D("0.25"), D("4.25"))
        assert (entry.hourly_rate, entry.overtime_rate, entry.labor_cost) == (D("75.00"), D("112.50"), D("318.75"))
        assert entry.billable_amount == D("380.00")
        assert (entry.variance_hours, entry.efficiency) == (D("0.25"), D("94.12"))
        assert entry.status == "completed"

    def test_an_open_entry_has_rates_but_no_hours(self, session, shop):
        entry = saved(session, time_entry(shop, hourly_rate=D("60.00")))

        assert (entry.hourly_rate, entry.overtime_rate) == (D("60.00"), D("90.00"))
        assert (entry.hours_worked, entry.labor_cost, entry.variance_hours, entry.efficiency) == (
            None,
            None,
            None,
            None,
        )
        assert (entry.break_time, entry.status) == (D("0.00"), "active")

    def test_clocking_out_computes_hours_and_completes_the_entry(self, session, shop):
        entry = saved(session, time_entry(shop, estimated_hours=D("2.00")))

        changed(session, entry, clock_out=T0 + timedelta(hours=2, minutes=30))

        assert (entry.hours_worked, entry.labor_cost) == (D("2.50"), D("187.50"))
        assert (entry.variance_hours, entry.efficiency) == (D("0.50"), D("80.00"))
        assert entry.status == "completed"

    def test_clocking_out_during_a_break_completes_the_entry(self, session, shop):
        entry = saved(session, time_entry(shop, status="on_break", break_start=T0 + timedelta(hours=1)))

        changed(session, entry, clock_out=T0 + timedelta(hours=1, minutes=20))

        assert (entry.hours_worked, entry.status) == (D("1.33"), "completed")

    def test_a_break_longer_than_the_shift_gives_zero_hours(self, session, shop):
        entry = saved(session, time_entry(shop, clock_out=T0 + timedelta(minutes=10), break_time=D("0.50")))

        assert (entry.hours_worked, entry.labor_cost, entry.efficiency) == (D("0.00"), D("0.00"), None)

    def test_a_cancelled_or_disputed_entry_keeps_its_status(self, session, shop):
        entry = saved(session, time_entry(shop, status="disputed", clock_out=T0 + timedelta(hours=1)))

        assert (entry.hours_worked, entry.status) == (D("1.00"), "disputed")

    def test_billable_amount_needs_a_customer_rate(self, session, shop):
        entry = saved(session, time_entry(shop, clock_out=T0 + timedelta(hours=1), billable_hours=D("1.00")))
        assert entry.billable_amount is None

        changed(session, entry, customer_rate=D("110.00"))

        assert entry.billable_amount == D("110.00")


# --- H11 job_stage_history, H16 vehicle_history -----------------------------------------------------------------------


def stage_move(shop, **fields: Any) -> JobStageHistory:  # type: ignore[no-untyped-def]
    return JobStageHistory(shop=shop, repair_order=ro_in(shop), to_stage="body_work", **fields)


class TestJobStageHistory:
    def test_insert_computes_duration_and_total_cost(self, session, shop):
        row = saved(
            session,
            stage_move(
                shop,
                stage_start_time=T0,
                stage_end_time=T0 + timedelta(minutes=90, seconds=30),
                labor_cost=D("100.00"),
                material_cost=D("25.50"),
            ),
        )

        assert (row.stage_duration, row.total_cost) == (91, D("125.50"))

    def test_update_of_the_end_and_a_cost_recomputes_them(self, session, shop):
        row = saved(session, stage_move(shop, stage_start_time=T0))
        assert (row.stage_duration, row.total_cost) == (None, None)

        changed(session, row, stage_end_time=T0 + timedelta(hours=2), overhead_cost=D("12.00"))

        assert (row.stage_duration, row.total_cost) == (120, D("12.00"))


def service_visit(shop, **fields: Any) -> VehicleHistory:  # type: ignore[no-untyped-def]
    vehicle = factories.VehicleFactory(customer=factories.CustomerFactory(shop=shop))
    return VehicleHistory(shop=shop, vehicle=vehicle, service_type="collision_repair", **fields)


class TestVehicleHistory:
    def test_insert_computes_mileage_difference_and_warranty_expiry(self, session, shop):
        row = saved(
            session,
            service_visit(
                shop,
                service_date=datetime(2026, 1, 31, 15, 0, tzinfo=UTC),
                mileage=45210,
                previous_mileage=44000,
                warranty_provided=True,
                warranty_period=1,
            ),
        )

        assert row.mileage_difference == 1210
        assert row.warranty_expiry == datetime(2026, 2, 28, 15, 0, tzinfo=UTC)

    def test_update_recomputes_them_and_clears_them_when_an_input_goes(self, session, shop):
        row = saved(
            session,
            service_visit(shop, service_date=T0, mileage=45210, previous_mileage=44000, warranty_period=12),
        )

        changed(session, row, previous_mileage=None, warranty_period=24)
        assert (row.mileage_difference, row.warranty_expiry) == (None, datetime(2028, 11, 25, 8, 0, tzinfo=UTC))

        changed(session, row, previous_mileage=46000, warranty_period=None)
        assert (row.mileage_difference, row.warranty_expiry) == (-790, None)


# --- H3 invoices, H8 financial_transactions ---------------------------------------------------------------------------


def invoice(shop, **fields: Any) -> Invoice:  # type: ignore[no-untyped-def]
    ro = ro_in(shop)
    return Invoice(
        shop=shop,
        repair_order=ro,
        customer=ro.customer,
        vehicle=ro.vehicle_profile.vehicle,
        invoice_number=f"INV-261125-{ro.id:03d}",
        created_by=factories.UserFactory(shop=shop).id,
        **fields,
    )


AMOUNTS = dict(
    labor_amount=D("781.20"),
    parts_amount=D("646.40"),
    material_amount=D("280.80"),
    sublet_amount=D("379.95"),
    discount_amount=D("88.35"),
    tax_amount=D("76.50"),
)


class TestInvoice:
    def test_insert_computes_totals_status_and_due_date(self, session, shop):
        row = saved(session, invoice(shop, invoice_date=T0, payment_terms="net_30", **AMOUNTS))

        assert (row.subtotal, row.total_amount, row.amount_due) == (D("2088.35"), D("2076.50"), D("2076.50"))
        assert (row.payment_status, row.paid_in_full_date) == ("unpaid", None)
        assert row.due_date == T0 + timedelta(days=30)

    def test_payments_move_it_to_partial_then_paid_with_the_payment_date(self, session, shop):
        row = saved(session, invoice(shop, invoice_date=T0, **AMOUNTS))
        assert row.due_date == T0  # due on receipt

        changed(session, row, amount_paid=D("1000.00"), last_payment_date=T0 + timedelta(days=1))
        assert (row.amount_due, row.payment_status, row.paid_in_full_date) == (D("1076.50"), "partial", None)

        paid_at = T0 + timedelta(days=3)
        changed(session, row, amount_paid=D("2076.50"), last_payment_date=paid_at)
        assert (row.amount_due, row.payment_status, row.paid_in_full_date) == (D("0.00"), "paid", paid_at)

    def test_a_late_fee_after_payment_reopens_it(self, session, shop):
        row = saved(session, invoice(shop, invoice_date=T0, parts_amount=D("100.00"), amount_paid=D("100.00")))
        assert (row.payment_status, row.paid_in_full_date is not None) == ("paid", True)

        changed(session, row, late_fee_amount=D("15.00"))

        assert (row.total_amount, row.amount_due) == (D("115.00"), D("15.00"))
        assert (row.payment_status, row.paid_in_full_date) == ("partial", None)

    def test_overpayment_leaves_a_negative_amount_due(self, session, shop):
        row = saved(session, invoice(shop, invoice_date=T0, parts_amount=D("100.00"), amount_paid=D("120.00")))

        assert (row.amount_due, row.payment_status) == (D("-20.00"), "paid")

    def test_a_discount_larger_than_the_subtotal_gives_a_zero_total(self, session, shop):
        row = saved(session, invoice(shop, invoice_date=T0, parts_amount=D("50.00"), discount_amount=D("80.00")))

        assert (row.subtotal, row.total_amount, row.amount_due, row.payment_status) == (
            D("50.00"),
            D("0.00"),
            D("0.00"),
            "unpaid",
        )

    def test_a_cancelled_invoice_keeps_its_status(self, session, shop):
        row = saved(session, invoice(shop, invoice_date=T0, parts_amount=D("50.00"), payment_status="cancelled"))

        changed(session, row, amount_paid=D("50.00"))

        assert (row.amount_due, row.payment_status) == (D("0.00"), "cancelled")

    def test_a_due_date_given_is_kept_until_the_terms_change(self, session, shop):
        row = saved(session, invoice(shop, invoice_date=T0, payment_terms="net_30", due_date=T0 + timedelta(days=45)))
        assert row.due_date == T0 + timedelta(days=45)

        changed(session, row, parts_amount=D("10.00"))
        assert row.due_date == T0 + timedelta(days=45)

        changed(session, row, payment_terms="net_15")
        assert row.due_date == T0 + timedelta(days=15)

    def test_insert_without_an_invoice_date_dates_it_now(self, session, shop):
        row = saved(session, invoice(shop, payment_terms="net_60"))

        assert row.invoice_date is not None
        assert row.due_date == row.invoice_date + timedelta(days=60)


def transaction(shop, **fields: Any) -> FinancialTransaction:  # type: ignore[no-untyped-def]
    return FinancialTransaction(
        shop=shop,
        transaction_number=f"PR-261125-{next(_transaction_numbers):04d}",
        transaction_type="payment_received",
        category="customer_payment",
        payment_method="credit_card",
        **fields,
    )


_transaction_numbers = iter(range(1, 10_000))


class TestFinancialTransaction:
    def test_insert_computes_fees_net_and_base_amount(self, session, shop):
        row = saved(
            session,
            transaction(
                shop,
                amount=D("500.00"),
                processing_fee=D("14.50"),
                merchant_fee=D("0.30"),
                other_fees=D("1.00"),
                currency="USD",
                exchange_rate=D("1.350000"),
            ),
        )

        assert (row.total_fees, row.net_amount, row.base_amount) == (D("15.80"), D("484.20"), D("675.00"))

    def test_update_of_a_fee_recomputes_them(self, session, shop):
        row = saved(session, transaction(shop, amount=D("99.99")))
        assert (row.total_fees, row.net_amount, row.base_amount) == (D("0.00"), D("99.99"), D("99.99"))

        changed(session, row, bank_fee=D("2.50"))

        assert (row.total_fees, row.net_amount, row.base_amount) == (D("2.50"), D("97.49"), D("99.99"))

    def test_fees_above_the_amount_give_a_negative_net(self, session, shop):
        row = saved(session, transaction(shop, amount=D("1.00"), processing_fee=D("1.30"), exchange_rate=None))

        assert (row.net_amount, row.base_amount) == (D("-0.30"), D("1.00"))


# --- H9 insurance_companies -------------------------------------------------------------------------------------------


class TestInsuranceCompany:
    def test_insert_computes_average_claim_and_overall_rating(self, session, shop):
        insurer = factories.InsuranceCompanyFactory(
            shop=shop,
            total_claims=4,
            total_claims_value=D("10000.02"),
            customer_service_rating=D("4.5"),
            payment_rating=D("4.0"),
        )
        session.expire_all()

        assert (insurer.avg_claim_value, insurer.overall_rating) == (D("2500.01"), D("4.3"))

    def test_update_recomputes_them(self, session, shop):
        insurer = factories.InsuranceCompanyFactory(shop=shop, total_claims=1, total_claims_value=D("1500.00"))
        session.expire_all()
        assert (insurer.avg_claim_value, insurer.overall_rating) == (D("1500.00"), None)

        changed(session, insurer, total_claims=3, total_claims_value=D("4000.00"), payment_rating=D("3.5"))

        assert (insurer.avg_claim_value, insurer.overall_rating) == (D("1333.33"), D("3.5"))

    def test_without_claims_there_is_no_average(self, session, shop):
        insurer = factories.InsuranceCompanyFactory(
            shop=shop, total_claims=2, total_claims_value=D("3000.00"), customer_service_rating=D("4.0")
        )
        session.expire_all()
        assert (insurer.avg_claim_value, insurer.overall_rating) == (D("1500.00"), D("4.0"))

        changed(session, insurer, total_claims=0, total_claims_value=D("0"), customer_service_rating=None)

        assert (insurer.total_claims, insurer.avg_claim_value, insurer.overall_rating) == (0, None, None)


# --- fitting a value into its column ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (ProductionWorkflow.__table__.c.efficiency_ratio, D("1234.5"), D("999.99")),  # Numeric(5,2), >= 0
        (ProductionWorkflow.__table__.c.efficiency_ratio, D("-1"), D("0.00")),
        (SchedulingCapacity.__table__.c.utilization_percentage, D("100.004"), D("100.00")),  # 0-100
        (SchedulingCapacity.__table__.c.available_bays, -2, 0),  # integer >= 0
        (VehicleHistory.__table__.c.mileage_difference, -790, -790),  # no check
        (FinancialTransaction.__table__.c.net_amount, D("-0.305"), D("-0.31")),  # half-up, signed money
        (SchedulingCapacity.__table__.c.remaining_capacity_hours, None, None),
    ],
)
def test_fit_rounds_and_clamps_into_the_column(column, value, expected):
    assert fit(column, value) == expected
