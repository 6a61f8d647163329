from tests.conftest import ALICE_PASSWORD


def test_items_start_empty(client):
    assert client.get("/api/items").get_json() == {"items": []}


def test_create_and_list_items(client):
    response = client.post("/api/items", json={"name": "  lamp "})
    assert response.status_code == 201
    created = response.get_json()
    assert created["name"] == "lamp"
    items = client.get("/api/items").get_json()["items"]
    assert [item["id"] for item in items] == [created["id"]]


def test_create_item_needs_a_name(client):
    assert client.post("/api/items", json={}).status_code == 400
    assert client.post("/api/items", data="not json").status_code == 400
    assert client.post("/api/items", json={"name": "x" * 201}).status_code == 400


def test_login(client):
    credentials = {"username": "alice", "password": ALICE_PASSWORD}
    response = client.post("/api/login", json=credentials)
    assert response.status_code == 200
    assert response.get_json() == {"user": "alice"}


def test_login_rejects_bad_credentials(client):
    wrong = {"username": "alice", "password": "wrong"}  # pragma: allowlist secret
    assert client.post("/api/login", json=wrong).status_code == 401
    nobody = {"username": "bob", "password": "x"}  # pragma: allowlist secret
    assert client.post("/api/login", json=nobody).status_code == 401
    assert client.post("/api/login", json={"username": "alice"}).status_code == 400


def test_login_is_rate_limited(client):
    statuses = [client.post("/api/login", json={}).status_code for _ in range(7)]
    assert statuses == [400] * 5 + [429] * 2
    response = client.post("/api/login", json={})
    assert int(response.headers["Retry-After"]) >= 1
