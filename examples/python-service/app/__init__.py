"""A small Flask service: items API, login, health checks."""

import os

from flask import Flask

from app.db import Database
from app.ratelimit import RateLimiter
from app.routes import api
from app.security import install_security


def create_app(config=None):
    """Build the application; ``config`` overrides settings read from the env."""
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///service.db"),
        ADMIN_TOKEN=os.environ.get("ADMIN_TOKEN", ""),
        ALLOWED_ORIGIN=os.environ.get("ALLOWED_ORIGIN", "https://app.example.com"),
        X_FRAME_OPTIONS=os.environ.get("X_FRAME_OPTIONS", "DENY"),
        LOGIN_RATE_LIMIT=int(os.environ.get("LOGIN_RATE_LIMIT", "100")),
        LOGIN_RATE_WINDOW=float(os.environ.get("LOGIN_RATE_WINDOW", "60")),
    )
    if config:
        app.config.update(config)
    app.extensions["db"] = Database(app.config["DATABASE_URL"])
    app.extensions["login_limiter"] = RateLimiter(
        app.config["LOGIN_RATE_LIMIT"], app.config["LOGIN_RATE_WINDOW"]
    )
    install_security(app)
    app.register_blueprint(api)
    return app
