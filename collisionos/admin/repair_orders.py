"""Repair orders: the work order every other record hangs off, with its status moves, holds and payments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.base import BaseView
from wtforms.validators import Optional

from collisionos.admin.base import SEARCH_FIELDS, SecureModelView, ShopAjaxLoader, ShopInlineForm
from collisionos.admin.formatters import local_datetime, money, status_badge
from collisionos.admin.supplements import SupplementActions, request_supplement_form
from collisionos.admin.workflow import (
    ActionForm,
    Field,
    form_bool,
    form_datetime,
    form_decimal,
    form_int,
    form_text,
)
from collisionos.domain import repair_orders as rules
from collisionos.domain.errors import DomainError, PermissionDenied
from collisionos.domain.permissions import Action, allowed, sees_money
from collisionos.domain.settings import merged_settings
from collisionos.extensions import db
from collisionos.models import InsuranceCompany, PartLine, ProductionWorkflow, RepairOrder, User, Vendor
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.models.repair_orders import SLA_TYPES
from collisionos.services import intake
from collisionos.services import repair_orders as service
from collisionos.tenancy import current_shop, current_shop_id

CATEGORY = "Repair Orders"

# What the button says for each move (from where it makes a difference).
MOVE_LABELS = {
    R.DRAFT: "Back to draft",
    R.ESTIMATE_PENDING: "Submit estimate",
    R.ESTIMATE_APPROVED: "Approve estimate",
    R.PARTS_ORDERED: "Parts ordered",
    R.PARTS_HOLD: "Parts hold",
    R.IN_PRODUCTION: "Start production",
    R.QUALITY_CONTROL: "Send to QC",
    R.CUSTOMER_APPROVAL: "Needs customer approval",
    R.COMPLETED: "Mark completed",
    R.READY_FOR_DELIVERY: "Ready for delivery",
    R.DELIVERED: "Deliver",
    R.INVOICED: "Invoice",
    R.PAID: "Mark paid",
    R.ARCHIVED: "Archive",
    R.CANCELLED: "Cancel RO",
}
PAYMENT_METHODS = (
    ("debit_card", "Debit card"),
    ("credit_card", "Credit card"),
    ("cash", "Cash"),
    ("check", "Cheque"),
    ("insurance_direct", "Insurer direct"),
    ("bank_transfer", "Bank transfer"),
)


def _words(value: str) -> str:
    return str(value).replace("_", " ")


def move_label(current: str, target: str) -> str:
    if current == R.QUALITY_CONTROL and target == R.COMPLETED:
        return "Pass QC"
    if current == R.QUALITY_CONTROL and target == R.IN_PRODUCTION:
        return "Fail QC (rework)"
    if current == R.READY_FOR_DELIVERY and target == R.IN_PRODUCTION:
        return "Defect found (back to production)"
    if current in (R.SUPPLEMENT_PENDING, R.CUSTOMER_APPROVAL) and target not in MOVE_LABELS:
        return f"Back to {_words(target)}"
    return MOVE_LABELS.get(target, _words(target).capitalize())


def production_rows_inline() -> ShopInlineForm:
    return ShopInlineForm(
        ProductionWorkflow,
        # No status: a stage moves only through its workflow actions (board or stage page).
        form_columns=["id", "stage_order", "stage_name", "stage_type", "stage_category", "technician"],
        form_label="Production stages",
        # A type-ahead over this shop's users only, never a select of every user.
        form_ajax_refs={
            "technician": ShopAjaxLoader("technician", db.session, User, fields=SEARCH_FIELDS["User"]),
        },
    )


def part_lines_inline() -> ShopInlineForm:
    return ShopInlineForm(
        PartLine,
        form_columns=[
            "id",
            "line_number",
            "part_description",
            "oem_part_number",
            "part_category",
            "brand_type",
            "quantity_ordered",
        ],
        # No status (it moves only through the part line's actions) and no prices: inline rows cannot
        # hide fields from technicians; prices live under Parts on ROs.
        form_label="Part lines",
    )


class RepairOrderView(SupplementActions, SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "repair_order_number",
        "customer",
        "vehicle_profile",
        "ro_status",
        "promised_delivery_date",
        "is_on_hold",
        "sla_risk_level",
        "approved_total",
        "balance_due",
    )
    column_labels = {
        "repair_order_number": "RO",
        "vehicle_profile": "Vehicle",
        "ro_status": "Status",
        "promised_delivery_date": "Promised",
        "is_on_hold": "On hold",
        "sla_risk_level": "SLA",
        "approved_total": "Approved total",
        "balance_due": "Balance",
    }
    column_formatters = {"ro_status": status_badge, "sla_risk_level": status_badge}
    column_default_sort = [("id", True)]  # newest first; ids follow creation and are indexed
    column_filters = ("ro_status", "is_on_hold", "sla_risk_level", "promised_delivery_date", "date_created")
    column_searchable_list = ("repair_order_number",)
    # Status, money, roll-ups and SLA are the workflow's to write: the form never edits them.
    form_excluded_columns = (
        "ro_status",
        "previous_status",
        "status_change_date",
        "status_changed_by",
        "status_change_reason",
        "date_estimate_approved",
        "date_parts_ordered",
        "date_production_started",
        "date_qc_completed",
        "actual_delivery_date",
        "is_on_hold",
        "hold_start_date",
        "hold_end_date",
        "hold_days",
        "sla_paused_days",
        "hold_reason",
        "hold_description",
        "is_overdue",
        "overdue_by",
        "sla_risk_level",
        "estimated_total",
        "approved_total",
        "invoiced_total",
        "paid_amount",
        "balance_due",
        "parts_cost",
        "labor_cost",
        "materials_cost",
        "sublet_cost",
        "taxable_amount",
        "pst_amount",
        "gst_amount",
        "hst_amount",
        "total_taxes",
        "customer_portion_due",
        "insurance_portion_due",
        "deductible_amount",
        "deductible_collected",
        "supplement_count",
        "total_supplement_amount",
        "last_supplement_date",
        "supplements_pending",
        "parts_ordered_count",
        "parts_received_count",
        "parts_pending_count",
        "parts_backordered_count",
        "all_parts_received",
        "next_part_expected_date",
        "production_stage",
        "production_percent_complete",
        "hours_estimated",
        "hours_actual",
        "efficiency_ratio",
        "qc_completed",
        "qc_passed",
        "qc_date",
        "requires_rework",
        "adas_calibration_completed",
        "adas_calibration_date",
        "warranty_start_date",
        "warranty_end_date",
        "date_created",
    )
    form_args = {
        "repair_order_number": {
            "validators": [Optional()],
            "description": "Leave blank to take the shop's next number.",
        }
    }
    details_extra_template = "admin/workflow/ro_summary.html"
    workflow_actions = {
        "transition": ("action_transition", Action.EDIT),
        "hold": ("action_hold", Action.EDIT),
        "release_hold": ("action_release_hold", Action.EDIT),
        "record_payment": ("action_record_payment", Action.EDIT),
        "add_estimate_line": ("action_add_estimate_line", Action.EDIT),
        "request_supplement": ("action_request_supplement", Action.EDIT),
        "decide_supplement": ("action_decide_supplement", Action.EDIT),
    }

    def __init__(self) -> None:
        self.column_select_related_list = [RepairOrder.customer, RepairOrder.vehicle_profile]
        self.inline_models = [part_lines_inline(), production_rows_inline()]
        super().__init__(RepairOrder, name="Repair Orders", endpoint="repair_orders", category=CATEGORY)

    # --- create: the number, production rows and roll-ups come from the service -----------------
    def create_model(self, form: Any) -> Any:
        def fill(ro: RepairOrder) -> None:
            with db.session.no_autoflush:
                form.populate_obj(ro)
            self.on_model_change(form, ro, True)

        try:
            ro = intake.create_repair_order(current_shop_id(), fill, actor=self.actor, now=self.now())
        except DomainError as error:
            flash(str(error), "error")
            return False
        self.after_model_change(form, ro, True)
        return ro

    def update_model(self, form: Any, model: Any) -> bool:
        with db.session.no_autoflush:
            return super().update_model(form, model)

    # --- the details page ------------------------------------------------------------------------
    def workflow_warnings(self, model: Any) -> list[str]:
        warnings = []
        if model.is_on_hold:
            warnings.append(
                f"On hold since {local_datetime(model.hold_start_date)}: {_words(model.hold_reason or 'other')}"
                f"{' — ' + model.hold_description if model.hold_description else ''}."
            )
        if model.sla_risk_level in ("red", "critical") and model.ro_status in rules.OPEN_STATUSES:
            due = service.sla_due(model, self.now())
            late = f", {model.overdue_by} day(s) overdue" if model.is_overdue else ""
            warnings.append(f"SLA {model.sla_risk_level}: due {local_datetime(due)}{late}.")
        try:
            from collisionos.services.loaners import loaner_warnings_for_repair_order
        except ImportError:  # pragma: no cover - loaners service not installed
            loaner_warnings_for_repair_order = None
        if loaner_warnings_for_repair_order is not None:
            warnings.extend(loaner_warnings_for_repair_order(model, self.now()))
        return warnings

    def workflow_panel(self, model: Any) -> list[ActionForm]:
        if not self._may(Action.EDIT):
            return []
        items: list[ActionForm] = []
        manager = rules.is_manager(self.actor.role)
        for move in service.available_moves(model):
            label = move_label(model.ro_status, move.target)
            hidden = {"target": move.target}
            if move.needs_manager and not manager:
                items.append(
                    ActionForm(
                        "transition", label, disabled=True, note="needs a manager, owner or admin", group="Status"
                    )
                )
            elif not move.blocked:
                fields = [Field("reason", "Reason", required=True)] if move.target == R.CANCELLED else []
                items.append(
                    ActionForm(
                        "transition",
                        label,
                        fields=fields,
                        hidden=hidden,
                        style="danger" if move.target == R.CANCELLED else "primary",
                        confirm=f"Cancel {model.repair_order_number}?" if move.target == R.CANCELLED else None,
                        group="Status",
                    )
                )
            else:
                why = "; ".join(r.message for r in move.refusals)
                items.append(ActionForm("transition", label, disabled=True, note=why, group="Status"))
                if manager and move.overridable:
                    items.append(
                        ActionForm(
                            "transition",
                            f"{label} anyway (manager override)",
                            fields=[Field("reason", "Override reason", required=True)],
                            hidden={**hidden, "override": "y"},
                            style="warning",
                            note=f"Overrides: {why}. The reason is kept in the audit trail.",
                            group="Status",
                        )
                    )
        if model.ro_status in rules.OPEN_STATUSES:
            if model.is_on_hold:
                items.append(ActionForm("release_hold", "Release hold", style="success", group="Hold"))
            else:
                reasons = merged_settings(current_shop().settings).get("holdReasons") or {}
                items.append(
                    ActionForm(
                        "hold",
                        "Put on hold",
                        fields=[
                            Field(
                                "reason", "Reason", "select", [(k, v.get("label", k)) for k, v in reasons.items()], True
                            ),
                            Field("note", "Note", required=True),
                        ],
                        style="warning",
                        group="Hold",
                    )
                )
        if model.ro_status in service.EDITABLE_ESTIMATE_STATUSES and model.estimate_id:
            vendors = db.session.execute(
                sa.select(Vendor.id, Vendor.name)
                .where(Vendor.shop_id == model.shop_id)
                .order_by(Vendor.name)
                .limit(500)
            ).all()
            items.append(
                ActionForm(
                    "add_estimate_line",
                    "Add line",
                    fields=[
                        Field(
                            "line_type",
                            "Type",
                            "select",
                            [(t, t.capitalize()) for t in service.ESTIMATE_LINE_TYPES],
                            True,
                            "part",
                        ),
                        Field("description", "Description", required=True),
                        Field("part_number", "Part #"),
                        Field("quantity", "Qty / hours", "number", value="1"),
                        Field("unit_price", "Unit price / rate", "money", required=True),
                        Field("vendor_id", "Vendor", "select", [(str(v.id), v.name) for v in vendors]),
                    ],
                    group="Estimate",
                )
            )
        if sees_money(self.actor.role) and model.ro_status not in (R.CANCELLED, R.ARCHIVED):
            items.append(
                ActionForm(
                    "record_payment",
                    "Record payment",
                    fields=[
                        Field("amount", "Amount", "money", required=True),
                        Field("payer", "From", "select", [("customer", "Customer"), ("insurance", "Insurer")], True),
                        Field("method", "Method", "select", PAYMENT_METHODS, True),
                        Field("reference", "Reference"),
                    ],
                    group="Payments",
                )
            )
        supplement = request_supplement_form(model)
        if supplement is not None:
            items.append(supplement)
        return items

    def summary(self, model: Any) -> dict[str, Any]:
        """What the RO page shows under the details: estimate lines, parts, stages, money, SLA."""
        from collisionos.models import EstimateLineItem

        lines = []
        if model.estimate_id:
            lines = db.session.scalars(
                sa.select(EstimateLineItem)
                .where(EstimateLineItem.estimate_id == model.estimate_id)
                .order_by(EstimateLineItem.line_number)
            ).all()
        return {
            "estimate_lines": lines,
            "part_lines": list(model.part_lines),
            "stages": list(model.production_rows),
            "money": sees_money(self.actor.role),
            "due": service.sla_due(model, self.now()) if model.ro_status in rules.OPEN_STATUSES else None,
            "owes": service.customer_owes(model),
        }

    def action_decide_supplement(self, row_id: str, form: Mapping[str, str]) -> str:
        # The insurer's answer is estimating work: it needs edit rights on estimates, not just on jobs.
        if not allowed(self.actor.role, "estimates", Action.EDIT) or not sees_money(self.actor.role):
            raise PermissionDenied("Recording the insurer's decision needs a role that edits estimates.", rule="decide")
        return super().action_decide_supplement(row_id, form)

    # --- handlers: parse, call one service, say what happened ------------------------------------
    def action_transition(self, row_id: str, form: Mapping[str, str]) -> str:
        target = form_text(form, "target", required="Choose where to move the RO.") or ""
        ro = service.transition_repair_order(
            current_shop_id(),
            row_id,
            target,
            actor=self.actor,
            now=self.now(),
            reason=form_text(form, "reason", limit=1000),
            override=form_bool(form, "override"),
        )
        return f"{ro.repair_order_number} is now {_words(ro.ro_status)}."

    def action_hold(self, row_id: str, form: Mapping[str, str]) -> str:
        ro = service.put_on_hold(
            current_shop_id(),
            row_id,
            reason=form_text(form, "reason") or "",
            note=form_text(form, "note", limit=1000),
            actor=self.actor,
            now=self.now(),
        )
        return f"{ro.repair_order_number} is on hold ({_words(ro.hold_reason)})."

    def action_release_hold(self, row_id: str, form: Mapping[str, str]) -> str:
        ro = service.release_hold(current_shop_id(), row_id, actor=self.actor, now=self.now())
        return f"{ro.repair_order_number} is off hold; {ro.hold_days} hold day(s) in all."

    def action_record_payment(self, row_id: str, form: Mapping[str, str]) -> str:
        if not sees_money(self.actor.role):
            raise DomainError("Your role does not handle money.", rule="money_hidden")
        payment = service.record_payment(
            current_shop_id(),
            row_id,
            amount=form_decimal(form, "amount", "Amount", required=True),
            payer=form_text(form, "payer") or "",
            method=form_text(form, "method") or "other",
            reference=form_text(form, "reference", limit=100),
            actor=self.actor,
            now=self.now(),
        )
        return f"Payment {payment.transaction_number} of {money(payment.amount)} recorded."

    def action_add_estimate_line(self, row_id: str, form: Mapping[str, str]) -> str:
        line = service.add_estimate_line(
            current_shop_id(),
            row_id,
            line_type=form_text(form, "line_type") or "",
            description=form_text(form, "description", limit=255),
            quantity=form_decimal(form, "quantity", "Quantity"),
            unit_price=form_decimal(form, "unit_price", "Unit price", required=True),
            part_number=form_text(form, "part_number", limit=50),
            vendor_id=form_text(form, "vendor_id"),
            actor=self.actor,
            now=self.now(),
        )
        return f"Line {line.line_number} added: {line.description}."

    # --- intake: one form for a car arriving -----------------------------------------------------
    @expose("/intake/", methods=("GET", "POST"))
    def intake_view(self) -> Any:
        """Open a repair order for a car arriving: customer, vehicle, claim and RO in one form."""
        if not self._may(Action.CREATE):
            return self.inaccessible_callback("intake")
        shop_id = current_shop_id()
        insurers = db.session.execute(
            sa.select(InsuranceCompany.id, InsuranceCompany.name)
            .where(InsuranceCompany.shop_id == shop_id)
            .order_by(InsuranceCompany.name)
            .limit(500)
        ).all()
        values = request.form if request.method == "POST" else {}
        if request.method == "POST":
            try:
                data = intake.Intake(
                    first_name=form_text(values, "first_name", limit=50),
                    last_name=form_text(values, "last_name", limit=50),
                    phone=form_text(values, "phone", limit=20),
                    email=form_text(values, "email", limit=255),
                    vin=form_text(values, "vin", limit=40),
                    year=form_int(values, "year", "Year"),
                    make=form_text(values, "make", limit=100),
                    model=form_text(values, "model", limit=100),
                    license_plate=form_text(values, "license_plate", limit=20),
                    odometer=form_int(values, "odometer", "Odometer"),
                    insurance_company_id=form_int(values, "insurance_company_id", "Insurer"),
                    claim_number=form_text(values, "claim_number", limit=100),
                    deductible=form_decimal(values, "deductible", "Deductible"),
                    promised_delivery_date=form_datetime(values, "promised_delivery_date", "Promised date"),
                    sla_type=form_text(values, "sla_type") or "standard",
                    requires_adas_calibration=form_bool(values, "requires_adas_calibration"),
                    is_rush=form_bool(values, "is_rush"),
                )
                ro = intake.open_repair_order(shop_id, data, actor=self.actor, now=self.now())
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                flash(
                    f"{ro.repair_order_number} opened for {ro.customer.first_name} {ro.customer.last_name}.", "success"
                )
                return redirect(url_for(".details_view", id=ro.id))
        return self.render("admin/workflow/ro_intake.html", values=values, insurers=insurers, sla_types=SLA_TYPES)


def views() -> list[BaseView]:
    return [RepairOrderView()]
