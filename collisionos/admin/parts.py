"""Parts: the part lines of each repair order, the shop's parts catalogue and its vendors."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.base import BaseView
from flask_login import current_user

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import local_datetime, money, status_badge
from collisionos.admin.workflow import (
    ActionForm,
    Field,
    form_bool,
    form_datetime,
    form_decimal,
    form_text,
    local_input,
)
from collisionos.domain.errors import DomainError
from collisionos.domain.parts import ORDERABLE, RECEIVABLE, RETURNABLE, outstanding_quantity, quantity, quantity_text
from collisionos.domain.permissions import Action
from collisionos.domain.purchasing import CONDITIONS
from collisionos.domain.repair_orders import is_manager
from collisionos.domain.transitions import allowed_targets
from collisionos.extensions import db
from collisionos.models import Part, PartLine, Vendor
from collisionos.models.enums import PartStatus as P
from collisionos.models.parts import PART_LINE_RETURN_REASONS
from collisionos.services.parts import (
    MoveDetails,
    core_return_due,
    line_label,
    margin_warning,
    return_core,
    return_part_line,
    shop_settings,
    transition_part_line,
)
from collisionos.services.purchasing import create_purchase_orders, receive_part_line
from collisionos.tenancy import current_shop_id

CATEGORY = "Parts & Purchasing"


def _words(value: Any) -> str:
    return str(value or "").replace("_", " ")


def repair_order_number(_view: Any, _context: Any, model: Any, _name: str) -> str:
    """The RO by its number only (its full label would load the vehicle for every row)."""
    repair_order = getattr(model, "repair_order", None)
    return "" if repair_order is None else repair_order.repair_order_number


# Columns only the workflow writes (statuses, who/when, quantities through receiving and returns, the PO link,
# margins): never typed into the edit form, so every change goes through the rules.
PART_LINE_WORKFLOW_COLUMNS = (
    "part_status",
    "previous_status",
    "status_change_date",
    "status_changed_by",
    "sourced_by",
    "ordered_by",
    "received_by",
    "inspected_by",
    "installed_by",
    "returned_by",
    "sourcing_date",
    "order_date",
    "received_date",
    "actual_delivery_date",
    "inspection_date",
    "inspection_completed",
    "inspection_passed",
    "defect_description",
    "installation_date",
    "return_date",
    "return_reason",
    "return_credit",
    "return_deadline",
    "restocking_fee",
    "core_returned",
    "core_return_date",
    "core_return_credit",
    "backorder_date",
    "purchase_order",
    "purchase_order_number",
    "quantity_received",
    "quantity_installed",
    "quantity_returned",
    "quantity_defective",
    "quantity_remaining",
    "total_cost",
    "target_margin",
    "actual_margin",
    "margin_variance",
    "on_time_delivery",
    "warranty_start_date",
    "warranty_end_date",
)
RETURN_REASONS = tuple((reason, _words(reason)) for reason in PART_LINE_RETURN_REASONS)


class PartLineView(SecureModelView):
    area = "parts"
    simple_list_pager = True
    list_template = "admin/workflow/part_lines_list.html"
    column_list = (
        "repair_order",
        "line_number",
        "part_description",
        "oem_part_number",
        "brand_type",
        "part_status",
        "quantity_ordered",
        "quantity_received",
        "vendor",
        "estimated_delivery_date",
        "sell_price",
    )
    column_labels = {
        "repair_order": "RO",
        "line_number": "Line",
        "part_description": "Description",
        "oem_part_number": "OEM part #",
        "vendor_part_number": "Vendor part #",
        "brand_type": "Brand",
        "part_status": "Status",
        "quantity_ordered": "Qty ordered",
        "quantity_received": "Qty received",
        "estimated_delivery_date": "ETA",
        "sell_price": "Sell price",
    }
    column_formatters = {
        "repair_order": repair_order_number,
        "part_status": status_badge,
        "brand_type": status_badge,
    }
    # The unique (repair_order_id, line_number) index serves this order.
    column_default_sort = [("id", True)]  # newest first, on the primary key (1M+ rows)
    column_filters = (
        "part_status",
        "brand_type",
        "part_category",
        "is_rush_order",
        "customer_waiting",
        "estimated_delivery_date",
        "order_date",
    )
    column_searchable_list = ("oem_part_number", "vendor_part_number")
    form_excluded_columns = PART_LINE_WORKFLOW_COLUMNS

    workflow_actions = {
        "source": ("action_source", Action.EDIT),
        "quote": ("action_quote", Action.EDIT),
        "reopen": ("action_reopen", Action.EDIT),
        "reorder": ("action_reorder", Action.EDIT),
        "backorder": ("action_backorder", Action.EDIT),
        "ship": ("action_ship", Action.EDIT),
        "receive": ("action_receive", Action.EDIT),
        "inspect": ("action_inspect", Action.EDIT),
        "install": ("action_install", Action.EDIT),
        "return": ("action_return", Action.EDIT),
        "return_core": ("action_return_core", Action.EDIT),
        "cancel": ("action_cancel", Action.EDIT),
    }

    def __init__(self) -> None:
        self.column_select_related_list = [PartLine.repair_order, PartLine.vendor]
        super().__init__(PartLine, name="Parts on ROs", endpoint="part_lines", category=CATEGORY)

    # --- what may be done now -----------------------------------------------------------------------
    def may_override(self) -> bool:
        return is_manager(getattr(current_user, "role", None))

    def _vendor_choices(self) -> list[tuple[str, str]]:
        vendors = db.session.scalars(
            sa.select(Vendor)
            .where(Vendor.shop_id == current_shop_id(), Vendor.is_active.is_(True))
            .order_by(Vendor.name, Vendor.id)
        )
        return [(str(v.id), f"{v.name} ({v.vendor_code or v.vendor_number})") for v in vendors]

    def workflow_panel(self, model: Any) -> list[ActionForm]:
        if not self._may(Action.EDIT):
            return []
        status = model.part_status
        targets = allowed_targets("part line", status)
        forms: list[ActionForm] = []
        if P.SOURCING in targets:
            forms.append(
                ActionForm(
                    "source",
                    "Start sourcing" if status == P.NEEDED else "Back to sourcing",
                    fields=[
                        Field("vendor_id", "Vendor", "select", self._vendor_choices(), value=model.vendor_id),
                        Field("net_price", "Net cost each", "money", value=model.net_price),
                    ],
                    group="Sourcing",
                    note="To order, select the line on the part lines list and use Create purchase orders.",
                )
            )
        if P.QUOTED in targets:
            forms.append(
                ActionForm(
                    "quote",
                    "Record quote",
                    fields=[
                        Field("vendor_id", "Vendor", "select", self._vendor_choices(), True, model.vendor_id),
                        Field("net_price", "Net cost each", "money", required=True, value=model.net_price),
                        Field("sell_price", "Sell price each", "money", value=model.sell_price),
                        Field("quote_expires", "Quote expires", "datetime"),
                    ],
                    group="Sourcing",
                )
            )
        if status in (P.SOURCING, P.QUOTED):
            forms.append(ActionForm("reopen", "Back to needed", style="secondary", group="Sourcing"))
        if status in (P.RETURNED, P.CANCELLED):
            forms.append(
                ActionForm(
                    "reopen",
                    "Re-open as needed",
                    style="secondary",
                    confirm="The line leaves its purchase order and starts over as needed. Continue?",
                    group="Status",
                )
            )
        if status == P.BACKORDERED:
            forms.append(ActionForm("reorder", "Alternative accepted: back to ordered", group="Delivery"))
        if P.BACKORDERED in targets:
            forms.append(
                ActionForm(
                    "backorder",
                    "Backordered",
                    fields=[
                        Field("reason", "Reason", required=True),
                        Field("expected_date", "Expected release", "datetime"),
                    ],
                    style="warning",
                    group="Delivery",
                )
            )
        if P.SHIPPED in targets:
            forms.append(
                ActionForm(
                    "ship",
                    "Shipped",
                    fields=[
                        Field("tracking_number", "Tracking no.", value=model.tracking_number),
                        Field("expected_date", "Arrives", "datetime", value=local_input(model.estimated_delivery_date)),
                    ],
                    group="Delivery",
                )
            )
        if P.RECEIVED in targets:
            outstanding = outstanding_quantity(model.quantity_ordered, model.quantity_received)
            forms.append(
                ActionForm(
                    "receive",
                    "Receive",
                    fields=[
                        Field("quantity", "Quantity", "number", required=True, value=quantity_text(outstanding)),
                        Field("condition", "Condition", "select", tuple(CONDITIONS.items()), True, "good"),
                    ],
                    style="success",
                    group="Delivery",
                    note=f"On {model.purchase_order_number}." if model.purchase_order_number else None,
                )
            )
        if P.INSPECTED in targets:
            forms.append(
                ActionForm(
                    "inspect",
                    "Record inspection",
                    fields=[
                        Field("inspection_passed", "Passed", "checkbox", value=True),
                        Field("defect_description", "Defect (if failed)", "textarea"),
                    ],
                    group="In the shop",
                )
            )
        if P.INSTALLED in targets:
            on_hand = quantity(model.quantity_received) - quantity(model.quantity_installed)
            on_hand -= quantity(model.quantity_returned)
            forms.append(
                ActionForm(
                    "install",
                    "Installed",
                    fields=[
                        Field("quantity", "Quantity", "number", required=True, value=quantity_text(on_hand)),
                        Field("installation_hours", "Hours", "number"),
                    ],
                    style="success",
                    group="In the shop",
                )
            )
        if status in RETURNABLE:
            forms.append(self._return_form(model))
        if model.is_core_item and status == P.INSTALLED and not model.core_returned:
            forms.append(
                ActionForm(
                    "return_core",
                    "Core returned",
                    fields=[Field("credit", "Core credit", "money", value=model.core_charge)],
                    group="Returns",
                )
            )
        if P.CANCELLED in targets:
            forms.append(
                ActionForm(
                    "cancel",
                    "Cancel line",
                    fields=[Field("reason", "Reason", required=True)],
                    style="danger",
                    confirm="Cancel this part line?",
                    group="Status",
                )
            )
        return forms

    def _return_form(self, model: Any) -> ActionForm:
        returnable = quantity(model.quantity_received) - quantity(model.quantity_returned)
        fields = [
            Field("quantity", "Quantity", "number", required=True, value=quantity_text(returnable)),
            Field("reason", "Reason", "select", RETURN_REASONS, True),
            Field("restocking_fee", "Restocking fee", "money", placeholder="from the PO"),
            Field("rma", "RMA no."),
            Field("still_needed", "Still needed (re-order)", "checkbox"),
        ]
        if self.may_override():
            fields.append(Field("override_reason", "Override reason (past deadline)"))
        return ActionForm("return", "Return to vendor", fields=fields, style="warning", group="Returns")

    def workflow_warnings(self, model: Any) -> list[str]:
        settings = shop_settings(current_shop_id())
        now = self.now()
        warnings = []
        if model.part_status in ORDERABLE or model.part_status in RECEIVABLE:
            margin = margin_warning(model, settings)
            if margin:
                warnings.append(margin)
        if model.part_status == P.QUOTED and model.quote_expiration_date and model.quote_expiration_date < now:
            warnings.append(f"The quote expired on {local_datetime(model.quote_expiration_date)}: re-quote it.")
        if quantity(model.quantity_defective) > 0 and model.part_status in RECEIVABLE:
            warnings.append(
                f"{quantity_text(model.quantity_defective)} received {_words(model.return_reason or 'damaged')}: "
                "recorded for return; the vendor still owes the replacement."
            )
        if model.inspection_completed and not model.inspection_passed and model.part_status in RETURNABLE:
            warnings.append(f"Failed inspection ({model.defect_description or 'defect'}): return it to the vendor.")
        due = core_return_due(model, settings)
        if due is not None:
            late = " — overdue" if due < now else ""
            warnings.append(
                f"Core return owed by {local_datetime(due)}{late} (core charge {money(model.core_charge)})."
            )
        return warnings

    # --- the actions ----------------------------------------------------------------------------------
    def _move(self, row_id: Any, target: str, reason: str | None = None, **details: Any) -> str:
        line = transition_part_line(
            current_shop_id(),
            row_id,
            target,
            actor=self.actor,
            now=self.now(),
            reason=reason,
            details=MoveDetails(**details),
        )
        return f"{line_label(line)} is now {_words(line.part_status)}."

    def action_source(self, row_id: Any, form: Any) -> str:
        return self._move(
            row_id,
            P.SOURCING,
            vendor_id=form.get("vendor_id") or None,
            net_price=form_decimal(form, "net_price", "Net cost"),
        )

    def action_quote(self, row_id: Any, form: Any) -> str:
        message = self._move(
            row_id,
            P.QUOTED,
            vendor_id=form.get("vendor_id") or None,
            net_price=form_decimal(form, "net_price", "Net cost", required=True),
            sell_price=form_decimal(form, "sell_price", "Sell price"),
            quote_expires=form_datetime(form, "quote_expires", "Quote expires"),
        )
        return message

    def action_reopen(self, row_id: Any, form: Any) -> str:
        return self._move(row_id, P.NEEDED)

    def action_reorder(self, row_id: Any, form: Any) -> str:
        return self._move(row_id, P.ORDERED)

    def action_backorder(self, row_id: Any, form: Any) -> str:
        return self._move(
            row_id,
            P.BACKORDERED,
            reason=form_text(form, "reason", required="Say why the part is backordered.", limit=255),
            expected_date=form_datetime(form, "expected_date", "Expected release"),
        )

    def action_ship(self, row_id: Any, form: Any) -> str:
        return self._move(
            row_id,
            P.SHIPPED,
            tracking_number=form_text(form, "tracking_number", limit=100),
            expected_date=form_datetime(form, "expected_date", "Arrives"),
        )

    def action_receive(self, row_id: Any, form: Any) -> str:
        line = receive_part_line(
            current_shop_id(),
            row_id,
            quantity=form_decimal(form, "quantity", "Quantity", required=True),
            condition=form.get("condition") or "good",
            actor=self.actor,
            now=self.now(),
        )
        return (
            f"{line_label(line)}: {quantity_text(line.quantity_received)} of {quantity_text(line.quantity_ordered)} "
            f"received; {_words(line.part_status)}."
        )

    def action_inspect(self, row_id: Any, form: Any) -> str:
        return self._move(
            row_id,
            P.INSPECTED,
            inspection_passed=form_bool(form, "inspection_passed"),
            defect_description=form_text(form, "defect_description", limit=255),
        )

    def action_install(self, row_id: Any, form: Any) -> str:
        return self._move(
            row_id,
            P.INSTALLED,
            quantity=form_decimal(form, "quantity", "Quantity", required=True),
            installation_hours=form_decimal(form, "installation_hours", "Hours"),
        )

    def action_return(self, row_id: Any, form: Any) -> str:
        result = return_part_line(
            current_shop_id(),
            row_id,
            **return_fields(form),
            actor=self.actor,
            now=self.now(),
        )
        return return_message(result)

    def action_return_core(self, row_id: Any, form: Any) -> str:
        line = return_core(
            current_shop_id(),
            row_id,
            credit=form_decimal(form, "credit", "Core credit"),
            actor=self.actor,
            now=self.now(),
        )
        return f"Core of {line_label(line)} returned: credit {money(line.core_return_credit)}."

    def action_cancel(self, row_id: Any, form: Any) -> str:
        return self._move(
            row_id, P.CANCELLED, reason=form_text(form, "reason", required="Say why the line is cancelled.")
        )

    # --- bulk: create purchase orders ----------------------------------------------------------------------
    @action(
        "create_purchase_orders",
        "Create purchase orders",
        "Create purchase orders for the selected part lines (one per vendor)?",
    )
    def action_create_purchase_orders(self, ids: Any) -> None:
        """One PO per vendor for the selected lines of one RO; a refusal is flashed and nothing changes."""
        try:
            result = create_purchase_orders(
                current_shop_id(),
                ids,
                actor=self.actor,
                now=self.now(),
                override_reason=form_text(request.form, "override_reason", limit=500),
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return
        count = len(result.orders)
        flash(f"Created {count} purchase order{'s' if count != 1 else ''}: {', '.join(result.numbers)}.", "success")
        for warning in result.warnings:
            flash(warning, "warning")

    def is_action_allowed(self, name: str) -> bool:
        if name == "create_purchase_orders":
            return self._may(Action.CREATE) and self._may(Action.EDIT)
        return super().is_action_allowed(name)

    @expose("/action/", methods=("POST",))
    def action_view(self) -> Any:
        """A bulk action the user may not run is forbidden (403), not silently ignored."""
        name = request.form.get("action", "")
        if name in self._actions_data and not self.is_action_allowed(name):
            abort(403)
        return super().action_view()


def return_fields(form: Any) -> dict[str, Any]:
    """The return-to-vendor form (a part line's page and a PO's page) as the return services take it."""
    return {
        "quantity": form_decimal(form, "quantity", "Quantity", required=True),
        "reason": form.get("reason") or "",
        "restocking_fee": form_decimal(form, "restocking_fee", "Restocking fee"),
        "rma": form_text(form, "rma", limit=50),
        "still_needed": form_bool(form, "still_needed"),
        "override_reason": form_text(form, "override_reason"),
    }


def return_message(result: Any) -> str:
    line = result.line
    text = (
        f"Returned {quantity_text(result.quantity)} of {line_label(line)}: credit {money(result.credit)}"
        f"{f' (restocking fee {money(result.fee)})' if result.fee else ''}."
    )
    if result.replacement is not None:
        text += f" Line #{result.replacement.line_number} re-opens the need."
    return text


class PartView(SecureModelView):
    area = "inventory"
    column_list = (
        "part_number",
        "description",
        "category",
        "current_stock",
        "minimum_stock",
        "cost_price",
        "selling_price",
        "primary_vendor",
    )
    column_labels = {
        "part_number": "Part #",
        "oem_part_number": "OEM part #",
        "vendor_part_number": "Vendor part #",
        "current_stock": "In stock",
        "minimum_stock": "Minimum",
        "cost_price": "Cost",
        "selling_price": "Price",
        "primary_vendor": "Vendor",
    }
    column_formatters = {"category": status_badge, "part_status": status_badge}
    column_default_sort = [("part_number", False), ("id", False)]
    column_filters = ("category", "part_type", "part_status", "is_active", "is_core", "last_order_date")
    column_searchable_list = ("part_number", "oem_part_number", "vendor_part_number")

    def __init__(self) -> None:
        self.column_select_related_list = [Part.primary_vendor]
        super().__init__(Part, name="Parts Catalogue", endpoint="parts", category=CATEGORY)


class VendorView(SecureModelView):
    area = "parts"
    column_list = (
        "vendor_number",
        "vendor_code",
        "name",
        "vendor_type",
        "vendor_status",
        "phone",
        "email",
        "average_delivery_time",
    )
    column_labels = {
        "vendor_number": "Vendor #",
        "vendor_code": "Code",
        "vendor_type": "Type",
        "vendor_status": "Status",
        "average_delivery_time": "Avg delivery (days)",
    }
    column_formatters = {"vendor_type": status_badge, "vendor_status": status_badge}
    column_default_sort = [("name", False), ("id", False)]
    column_filters = ("vendor_type", "vendor_status", "is_active")
    column_searchable_list = ("name", "vendor_number", "vendor_code")
    # The integration key is a secret: never shown or exported (base already keeps it out of forms).
    column_details_exclude_list = ("api_key",)
    column_export_exclude_list = ("api_key",)

    def __init__(self) -> None:
        super().__init__(Vendor, name="Vendors", endpoint="vendors", category=CATEGORY)


def views() -> list[BaseView]:
    return [PartLineView(), PartView(), VendorView()]
