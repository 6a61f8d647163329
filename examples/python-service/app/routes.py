"""HTTP routes."""

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import func, select

from app.auth import authenticate, is_admin
from app.models import Item, User

api = Blueprint("api", __name__)


def _db():
    return current_app.extensions["db"]


@api.get("/")
def index():
    return jsonify(service="python-service")


@api.get("/health")
def health():
    up = _db().ping()
    body = {"status": "ok" if up else "degraded", "db": {"up": up}}
    return jsonify(body), 200 if up else 503


@api.get("/api/admin/system/health")
def admin_health():
    if not is_admin():
        return jsonify(error="unauthorized"), 401
    db = _db()
    up = db.ping()
    body = {"status": "ok" if up else "degraded", "db": {"up": up}}
    if up:
        with db.session() as session:
            body["db"]["revision"] = db.revision()
            body["db"]["users"] = session.scalar(select(func.count(User.id)))
            body["db"]["items"] = session.scalar(select(func.count(Item.id)))
    return jsonify(body), 200 if up else 503


@api.get("/api/items")
def list_items():
    with _db().session() as session:
        items = session.scalars(select(Item).order_by(Item.id)).all()
        return jsonify(items=[item.to_dict() for item in items])


@api.post("/api/items")
def create_item():
    data = request.get_json(silent=True) or {}
    name = str(data.get("name", "")).strip()
    if not name or len(name) > 200:
        return jsonify(error="name is required (at most 200 characters)"), 400
    with _db().session() as session:
        item = Item(name=name)
        session.add(item)
        session.flush()
        return jsonify(item.to_dict()), 201


@api.post("/api/login")
def login():
    limiter = current_app.extensions["login_limiter"]
    client = request.remote_addr or "unknown"
    if not limiter.allow(client):
        response = jsonify(error="too many requests")
        response.headers["Retry-After"] = str(limiter.retry_after(client))
        return response, 429
    data = request.get_json(silent=True) or {}
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        return jsonify(error="username and password are required"), 400
    with _db().session() as session:
        user = authenticate(session, username, password)
        if user is None:
            return jsonify(error="invalid credentials"), 401
        return jsonify(user=user.username)
