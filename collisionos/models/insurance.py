"""Insurers and the insurance claims the shop repairs under."""

from __future__ import annotations

import sqlalchemy as sa

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    date_order_check,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    integer,
    json_column,
    json_list,
    mapped_column,
    money,
    percent,
    string,
    timestamp,
    user_fk,
)
from collisionos.models.enums import ClaimStatus

INSURER_TYPES = ("auto", "commercial", "specialty", "self_insured", "other")
INSURER_PAYMENT_TERMS = ("immediate", "net_15", "net_30", "net_45", "net_60")
INSURER_PAYMENT_METHODS = ("check", "ach", "wire", "credit_card", "other")
PREFERRED_PARTS_TYPES = ("OEM", "Aftermarket", "Used", "Any")
RELATIONSHIP_STATUSES = ("excellent", "good", "fair", "poor", "problematic")

POLICY_TYPES = ("comprehensive", "collision", "liability", "uninsured_motorist", "pip", "other")
DEDUCTIBLE_PAYERS = ("customer", "insurance", "shop", "waived", "pending")
LOSS_TYPES = ("collision", "comprehensive", "vandalism", "theft", "weather", "fire", "flood", "animal", "other")
AT_FAULT_PARTIES = ("insured", "third_party", "unknown", "disputed", "shared")
SUBROGATION_STATUSES = ("none", "potential", "initiated", "in_progress", "recovered", "closed")
LITIGATION_STATUSES = ("none", "threatened", "filed", "settled", "dismissed")
CLAIM_CONTACT_METHODS = ("phone", "email", "mail", "text", "portal")


class InsuranceCompany(Timestamped, ShopOwned, UserStamped, db.Model):
    """An insurer the shop works with: DRP terms, approved labor rates and payment behaviour."""

    __tablename__ = "insurance_companies"
    __table_args__ = (
        # NULL codes never collide, so this is "unique where not null", scoped to the shop.
        db.UniqueConstraint("shop_id", "code", name="uq_insurance_companies_shop_id_code"),
        date_order_check("insurance_companies", "drp_start_date", "drp_end_date"),
    )

    name: Mapped[str] = string(255, nullable=False, index=True)
    code: Mapped[str | None] = string(10)
    type: Mapped[str | None] = enum_column("insurance_companies", "type", INSURER_TYPES, default="auto", index=True)
    is_drp: Mapped[bool] = boolean(False, index=True)
    drp_number: Mapped[str | None] = string(50, index=True)
    drp_start_date: Mapped[datetime | None] = timestamp()
    drp_end_date: Mapped[datetime | None] = timestamp()
    drp_discount: Mapped[Decimal | None] = percent()
    payment_terms: Mapped[str | None] = enum_column(
        "insurance_companies", "payment_terms", INSURER_PAYMENT_TERMS, default="net_30"
    )
    preferred_payment_method: Mapped[str | None] = enum_column(
        "insurance_companies", "preferred_payment_method", INSURER_PAYMENT_METHODS, default="check"
    )
    requires_photos: Mapped[bool] = boolean(True)
    requires_estimate: Mapped[bool] = boolean(True)
    requires_approval: Mapped[bool] = boolean(True)
    supplement_approval_required: Mapped[bool] = boolean(True)
    approval_limit: Mapped[Decimal | None] = money()
    preferred_parts_type: Mapped[str | None] = enum_column(
        "insurance_companies", "preferred_parts_type", PREFERRED_PARTS_TYPES, default="Any"
    )
    allows_used_parts: Mapped[bool] = boolean(True)
    allows_aftermarket_parts: Mapped[bool] = boolean(True)
    body_labor_rate: Mapped[Decimal | None] = money()
    paint_labor_rate: Mapped[Decimal | None] = money()
    frame_labor_rate: Mapped[Decimal | None] = money()
    mechanical_labor_rate: Mapped[Decimal | None] = money()
    glass_labor_rate: Mapped[Decimal | None] = money()
    provides_rental_car: Mapped[bool] = boolean(False)
    covers_rental: Mapped[bool] = boolean(False)
    covers_towing: Mapped[bool] = boolean(False)
    rental_car_limit: Mapped[Decimal | None] = money()
    rental_car_days_limit: Mapped[int | None] = integer(ge=0)
    avg_deductible: Mapped[Decimal | None] = money()
    avg_payment_days: Mapped[int | None] = integer(ge=0)
    total_claims: Mapped[int] = integer(nullable=False, default=0, ge=0)
    total_claims_value: Mapped[Decimal | None] = money(precision=15, default=0)
    avg_claim_value: Mapped[Decimal | None] = money()
    customer_service_rating: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    payment_rating: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    overall_rating: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5, index=True)
    relationship_status: Mapped[str | None] = enum_column(
        "insurance_companies", "relationship_status", RELATIONSHIP_STATUSES, default="good", index=True
    )
    is_active: Mapped[bool] = boolean(True, index=True)
    last_claim_date: Mapped[datetime | None] = timestamp(index=True)
    last_payment_date: Mapped[datetime | None] = timestamp()
    phone: Mapped[str | None] = string(20)
    fax: Mapped[str | None] = string(20)
    email: Mapped[str | None] = string(255)
    address: Mapped[str | None] = string()
    contact_phone: Mapped[str | None] = string(20)
    contact_email: Mapped[str | None] = string(255)
    claims_phone: Mapped[str | None] = string(20)
    claims_fax: Mapped[str | None] = string(20)
    claims_email: Mapped[str | None] = string(255)
    claims_address: Mapped[str | None] = string()
    billing_phone: Mapped[str | None] = string(20)
    billing_email: Mapped[str | None] = string(255)
    billing_address: Mapped[str | None] = string()
    has_online_portal: Mapped[bool] = boolean(False)
    api_integration: Mapped[bool] = boolean(False)
    edi_capable: Mapped[bool] = boolean(False)
    portal_url: Mapped[str | None] = string(255)
    required_certifications: Mapped[list | None] = json_list()
    tags: Mapped[list | None] = json_list()
    # "metadata" is reserved on declarative classes, so the attribute is metadata_ over a column named metadata.
    metadata_: Mapped[dict | None] = mapped_column("metadata", sa.JSON, nullable=True, default=dict)

    def __str__(self) -> str:
        name = self.name or "Insurer"
        return f"{name} ({self.code})" if self.code else name


