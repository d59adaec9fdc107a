"""Estimates, their priced lines, and the BMS/EMS files they were imported from."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, flash, request, url_for
from flask_admin import expose
from flask_admin.base import BaseView
from flask_admin.menu import MenuLink
from flask_login import current_user
from markupsafe import Markup

from collisionos.admin.base import SecureModelView, ShopInlineForm
from collisionos.admin.formatters import local_datetime, money, status_badge
from collisionos.domain.permissions import Action, allowed
from collisionos.models import BmsImport, Estimate, EstimateLineItem
from collisionos.models.base import utcnow
from collisionos.services import bms
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
    details_template = "admin/bms/estimate_details.html"
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

    def versions(self, estimate: Estimate) -> list[dict[str, Any]]:
        """List the estimate's imported versions, newest first, as the details page shows them."""
        rows = []
        for entry in reversed(estimate.version_history or []):
            changes = entry.get("changes")
            rows.append(
                {
                    "version": entry.get("version"),
                    "imported_at": local_datetime(_utc(entry.get("imported_at"))),
                    "document_id": entry.get("document_id") or "",
                    "gross": amount(entry.get("gross")),
                    "net": amount(entry.get("net")),
                    "lines": entry.get("lines"),
                    "changes": (
                        f"{changes.get('added', 0)} added, {changes.get('removed', 0)} removed, "
                        f"{changes.get('changed', 0)} changed"
                        if changes
                        else "first version"
                    ),
                    "import_id": entry.get("import_id"),
                }
            )
        return rows


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


STATUS_LABELS = bms.STATUS_LABELS
STATUS_BADGES = {bms.IMPORTED: "success", bms.UPDATED: "info", bms.NEEDS_REVIEW: "warning", bms.FAILED: "danger"}


def may_import() -> bool:
    """Importing a BMS file creates estimates: it needs create rights on estimates."""
    return bool(current_user.is_authenticated and allowed(current_user.role, "estimates", Action.CREATE))


def amount(value: Any) -> str:
    """A money value as written in an import's JSON ("2164.85"), shown as the admin shows money."""
    if value is None or value == "":
        return ""
    try:
        return money(Decimal(str(value)))
    except InvalidOperation:
        return str(value)


