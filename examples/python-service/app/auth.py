"""Admin bearer token and user login."""

import hmac

from flask import current_app, request
from sqlalchemy import select

from app.models import User


def is_admin():
    """True when the request carries ``Authorization: Bearer <ADMIN_TOKEN>``."""
    expected = current_app.config["ADMIN_TOKEN"]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.encode(), expected.encode())


def authenticate(session, username, password):
    """The user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.check_password(password):
        return None
    return user
