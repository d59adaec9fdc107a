"""Purchasing: vendor POs for repair orders, and stock replenishment orders with their lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_admin.base import BaseView
from flask_login import current_user

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import money, status_badge
from collisionos.admin.parts import return_fields, return_message
from collisionos.admin.workflow import ActionForm, Field, form_bool, form_datetime, form_decimal, form_text
from collisionos.domain.errors import DomainError
from collisionos.domain.money import to_money
from collisionos.domain.parts import RECEIVABLE as LINE_RECEIVABLE
from collisionos.domain.parts import RETURNABLE, outstanding_quantity, quantity, quantity_text
from collisionos.domain.permissions import Action
from collisionos.domain.purchasing import CONDITIONS, RECEIVABLE, approver_roles, check_approver, role_list
from collisionos.domain.repair_orders import is_manager
from collisionos.domain.transitions import allowed_targets
from collisionos.models import PartsOrder, PartsOrderItem, PurchaseOrder
from collisionos.models.enums import PurchaseOrderStatus as PO
from collisionos.models.parts import PART_LINE_RETURN_REASONS
from collisionos.models.purchasing import TRANSMISSION_METHODS
from collisionos.services.parts import line_label, margin_warning, shop_settings
from collisionos.services.purchasing import (
    acknowledge_purchase_order,
    approve_purchase_order,
    cancel_purchase_order,
    close_purchase_order,
    dispute_purchase_order,
    receive_purchase_order,
    reject_purchase_order,
    return_purchase_order_line,
    send_purchase_order,
    submit_purchase_order,
)
from collisionos.tenancy import current_shop_id

CATEGORY = "Parts & Purchasing"
TRANSMISSION_CHOICES = tuple((method, method.replace("_", " ")) for method in TRANSMISSION_METHODS)


def _words(value: Any) -> str:
    return str(value or "").replace("_", " ")


def repair_order_number(_view: Any, _context: Any, model: Any, _name: str) -> str:
    """The RO by its number only (its full label would load the vehicle for every row)."""
    repair_order = getattr(model, "repair_order", None)
    return "" if repair_order is None else repair_order.repair_order_number


def order_number(_view: Any, _context: Any, model: Any, _name: str) -> str:
    """The stock order by its number only (its full label would load the vendor for every row)."""
    order = getattr(model, "order", None)
    return "" if order is None else order.order_number


class PurchaseOrderView(SecureModelView):
    area = "parts"
    # POs are made from part lines (Create purchase orders), which numbers them; never typed in.
    allow_create = False
    column_list = (
        "purchase_order_number",
        "repair_order",
        "vendor_name",
        "po_status",
        "po_date",
        "total_amount",
        "percent_received",
        "receiving_status",
    )
    column_labels = {
        "purchase_order_number": "PO",
        "repair_order": "RO",
        "ro_number": "RO number",
        "vendor_name": "Vendor",
        "po_status": "Status",
        "po_date": "PO date",
        "total_amount": "Total",
        "percent_received": "% received",
        "receiving_status": "Receiving",
        "part_lines": "Part lines",
    }
    column_formatters = {
        "repair_order": repair_order_number,
        "po_status": status_badge,
        "receiving_status": status_badge,
    }
    column_default_sort = [("po_date", True), ("id", True)]
    column_filters = ("po_status", "receiving_status", "is_rush_order", "requires_approval", "po_date")
    column_searchable_list = ("purchase_order_number", "ro_number")
    # What staff may edit by hand; number, status, totals, approval and receiving follow the workflow.
    form_columns = (
        "requested_delivery_date",
        "promised_delivery_date",
        "delivery_method",
        "vendor_contact",
        "vendor_email",
        "vendor_phone",
        "vendor_fax",
        "payment_terms",
        "payment_terms_code",
        "discount_terms",
        "allow_partial_receiving",
        "returns_allowed",
        "return_deadline",
        "restocking_fee",
        "inspection_required",
        "agreement_type",
        "contract_number",
        "blanket_order_number",
        "hazardous_materials",
        "requires_msds",
        "vendor_rating",
    )
    details_extra_template = "admin/workflow/po_receive.html"

    workflow_actions = {
        "submit": ("action_submit", Action.EDIT),
        "approve": ("action_approve", Action.EDIT),
        "reject": ("action_reject", Action.EDIT),
        "send": ("action_send", Action.EDIT),
        "acknowledge": ("action_acknowledge", Action.EDIT),
        "dispute": ("action_dispute", Action.EDIT),
        "receive": ("action_receive", Action.EDIT),
        "return_line": ("action_return_line", Action.EDIT),
        "cancel": ("action_cancel", Action.EDIT),
        "close": ("action_close", Action.EDIT),
    }

    def __init__(self) -> None:
        self.column_select_related_list = [PurchaseOrder.repair_order]
        super().__init__(PurchaseOrder, name="Purchase Orders", endpoint="purchase_orders", category=CATEGORY)

    # --- what may be done now -----------------------------------------------------------------------
    def _may_approve(self, model: Any) -> bool:
        try:
            check_approver(
                number=model.purchase_order_number,
                total=to_money(model.total_amount),
                actor_id=current_user.id,
                actor_role=current_user.role,
                requester_ids=(model.requested_by, model.created_by),
                tiers=shop_settings(current_shop_id()).get("poApprovalTiers") or [],
            )
        except DomainError:
            return False
        return True

    def may_override(self) -> bool:
        return is_manager(getattr(current_user, "role", None))

    def workflow_panel(self, model: Any) -> list[ActionForm]:
        if not self._may(Action.EDIT):
            return []
        status = model.po_status
        targets = allowed_targets("purchase order", status)
        forms: list[ActionForm] = []
        if PO.PENDING_APPROVAL in targets:
            forms.append(ActionForm("submit", "Submit for approval", group="Approval"))
        if PO.APPROVED in targets and self._may_approve(model):
            forms.append(
                ActionForm("approve", "Approve", fields=[Field("notes", "Notes")], style="success", group="Approval")
            )
        if status == PO.PENDING_APPROVAL:
            forms.append(
                ActionForm(
                    "reject",
                    "Reject",
                    fields=[Field("reason", "Reason", required=True)],
                    style="warning",
                    group="Approval",
                )
            )
        if PO.SENT in targets and not (status == PO.DRAFT and model.requires_approval):
            forms.append(
                ActionForm(
                    "send",
                    "Mark sent",
                    fields=[Field("method", "Sent by", "select", TRANSMISSION_CHOICES, True, "email")],
                    group="Vendor",
                )
            )
        if PO.ACKNOWLEDGED in targets:
            forms.append(
                ActionForm(
                    "acknowledge",
                    "Vendor confirmed" if status != PO.DISPUTED else "Dispute resolved: vendor confirmed",
                    fields=[
                        Field("confirmation_number", "Confirmation no.", value=model.vendor_confirmation_number),
                        Field("promised_date", "Promised delivery", "datetime"),
                    ],
                    group="Vendor",
                )
            )
        if PO.DISPUTED in targets:
            forms.append(
                ActionForm(
                    "dispute",
                    "Dispute",
                    fields=[Field("reason", "What is disputed", required=True)],
                    style="secondary",
                    group="Vendor",
                )
            )
        if PO.CLOSED in targets:
            short = status != PO.FULLY_RECEIVED
            fields = [Field("reason", "Reason", required=short)]
            if short:
                fields.append(Field("reorder", "Re-order what did not come", "checkbox", value=True))
            forms.append(
                ActionForm(
                    "close",
                    "Short-close" if short else "Close",
                    fields=fields,
                    style="warning" if short else "secondary",
                    confirm="Cancel everything not yet received and close this PO?" if short else None,
                    group="Status",
                )
            )
        if PO.CANCELLED in targets:
            forms.append(
                ActionForm(
                    "cancel",
                    "Cancel PO",
                    fields=[Field("reason", "Reason", required=True)],
                    style="danger",
                    confirm="Cancel this purchase order? Its lines go back to needed.",
                    group="Status",
                )
            )
        return forms

    def workflow_warnings(self, model: Any) -> list[str]:
        warnings = []
        if model.po_status == PO.DRAFT and model.requires_approval:
            warnings.append(
                f"Needs approval before it is sent (total {money(model.total_amount)}, threshold "
                f"{money(model.approval_threshold)}{', expedited' if model.expedite_requested else ''})."
            )
        if model.po_status == PO.PENDING_APPROVAL and not self._may_approve(model):
            roles = approver_roles(
                to_money(model.total_amount), shop_settings(current_shop_id()).get("poApprovalTiers") or []
            )
            mine = current_user.id in (model.requested_by, model.created_by)
            warnings.append(
                f"Awaiting approval by a {role_list(roles)}"
                + ("; you requested it, so someone else approves it." if mine else ".")
            )
        if not model.allow_partial_receiving and model.po_status in RECEIVABLE:
            warnings.append("This PO does not allow partial receiving: receive every line in full at once.")
        settings = shop_settings(current_shop_id())
        for line in model.part_lines:
            if quantity(line.quantity_defective) > 0 and line.part_status in LINE_RECEIVABLE:
                warnings.append(
                    f"{line_label(line)}: {quantity_text(line.quantity_defective)} "
                    f"{_words(line.return_reason or 'damaged')}, recorded for return; the vendor owes the replacement."
                )
            if model.po_status in (PO.DRAFT, PO.PENDING_APPROVAL, PO.APPROVED):
                margin = margin_warning(line, settings)
                if margin:
                    warnings.append(margin)
        return warnings

    # --- rows for the receive and return tables (templates/admin/workflow/po_receive.html) ------------------
    def receiving_rows(self, model: Any) -> list[dict[str, Any]]:
        if model.po_status not in RECEIVABLE or not self.may_run("receive"):
            return []
        return [
            {
                "line": line,
                "ordered": quantity_text(line.quantity_ordered),
                "received": quantity_text(line.quantity_received),
                "outstanding": quantity_text(outstanding_quantity(line.quantity_ordered, line.quantity_received)),
            }
            for line in model.part_lines
            if line.part_status in LINE_RECEIVABLE
        ]

    def return_rows(self, model: Any) -> list[dict[str, Any]]:
        if not self.may_run("return_line") or not model.returns_allowed:
            return []
        return [
            {
                "line": line,
                "returnable": quantity_text(quantity(line.quantity_received) - quantity(line.quantity_returned)),
            }
            for line in model.part_lines
            if line.part_status in RETURNABLE and quantity(line.quantity_received) > quantity(line.quantity_returned)
        ]

    condition_choices = tuple(CONDITIONS.items())
    return_reasons = tuple((reason, _words(reason)) for reason in PART_LINE_RETURN_REASONS)

    # --- the actions ----------------------------------------------------------------------------------
    def action_submit(self, row_id: Any, form: Any) -> str:
        po = submit_purchase_order(current_shop_id(), row_id, actor=self.actor, now=self.now())
        return f"{po.purchase_order_number} submitted for approval."

    def action_approve(self, row_id: Any, form: Any) -> str:
        po = approve_purchase_order(
            current_shop_id(), row_id, notes=form_text(form, "notes"), actor=self.actor, now=self.now()
        )
        return f"{po.purchase_order_number} approved."

    def action_reject(self, row_id: Any, form: Any) -> str:
        po = reject_purchase_order(
            current_shop_id(), row_id, reason=form_text(form, "reason") or "", actor=self.actor, now=self.now()
        )
        return f"{po.purchase_order_number} rejected and back to draft."

    def action_send(self, row_id: Any, form: Any) -> str:
        po = send_purchase_order(
            current_shop_id(), row_id, method=form.get("method") or "", actor=self.actor, now=self.now()
        )
        return f"{po.purchase_order_number} sent by {_words(po.transmission_method)}."

    def action_acknowledge(self, row_id: Any, form: Any) -> str:
        po = acknowledge_purchase_order(
            current_shop_id(),
            row_id,
            confirmation_number=form_text(form, "confirmation_number", limit=100),
            promised_date=form_datetime(form, "promised_date", "Promised delivery"),
            actor=self.actor,
            now=self.now(),
        )
        return f"{po.purchase_order_number} confirmed by the vendor."

    def action_dispute(self, row_id: Any, form: Any) -> str:
        po = dispute_purchase_order(
            current_shop_id(), row_id, reason=form_text(form, "reason") or "", actor=self.actor, now=self.now()
        )
        return f"{po.purchase_order_number} is in dispute."

    def action_receive(self, row_id: Any, form: Any) -> str:
        receipts: dict[int, tuple[Decimal | None, str]] = {}
        for name in form:
            if name.startswith("qty_") and name[4:].isdigit():
                line_id = int(name[4:])
                receipts[line_id] = (
                    form_decimal(form, name, f"Quantity of line {line_id}"),
                    form.get(f"cond_{line_id}") or "good",
                )
        receipt = receive_purchase_order(
            current_shop_id(),
            row_id,
            receipts,
            packing_slip=form_text(form, "packing_slip", limit=50),
            actor=self.actor,
            now=self.now(),
        )
        return receipt.summary()

    def action_return_line(self, row_id: Any, form: Any) -> str:
        result = return_purchase_order_line(
            current_shop_id(),
            row_id,
            form.get("line_id"),
            **return_fields(form),
            actor=self.actor,
            now=self.now(),
        )
        return return_message(result)

    def action_cancel(self, row_id: Any, form: Any) -> str:
        po = cancel_purchase_order(
            current_shop_id(), row_id, reason=form_text(form, "reason") or "", actor=self.actor, now=self.now()
        )
        return f"{po.purchase_order_number} cancelled; {po.cancelled_items} line(s) are needed again."

    def action_close(self, row_id: Any, form: Any) -> str:
        po = close_purchase_order(
            current_shop_id(),
            row_id,
            reason=form_text(form, "reason"),
            reorder=form_bool(form, "reorder"),
            actor=self.actor,
            now=self.now(),
        )
        return f"{po.purchase_order_number} closed."


class PartsOrderView(SecureModelView):
    area = "inventory"
    column_list = ("order_number", "vendor", "status", "order_date", "expected_date", "total_amount")
    column_labels = {
        "order_number": "Order",
        "order_date": "Ordered",
        "expected_date": "Expected",
        "total_amount": "Total",
        "items": "Lines",
    }
    column_formatters = {"status": status_badge, "payment_status": status_badge}
    column_default_sort = [("order_date", True), ("id", True)]
    column_filters = ("status", "priority", "payment_status", "is_archived", "order_date", "expected_date")
    column_searchable_list = ("order_number", "vendor_order_number")
    inline_models = [
        (
            PartsOrderItem,
            dict(
                form_columns=[
                    "id",
                    "line_number",
                    "part_number",
                    "description",
                    "quantity_ordered",
                    "unit_cost",
                    "status",
                ]
            ),
        )
    ]

    def __init__(self) -> None:
        self.column_select_related_list = [PartsOrder.vendor]
        super().__init__(PartsOrder, name="Stock Orders", endpoint="parts_orders", category=CATEGORY)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        for item in model.items:
            if item.id is None and item.created_by is None:
                item.created_by = current_user.id


class PartsOrderItemView(SecureModelView):
    area = "inventory"
    parent_scope = (PartsOrder, "parts_order_id")
    simple_list_pager = True
    column_list = (
        "order",
        "line_number",
        "part_number",
        "description",
        "quantity_ordered",
        "quantity_received",
        "status",
    )
    column_labels = {
        "line_number": "Line",
        "part_number": "Part #",
        "vendor_part_number": "Vendor part #",
        "quantity_ordered": "Qty ordered",
        "quantity_received": "Qty received",
    }
    column_formatters = {"order": order_number, "status": status_badge}
    # The unique (parts_order_id, line_number) index serves this order.
    column_default_sort = [("parts_order_id", True), ("line_number", False), ("id", True)]
    column_filters = ("status", "part_type", "condition", "expected_date", "received_date")
    column_searchable_list = ("part_number", "vendor_part_number")

    def __init__(self) -> None:
        self.column_select_related_list = [PartsOrderItem.order]
        super().__init__(PartsOrderItem, name="Stock Order Lines", endpoint="parts_order_items", category=CATEGORY)


def views() -> list[BaseView]:
    return [PurchaseOrderView(), PartsOrderView(), PartsOrderItemView()]
