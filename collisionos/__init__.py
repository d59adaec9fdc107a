"""CollisionOS: management software for collision repair shops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from collisionos.config import build_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the app; ``config`` overrides settings read from the environment."""
    settings = build_config()
    if config:
        settings.update(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_FOLDER"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "collisionos" / "static"),
    )
    app.config.update(settings)

    register_extensions(app)
    register_audit_context(app)
    register_blueprints(app)
    register_admin(app)
    register_cli(app)
    register_security_headers(app)
    register_error_pages(app)
    register_query_count(app)
    register_scheduler(app)
    return app


def register_extensions(app: Flask) -> None:
    from collisionos import models  # noqa: F401  (every table on db.metadata before Migrate runs)
    from collisionos.database import configure_engine
    from collisionos.extensions import csrf, db, limiter, login_manager, migrate
    from collisionos.services import audit  # noqa: F401  (registers the audit trail listeners)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)


def register_audit_context(app: Flask) -> None:
    """Attribute every write made while serving a request to the logged-in user."""
    import uuid

    from flask import g, request
    from flask_login import current_user

    from collisionos.services.audit import Actor, reset_actor, set_actor

    @app.before_request
    def audit_actor() -> None:
        user = current_user if current_user and current_user.is_authenticated else None
        g.audit_token = set_actor(
            Actor(
                user_id=user.id if user else None,
                user_label=user.username if user else "anonymous",
                ip_address=request.remote_addr,
                user_agent=request.user_agent.string[:500] if request.user_agent else None,
                request_id=request.headers.get("X-Request-Id", uuid.uuid4().hex)[:64],
            )
        )

    @app.teardown_request
    def reset_audit_actor(_error: BaseException | None) -> None:
        token = g.pop("audit_token", None)
        if token is not None:
            reset_actor(token)


def register_blueprints(app: Flask) -> None:
    from collisionos.auth import bp as auth_bp
    from collisionos.pages import bp as pages_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(pages_bp)


def register_admin(app: Flask) -> None:
    from collisionos.admin import init_admin

    init_admin(app)


def register_cli(app: Flask) -> None:
    from collisionos.cli import bms_cli, scheduler_cli, seed_cli, users_cli

    app.cli.add_command(seed_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(bms_cli)


def register_scheduler(app: Flask) -> None:
    """With SCHEDULER_ENABLED, run the job table in the one process that takes the lock (collisionos/jobs)."""
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    from collisionos.jobs.runner import start_in_background

    start_in_background(app)


def register_query_count(app: Flask) -> None:
    """With QUERY_COUNT_HEADER on, every response says how many SQL statements it took."""
    if not app.config.get("QUERY_COUNT_HEADER"):
        return
    from flask import g, has_request_context
    from sqlalchemy import event

    from collisionos.extensions import db

    def count(*_args: object) -> None:
        if has_request_context():
            g.query_count = g.get("query_count", 0) + 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)

    @app.after_request
    def add_header(response):  # type: ignore[no-untyped-def]
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response


def register_error_pages(app: Flask) -> None:
    from flask import flash, redirect, request
    from werkzeug.exceptions import RequestEntityTooLarge

    @app.errorhandler(RequestEntityTooLarge)
    def upload_too_large(_error):  # type: ignore[no-untyped-def]
        # The body was refused unread: back to the same page (as a GET) with a message, not a bare 413.
        size = int(app.config["MAX_CONTENT_LENGTH"] or 0)
        limit = f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"
        flash(f"The upload is larger than the {limit} limit: send fewer or smaller files at a time.", "error")
        return redirect(request.path, code=303)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def set_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
