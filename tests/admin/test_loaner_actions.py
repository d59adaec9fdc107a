"""The loaner pages through the test client: reserve from the vehicle, confirm, check out, check in with the
bill flashed and shown, refusals that flash and change nothing, and roles that may not act."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from collisionos.admin.workflow import WorkflowMixin
from collisionos.extensions import db
from collisionos.models import ClaimManagement, Customer, LoanerReservation, LoanerVehicle, RepairOrder, Shop, User
from collisionos.models.enums import LoanerStatus as L
from collisionos.models.enums import ReservationStatus as RS
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login
from tests.services.test_loaners import DAY, HOUR, NOW, Fleet, build_fleet, check_out, confirm, reserve

VEHICLES = "/admin/loaner_fleet"
RESERVATIONS = "/admin/loaner_reservations"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):  # type: ignore[no-untyped-def]
    """Every action runs at NOW (Monday 2 November 2026, 08:00 in Toronto)."""
    monkeypatch.setattr(WorkflowMixin, "now", lambda _self: NOW)


@pytest.fixture
def shop_data(app):  # type: ignore[no-untyped-def]
    """The fleet of test_loaners.py, and the ids and numbers the tests need (no app context left open)."""
    with app.app_context():
        fleet = build_fleet()
        data = {
            "shop": fleet.shop.id,
            "email": fleet.user.email,
            "vehicle": fleet.vehicle.id,
            "ro": fleet.ro.id,
            "ro_number": fleet.ro.repair_order_number,
            "customer": fleet.customer.id,
            "claim": fleet.claim.id,
        }
        db.session.remove()
    return data


def signed_in(app, email: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


@pytest.fixture
def owner(app, shop_data):  # type: ignore[no-untyped-def]
    return signed_in(app, shop_data["email"])


def make_reservation(app, shop_data, status: str = RS.PENDING, **kwargs: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A reservation picked up in an hour, driven to ``status`` through the use cases."""
    with app.app_context():
        session = db.session
        fleet = Fleet(
            shop=session.get(Shop, shop_data["shop"]),
            user=session.scalars(sa.select(User).where(User.email == shop_data["email"])).one(),
            customer=session.get(Customer, shop_data["customer"]),
            claim=session.get(ClaimManagement, shop_data["claim"]),
            ro=session.get(RepairOrder, shop_data["ro"]),
            vehicle=session.get(LoanerVehicle, shop_data["vehicle"]),
        )
        reservation = reserve(fleet, kwargs.pop("start", NOW + HOUR), kwargs.pop("end", NOW + 4 * DAY), **kwargs)
        if status in (RS.CONFIRMED, RS.ACTIVE):
            confirm(fleet, reservation.id)
        if status == RS.ACTIVE:
            check_out(fleet, reservation.id, odometer=40_100, fuel_level=100)
        row = {"id": reservation.id, "number": reservation.reservation_number}
        db.session.remove()
    return row


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def post_action(client, endpoint: str, action: str, row_id: int, **fields: Any):  # type: ignore[no-untyped-def]
    token = extract_csrf(client.get(f"{endpoint}/details/?id={row_id}").get_data(as_text=True))
    data = {"csrf_token": token, "id": str(row_id), **{k: str(v) for k, v in fields.items()}}
    return client.post(f"{endpoint}/{action}/", data=data, follow_redirects=True)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


