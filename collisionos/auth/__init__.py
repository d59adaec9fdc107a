"""Login, logout and the session user."""

from collisionos.auth.views import bp

__all__ = ["bp"]
