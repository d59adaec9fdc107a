"""Insurers and claims: DRP terms, approved labor rates, and the claims the shop repairs under."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from flask_login import current_user

from collisionos.admin import formatters
from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.admin.workflow import ActionForm, Field, form_decimal, form_text
from collisionos.domain import claims as claim_rules
from collisionos.domain.money import to_money
from collisionos.domain.permissions import Action, sees_money
from collisionos.domain.transitions import allowed_targets
from collisionos.models import ClaimManagement, InsuranceCompany
from collisionos.models.enums import ClaimStatus
from collisionos.services import claims as svc
from collisionos.tenancy import current_shop_id

CATEGORY = "Insurance & Estimates"


class InsuranceCompanyView(SecureModelView):
    area = "estimates"
    column_list = (
        "name",
        "code",
        "type",
        "is_drp",
        "body_labor_rate",
        "paint_labor_rate",
        "rental_car_limit",
        "relationship_status",
    )
    column_labels = {
        "is_drp": "DRP",
        "body_labor_rate": "Body rate",
        "paint_labor_rate": "Paint rate",
        "rental_car_limit": "Rental limit",
        "relationship_status": "Relationship",
    }
    column_formatters = {"type": status_badge, "relationship_status": status_badge}
    column_default_sort = [("name", False), ("id", False)]
    column_filters = ("type", "is_drp", "relationship_status", "is_active", "last_claim_date")
    column_searchable_list = ("name", "code")

    def __init__(self) -> None:
        super().__init__(
            InsuranceCompany, name="Insurance Companies", endpoint="insurance_companies", category=CATEGORY
        )


class ClaimView(SecureModelView):
    area = "estimates"
    simple_list_pager = True
    column_list = (
        "claim_number",
        "insurance_company",
        "customer",
        "vehicle_profile",
        "claim_status",
        "deductible_amount",
        "is_drp_claim",
        "date_of_loss",
    )
    column_labels = {
        "claim_number": "Claim #",
        "insurance_company": "Insurer",
        "vehicle_profile": "Vehicle",
        "claim_status": "Status",
        "deductible_amount": "Deductible",
        "is_drp_claim": "DRP",
        "date_of_loss": "Date of loss",
    }
    column_formatters = {"claim_status": status_badge}
    column_default_sort = [("id", True)]
    column_filters = ("claim_status", "is_drp_claim", "total_loss", "flagged_for_review", "date_of_loss")
    column_searchable_list = ("claim_number", "policy_number")

    # Status, waiver and supplement counters change only through the actions below (audited, ROs refreshed).
    form_excluded_columns = (
        "claim_status",
        "status_update_date",
        "status_notes",
        "deductible_waived",
        "deductible_waived_reason",
        "supplement_count",
        "supplement_total",
        "last_supplement_date",
        "reviewed_by",
        "reviewed_at",
        "claim_key",
    )
    # Checked on every save of the form (DOMAIN.md H3): amounts not negative, ATS days used within approved.
    TERMS_FIELDS = (
        "deductible_amount",
        "ats_allowance_amount",
        "ats_days_approved",
        "ats_days_used",
        "program_discount",
    )

    workflow_actions = {
        "move_claim": ("action_move_claim", Action.EDIT),
        "waive_deductible": ("action_waive_deductible", Action.EDIT),
        "set_deductible": ("action_set_deductible", Action.EDIT),
    }
    details_extra_template = "admin/workflow/claim_details.html"

    def __init__(self) -> None:
        self.column_select_related_list = [
            ClaimManagement.insurance_company,
            ClaimManagement.customer,
            ClaimManagement.vehicle_profile,
        ]
        super().__init__(ClaimManagement, name="Claims", endpoint="claims", category=CATEGORY)

    # --- forms -------------------------------------------------------------------------------
    def get_edit_form(self) -> Any:
        """Once a claim exists its deductible changes through "Set deductible", which refreshes its ROs."""
        form_class = super().get_edit_form()
        if hasattr(form_class, "deductible_amount"):
            delattr(form_class, "deductible_amount")
        return form_class

    def validate_form(self, form: Any) -> bool:
        if not super().validate_form(form):
            return False
        fields = {name: form[name] for name in self.TERMS_FIELDS if name in form}
        problems = claim_rules.claim_terms_problems(**{name: field.data for name, field in fields.items()})
        for name, message in problems.items():
            fields[name].errors = [*fields[name].errors, message]
        return not problems

    # --- workflow ----------------------------------------------------------------------------
    def workflow_panel(self, model: ClaimManagement) -> list[ActionForm]:
        items: list[ActionForm] = []
        order = {status.value: index for index, status in enumerate(ClaimStatus)}
        targets = sorted(allowed_targets("claim", model.claim_status or ClaimStatus.PENDING), key=order.get)
        if targets and self.may_run("move_claim"):
            items.append(
                ActionForm(
                    "move_claim",
                    "Change status",
                    fields=[
                        Field(
                            "target",
                            "New status",
                            "select",
                            choices=[(t, _words(t).capitalize()) for t in targets],
                            required=True,
                        ),
                        Field("reason", "Note", "text", placeholder="why (kept as the status notes)"),
                    ],
                    group="Claim status",
                )
            )
        if not sees_money(current_user.role):
            return items
        if self.may_run("waive_deductible") and self._waivable(model):
            items.append(
                ActionForm(
                    "waive_deductible",
                    "Waive deductible",
                    fields=[Field("reason", "Reason", "textarea", required=True)],
                    style="warning",
                    confirm=f"Waive the deductible of {formatters.money(model.deductible_amount)}? "
                    "The shop absorbs it.",
                    group="Deductible",
                )
            )
        if self.may_run("set_deductible") and not self._invoiced_ros(model):
            items.append(
                ActionForm(
                    "set_deductible",
                    "Set deductible",
                    fields=[
                        Field(
                            "amount",
                            "Deductible",
                            "money",
                            required=True,
                            value=formatters.money(model.deductible_amount),
                        )
                    ],
                    group="Deductible",
                )
            )
        return items

    def workflow_warnings(self, model: ClaimManagement) -> list[str]:
        warnings = [
            f"{ro.repair_order_number} waits for the insurer's decision on a supplement."
            for ro in svc.repair_orders_of_claim(model.shop_id, model.id)
            if ro.supplements_pending
        ]
        if model.ats_days_approved and (model.ats_days_used or 0) >= model.ats_days_approved:
            warnings.append(f"All {model.ats_days_approved} approved ATS (rental) days are used.")
        return warnings

    def supplements(self, model: ClaimManagement) -> list[svc.SupplementSummary]:
        """The claim's supplements for the details page (read only)."""
        return svc.claim_supplements(model)

    def shows_money(self) -> bool:
        return sees_money(current_user.role)

    @staticmethod
    def _waivable(model: ClaimManagement) -> bool:
        return not model.deductible_waived and not model.deductible_paid and to_money(model.deductible_amount) > 0

    @staticmethod
    def _invoiced_ros(model: ClaimManagement) -> list[str]:
        return [
            ro.repair_order_number
            for ro in svc.repair_orders_of_claim(model.shop_id, model.id)
            if claim_rules.is_invoiced(ro.ro_status, ro.previous_status)
        ]

    def action_move_claim(self, row_id: str, form: Any) -> str:
        target = form_text(form, "target", required="Choose the claim's new status.") or ""
        claim = svc.transition_claim(
            current_shop_id(), row_id, target, reason=form_text(form, "reason"), actor=self.actor, now=self.now()
        )
        return f"Claim {claim.claim_number} is now {_words(claim.claim_status)}."

    def action_waive_deductible(self, row_id: str, form: Any) -> str:
        claim = svc.waive_deductible(
            current_shop_id(), row_id, reason=form_text(form, "reason") or "", actor=self.actor, now=self.now()
        )
        return (
            f"The deductible of {formatters.money(claim.deductible_amount)} on claim {claim.claim_number} is waived; "
            "the shop absorbs it."
        )

    def action_set_deductible(self, row_id: str, form: Any) -> str:
        amount = form_decimal(form, "amount", "Deductible", required=True)
        claim = svc.set_deductible(current_shop_id(), row_id, amount=amount, actor=self.actor, now=self.now())
        return f"The deductible of claim {claim.claim_number} is now {formatters.money(claim.deductible_amount)}."


def _words(value: str | None) -> str:
    return str(value or "").replace("_", " ")


def views() -> list[BaseView]:
    return [InsuranceCompanyView(), ClaimView()]