def reservation_row(app, row_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with app.app_context():
        row = db.session.get(LoanerReservation, row_id)
        values = {c.key: getattr(row, c.key) for c in sa.inspect(LoanerReservation).columns}
        db.session.remove()
    return values


def vehicle_row(app, row_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with app.app_context():
        row = db.session.get(LoanerVehicle, row_id)
        values = {c.key: getattr(row, c.key) for c in sa.inspect(LoanerVehicle).columns}
        db.session.remove()
    return values


def actions_on(html_text: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html_text))


# --- the vehicle page ----------------------------------------------------------------------------------
def test_the_vehicle_page_offers_its_status_moves_and_a_reserve_form(app, owner, shop_data) -> None:
    body = page(owner, f"{VEHICLES}/details/?id={shop_data['vehicle']}")

    assert "Send to cleaning" in body and "Send to maintenance" in body and "Out of service" in body
    assert "Make available" not in body  # it is available already
    assert actions_on(body) == {"move", "reserve"}
    assert "No reservations ahead." in body


def test_reserving_from_the_vehicle_page_books_the_ros_customer(app, owner, shop_data) -> None:
    response = post_action(
        owner,
        VEHICLES,
        "reserve",
        shop_data["vehicle"],
        repair_order_number=shop_data["ro_number"],
        driver_name="Jane Smith",
        start="2026-11-03T09:00",
        end="2026-11-06T09:00",
    )

    body = text(response)
    assert "Reserved L-07 as RES-261102-001 from 2026-11-03 09:00 to 2026-11-06 09:00." in body
    assert "RES-261102-001" in page(owner, f"{VEHICLES}/details/?id={shop_data['vehicle']}")
    with app.app_context():
        row = db.session.scalars(sa.select(LoanerReservation)).one()
        assert (row.customer_id, row.repair_order_id, row.claim_management_id) == (
            shop_data["customer"],
            shop_data["ro"],
            shop_data["claim"],
        )
        assert row.requested_start_date == NOW + DAY + HOUR  # 09:00 in Toronto is 14:00 UTC
        db.session.remove()


def test_a_conflicting_reservation_is_refused_with_the_booking_it_clashes_with(app, owner, shop_data) -> None:
    existing = make_reservation(app, shop_data, start=NOW + DAY, end=NOW + 3 * DAY)

    response = post_action(
        owner,
        VEHICLES,
        "reserve",
        shop_data["vehicle"],
        repair_order_number=shop_data["ro_number"],
        driver_name="John Doe",
        start="2026-11-04T09:00",
        end="2026-11-07T09:00",
    )

    assert f"it is booked by {existing['number']} (Jane Smith)" in text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoanerReservation)) == 1
        db.session.remove()


def test_moving_the_vehicle_to_cleaning_and_back(app, owner, shop_data) -> None:
    response = post_action(owner, VEHICLES, "move", shop_data["vehicle"], target="cleaning")
    assert "L-07 is now cleaning." in text(response)
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.CLEANING

    body = page(owner, f"{VEHICLES}/details/?id={shop_data['vehicle']}")
    assert "Make available" in body and "Send to cleaning" not in body

    refused = post_action(owner, VEHICLES, "move", shop_data["vehicle"], target="rented")
    assert "Cannot mark L-07 as rented by hand" in text(refused)
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.CLEANING


def test_taking_a_vehicle_out_of_service_without_a_reason_is_refused(app, owner, shop_data) -> None:
    response = post_action(owner, VEHICLES, "move", shop_data["vehicle"], target="out_of_service")
    assert "Cannot mark L-07 as out of service: give a reason." in text(response)
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.AVAILABLE


def test_the_vehicle_form_does_not_offer_the_status(app, owner, shop_data) -> None:
    body = page(owner, f"{VEHICLES}/edit/?id={shop_data['vehicle']}")
    assert 'name="unit_id"' in body
    assert 'name="current_status"' not in body and 'name="current_renter"' not in body


# --- the reservation page ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (RS.PENDING, {"confirm", "cancel"}),
        (RS.CONFIRMED, {"check_out", "cancel"}),  # picked up later today: not a no-show yet
        (RS.ACTIVE, {"check_in"}),
    ],
)
def test_the_reservation_page_offers_only_what_applies_now(app, owner, shop_data, status, expected) -> None:
    reservation = make_reservation(app, shop_data, status)

    assert actions_on(page(owner, f"{RESERVATIONS}/details/?id={reservation['id']}")) == expected


