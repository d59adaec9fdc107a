"""Who may do what: one readable matrix of roles × areas × actions (DOMAIN.md §5.16).

Every admin view belongs to one area; a role's actions on an area are the letters in the matrix:
``v`` view, ``c`` create, ``e`` edit, ``d`` delete, ``x`` export. The README prints this table.
"""

from __future__ import annotations

from enum import StrEnum

from collisionos.models.enums import Role


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    EXPORT = "export"


_LETTERS = {"v": Action.VIEW, "c": Action.CREATE, "e": Action.EDIT, "d": Action.DELETE, "x": Action.EXPORT}

# Areas, and what they hold.
AREAS = {
    "customers": "customers, vehicles, vehicle profiles and history, contact timeline",
    "jobs": "repair orders, jobs, production, labour time, attachments, loaners, scheduling",
    "estimates": "estimates and their lines, BMS imports, claims, insurers",
    "parts": "part lines on repair orders, purchase orders, vendors",
    "inventory": "parts catalogue, stock orders and their lines",
    "financial": "invoices and money movements",
    "communication": "message templates and the message log",
    "reports": "technician performance",
    "settings": "the shop, production stages",
    "users": "staff accounts",
    "audit": "the audit trail",
}

# fmt: off
MATRIX: dict[Role, dict[str, str]] = {
    Role.OWNER:           dict(customers="vcedx", jobs="vcedx", estimates="vcedx", parts="vcedx", inventory="vcedx", financial="vcedx", communication="vcedx", reports="vx", settings="ve", users="vced", audit="vx"),  # noqa: E501
    Role.ADMIN:           dict(customers="vcedx", jobs="vcedx", estimates="vcedx", parts="vcedx", inventory="vcedx", financial="vcedx", communication="vcedx", reports="vx", settings="vce", users="vced", audit="vx"),  # noqa: E501
    Role.MANAGER:         dict(customers="vcex", jobs="vcex", estimates="vcex", parts="vcex", inventory="vcex", financial="vcex", communication="vcex", reports="vx", settings="v", users="v", audit="v"),  # noqa: E501
    Role.SERVICE_ADVISOR: dict(customers="vcex", jobs="vcex", estimates="vcex", parts="vx", inventory="vx", financial="vcex", communication="ve", reports="vx"),  # noqa: E501
    Role.ESTIMATOR:       dict(customers="vce", jobs="vce", estimates="vcex", parts="v", inventory="v", reports="v"),
    Role.PARTS_MANAGER:   dict(customers="v", jobs="v", estimates="v", parts="vcex", inventory="vcex", financial="vce", reports="v"),  # noqa: E501
    # The front desk sends the Outbox's texts by hand and records STOP replies: edit on communication.
    Role.RECEPTIONIST:    dict(customers="vce", jobs="vce", financial="vce", communication="ve"),
    Role.ACCOUNTANT:      dict(customers="vx", jobs="vx", financial="vcex", reports="vx"),
    Role.TECHNICIAN:      dict(jobs="ve", parts="v", inventory="v"),
}
# fmt: on

# Roles that see prices, costs and totals. Technicians never do (their lists and forms hide money).
SEES_MONEY = frozenset(set(Role) - {Role.TECHNICIAN})
# The platform admin works across shops and may switch the current shop.
PLATFORM_ROLES = frozenset({Role.ADMIN})


def allowed(role: str | None, area: str, action: Action | str) -> bool:
    """Return True when ``role`` may do ``action`` in ``area``."""
    if role is None or area not in AREAS:
        return False
    letters = MATRIX.get(Role(role), {}).get(area, "")
    return any(_LETTERS[letter] == action for letter in letters)


def actions_for(role: str, area: str) -> frozenset[Action]:
    """Every action ``role`` may take in ``area``."""
    return frozenset(_LETTERS[letter] for letter in MATRIX.get(Role(role), {}).get(area, ""))


def sees_money(role: str | None) -> bool:
    return role is not None and Role(role) in SEES_MONEY


def matrix_markdown() -> str:
    """Render the matrix as the Markdown table printed in README.md."""
    header = "| role | " + " | ".join(AREAS) + " |"
    rule = "|---" * (len(AREAS) + 1) + "|"
    lines = [header, rule]
    for role in Role:
        cells = [MATRIX.get(role, {}).get(area, "") or "-" for area in AREAS]
        lines.append(f"| {role.value} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
