"""The secure base view every admin view inherits: login, role permissions, shop scoping, CSRF,
readable formatting, bounded exports and no 500 from a bad URL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model.form import InlineFormAdmin
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError, StatementError
from werkzeug.exceptions import HTTPException

from collisionos.admin import formatters
from collisionos.admin.converters import ModelConverter, ShopFilterConverter
from collisionos.admin.workflow import WorkflowMixin
from collisionos.domain.permissions import Action, allowed, sees_money
from collisionos.extensions import db
from collisionos.models import AuditLog
from collisionos.tenancy import current_shop_id

# Columns the system writes: never in a form.
SYSTEM_COLUMNS = frozenset(
    {
        "id",
        "shop_id",
        "shop",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "password",
        "session_token",
        "two_factor_secret",
        "password_reset_token",
        "email_verification_token",
        "api_key",
    }
)
# Spreadsheet programs run cells starting with these as formulas (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def money_columns(model: type) -> frozenset[str]:
    """Names of the model's money columns: Numeric with scale 2 and precision 12 or more."""
    return frozenset(
        column.key
        for column in sa.inspect(model).columns
        if isinstance(column.type, sa.Numeric) and column.type.scale == 2 and (column.type.precision or 0) >= 12
    )


# What staff type to find a record of each kind (type-ahead lookups in forms).
SEARCH_FIELDS: dict[str, list[str]] = {
    "Customer": ["last_name", "first_name", "phone", "customer_number"],
    "VehicleProfile": ["vin", "license_plate"],
    "Vehicle": ["vin", "license_plate"],
    "ClaimManagement": ["claim_number"],
    "RepairOrder": ["repair_order_number"],
    "Estimate": ["estimate_number", "claim_number"],
    "EstimateLineItem": ["description", "part_number"],
    "User": ["last_name", "first_name", "email"],
    "Vendor": ["name", "vendor_code"],
    "InsuranceCompany": ["name", "code"],
    "Part": ["part_number", "description"],
    "PartLine": ["part_description", "oem_part_number"],
    "PurchaseOrder": ["purchase_order_number"],
    "PartsOrder": ["order_number"],
    "Job": ["job_number"],
    "Invoice": ["invoice_number"],
    "LoanerVehicle": ["unit_id", "license_plate"],
    "LoanerReservation": ["reservation_number"],
    "ProductionStage": ["stage_name", "stage_code"],
    "ProductionWorkflow": ["stage_name"],
    "WorkflowStatus": ["stage"],
    "CommunicationTemplate": ["template_name", "template_code"],
    "CommunicationLog": ["subject", "recipient_email"],
    "ContactTimeline": ["subject"],
    "BmsImport": ["file_name"],
    "LaborTimeEntry": ["operation_code"],
    "Attachment": ["file_name"],
    "VehicleHistory": ["claim_number"],
    "FinancialTransaction": ["transaction_number"],
    "Shop": ["name"],
}


def scope_to_shop(query: Any, model: type, shop_id: int) -> Any:
    """Limit ``query`` over ``model`` to one shop (users by their shop, a shop to itself)."""
    if model.__name__ == "Shop":
        return query.filter(model.id == shop_id)
    if hasattr(model, "shop_id"):
        return query.filter(model.shop_id == shop_id)
    raise LookupError(f"{model.__name__} has no shop column to scope a lookup by")


def _without(entry: Any, fields: frozenset[str]) -> Any:
    """A read-only copy of an audit entry without ``fields`` in its changes."""
    from types import SimpleNamespace

    changes = {k: v for k, v in (entry.changes or {}).items() if k not in fields}
    return SimpleNamespace(
        **{c: getattr(entry, c) for c in ("action", "occurred_at", "user_label", "reason")}, changes=changes
    )