def test_check_out_then_check_in_flashes_the_charges_and_shows_the_bill(app, owner, shop_data, monkeypatch) -> None:
    reservation = make_reservation(app, shop_data, RS.PENDING)
    confirmed = post_action(
        owner, RESERVATIONS, "confirm", reservation["id"], eligibility_verified="y", authorization_number="A-1"
    )
    assert f"{reservation['number']} is confirmed." in text(confirmed)

    out = post_action(
        owner,
        RESERVATIONS,
        "check_out",
        reservation["id"],
        odometer="40,100",
        fuel_level=100,
        condition_notes="Clean",
        licence_checked="y",
        insurance_verified="y",
        agreement_signed="y",
    )
    assert f"L-07 checked out on {reservation['number']} at 40,100 with 100 % fuel." in text(out)
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.RENTED

    # Back the next day: 1 day, 400 km against 250 included, a quarter tank short.
    monkeypatch.setattr(WorkflowMixin, "now", lambda _self: NOW + DAY)
    back = post_action(owner, RESERVATIONS, "check_in", reservation["id"], odometer=40_500, fuel_level=75)

    assert (
        f"{reservation['number']} checked in: 1 day(s), 400 driven; rental 45.00, 150 over the allowance 37.50, "
        "fuel 45.63; total 128.13: insurer 40.00, customer 88.13."
    ) in text(back)
    row = reservation_row(app, reservation["id"])
    assert (row["reservation_status"], row["total_amount"], row["customer_responsible_amount"]) == (
        RS.EARLY_RETURN,
        Decimal("128.13"),
        Decimal("88.13"),
    )
    body = page(owner, f"{RESERVATIONS}/details/?id={reservation['id']}")
    assert "loaner-bill" in body and "128.13" in body and "88.13" in body
    assert actions_on(body) == set()
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.AVAILABLE


def test_a_refused_check_out_flashes_what_is_missing_and_changes_nothing(app, owner, shop_data) -> None:
    reservation = make_reservation(app, shop_data, RS.CONFIRMED)
    before = reservation_row(app, reservation["id"])

    response = post_action(
        owner,
        RESERVATIONS,
        "check_out",
        reservation["id"],
        odometer=40_100,
        fuel_level=100,
        condition_notes="Clean",
        licence_checked="y",
        insurance_verified="y",
    )

    assert f"Cannot check out {reservation['number']}: record the signed rental agreement first." in text(response)
    after = reservation_row(app, reservation["id"])
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.RESERVED


def test_a_backwards_odometer_at_check_in_is_refused(app, owner, shop_data) -> None:
    reservation = make_reservation(app, shop_data, RS.ACTIVE)

    response = post_action(owner, RESERVATIONS, "check_in", reservation["id"], odometer=40_099, fuel_level=100)

    assert "below the 40,100 km recorded at pickup; an odometer never goes backwards." in text(response)
    assert reservation_row(app, reservation["id"])["reservation_status"] == RS.ACTIVE


def test_a_typing_mistake_is_flashed_not_a_500(app, owner, shop_data) -> None:
    reservation = make_reservation(app, shop_data, RS.ACTIVE)

    response = post_action(owner, RESERVATIONS, "check_in", reservation["id"], odometer="forty", fuel_level=100)

    assert response.status_code == 200
    assert "Odometer must be a whole number, not 'forty'." in text(response)


def test_cancel_needs_a_reason_on_the_page_too(app, owner, shop_data) -> None:
    reservation = make_reservation(app, shop_data, RS.CONFIRMED)

    refused = post_action(owner, RESERVATIONS, "cancel", reservation["id"], reason="")
    assert "give a reason" in text(refused)
    done = post_action(owner, RESERVATIONS, "cancel", reservation["id"], reason="Car ready early")
    assert f"{reservation['number']} is cancelled." in text(done)
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.AVAILABLE


def test_the_insurers_approved_days_warning_shows_on_the_reservation(app, owner, shop_data) -> None:
    reservation = make_reservation(app, shop_data, RS.PENDING, details={"allowance_days": 2})
    with app.app_context():
        ro = db.session.get(RepairOrder, shop_data["ro"])
        ro.promised_delivery_date = NOW + 4 * DAY
        db.session.commit()
        db.session.remove()

    body = page(owner, f"{RESERVATIONS}/details/?id={reservation['id']}")

    assert (
        f"{shop_data['ro_number']} is due back Nov 6 08:00 but the insurer approved rental to Nov 4 09:00 "
        f"({reservation['number']}): 2 days will be the customer's."
    ) in body


