"""The ordered list of admin views, one per model, grouped by DOMAIN.md's layers."""

from __future__ import annotations

from flask_admin.base import BaseView

CATEGORY_ORDER = [
    "Repair Orders",
    "Customers & Vehicles",
    "Insurance & Estimates",
    "Parts & Purchasing",
    "Loaners",
    "Finance",
    "Communication",
    "Reports",
    "Settings",
    "System",
]


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
        status_messages,
        system,
        watchlists,
    )

    views = [
        *repair_orders.views(),
        *production.views(),
        *watchlists.views(),
        *jobs.views(),
        *customers.views(),
        *insurance.views(),
        *estimates.views(),
        *parts.views(),
        *purchasing.views(),
        *loaners.views(),
        *finance.views(),
        *communication.views(),
        *status_messages.views(),
        *system.views(),
        *search.views(),
    ]
    # Menu categories in the order of a shop's day, DOMAIN.md's layers after that.
    return sorted(
        views,
        key=lambda view: (
            CATEGORY_ORDER.index(view.category) if view.category in CATEGORY_ORDER else len(CATEGORY_ORDER)
        ),
    )