def _utc(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _import_status(_view: Any, _context: Any, model: BmsImport, _name: str) -> Markup:
    css = {"success": "success", "failed": "danger"}.get(model.status, "secondary")
    return Markup('<span class="badge badge-{}">{}</span>').format(css, model.status or "")


def _needs_review_badge(_view: Any, _context: Any, model: BmsImport, _name: str) -> Markup:
    return Markup('<span class="badge badge-warning">needs review</span>') if model.needs_review else Markup("")


def _repair_order_link(_view: Any, _context: Any, model: BmsImport, _name: str) -> Markup:
    # From the import's own JSON: no query per row.
    data = model.parsed_data or {}
    number, ro_id = data.get("repair_order"), data.get("repair_order_id")
    if not number or not ro_id:
        return Markup("")
    return Markup('<a href="{}">{}</a>').format(url_for("repair_orders.details_view", id=ro_id), number)


class BmsImportView(SecureModelView):
    area = "estimates"
    read_only = True
    list_template = "admin/bms/import_list.html"
    details_template = "admin/bms/import_details.html"
    column_list = (
        "file_name",
        "status",
        "needs_review",
        "bms_provider",
        "document_id",
        "document_version",
        "repair_order",
        "import_date",
    )
    column_labels = {
        "file_name": "File",
        "needs_review": "Needs review",
        "bms_provider": "Provider",
        "document_id": "Document ID",
        "document_version": "Version",
        "repair_order": "RO",
        "import_date": "Imported",
    }
    column_formatters = {
        "status": _import_status,
        "needs_review": _needs_review_badge,
        "repair_order": _repair_order_link,
    }
    column_default_sort = [("import_date", True), ("id", True)]
    column_filters = ("status", "needs_review", "file_type", "bms_provider", "rolled_back", "import_date")
    column_searchable_list = ("file_name", "document_id")
    # The details page shows the import's JSON as its report (outcome, totals, changes), not as a raw blob.
    column_details_exclude_list = ("parsed_data",)

    def __init__(self) -> None:
        super().__init__(BmsImport, name="BMS Imports", endpoint="bms_imports", category=CATEGORY)

    def may_import(self) -> bool:
        return may_import()

    @expose("/upload/", methods=("GET", "POST"))
    def upload_view(self) -> Any:
        """Import the BMS files chosen in the browser, each on its own, and show what became of each."""
        if not self.may_import():
            return self.inaccessible_callback("upload_view")
        if request.method == "GET":
            return self.render("admin/bms/upload.html")
        chosen = [upload for upload in request.files.getlist("files") if upload.filename]
        if not chosen:
            flash("Choose one or more BMS files to import.", "error")
            return self.render("admin/bms/upload.html")
        # One byte over the limit is enough for the service to say "too large" without holding a huge upload.
        cap = current_app.config["BMS_MAX_BYTES"] + 1
        files = [(_base_name(upload.filename), upload.stream.read(cap)) for upload in chosen]
        results = bms.import_bms_files(current_shop_id(), files, actor=self.actor, now=self.now())
        failed = any(result.status == bms.FAILED for result in results)
        flash(bms.batch_summary(results), "warning" if failed else "success")
        return self.render(
            "admin/bms/results.html",
            results=results,
            labels=STATUS_LABELS,
            badges=STATUS_BADGES,
            money=money,
        )

    def report(self, row: BmsImport) -> dict[str, Any]:
        """What the import's details page shows above its fields, read from the row's JSON."""
        data = row.parsed_data or {}
        off = {item.get("label") for item in data.get("differences") or ()}
        totals = [
            {
                "label": item.get("label"),
                "computed": amount(item.get("computed")),
                "file": amount(item.get("file")),
                "difference": amount(item.get("difference")),
                "off": item.get("label") in off,
            }
            for item in data.get("totals") or ()
        ]
        changes = data.get("changes") or {}
        status = data.get("status") or (bms.FAILED if row.status == "failed" else None)
        return {
            "status": status,
            "label": STATUS_LABELS.get(status, status or ""),
            "badge": STATUS_BADGES.get(status, "secondary"),
            "outcome": data.get("outcome"),
            "message": data.get("message") or (row.error_log or {}).get("message"),
            "repair_order": data.get("repair_order"),
            "repair_order_id": data.get("repair_order_id"),
            "estimate_id": data.get("estimate_id") or row.estimate_id,
            "version": data.get("version"),
            "previous_version": data.get("previous_version"),
            "totals": totals,
            "added": [_line(item) for item in changes.get("added") or ()],
            "removed": [_line(item) for item in changes.get("removed") or ()],
            "changed": [
                {
                    "line": item.get("line"),
                    "description": item.get("description"),
                    "fields": [
                        {
                            "field": str(change.get("field", "")).replace("_", " "),
                            "before": _shown(change.get("before")),
                            "after": _shown(change.get("after")),
                        }
                        for change in item.get("fields") or ()
                    ],
                }
                for item in changes.get("changed") or ()
            ],
            "has_changes": data.get("changes") is not None,
        }


def _line(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "line": item.get("line"),
        "description": item.get("description"),
        "header": item.get("header") or "",
        "amount": amount(item.get("amount")),
        "hours": item.get("hours") or "",
        "part_number": item.get("part_number") or "",
    }


def _shown(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def _base_name(file_name: str) -> str:
    # Some browsers send the full client path; only the name means anything here.
    return file_name.replace("\\", "/").rsplit("/", 1)[-1]


class ImportEstimateLink(MenuLink):
    """The menu's shortcut to the upload page, shown only to roles that may import."""

    def is_accessible(self) -> bool:
        return may_import()


def refresh_repair_orders(estimate_id: int | None) -> None:
    """Lines changed through the admin forms: the ROs on that estimate recompute their money."""
    if estimate_id is not None:
        refresh_for_estimate(current_shop_id(), estimate_id, actor=current_user._get_current_object(), now=utcnow())


def views() -> list[BaseView]:
    return [EstimateView(), EstimateLineItemView(), BmsImportView()]
