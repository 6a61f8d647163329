import pytest
from alembic import command
from alembic.config import Config

from app import create_app
from app.models import User

ADMIN_TOKEN = "test-admin-token"  # pragma: allowlist secret
ALICE_PASSWORD = "correct horse"  # pragma: allowlist secret


def alembic_config(url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    return Config("alembic.ini")


@pytest.fixture
def database_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'test.db'}"
    command.upgrade(alembic_config(url, monkeypatch), "head")
    return url


@pytest.fixture
def app(database_url):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "ALLOWED_ORIGIN": "https://app.example.com",
            "X_FRAME_OPTIONS": "DENY",
            "LOGIN_RATE_LIMIT": 5,
            "LOGIN_RATE_WINDOW": 60,
        }
    )
    with app.extensions["db"].session() as session:
        user = User(username="alice")
        user.set_password(ALICE_PASSWORD)
        session.add(user)
    return app


@pytest.fixture
def client(app):
    return app.test_client()