class ShopAjaxLoader(QueryAjaxModelLoader):
    """Type-ahead lookups that only ever return rows of the current shop, matching from the start."""

    def get_query(self) -> Any:
        return scope_to_shop(super().get_query(), self.model, current_shop_id())

    def get_one(self, pk: Any) -> Any:
        try:
            key = int(pk)
        except (TypeError, ValueError):
            return None
        # No autoflush: a half-built form object (e.g. a new inline row) must not be flushed by this lookup.
        with db.session.no_autoflush:
            return self.get_query().filter(getattr(self.model, self.pk) == key).one_or_none()

    def get_list(self, term: str, offset: int = 0, limit: int = 10) -> list[Any]:
        term = (term or "").strip()[:100]
        query = self.get_query()
        if term:
            # Prefix match on indexed columns, not LIKE '%x%' over the whole table.
            pattern = term.replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
            query = query.filter(sa.or_(*(field.ilike(pattern, escape="\\") for field in self._cached_fields)))
        return query.order_by(getattr(self.model, self.pk)).offset(offset).limit(min(limit, 20)).all()


class ShopInlineForm(InlineFormAdmin):
    """Inline child rows: stamped with the shop and the user like top-level rows."""

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created and hasattr(type(model), "shop_id") and model.shop_id is None:
            model.shop_id = current_shop_id()
        if is_created and hasattr(model, "created_by"):
            model.created_by = current_user.id
        if hasattr(model, "updated_by"):
            model.updated_by = current_user.id


