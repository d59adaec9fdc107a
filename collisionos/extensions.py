"""Flask extensions, created unbound and initialised in :func:`collisionos.create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from collisionos.models.base import db

migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage from RATELIMIT_STORAGE_URI: memory:// counts per process, redis:// across workers.
limiter = Limiter(key_func=get_remote_address, strategy="moving-window", headers_enabled=True)

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate"]
