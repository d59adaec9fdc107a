"""Insurers and claims: DRP terms, approved labor rates, and the claims the shop repairs under."""

from __future__ import annotations

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import ClaimManagement, InsuranceCompany

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

    def __init__(self) -> None:
        self.column_select_related_list = [
            ClaimManagement.insurance_company,
            ClaimManagement.customer,
            ClaimManagement.vehicle_profile,
        ]
        super().__init__(ClaimManagement, name="Claims", endpoint="claims", category=CATEGORY)


def views() -> list[BaseView]:
    return [InsuranceCompanyView(), ClaimView()]