class AdminForm(FlaskForm):
    """Flask-WTF form (CSRF) that keeps the edited object, as Flask-Admin's Unique validator expects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._obj = kwargs.get("obj")
        super().__init__(*args, **kwargs)


class SecureModelView(WorkflowMixin, ModelView):
    """Base view: a role sees only what the permission matrix allows, and only its shop's rows."""

    area = "jobs"
    form_base_class = AdminForm
    model_form_converter = ModelConverter
    filter_converter = ShopFilterConverter()
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100)
    export_types = ["csv"]
    export_max_rows = 5000
    column_display_pk = False
    # A COUNT(*) over a large table is the slow part of a list page: show next/previous instead.
    simple_list_pager = False
    # Child tables without shop_id: (parent model, parent foreign key on this model).
    parent_scope: tuple[type, str] | None = None
    read_only = False
    # A view may forbid creating or deleting for everyone, whatever the matrix says (e.g. the shop itself).
    allow_create = True
    allow_delete = True

    def __init__(self, model: type, **kwargs: Any) -> None:
        self._money = money_columns(model)
        mapper = sa.inspect(model)
        refs = dict(self.form_ajax_refs or {})
        for relation in mapper.relationships:
            target = relation.mapper.class_
            if relation.uselist or relation.key in refs or target.__name__ not in SEARCH_FIELDS:
                continue
            refs[relation.key] = ShopAjaxLoader(relation.key, db.session, target, fields=SEARCH_FIELDS[target.__name__])
        self.form_ajax_refs = refs
        # Child collections are edited inline where a view says so, never as a select of every row.
        collections = [r.key for r in mapper.relationships if r.uselist and r.key not in (self.inline_models or ())]
        self.form_excluded_columns = [*(self.form_excluded_columns or ()), *collections, "shop"]
        self._link_first_column()
        super().__init__(model, db, **kwargs)

    # The first column links to the record: cheaper than three icon links and a delete form per row
    # (half of a 100-row page's time), and one click to open, as everywhere else.
    column_display_actions = False

    def _link_first_column(self) -> None:
        if not self.column_list:
            return
        first = self.column_list[0]
        first = first if isinstance(first, str) else getattr(first, "key", str(first))
        shown = (self.column_formatters or {}).get(first)

        def linked(view: Any, context: Any, model: Any, name: str) -> Markup:
            if shown is not None:
                text = shown(view, context, model, name)
            else:
                value = getattr(model, name, None)
                formatter = formatters.TYPE_FORMATTERS.get(type(value))
                text = formatter(view, value, name) if formatter else ("" if value is None else str(value))
            return Markup('<a href="{}?id={}">{}</a>').format(view.details_url(), model.id, text or "(open)")

        self.column_formatters = {**(self.column_formatters or {}), first: linked}

    def details_url(self) -> str:
        """The details page's URL without the id, built once per request."""
        cache = g.setdefault("details_urls", {})
        if self.endpoint not in cache:
            cache[self.endpoint] = url_for(f"{self.endpoint}.details_view")
        return cache[self.endpoint]

    # --- permissions -------------------------------------------------------------------------
    def _may(self, action: Action) -> bool:
        return bool(current_user and current_user.is_authenticated and allowed(current_user.role, self.area, action))

    def is_accessible(self) -> bool:
        return self._may(Action.VIEW)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return self.allow_create and not self.read_only and self._may(Action.CREATE)

    @property
    def can_edit(self) -> bool:  # type: ignore[override]
        return not self.read_only and self._may(Action.EDIT)

    @property
    def can_delete(self) -> bool:  # type: ignore[override]
        return self.allow_delete and not self.read_only and self._may(Action.DELETE)

    @property
    def can_export(self) -> bool:  # type: ignore[override]
        return self._may(Action.EXPORT)

    # --- what a role may see -----------------------------------------------------------------
    def _visible(self, columns: list[Any]) -> list[Any]:
        if current_user and current_user.is_authenticated and sees_money(current_user.role):
            return columns
        return [c for c in columns if (c[0] if isinstance(c, tuple) else c) not in self._money]

    @property
    def _list_columns(self) -> list[Any]:
        return self._visible(self.__dict__.get("_all_list_columns", []))

    @_list_columns.setter
    def _list_columns(self, value: list[Any]) -> None:
        self.__dict__["_all_list_columns"] = value

    @property
    def _details_columns(self) -> list[Any]:
        return self._visible(self.__dict__.get("_all_details_columns", []))

    @_details_columns.setter
    def _details_columns(self, value: list[Any]) -> None:
        self.__dict__["_all_details_columns"] = value

    @property
    def _export_columns(self) -> list[Any]:
        return self._visible(self.__dict__.get("_all_export_columns", []))

    @_export_columns.setter
    def _export_columns(self, value: list[Any]) -> None:
        self.__dict__["_all_export_columns"] = value

    def _secure_form(self, form: Any) -> Any:
        """Drop money fields for roles that may not see money; limit every select to the shop's rows."""
        hide_money = not sees_money(current_user.role)
        shop_id = current_shop_id()
        for name in list(form._fields):
            field = form._fields[name]
            if hide_money and name in self._money:
                del form[name]
            elif getattr(field, "query_factory", None) is not None:
                query = field.query_factory()
                target = query.column_descriptions[0]["entity"]
                field.query = scope_to_shop(query, target, shop_id)
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._secure_form(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._secure_form(super().edit_form(obj))

    # --- shop scoping ------------------------------------------------------------------------
    def scope(self, query: Any) -> Any:
        shop_id = current_shop_id()
        if hasattr(self.model, "shop_id"):
            return query.filter(self.model.shop_id == shop_id)
        if self.parent_scope is not None:
            parent, key = self.parent_scope
            return query.join(parent, getattr(self.model, key) == parent.id).filter(parent.shop_id == shop_id)
        raise RuntimeError(f"{self.model.__name__} has no shop scope")

    def get_query(self) -> Any:
        return self.scope(super().get_query())

    def get_count_query(self) -> Any:
        return self.scope(super().get_count_query())

    def get_one(self, id: Any) -> Any:
        try:
            key = int(id)
        except (TypeError, ValueError):
            abort(404)
        row = self.get_query().filter(self.model.id == key).one_or_none()
        if row is None:
            abort(404)
        return row

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created and hasattr(model, "shop_id") and model.shop_id is None:
            model.shop_id = current_shop_id()
        if is_created and hasattr(model, "created_by"):
            model.created_by = current_user.id
        if hasattr(model, "updated_by"):
            model.updated_by = current_user.id

    # --- forms -------------------------------------------------------------------------------
    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()
        for name in SYSTEM_COLUMNS:
            if hasattr(form_class, name):
                delattr(form_class, name)
        return form_class

    # --- formatting and export ---------------------------------------------------------------
    column_type_formatters = formatters.TYPE_FORMATTERS
    column_type_formatters_detail = formatters.DETAIL_TYPE_FORMATTERS
    column_type_formatters_export = formatters.EXPORT_TYPE_FORMATTERS
    # Exports get plain values, never the list's HTML (Flask-Admin would reuse column_formatters).
    column_formatters_export: dict[str, Any] = {}

    def get_export_value(self, model: Any, name: Any) -> Any:
        value = super().get_export_value(model, name)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value

    def get_export_name(self, export_type: str = "csv") -> str:
        return f"{self.endpoint}.{export_type}"

    # --- paging ------------------------------------------------------------------------------
    def get_list(
        self,
        page: Any,
        sort_column: Any,
        sort_desc: Any,
        search: Any,
        filters: Any,
        execute: bool = True,
        page_size: Any = None,
    ) -> Any:
        """Find the page's ids with a narrow query, then load only those rows with their relations.

        An OFFSET over the full query would build (and join) every skipped row: page 5,000 of
        100,000 repair orders took seconds. Skipping index entries for ids stays fast at any depth.
        """
        count, query = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=False, page_size=page_size
        )
        if not execute:
            return count, query
        pk = self.model.id
        ids = [row[0] for row in query.with_entities(pk).all()]
        if not ids:
            return count, []
        rows = self.get_query().filter(pk.in_(ids))
        for relation in self._auto_joins:
            rows = rows.options(sa.orm.joinedload(relation))
        by_id = {row.id: row for row in rows.all()}
        return count, [by_id[i] for i in ids if i in by_id]

    # --- list search ---------------------------------------------------------------------------
    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        """Match what staff type at the start of the searchable columns: ``x%``, never ``%x%`` over a table."""
        for term in search.split()[:5]:
            term = term.replace("\\", "").replace("%", "").replace("_", "")[:100]
            if not term:
                continue
            conditions = [
                sa.cast(field, sa.Unicode).ilike(term + "%") for field, path in self._search_fields if not path
            ]
            if conditions:
                query = query.filter(sa.or_(*conditions))
                if count_query is not None:
                    count_query = count_query.filter(sa.or_(*conditions))
        return query, count_query, joins, count_joins

    # --- bulk actions ------------------------------------------------------------------------
    @action(
        "delete",
        "Delete",
        "Are you sure you want to delete the selected records?",
    )
    def action_delete(self, ids: Any) -> None:
        """Delete the selected rows of this shop; ids that are not numbers are refused, not sent to the database."""
        try:
            keys = [int(i) for i in ids]
        except (TypeError, ValueError):
            flash("The selection was not valid; nothing was deleted.", "error")
            return
        super().action_delete(keys)

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete":
            return self.can_delete
        return super().is_action_allowed(name)

    # --- history -----------------------------------------------------------------------------
    details_template = "admin/model/collisionos_details.html"
    history_limit = 200

    @expose("/history/")
    def history_view(self) -> Any:
        """Every recorded change of one record, newest first (money hidden from roles that may not see it)."""
        row = self.get_one(request.args.get("id"))
        entries = db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.table_name == self.model.__tablename__, AuditLog.row_id == str(row.id))
            .order_by(AuditLog.occurred_at.desc(), AuditLog.id.desc())
            .limit(self.history_limit)
        ).all()
        if not sees_money(current_user.role):
            entries = [_without(entry, self._money) for entry in entries]
        return self.render("admin/model/history.html", row=row, entries=entries, local_time=formatters.local_datetime)

    # --- bad input never gives a 500 ---------------------------------------------------------
    def _call_safely(self, view: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a list/export view; a bad search, filter, sort or page in the URL gives the plain list."""
        try:
            return view(*args, **kwargs)
        except HTTPException:
            raise
        except (ValueError, LookupError, TypeError, StatementError, SQLAlchemyError):
            db.session.rollback()
            if not request.args:
                raise
            flash("That search, filter or page is not valid; showing the full list instead.", "error")
            return redirect(url_for(".index_view"))

    @expose("/")
    def index_view(self) -> Any:
        return self._call_safely(super().index_view)

    @expose("/export/<export_type>/")
    def export(self, export_type: str) -> Any:
        return self._call_safely(super().export, export_type)