@pytest.mark.parametrize("role", ["parts_manager", "accountant"])
def test_a_role_without_jobs_edit_gets_403_and_nothing_changes(app, shop_data, role) -> None:
    reservation = make_reservation(app, shop_data, RS.PENDING)
    with app.app_context():
        email = factories.UserFactory(
            shop=db.session.get(Shop, shop_data["shop"]), role=role, password_plain=DEMO_PASSWORD
        ).email
        db.session.remove()
    client = signed_in(app, email)

    body = page(client, f"{RESERVATIONS}/details/?id={reservation['id']}")
    assert actions_on(body) == set()
    token = extract_csrf(page(client, "/admin/"))
    for endpoint, action, row_id in (
        (RESERVATIONS, "confirm", reservation["id"]),
        (RESERVATIONS, "cancel", reservation["id"]),
        (VEHICLES, "move", shop_data["vehicle"]),
        (VEHICLES, "reserve", shop_data["vehicle"]),
    ):
        response = client.post(
            f"{endpoint}/{action}/",
            data={"csrf_token": token, "id": row_id, "reason": "x", "target": "cleaning", "eligibility_verified": "y"},
        )
        assert response.status_code == 403, (endpoint, action)
    assert reservation_row(app, reservation["id"])["reservation_status"] == RS.PENDING
    assert vehicle_row(app, shop_data["vehicle"])["current_status"] == L.RESERVED


def test_a_technician_may_check_in_but_not_reserve_and_sees_no_money(app, shop_data) -> None:
    reservation = make_reservation(app, shop_data, RS.ACTIVE)
    with app.app_context():
        email = factories.UserFactory(
            shop=db.session.get(Shop, shop_data["shop"]), role="technician", password_plain=DEMO_PASSWORD
        ).email
        db.session.remove()
    client = signed_in(app, email)

    assert "reserve" not in actions_on(page(client, f"{VEHICLES}/details/?id={shop_data['vehicle']}"))
    back = post_action(client, RESERVATIONS, "check_in", reservation["id"], odometer=40_500, fuel_level=100)

    assert f"{reservation['number']} checked in: 1 day(s), 400 driven." in text(back)
    assert "loaner-bill" not in page(client, f"{RESERVATIONS}/details/?id={reservation['id']}")


# --- Flask-Admin's own forms ---------------------------------------------------------------------------
def test_the_create_form_books_through_the_same_rules(app, owner, shop_data) -> None:
    form = page(owner, f"{RESERVATIONS}/new/")
    assert 'name="primary_driver_name"' in form and 'name="reservation_status"' not in form
    token = extract_csrf(form)
    fields = {
        "csrf_token": token,
        "customer": shop_data["customer"],
        "repair_order": shop_data["ro"],
        "loaner_vehicle": shop_data["vehicle"],
        "requested_start_date": "2026-11-03 09:00:00",
        "requested_end_date": "2026-11-05 09:00:00",
        "primary_driver_name": "Jane Smith",
        "primary_driver_license": "S1234",
    }

    created = owner.post(f"{RESERVATIONS}/new/", data=fields, follow_redirects=True)
    assert "Record was successfully created." in text(created)
    clash = owner.post(
        f"{RESERVATIONS}/new/", data={**fields, "primary_driver_name": "John Doe"}, follow_redirects=True
    )
    assert "Cannot reserve L-07 from Nov 3 09:00 to Nov 5 09:00: it is booked by RES-261102-001" in text(clash)

    with app.app_context():
        rows = db.session.scalars(sa.select(LoanerReservation)).all()
        assert [(r.reservation_number, r.primary_driver_license, r.base_rental_rate) for r in rows] == [
            ("RES-261102-001", "S1234", Decimal("45.00"))
        ]
        db.session.remove()


def test_the_edit_form_leaves_the_workflow_columns_alone(app, owner, shop_data) -> None:
    reservation = make_reservation(app, shop_data, RS.PENDING)

    body = page(owner, f"{RESERVATIONS}/edit/?id={reservation['id']}")

    assert 'name="primary_driver_license"' in body
    for name in ("reservation_status", "requested_start_date", "loaner_vehicle", "total_amount", "return_odometer"):
        assert f'name="{name}"' not in body, name


def test_another_shops_reservation_cannot_be_acted_on(app, owner, shop_data) -> None:
    with app.app_context():
        other = build_fleet()
        theirs = reserve(other, NOW + DAY, NOW + 3 * DAY).id
        db.session.remove()

    token = extract_csrf(page(owner, "/admin/"))
    refused = owner.post(
        f"{RESERVATIONS}/cancel/", data={"csrf_token": token, "id": theirs, "reason": "x"}, follow_redirects=True
    )
    assert "No such reservation in this shop." in text(refused)
    assert reservation_row(app, theirs)["reservation_status"] == RS.PENDING