class ClaimManagement(Timestamped, ShopOwned, UserStamped, db.Model):
    """An insurance claim: policy, adjuster, deductible, DRP, ATS, liability, supplements, subrogation."""

    __tablename__ = "claim_management"
    __table_args__ = (
        db.Index(
            "ix_claim_management_shop_claim_key",
            "shop_id",
            "claim_key",
            postgresql_ops={"claim_key": "text_pattern_ops"},
        ),
        # The reference makes claim_number global; two insurers may issue the same number.
        db.UniqueConstraint(
            "shop_id", "insurance_company_id", "claim_number", name="uq_claim_management_shop_insurer_claim"
        ),
        db.CheckConstraint(
            "NOT deductible_waived OR (deductible_waived_reason IS NOT NULL"
            " AND length(trim(deductible_waived_reason)) > 0)",
            name="claim_management_waived_reason",
        ),
        date_order_check("claim_management", "date_of_loss", "date_reported"),
        date_order_check("claim_management", "ats_start_date", "ats_end_date"),
        db.Index("ix_claim_management_customer_created", "customer_id", "created_at"),
    )

    # customer_id is covered by ix_claim_management_customer_created.
    customer_id: Mapped[int] = fk("customers", ondelete="CASCADE", nullable=False, index=False)
    vehicle_profile_id: Mapped[int] = fk("vehicle_profiles", ondelete="CASCADE", nullable=False)
    insurance_company_id: Mapped[int | None] = fk("insurance_companies", ondelete=None, nullable=True)
    reviewed_by: Mapped[int | None] = user_fk()
    claim_number: Mapped[str] = string(100, nullable=False, index=True)
    # CIECA point of impact code from an imported estimate (e.g. "12" front).
    point_of_impact: Mapped[str | None] = string(20)
    policy_number: Mapped[str | None] = string(100, index=True)
    policy_type: Mapped[str | None] = enum_column("claim_management", "policy_type", POLICY_TYPES)
    date_of_loss: Mapped[datetime | None] = timestamp(index=True)
    date_reported: Mapped[datetime | None] = timestamp(index=True)
    date_claim_opened: Mapped[datetime | None] = timestamp()
    adjuster_name: Mapped[str | None] = string(255, index=True)
    adjuster_email: Mapped[str | None] = string(255)
    adjuster_phone: Mapped[str | None] = string(20)
    adjuster_fax: Mapped[str | None] = string(20)
    adjuster_extension: Mapped[str | None] = string(10)
    secondary_adjuster_name: Mapped[str | None] = string(255)
    secondary_adjuster_phone: Mapped[str | None] = string(20)
    secondary_adjuster_email: Mapped[str | None] = string(255)
    claim_status: Mapped[str | None] = enum_column(
        "claim_management", "claim_status", ClaimStatus, default=ClaimStatus.PENDING, index=True
    )
    status_update_date: Mapped[datetime | None] = timestamp()
    status_notes: Mapped[str | None] = string()
    deductible_amount: Mapped[Decimal | None] = money()
    deductible_paid: Mapped[bool] = boolean(False)
    deductible_paid_date: Mapped[datetime | None] = timestamp()
    deductible_paid_by: Mapped[str | None] = enum_column("claim_management", "deductible_paid_by", DEDUCTIBLE_PAYERS)
    deductible_waived: Mapped[bool] = boolean(False)
    deductible_waived_reason: Mapped[str | None] = string()
    coverage_type: Mapped[str | None] = string(100)
    policy_limit: Mapped[Decimal | None] = money()
    coverage_details: Mapped[dict | None] = json_column()
    loss_type: Mapped[str | None] = enum_column("claim_management", "loss_type", LOSS_TYPES)
    at_fault_party: Mapped[str | None] = enum_column("claim_management", "at_fault_party", AT_FAULT_PARTIES)
    liability_percentage: Mapped[int | None] = integer(ge=0, le=100)
    third_party_involved: Mapped[bool] = boolean(False)
    third_party_insurer: Mapped[str | None] = string(255)
    third_party_adjuster: Mapped[str | None] = string(255)
    third_party_claim_number: Mapped[str | None] = string(100)
    third_party_phone: Mapped[str | None] = string(20)
    police_report_filed: Mapped[bool] = boolean(False)
    injuries_claimed: Mapped[bool] = boolean(False)
    medical_treatment_sought: Mapped[bool] = boolean(False)
    police_report_number: Mapped[str | None] = string(100)
    is_drp_claim: Mapped[bool] = boolean(False, index=True)
    drp_program: Mapped[str | None] = string(100)
    program_code: Mapped[str | None] = string(50)
    program_discount: Mapped[Decimal | None] = percent()
    ats_eligible: Mapped[bool] = boolean(False)
    ats_allowance_amount: Mapped[Decimal | None] = money()
    ats_start_date: Mapped[datetime | None] = timestamp()
    ats_end_date: Mapped[datetime | None] = timestamp()
    ats_days_approved: Mapped[int | None] = integer(ge=0)
    ats_days_used: Mapped[int] = integer(nullable=False, default=0, ge=0)
    ats_provider: Mapped[str | None] = string(255)
    # Normalised search keys, filled from the columns above on every save (domain/search_keys.py).
    claim_key: Mapped[str | None] = string(100)
    estimated_damage: Mapped[Decimal | None] = money()
    reserve_amount: Mapped[Decimal | None] = money()
    total_payout: Mapped[Decimal | None] = money()
    salvage_value: Mapped[Decimal | None] = money()
    total_loss: Mapped[bool] = boolean(False, index=True)
    total_loss_date: Mapped[datetime | None] = timestamp()
    total_loss_threshold: Mapped[Decimal | None] = percent()
    supplements_allowed: Mapped[bool] = boolean(True)
    supplement_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    supplement_total: Mapped[Decimal | None] = money(default=0)
    last_supplement_date: Mapped[datetime | None] = timestamp()
    documents_required: Mapped[list | None] = json_column()
    documents_received: Mapped[list | None] = json_column()
    missing_documents: Mapped[list | None] = json_column()
    requires_special_handling: Mapped[bool] = boolean(False)
    flagged_for_review: Mapped[bool] = boolean(False, index=True)
    reviewed_at: Mapped[datetime | None] = timestamp()
    subrogation_potential: Mapped[bool] = boolean(False)
    subrogation_amount: Mapped[Decimal | None] = money()
    subrogation_status: Mapped[str | None] = enum_column(
        "claim_management", "subrogation_status", SUBROGATION_STATUSES, default="none", index=True
    )
    attorney_involved: Mapped[bool] = boolean(False)
    litigation_status: Mapped[str | None] = enum_column(
        "claim_management", "litigation_status", LITIGATION_STATUSES, default="none", index=True
    )
    preferred_contact_method: Mapped[str | None] = enum_column(
        "claim_management", "preferred_contact_method", CLAIM_CONTACT_METHODS, default="phone"
    )

    customer = db.relationship("Customer", foreign_keys=[customer_id])
    vehicle_profile = db.relationship("VehicleProfile", foreign_keys=[vehicle_profile_id])
    insurance_company = db.relationship("InsuranceCompany", foreign_keys=[insurance_company_id])

    def __str__(self) -> str:
        number = self.claim_number or f"Claim #{self.id}"
        insurer = self.insurance_company.name if self.insurance_company else None
        return f"{number} · {insurer}" if insurer else number
