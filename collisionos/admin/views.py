"""The ordered list of admin views, one per model, grouped by DOMAIN.md's layers."""

from __future__ import annotations

from flask_admin.base import BaseView


def build_views() -> list[BaseView]:
    """Return fresh view instances (Flask-Admin views must not be shared between apps)."""
    from collisionos.admin import (
        communication,
        customers,
        estimates,
        finance,
        insurance,
        jobs,
        loaners,
        parts,
        production,
        purchasing,
        repair_orders,
        search,
        system,
    )

    return [
        *repair_orders.views(),
        *production.views(),
        *jobs.views(),
        *customers.views(),
        *insurance.views(),
        *estimates.views(),
        *parts.views(),
        *purchasing.views(),
        *loaners.views(),
        *finance.views(),
        *communication.views(),
        *system.views(),
        *search.views(),
    ]
