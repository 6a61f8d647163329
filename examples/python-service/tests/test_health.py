from alembic.config import Config
from alembic.script import ScriptDirectory

from app import create_app
from tests.conftest import ADMIN_TOKEN


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_health_queries_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": {"up": True}}


def test_health_reports_a_database_that_is_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}"
    app = create_app({"DATABASE_URL": url, "ADMIN_TOKEN": ADMIN_TOKEN})
    client = app.test_client()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.get_json()["db"] == {"up": False}
    response = client.get("/api/admin/system/health", headers=bearer(ADMIN_TOKEN))
    assert response.status_code == 503


def test_admin_health_requires_the_token(client):
    assert client.get("/api/admin/system/health").status_code == 401
    response = client.get("/api/admin/system/health", headers=bearer("wrong"))
    assert response.status_code == 401
    response = client.get(
        "/api/admin/system/health", headers={"Authorization": ADMIN_TOKEN}
    )
    assert response.status_code == 401


def test_admin_health_with_the_token(client):
    response = client.get("/api/admin/system/health", headers=bearer(ADMIN_TOKEN))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    head = ScriptDirectory.from_config(Config("alembic.ini")).get_current_head()
    assert body["db"] == {"up": True, "revision": head, "users": 1, "items": 0}


def test_admin_health_without_a_configured_token(database_url):
    app = create_app({"DATABASE_URL": database_url, "ADMIN_TOKEN": ""})
    response = app.test_client().get(
        "/api/admin/system/health", headers=bearer("anything")
    )
    assert response.status_code == 401


def test_index(client):
    assert client.get("/").get_json() == {"service": "python-service"}
