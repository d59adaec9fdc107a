"""Supplement actions on a repair order's details page (DOMAIN.md §3.7): request one, record the insurer's answer.

The RO view wires them in; either mix :class:`SupplementActions` into the view and merge
``SUPPLEMENT_ACTIONS`` into its ``workflow_actions``, or call the plain functions from its own handlers.
``templates/admin/workflow/claim_supplements.html`` draws one decision form per pending supplement and
calls ``admin_view.pending_supplements(model)`` and ``admin_view.shows_money()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_login import current_user

from collisionos.admin import formatters
from collisionos.admin.workflow import ActionForm, Field, form_decimal, form_int, form_text
from collisionos.domain.claims import SUPPLEMENT_LINE_TYPES
from collisionos.domain.errors import ValidationError
from collisionos.domain.permissions import Action, sees_money
from collisionos.domain.transitions import allowed_targets
from collisionos.models import EstimateLineItem, RepairOrder
from collisionos.models.enums import RepairOrderStatus
from collisionos.services import claims as svc
from collisionos.tenancy import current_shop_id

APPROVE_PREFIX = "approve_"
LINE_TYPE_CHOICES = [(line_type, line_type.capitalize()) for line_type in SUPPLEMENT_LINE_TYPES]
SUPPLEMENT_ACTIONS: Mapping[str, tuple[str, Action]] = {
    "request_supplement": ("action_request_supplement", Action.EDIT),
    "decide_supplement": ("action_decide_supplement", Action.EDIT),
}


def request_supplement_form(ro: RepairOrder) -> ActionForm | None:
    """The "Request supplement" form, when the RO could go to supplement pending now."""
    if ro.estimate_id is None or RepairOrderStatus.SUPPLEMENT_PENDING not in allowed_targets(
        "repair order", ro.ro_status, ro.previous_status
    ):
        return None
    return ActionForm(
        "request_supplement",
        "Request supplement",
        fields=[
            Field("description", "Hidden damage", "text", required=True),
            Field("line_type", "Type", "select", choices=LINE_TYPE_CHOICES, required=True, value="part"),
            Field("quantity", "Qty / hours", "number", required=True, value="1"),
            Field("unit_price", "Unit price", "money", required=True),
            Field("part_number", "Part #", "text"),
            Field("note", "Note to the insurer", "text"),
        ],
        group="Supplement",
        note="Adds the line to the estimate as a supplement and waits for the insurer's decision.",
    )


def request_supplement_action(view: Any, row_id: str, form: Mapping[str, str]) -> str:
    """Parse a one-line supplement request and send it; return the message to flash."""
    line = {
        "description": form_text(form, "description", required="Describe the hidden damage."),
        "type": form_text(form, "line_type", required="Choose the line's type."),
        "quantity": form_decimal(form, "quantity", "Quantity", required=True),
        "unit_price": form_decimal(form, "unit_price", "Unit price", required=True),
        "part_number": form_text(form, "part_number", limit=50),
    }
    result = svc.request_supplement(
        current_shop_id(), row_id, lines=[line], note=form_text(form, "note"), actor=view.actor, now=view.now()
    )
    lines = len(result.lines)
    return (
        f"Supplement {result.number} on {result.repair_order.repair_order_number}: {lines} "
        f"{'line' if lines == 1 else 'lines'}, {formatters.money(result.amount)} before tax, "
        "waiting for the insurer's decision."
    )


def approved_ids(form: Mapping[str, str]) -> list[int]:
    """The line ids whose ``approve_<id>`` box is ticked."""
    ids = []
    for name in form:
        if not name.startswith(APPROVE_PREFIX):
            continue
        if (form.get(name) or "").lower() not in ("1", "y", "yes", "on", "true"):
            continue
        try:
            ids.append(int(name[len(APPROVE_PREFIX) :]))
        except ValueError:
            raise ValidationError(
                "The decision names a line that does not exist.", rule="supplement_line_unknown"
            ) from None
    return ids


def decide_supplement_action(view: Any, row_id: str, form: Mapping[str, str]) -> str:
    """Record the insurer's answer: ticked lines approved, the others rejected; return the message to flash."""
    number = form_int(form, "supplement_number", "Supplement number", required=True)
    result = svc.decide_supplement(
        current_shop_id(),
        row_id,
        supplement_number=number or 0,
        approved_line_ids=approved_ids(form),
        note=form_text(form, "note"),
        actor=view.actor,
        now=view.now(),
    )
    ro = result.repair_order
    if not result.approved:
        return (
            f"Supplement {result.number} on {ro.repair_order_number} was denied ({result.rejected} "
            f"{'line' if result.rejected == 1 else 'lines'}); the RO is back to {ro.ro_status.replace('_', ' ')}."
        )
    return (
        f"Supplement {result.number} on {ro.repair_order_number}: {result.approved} approved, {result.rejected} "
        f"rejected; the approved total grew by {formatters.money(result.amount)} to "
        f"{formatters.money(ro.approved_total)}."
    )


class SupplementActions:
    """Mix into the RO view: the two handlers and what claim_supplements.html asks of ``admin_view``."""

    def action_request_supplement(self, row_id: str, form: Mapping[str, str]) -> str:
        return request_supplement_action(self, row_id, form)

    def action_decide_supplement(self, row_id: str, form: Mapping[str, str]) -> str:
        return decide_supplement_action(self, row_id, form)

    def pending_supplements(self, model: RepairOrder) -> list[tuple[int, list[EstimateLineItem]]]:
        """The RO's supplements awaiting a decision: (number, lines), lowest number first."""
        if model.ro_status != RepairOrderStatus.SUPPLEMENT_PENDING:
            return []
        return sorted(svc.pending_supplement_lines(model).items())

    def shows_money(self) -> bool:
        return sees_money(current_user.role)
