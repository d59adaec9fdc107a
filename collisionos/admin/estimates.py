"""Estimates, their priced lines, and the BMS/EMS files they were imported from."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from flask_login import current_user

from collisionos.admin.base import SecureModelView, ShopInlineForm
from collisionos.admin.formatters import status_badge
from collisionos.models import BmsImport, Estimate, EstimateLineItem
from collisionos.models.base import utcnow
from collisionos.services.repair_orders import refresh_for_estimate
from collisionos.tenancy import current_shop_id

CATEGORY = "Insurance & Estimates"


class EstimateView(SecureModelView):
    area = "estimates"
    column_list = (
        "estimate_number",
        "customer",
        "vehicle",
        "claim_number",
        "status",
        "estimate_total",
        "estimate_date",
    )
    column_labels = {
        "estimate_number": "Estimate",
        "claim_number": "Claim",
        "estimate_total": "Total",
        "estimate_date": "Date",
        "estimate_type": "Type",
        "is_drp": "DRP",
        "expiration_date": "Expires",
    }
    column_formatters = {"status": status_badge}
    column_default_sort = [("estimate_date", True), ("id", True)]
    column_filters = ("status", "estimate_type", "is_drp", "estimate_date", "expiration_date")
    column_searchable_list = ("estimate_number", "claim_number")
    # created_by is set from the logged-in user on create (base on_model_change), never picked by hand.
    form_excluded_columns = ("creator",)
    inline_models = [
        ShopInlineForm(
            EstimateLineItem,
            # "id" keeps the existing lines' keys (a hidden field) so edits update rather than add.
            form_columns=[
                "id",
                "line_number",
                "type",
                "description",
                "quantity",
                "unit_price",
                "total_price",
                "part_number",
                "labor_hours",
                "taxable",
            ],
        )
    ]

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        refresh_repair_orders(self._estimate_id(model))

    def after_model_delete(self, model: Any) -> None:
        refresh_repair_orders(self._estimate_id(model))

    def _estimate_id(self, model: Any) -> int | None:
        return getattr(model, "estimate_id", None) if not isinstance(model, Estimate) else model.id

    def __init__(self) -> None:
        self.column_select_related_list = [Estimate.customer, Estimate.vehicle]
        super().__init__(Estimate, name="Estimates", endpoint="estimates", category=CATEGORY)


class EstimateLineItemView(SecureModelView):
    area = "estimates"
    parent_scope = (Estimate, "estimate_id")
    simple_list_pager = True
    column_list = (
        "estimate",
        "line_number",
        "type",
        "description",
        "quantity",
        "unit_price",
        "total_price",
        "status",
    )
    column_labels = {"line_number": "Line", "quantity": "Qty", "unit_price": "Unit price", "total_price": "Total"}
    column_formatters = {"type": status_badge, "status": status_badge}
    column_default_sort = [("estimate_id", True), ("line_number", False), ("id", False)]
    column_filters = ("type", "category", "status", "is_sublet", "supplement_number")
    column_searchable_list = ("part_number",)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        refresh_repair_orders(self._estimate_id(model))

    def after_model_delete(self, model: Any) -> None:
        refresh_repair_orders(self._estimate_id(model))

    def _estimate_id(self, model: Any) -> int | None:
        return getattr(model, "estimate_id", None) if not isinstance(model, Estimate) else model.id

    def __init__(self) -> None:
        self.column_select_related_list = [EstimateLineItem.estimate]
        super().__init__(EstimateLineItem, name="Estimate Lines", endpoint="estimate_line_items", category=CATEGORY)


class BmsImportView(SecureModelView):
    area = "estimates"
    read_only = True
    column_list = (
        "file_name",
        "status",
        "bms_provider",
        "document_id",
        "document_version",
        "import_date",
        "estimate",
    )
    column_labels = {
        "file_name": "File",
        "bms_provider": "Provider",
        "document_id": "Document ID",
        "document_version": "Version",
        "import_date": "Imported",
    }
    column_formatters = {"status": status_badge}
    column_default_sort = [("import_date", True), ("id", True)]
    column_filters = ("status", "file_type", "bms_provider", "rolled_back", "import_date")
    column_searchable_list = ("file_name", "document_id")

    def __init__(self) -> None:
        self.column_select_related_list = [BmsImport.estimate]
        super().__init__(BmsImport, name="BMS Imports", endpoint="bms_imports", category=CATEGORY)


def refresh_repair_orders(estimate_id: int | None) -> None:
    """Lines changed through the admin forms: the ROs on that estimate recompute their money."""
    if estimate_id is not None:
        refresh_for_estimate(current_shop_id(), estimate_id, actor=current_user._get_current_object(), now=utcnow())


def views() -> list[BaseView]:
    return [EstimateView(), EstimateLineItemView(), BmsImportView()]
